"""Charts drawn as SVG on the server: nothing fetched at page load, readable without colour.

Series differ by pattern as well as colour, every bar carries its number, and each
chart has a title and description for screen readers; pages show the table too.
"""
import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

PATTERNS = ("solid", "hatched", "dotted")
COLOURS = ("#1d5fa8", "#8a5300", "#00703c")
_DEFS = """<defs>
<pattern id="p-hatched" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)">
<rect width="6" height="6" fill="#f6e7d2"/>
<line x1="0" y1="0" x2="0" y2="6" stroke="#8a5300" stroke-width="3"/></pattern>
<pattern id="p-dotted" width="6" height="6" patternUnits="userSpaceOnUse">
<rect width="6" height="6" fill="#d9f0e3"/><circle cx="3" cy="3" r="1.6" fill="#00703c"/></pattern>
</defs>"""


@dataclass(frozen=True)
class Series:
    """One named set of values, one per label; `notes` (optional, one per value) are
    written beside each number, e.g. the counts behind a percentage "(3 of 4)", or say
    why a value is held back ("too few to show") when the value is None."""

    name: str
    values: list
    notes: list | None = None

    def label(self, row: int, unit: str, prefix: str, digits: int | None) -> str:
        value = self.values[row]
        note = self.notes[row] if self.notes else None
        if value is None and note:
            return note
        text = _fmt(value, unit, prefix, digits)
        return f"{text} {note}" if note else text


def _fill(index: int) -> str:
    pattern = PATTERNS[index % len(PATTERNS)]
    return COLOURS[0] if pattern == "solid" else f"url(#p-{pattern})"


def _fmt(value, unit: str, prefix: str = "", digits: int | None = None) -> str:
    if value is None:
        return "no data"
    if digits is not None:  # fixed places, e.g. money
        return f"{prefix}{value:,.{digits}f}{unit}"
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{prefix}{text}{unit}"


def _svg(width: int, height: int, title: str, desc: str, body: str) -> Markup:
    uid = abs(hash((title, desc))) % 10**8
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" font-size="13" '
        f'font-family="system-ui, sans-serif" '
        f'role="img" aria-labelledby="t{uid} d{uid}" class="chart">'
        f'<title id="t{uid}">{escape(title)}</title><desc id="d{uid}">{escape(desc)}</desc>'
        f'{_DEFS}{body}</svg>')


def bar_chart(title: str, labels: list[str], series: list[Series], unit: str = "",
              target: float | None = None, target_label: str = "Target",
              max_value: float | None = None, prefix: str = "",
              digits: int | None = None) -> Markup:
    """Horizontal grouped bars, one group per label, with an optional target line. One
    unit per chart. Negative values are drawn to the left of a zero line.

    prefix and digits shape the numbers (e.g. "£" and 2 for money)."""
    label_w, width, bar_h, gap = 190, 720, 16, 10
    plot_w = width - label_w - 150
    values = [v for s in series for v in s.values if v is not None]
    top = max([max_value or 0, target or 0, *values, 1e-9])
    low = min([0, *values])
    scale = plot_w / (top - low)
    zero = label_w + (-low) * scale
    parts, x, y = [], label_w, 4
    for i, s in enumerate(series):  # legend, wrapped onto more rows when names are long
        needed = 20 + 7.5 * len(s.name) + 16  # about 7.5 px a character at 13 px
        if x > label_w and x + needed > width:
            x, y = label_w, y + 20
        parts.append(f'<rect x="{x:.0f}" y="{y}" width="14" height="14" fill="{_fill(i)}" '
                     f'stroke="#1d1d1b"/><text x="{x + 20:.0f}" y="{y + 12}" class="legend">'
                     f'{escape(s.name)}</text>')
        x += needed
    legend_h = y + 22
    group_h = bar_h * len(series) + gap
    height = legend_h + group_h * len(labels) + 24
    if low < 0:  # the zero line, so bars either side of it read as gains and losses
        parts.append(f'<line x1="{zero:.1f}" y1="{legend_h - 4}" x2="{zero:.1f}" '
                     f'y2="{height - 18}" stroke="#1d1d1b" stroke-width="1.5"/>'
                     f'<text x="{zero:.1f}" y="{height - 4}" text-anchor="middle">0</text>')
    for row, label in enumerate(labels):
        y0 = legend_h + row * group_h
        parts.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2}" text-anchor="end" '
                     f'dominant-baseline="middle">{escape(str(label))[:32]}</text>')
        for i, s in enumerate(series):
            value = s.values[row] or 0
            w = abs(value) * scale
            left = zero - w if value < 0 else zero
            y = y0 + i * bar_h
            text = s.label(row, unit, prefix, digits)
            parts.append(f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                         f'fill="{_fill(i)}" stroke="#1d1d1b" stroke-width="0.5">'
                         f'<title>{escape(s.name)}: {escape(text)}</title>'
                         f'</rect><text x="{max(zero, left + w) + 4:.1f}" y="{y + bar_h / 2}" '
                         f'dominant-baseline="middle" class="value">{escape(text)}</text>')
    if target is not None:
        x = zero + target * scale
        parts.append(f'<line x1="{x:.1f}" y1="{legend_h - 4}" x2="{x:.1f}" y2="{height - 18}" '
                     f'stroke="#b10e1e" stroke-width="2" stroke-dasharray="6 4"/>'
                     f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" class="target">'
                     f'{escape(target_label)} {_fmt(target, unit)}</text>')
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{s.name} {s.label(r, unit, prefix, digits)}"
                                 for s in series)
        for r, label in enumerate(labels))
    return _svg(width, height, title, desc, "".join(parts))


