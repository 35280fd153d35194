"""axe-core in the browser tests: fetched from npm once, injected into a page, and every
critical or serious violation fails the test.

axe-core comes from the npm registry at a pinned version into .cache/axe-core/ (kept
out of git). A newcomer is promised only Python 3.11, so when npm is absent the check
says how to get it and fails, rather than skipping quietly. `.ci/run` installs npm.
"""
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

from tests.browser_fixtures import ARTIFACTS, screenshot

AXE_VERSION = "4.10.3"
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "axe-core"
SCRIPT = CACHE / "node_modules" / "axe-core" / "axe.min.js"
# The impacts that fail a page; moderate and minor ones are written to the report only.
FAILING = ("critical", "serious")


@cache
def axe_source() -> str:
    """axe.min.js at AXE_VERSION, installed with npm into the cache folder the first time."""
    installed = CACHE / "node_modules" / "axe-core" / "package.json"
    if not (installed.exists() and json.loads(installed.read_text())["version"] == AXE_VERSION):
        npm = shutil.which("npm")
        if npm is None:
            raise AssertionError(
                "The accessibility check needs npm to fetch axe-core "
                f"{AXE_VERSION}: install Node.js and npm (Debian: apt-get install npm).")
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(CACHE), "--no-save", "--no-audit", "--no-fund",
             "--loglevel=error", f"axe-core@{AXE_VERSION}"],
            capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not SCRIPT.exists():
            raise AssertionError(f"npm could not install axe-core {AXE_VERSION}:\n"
                                 f"{done.stdout}\n{done.stderr}")
    return SCRIPT.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe's violations of the page as it is now (WCAG 2.x A and AA, and best practice)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the pages' Content
        # Security Policy (script-src 'self') does not govern; a <script> tag would be refused.
        page.evaluate(axe_source())
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "),
                                        html: n.html.slice(0, 200),
                                        summary: n.failureSummary}))}));
    }""")


def check_accessibility(page, name: str) -> list[dict]:
    """Screenshot the page, run axe, save its report under test-artifacts/axe/, and fail on
    any critical or serious violation (naming the rule and the elements)."""
    screenshot(page, name)
    violations = axe_violations(page)
    folder = ARTIFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(violations, indent=2), encoding="utf-8")
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, f"{name} ({page.url}): " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}): "
        + ", ".join(n["target"] for n in v["nodes"][:5]) for v in failing)
    return violations
