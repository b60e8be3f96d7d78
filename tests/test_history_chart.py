"""`history trend --format html`: a self-contained page whose chart really draws the series.

The page is rendered in headless Chromium (Debian's `chromium`): the DOM Chromium built is
compared with the trend's numbers, and a screenshot is looked at: each point's pixel has
its series' colour where the value puts it. Without Chromium these tests skip, saying why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import invoke_cli
from history_support import check, make_snapshot, rows

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package chromium; .ci/run installs it)")
# As root in a container: no sandbox, and no background connections the closed network refuses.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1000,700"]


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class _Circles(HTMLParser):
    """The chart's series groups and their points, from a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.svg: dict[str, str] = {}
        self.series: list[dict] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if tag == "svg" and attrs.get("id") == "trend":
            self.svg = attrs
        elif tag == "g" and attrs.get("class") == "series":
            self.series.append({"name": attrs["data-series"], "color": attrs["data-color"], "points": []})
        elif tag == "circle" and self.series:
            self.series[-1]["points"].append((float(attrs["cx"]), float(attrs["cy"]), int(attrs["data-value"]), attrs["data-at"]))


@pytest.fixture
def trend_history(tmp_path, capsys) -> str:
    """Four scans whose per-team counts differ: payments 2, 1, 0, 1; checkout 0, 1, 3, 1."""
    db = str(tmp_path / "history.db")
    scans = [
        (("prod-use1", "payments"), ("prod-weu", "payments")),
        (("prod-use1", "payments"), ("dev-weu", "checkout")),
        (("prod-use1", "checkout"), ("dev-weu", "checkout"), ("stage-use1", "checkout")),
        (("prod-weu", "payments"), ("prod-use1", "checkout")),
    ]
    for day, drift in enumerate(scans, start=1):
        snapshot = make_snapshot(tmp_path, f"s{day}", privileged=drift)
        code, _, err = check(capsys, db, snapshot, f"2026-11-0{day}")
        assert code == 1, err
    return db


def _hex(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


@needs_chromium
def test_the_trend_page_draws_every_series_where_its_values_are(tmp_path, capsys, trend_history):
    from PIL import Image

    page = tmp_path / "trend.html"
    code, _, err = invoke_cli(capsys, "history", "trend", "--history", trend_history, "--by", "team", "--format", "html", "-o", page)
    assert code == 0, err
    code, out, _ = invoke_cli(capsys, "history", "trend", "--history", trend_history, "--by", "team", "--format", "json")
    trend = json.loads(out)
    assert [p["counts"] for p in trend["points"]] == [{"payments": 2}, {"checkout": 1, "payments": 1}, {"checkout": 3},
                                                      {"checkout": 1, "payments": 1}]

    # The DOM Chromium built: one group per series, one point per scan, at the value's height.
    dom = _Circles()
    dom.feed(_chromium(tmp_path, page, "--dump-dom").stdout)
    top, bottom, y_max = float(dom.svg["data-plot-top"]), float(dom.svg["data-plot-bottom"]), int(dom.svg["data-y-max"])
    expected = {"all open": [p["open"] for p in trend["points"]]}
    expected |= {team: [p["counts"].get(team, 0) for p in trend["points"]] for team in trend["series"]}
    assert {s["name"]: [v for _, _, v, _ in s["points"]] for s in dom.series} == expected
    for s in dom.series:
        assert [at for *_, at in s["points"]] == [p["at"] for p in trend["points"]]
        for _, cy, value, _ in s["points"]:
            assert cy == pytest.approx(bottom - value / y_max * (bottom - top), abs=0.01)
        xs = [cx for cx, *_ in s["points"]]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)  # one scan a day: left to right

    # The screenshot: at each point, the colour of the last series drawn there.
    shot = tmp_path / "trend.png"
    _chromium(tmp_path, page, f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    on_top: dict[tuple[int, int], str] = {}
    for s in dom.series:  # later groups paint over earlier ones
        for cx, cy, _, _ in s["points"]:
            on_top[(round(cx), round(cy))] = s["color"]
    for (x, y), color in on_top.items():
        got = image.getpixel((x, y))
        assert all(abs(a - b) <= 8 for a, b in zip(got, _hex(color))), f"pixel {(x, y)} is {got}, expected {color}"
    # Every series shows somewhere, lines included: its colour covers many pixels.
    counts = {color: n for n, color in image.getcolors(maxcolors=1 << 24)}
    for s in dom.series:
        assert counts.get(_hex(s["color"]), 0) > 200, s["name"]


@needs_chromium
def test_hostile_values_in_the_database_render_as_text(tmp_path, capsys, trend_history):
    from intent.history.store import connect

    hostile = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'
    with connect(trend_history, create=False) as history, history.write():
        history.execute("UPDATE findings SET team = ?", (hostile,))
    page = tmp_path / "trend.html"
    code, _, err = invoke_cli(capsys, "history", "trend", "--history", trend_history, "--by", "team", "--format", "html", "-o", page)
    assert code == 0, err
    html = page.read_text()
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    dom = _Circles()
    dom.feed(_chromium(tmp_path, page, "--dump-dom").stdout)
    assert "script" not in dom.tags and "img" not in dom.tags
    assert hostile in {s["name"] for s in dom.series}


def test_the_page_loads_nothing_from_anywhere(tmp_path, capsys, trend_history):
    page = tmp_path / "trend.html"
    invoke_cli(capsys, "history", "trend", "--history", trend_history, "--format", "html", "-o", page)
    html = page.read_text()
    assert "default-src 'none'" in unescape(html) and "script-src 'none'" in unescape(html)
    for needle in ("http://", "https://", "src=", "@import", "url("):
        assert needle not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), needle
    assert rows(trend_history, "SELECT COUNT(*) FROM scans") == [(4,)]