def line_chart(title: str, points: list[tuple[str, float]], low: float, high: float,
               unit: str = "", target: float | None = None) -> Markup:
    """A series over time (e.g. a goal's scores), points marked and labelled."""
    width, height, left, bottom, top = 640, 220, 48, 30, 14
    plot_w, plot_h = width - left - 20, height - bottom - top
    span = (high - low) or 1

    def y_of(v):
        return top + plot_h - (v - low) / span * plot_h

    parts = []
    for tick in range(math.floor(low), math.floor(high) + 1):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y:.1f}" text-anchor="end" '
                     f'dominant-baseline="middle">{tick}</text>')
    if target is not None:
        y = y_of(target)
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#b10e1e" stroke-dasharray="6 4"/>'
                     f'<text x="{width - 22}" y="{y - 4:.1f}" text-anchor="end">target</text>')
    n = len(points)
    coords = [(left + (plot_w * i / max(n - 1, 1)), y_of(v)) for i, (_, v) in enumerate(points)]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1d5fa8" stroke-width="2"/>')
    for (x, y), (label, v) in zip(coords, points, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1d5fa8">'
                     f'<title>{escape(str(label))}: {_fmt(v, unit)}</title></circle>')
    if points:
        parts.append(f'<text x="{left}" y="{height - 8}">{escape(str(points[0][0]))}</text>'
                     f'<text x="{width - 20}" y="{height - 8}" text-anchor="end">'
                     f'{escape(str(points[-1][0]))}</text>')
    desc = ", ".join(f"{label}: {_fmt(v, unit)}" for label, v in points) or "No entries yet."
    return _svg(width, height, title, desc, "".join(parts))


def location_diagram(radius_m: float | None, points: list[tuple[str, float, float, bool | None]]
                     ) -> Markup:
    """Home at the centre, the geofence ring, and each event at its distance and bearing.

    points: (label, distance_m, bearing_deg, verified). Map-free on purpose: no tiles
    to fetch and no map of a person's street in the page.
    """
    size, centre = 320, 160
    farthest = max([radius_m or 0, *(d for _, d, _, _ in points if d is not None), 50])
    scale = (centre - 30) / farthest
    parts = [f'<circle cx="{centre}" cy="{centre}" r="5" fill="#1d1d1b"/>'
             f'<text x="{centre + 8}" y="{centre - 8}">home</text>']
    if radius_m:
        r = radius_m * scale
        parts.append(f'<circle cx="{centre}" cy="{centre}" r="{r:.1f}" fill="none" '
                     f'stroke="#00703c" stroke-dasharray="5 4"/>'
                     f'<text x="{centre}" y="{centre - r - 4:.1f}" text-anchor="middle">'
                     f'{int(radius_m)} m</text>')
    lines = []
    for label, distance, bearing, verified in points:
        if distance is None:
            continue
        angle = math.radians(bearing or 0)
        x = centre + distance * scale * math.sin(angle)
        y = centre - distance * scale * math.cos(angle)
        mark = "✓" if verified else ("✗" if verified is False else "?")
        shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#00703c"/>' if verified else
                 f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="#b10e1e"/>')
        parts.append(f'{shape}<text x="{x + 9:.1f}" y="{y + 4:.1f}">{escape(label)} {mark}</text>')
        lines.append(f"{label} {distance:.0f} m at {bearing:.0f}°, "
                     f"{'verified' if verified else 'not verified'}")
    desc = "; ".join(lines) or "No located events."
    return _svg(size, size, "Where events were recorded relative to the home", desc,
                "".join(parts))
