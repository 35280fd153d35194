"""Draw the care worker app's icons as PNG files with the standard library only.

    python web_admin/make_app_icons.py

A white house with a green tick on the app's navy theme colour, at the sizes a
web app manifest needs (any and maskable). The output is committed; rerun this
after changing the drawing.
"""
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).parent / "static" / "carer_app" / "icons"
NAVY = (11, 46, 89)
WHITE = (255, 255, 255)
GREEN = (0, 112, 60)


def _inside_house(x: float, y: float) -> bool:
    """The house outline in unit coordinates (0..1), centred in the safe zone."""
    roof = 0.22 <= y <= 0.48 and abs(x - 0.5) <= (y - 0.22) * (0.30 / 0.26)
    walls = 0.47 <= y <= 0.78 and 0.27 <= x <= 0.73
    return roof or walls


def _on_tick(x: float, y: float) -> bool:
    """A thick tick across the walls."""
    def near(ax, ay, bx, by, width=0.045):
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        px, py = ax + t * dx, ay + t * dy
        return (x - px) ** 2 + (y - py) ** 2 <= width ** 2
    return near(0.37, 0.62, 0.46, 0.70) or near(0.46, 0.70, 0.64, 0.52)


def pixel(x: float, y: float, maskable: bool) -> tuple[int, int, int, int]:
    """The colour at unit coordinates; 'any' icons get rounded corners."""
    if not maskable:
        r, cx, cy = 0.18, min(max(x, 0.18), 0.82), min(max(y, 0.18), 0.82)
        if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
            return (0, 0, 0, 0)
    scale = 0.8 if maskable else 1.0  # maskable: keep the drawing in the safe zone
    ux, uy = 0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale
    if _on_tick(ux, uy):
        return (*GREEN, 255)
    if _inside_house(ux, uy):
        return (*WHITE, 255)
    return (*NAVY, 255)


def png(size: int, maskable: bool) -> bytes:
    """An RGBA PNG of the icon at size x size pixels."""
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # filter: none
        for i in range(size):
            rows.extend(pixel((i + 0.5) / size, (j + 0.5) / size, maskable))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def main() -> None:
    """Write every icon the manifest names."""
    OUT.mkdir(parents=True, exist_ok=True)
    icons = ((192, False, "icon-192.png"), (512, False, "icon-512.png"),
             (512, True, "maskable-512.png"), (180, True, "apple-touch-180.png"))
    for size, maskable, name in icons:
        (OUT / name).write_bytes(png(size, maskable))
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
