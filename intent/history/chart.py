"""The trend as one self-contained HTML page: an inline SVG line chart and the numbers under it.

Nothing is fetched: no script, no font, no image, and a Content-Security-Policy that admits
only the page's own stylesheet (by hash), so even a hostile value in the database could not
load or run anything. Every value from the database is HTML-escaped. The chart sits at the
page's top-left corner at its natural size (SVG user units are CSS pixels there), and each
point carries its value (`data-value`), so a test can render the page in a browser and find
each series' colour where its values put it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from html import escape
from typing import Any

from intent import __version__
from intent.history.render import SERIES_IN_TABLE

WIDTH, HEIGHT = 960, 440
LEFT, RIGHT, TOP, BOTTOM = 64, WIDTH - 200, 48, HEIGHT - 56  # the plot area; the legend is right of it
TOTAL = ("all open", "#222222")
OTHER_COLOR = "#999999"
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f3c8d", "#8c564b")

STYLE = """
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #222; background: #fff; }
svg { display: block; }
main { padding: 0 16px 24px 16px; max-width: 1200px; }
table { border-collapse: collapse; margin-top: 12px; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
.meta { color: #555; }
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; script-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k at or above `value` (at least 1): round axis ticks."""
    value = max(1, value)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def chart_series(data: dict[str, Any]) -> list[tuple[str, str, list[int]]]:
    """(name, colour, value per point) of each line drawn: the total first, then the series
    with the highest peaks (up to the palette's size), then the rest summed as "other"."""
    points = data["points"]
    lines = [(TOTAL[0], TOTAL[1], [p["open"] for p in points])]
    series = data["series"]
    ranked = sorted(series, key=lambda s: (-max((p.get("counts", {}).get(s, 0) for p in points), default=0), s))
    shown, rest = ranked[:len(PALETTE)], ranked[len(PALETTE):]
    for name, color in zip(sorted(shown, key=series.index), PALETTE):
        lines.append((name, color, [p.get("counts", {}).get(name, 0) for p in points]))
    if rest:
        lines.append((f"other ({len(rest)})", OTHER_COLOR, [sum(p.get("counts", {}).get(s, 0) for s in rest) for p in points]))
    return lines


def _xs(points: list[dict[str, Any]]) -> list[float]:
    """x of each point by its time (scans at one moment share an x)."""
    if not points:
        return []
    times = [dt.datetime.fromisoformat(p["at"].replace("Z", "+00:00")).timestamp() for p in points]
    first, last = min(times), max(times)
    if last == first:
        return [(LEFT + RIGHT) / 2] * len(points)
    return [LEFT + (t - first) / (last - first) * (RIGHT - LEFT) for t in times]


def _svg(data: dict[str, Any], title: str) -> list[str]:
    points = data["points"]
    lines = chart_series(data)
    y_max = _nice_max(max((max(values, default=0) for _, _, values in lines), default=0))
    xs = _xs(points)

    def y(value: int) -> float:
        return BOTTOM - value / y_max * (BOTTOM - TOP)

    out = [
        f'<svg id="trend" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="trend-title" '
        f'data-plot-left="{LEFT}" data-plot-right="{RIGHT}" data-plot-top="{TOP}" data-plot-bottom="{BOTTOM}" '
        f'data-y-max="{y_max}">',
        f'<title id="trend-title">{_e(title)}</title>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="28" font-size="16" font-weight="600" fill="#222">{_e(title)}</text>',
    ]
    ticks = next(n for n in (5, 4, 2, 1) if y_max % n == 0)  # whole-number steps: 0-1, 0-2, 0-5, 0-10 by 2, ...
    for i in range(ticks + 1):  # horizontal grid and the y axis labels
        value = y_max * i / ticks
        out.append(f'<line x1="{LEFT}" y1="{_num(y(value))}" x2="{RIGHT}" y2="{_num(y(value))}" stroke="#e5e5e5" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 8}" y="{_num(y(value) + 4)}" font-size="12" text-anchor="end" fill="#555">{_num(value)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#888" stroke-width="1"/>')
    if points:
        out.append(f'<text x="{LEFT}" y="{BOTTOM + 20}" font-size="12" fill="#555">{_e(points[0]["at"])}</text>')
        if len(points) > 1:
            out.append(f'<text x="{RIGHT}" y="{BOTTOM + 36}" font-size="12" text-anchor="end" fill="#555">{_e(points[-1]["at"])}</text>')
    for index, (name, color, values) in enumerate(lines):
        coords = " ".join(f"{_num(x)},{_num(y(v))}" for x, v in zip(xs, values))
        out.append(f'<g class="series" data-series="{_e(name)}" data-color="{color}">')
        if len(values) > 1:
            out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="3" stroke-linejoin="round"/>')
        for x, value, point in zip(xs, values, points):
            out.append(f'<circle cx="{_num(x)}" cy="{_num(y(value))}" r="4.5" fill="{color}" data-value="{value}" '
                       f'data-at="{_e(point["at"])}"><title>{_e(name)}: {value} open at {_e(point["at"])}</title></circle>')
        out.append("</g>")
        legend_y = TOP + 8 + index * 22
        out.append(f'<rect x="{RIGHT + 24}" y="{legend_y - 10}" width="14" height="14" fill="{color}"/>')
        out.append(f'<text x="{RIGHT + 46}" y="{legend_y + 2}" font-size="13" fill="#222">{_e(name)}</text>')
    out.append("</svg>")
    return out


def trend_html(data: dict[str, Any]) -> str:
    """The trend (query.trend's data) as one HTML page that loads nothing from anywhere."""
    by = data["by"]
    title = "Open findings after each scan" + (f", by {by}" if by else "")
    series = data["series"][:SERIES_IN_TABLE]
    rest = data["series"][SERIES_IN_TABLE:]
    head = ["scanned at", "shard", "open", *series] + ([f"other ({len(rest)})"] if rest else [])
    rows = []
    for p in data["points"]:
        counts = p.get("counts", {})
        cells = [p["at"], p["shard"] or "", p["open"], *[counts.get(s, 0) for s in series]]
        if rest:
            cells.append(sum(counts.get(s, 0) for s in rest))
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp())}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>fleet-intent: {_e(title.lower())}</title>",
        f"<style>{STYLE}</style>",
        "</head><body>",
        *_svg(data, title),
        "<main>",
        f'<p class="meta">{len(data["points"])} scan(s); fleet-intent {_e(__version__)}. '
        "Each point counts every finding open right after that scan, on any cluster.</p>",
        "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        "</main></body></html>",
    ]
    return "\n".join(page) + "\n"
