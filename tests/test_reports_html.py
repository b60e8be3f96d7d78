"""HTML report: self-contained, escaped, and what a person sees in a real (headless) browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sample_reports import HOSTILE, sample_report

from intent.check.formats import format_report

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    """A parsed element: tag, attributes, children and text."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None") -> None:
        self.tag, self.attrs, self.parent, self.children, self.parts = tag, attrs, parent, [], []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def iter(self, tag: str | None = None, **attrs: str):
        for child in self.children:
            if (tag is None or child.tag == tag) and all(child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                yield child
            yield from child.iter(tag, **attrs)

    def find(self, tag: str | None = None, **attrs: str) -> "Node":
        return next(self.iter(tag, **attrs))


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        node = self.current
        while node is not None:  # text counts for every ancestor, as textContent does
            node.parts.append(data)
            node = node.parent


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    return builder.root


def test_html_is_self_contained_and_escapes_hostile_strings():
    html = format_report("html", sample_report())
    assert html.count("<script") == 1  # ours only: the hostile message is text
    assert "<img" not in html
    assert "&lt;script&gt;document.documentElement" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no network assets"
    assert "@import" not in html and "url(" not in html
    csp = parse(html).find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp


def test_html_header_matrix_and_team_view_in_markup():
    report = sample_report()
    doc = parse(format_report("html", report))
    assert doc.find(id="intent-path").text == "intents/fleet.yaml"
    assert doc.find(id="intent-sha256").text == report.intent_sha256
    assert doc.find(id="generated-at").text == "2026-11-26T06:00:00+00:00"
    matrix = doc.find("table", id="matrix")
    assert all(th.attrs.get("scope") in ("col", "row") for th in matrix.iter("th"))
    row = matrix.find("tr", data_cluster="prod-use1")
    cell = row.find("td", data_rule="FI-PSA-002")
    assert (cell.attrs["data-count"], cell.attrs["data-worst"], cell.text) == ("3", "high", "3 high")
    assert "worst high" in cell.attrs["aria-label"]
    teams = [s.attrs["data-team"] for s in doc.iter("section") if "data-team-section" in s.attrs]
    assert teams == ["checkout", "payments", "(cluster-wide)"]
    rows = [tr for tr in doc.find("table", id="findings").iter("tr") if "data-finding" in tr.attrs]
    ranks = [int(tr.attrs["data-rank"]) for tr in rows]
    assert ranks == sorted(ranks, reverse=True) and rows[0].attrs["data-rule"] == "FI-AUTH-001"  # worst first
    assert len(rows) == len(report.findings)


# --- in a real browser --------------------------------------------------------------------------


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path to a headless-capable Chromium, installing Debian's package when root and apt works."""
    path = _find_chromium()
    if path:
        return path
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get): apt-get install -y chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    result = subprocess.run(install, env=env, capture_output=True, text=True)
    if result.returncode != 0:  # stale or missing package lists: refresh once and retry
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, text=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
    path = _find_chromium()
    if result.returncode != 0 or not path:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        pytest.skip(f"could not install chromium with apt-get: {last[0]}")
    return path


def dump_dom(chromium: str, page: Path, fragment: str, profile: Path) -> Node:
    """The DOM after the page's script ran, as Chromium's --dump-dom prints it."""
    url = page.as_uri() + (f"#{fragment}" if fragment else "")
    args = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--dump-dom", url,
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    doc = parse(result.stdout)
    assert doc.find("html").attrs.get("data-filters-ready") == "true", "the page's script did not run"
    return doc


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(format_report("html", sample_report()), encoding="utf-8")
    return path


def test_html_in_browser_shows_matrix_and_hostile_text_without_running_it(chromium, page, tmp_path):
    doc = dump_dom(chromium, page, "", tmp_path / "profile")
    html = doc.find("html")
    assert "data-pwned" not in html.attrs
    assert not list(doc.iter("img"))
    message = next(td for td in doc.iter("td") if td.attrs.get("class") == "message" and "<script>" in td.text)
    assert message.text == " ".join(HOSTILE.split())
    matrix = doc.find("table", id="matrix")
    cells = {
        (tr.attrs["data-cluster"], td.attrs["data-rule"]): td.text
        for tr in matrix.iter("tr") if "data-cluster" in tr.attrs
        for td in tr.iter("td") if "data-rule" in td.attrs
    }
    assert cells[("prod-use1", "FI-AUTH-001")] == "1 critical"
    assert cells[("prod-use1", "FI-PSA-002")] == "3 high"
    assert cells[("stage-use2", "FI-COLLECT-001")] == "1 high"
    assert cells[("dev-euw1", "FI-PSA-002")] == "–"
    assert doc.find(id="filter-status").text == f"Showing all {len(sample_report().findings)} findings."
    assert not [tr for tr in doc.iter("tr") if "data-finding" in tr.attrs and "hidden" in tr.attrs]


def test_html_in_browser_team_filter_from_url_hides_other_teams(chromium, page, tmp_path):
    doc = dump_dom(chromium, page, "team=payments&severity=high", tmp_path / "profile")
    rows = [tr for tr in doc.find("table", id="findings").iter("tr") if "data-finding" in tr.attrs]
    visible = [tr for tr in rows if "hidden" not in tr.attrs]
    assert {tr.attrs["data-team"] for tr in visible} == {"payments"}
    assert {tr.attrs["data-severity"] for tr in visible} == {"high"}
    assert len(visible) == 3
    assert all("hidden" in tr.attrs for tr in rows if tr.attrs["data-team"] != "payments")
    sections = {s.attrs["data-team"]: "hidden" in s.attrs for s in doc.iter("section") if "data-team-section" in s.attrs}
    assert sections == {"checkout": True, "payments": False, "(cluster-wide)": True}
    assert doc.find(id="filter-status").text == f"Showing 3 of {len(sample_report().findings)} findings."
