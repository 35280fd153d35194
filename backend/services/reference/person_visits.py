"""A person's visit history for their page: when each visit was planned and delivered,
by whom, and what the rulebook judged of it (late, missed, short, early finish, location
not verified) with the flags the check-ins carried (early start, out of order)."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import CarePackage, User, Visit, VisitAssignment
from backend.services.dates import clock
from backend.services.identity.access import visible
from backend.services.identity.names import told_apart
from backend.services.monitoring import rules

HISTORY_VISITS = 60
AHEAD = timedelta(days=7)  # the coming week's visits are shown too
_EVENT_FLAGS = {"early_start": "early start", "out_of_order": "out of order",
                "clock_gap": "phone clock wrong", "mock_location": "mocked location"}


@dataclass
class HistoryLine:
    """One visit of the person's history."""

    visit: Visit
    carers: list[str]
    flags: list[str] = field(default_factory=list)


def visit_history(user: User, person_id, now: datetime | None = None,
                  limit: int = HISTORY_VISITS) -> list[HistoryLine]:
    """The person's latest visits the user may see (up to a week ahead), newest first,
    each with the rulebook's judgements of it now. The caller has checked the person."""
    now = now or clock.now()
    judge = rules.Judgements()
    at = rules.at_instant(now)
    judged = {"late": judge.late(at), "missed": judge.missed(at), "short": judge.short(),
              "early finish": judge.early_finish(),
              "location not verified": judge.location_unverified()}
    rows = db.session.execute(
        rules.with_rule(sa.select(Visit, *(c.label(f"j{i}") for i, c in
                                           enumerate(judged.values()))))
        .where(visible(user, Visit), Visit.planned_start <= now + AHEAD,
               Visit.package_id.in_(sa.select(CarePackage.id).where(
                   CarePackage.service_user_id == person_id)))
        .options(selectinload(Visit.assignments).selectinload(VisitAssignment.worker))
        .order_by(Visit.planned_start.desc(), Visit.id).limit(limit)).all()
    names = told_apart(a.worker for row in rows for a in row[0].assignments)
    lines = []
    for visit, *verdicts in rows:
        flags = [name for name, true in zip(judged, verdicts, strict=True) if true]
        flags += [words for flag, words in _EVENT_FLAGS.items() if flag in (visit.flags or [])]
        lines.append(HistoryLine(visit, [names[a.worker_id] for a in visit.assignments], flags))
    return lines
