"""Every symbol the pages and the carer app draw has a glyph in an installed font, so
none shows as an empty box (the "suspended" sign did, with the fonts the server had)."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*(ROOT / "web_admin" / "templates").rglob("*.html"),
           *(ROOT / "web_admin" / "static").rglob("*.css"),
           *(ROOT / "web_admin" / "static" / "carer_app").rglob("*.js"),
           *(ROOT / "web_admin").glob("*.py")]


def symbols() -> set[str]:
    """Every character outside ASCII written in the page sources."""
    found = set()
    for path in SOURCES:
        found.update(re.findall(r"[^\x00-\x7f]", path.read_text(encoding="utf-8")))
    return found


def test_every_symbol_on_the_pages_has_a_font():
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed (it comes with Chromium)")
    missing = [f"{c} (U+{ord(c):04X})" for c in sorted(symbols())
               if not subprocess.run(["fc-list", f":charset={ord(c):x}", "family"],
                                     capture_output=True, text=True).stdout.strip()]
    assert not missing, f"no installed font draws {missing}: use another symbol or install one"
