"""The house rules that the source itself can be checked for.

- No import cycle among the services (function-level imports included: they only
  postpone a cycle to the first call).
- No service ends a unit of work: commit and rollback belong to the request, the CLI
  command and the scheduler job (backend/unit_of_work.py).
- Savepoints are opened only by transactions.savepoint(), which on SQLite opens the
  transaction first so that releasing the savepoint cannot commit.
"""
import ast

from tests.import_graph import ROOT, cycles, import_graph

SERVICES = ROOT / "backend" / "services"


def test_no_import_cycle_among_the_services():
    graph = import_graph()
    services = {module: {target for target in targets if target.startswith("backend.services")}
                for module, targets in graph.items() if module.startswith("backend.services")}
    assert cycles(services) == []


def test_no_import_cycle_anywhere_in_the_project():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_function_level_cycles(tmp_path):
    package = tmp_path / "backend"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "visits.py").write_text("def late():\n    from backend import alerts\n")
    (package / "alerts.py").write_text("from backend.visits import late\n")
    (package / "rota.py").write_text("from . import visits\n")
    for other in ("mobile_api", "web_admin"):
        (tmp_path / other).mkdir()
    assert cycles(import_graph(tmp_path)) == [["backend.alerts", "backend.visits",
                                               "backend.alerts"]]


def _session_calls(tree: ast.AST, names=("commit", "rollback")) -> list[int]:
    """Lines calling <anything>.session.commit() / .rollback()."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in names and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "session"]


def test_no_service_commits_or_rolls_back():
    offenders = {}
    for path in sorted(SERVICES.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        lines = _session_calls(ast.parse(path.read_text(), name))
        if lines:
            offenders[name] = lines
    assert offenders == {}


def test_savepoints_open_only_through_the_one_helper():
    helper = "backend/services/database/transactions.py"
    offenders = {}
    for package in ("backend", "mobile_api", "web_admin"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            lines = _session_calls(ast.parse(path.read_text(), name), ("begin_nested",))
            if lines and name != helper:
                offenders[name] = lines
    assert offenders == {}
