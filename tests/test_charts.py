"""Server-side SVG charts: numbers in the drawing, patterns not colour alone, escaped text."""
import xml.etree.ElementTree as ET

from backend.services.attendance.geo import bearing_deg
from web_admin.charts import Series, bar_chart, line_chart, location_diagram


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_bar_chart_has_values_target_and_patterns():
    svg = bar_chart("Hours", ["Caring Hands", "Elsewhere <Care>"],
                    [Series("Commissioned", [100.0, 50.0]), Series("Delivered", [92.5, None])],
                    unit=" h", target=85, target_label="Target")
    root = parse(svg)  # well-formed, so the label was escaped
    text = "".join(root.itertext())
    assert "92.5 h" in text and "no data" in text and "Target 85 h" in text
    assert "Elsewhere <Care>" in text
    assert 'url(#p-hatched)' in str(svg)  # the second series is hatched, not just coloured


def test_line_chart_lists_every_point_for_screen_readers():
    svg = line_chart("Goal", [("1 Nov", -2), ("8 Nov", -1), ("15 Nov", 0)], -2, 2, target=0)
    desc = parse(svg).find("{http://www.w3.org/2000/svg}desc").text
    assert desc == "1 Nov: -2, 8 Nov: -1, 15 Nov: 0"


def test_location_diagram_places_points_by_bearing():
    svg = location_diagram(200, [("check-in", 100.0, 90.0, True), ("check-out", 500.0, 0.0, False)])
    root = parse(svg)
    assert "check-out 500 m at 0°, not verified" in root.find(
        "{http://www.w3.org/2000/svg}desc").text


def test_bearing():
    assert round(bearing_deg((52.0, -1.0), (52.1, -1.0))) == 0
    assert round(bearing_deg((52.0, -1.0), (52.0, -0.9))) == 90
