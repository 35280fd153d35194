"""What an import found and did: counts, and every problem as row, column and message."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in the file: its spreadsheet row (1 is the header), column and message."""

    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """The outcome of one import or dry run."""

    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        """Whether anything was stored: a real run with no problems."""
        return not self.dry_run and not self.problems

    def as_dict(self) -> dict:
        """The report for the API and the command."""
        return {"kind": self.kind, "dry_run": self.dry_run, "stored": self.stored,
                "rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged,
                "problems": [{"row": p.row, "column": p.column, "message": p.message}
                             for p in self.problems]}
