"""Edits made visible: every correction to visits in a period, and a summary by provider.

Corrections are rare next to visits, so the rows are read once and summed in
Python (minutes before/after live in the event's JSON details, which the two
databases query differently).
"""
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import (
    CarePackage, EventKind, Organisation, ServiceUser, User, Visit, VisitEvent,
)
from backend.services.dates.periods import Period
from backend.services.audit.report_scope import package_criteria

Worker = aliased(User, name="worker")
Editor = aliased(User, name="editor")
Provider = aliased(Organisation, name="provider")


def correction_rows(user: User, period: Period, provider_id=None) -> list[dict]:
    """One row per correction event on visits planned in the period, oldest first."""
    stmt = (
        sa.select(VisitEvent, Visit.local_date, Visit.planned_start, ServiceUser.council_ref,
                  Provider.id.label("provider_id"), Provider.name.label("provider"),
                  Worker.display_name.label("worker"), Editor.display_name.label("editor"),
                  Editor.role.label("editor_role"))
        .join(Visit, Visit.id == VisitEvent.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .join(Provider, Provider.id == CarePackage.provider_id)
        .join(Worker, Worker.id == VisitEvent.worker_id)
        .join(Editor, Editor.id == VisitEvent.recorded_by_id)
        .where(VisitEvent.kind == EventKind.CORRECTION,
               Visit.planned_start >= period.start, Visit.planned_start < period.end,
               *package_criteria(user, provider_id))
        .order_by(VisitEvent.server_time, VisitEvent.id))
    rows = []
    for event, day, planned_start, ref, pid, provider, worker, editor, role in \
            db.session.execute(stmt):
        before = (event.details or {}).get("minutes_before")
        after = (event.details or {}).get("minutes_after")
        rows.append({
            "event_id": str(event.id), "visit_id": str(event.visit_id), "visit_date": day,
            "planned_start": planned_start, "council_ref": ref,
            "provider": {"id": str(pid), "name": provider}, "worker": worker,
            "corrected_by": editor, "corrected_by_role": str(role),
            "corrected_at": event.server_time, "reason_code": event.reason_code,
            "resolution_code": event.resolution_code,
            "corrected_start": event.corrected_start, "corrected_end": event.corrected_end,
            "minutes_before": before, "minutes_after": after,
            "minutes_changed": (after or 0) - (before or 0),
            "note": event.note or "",
        })
    return rows


def corrections_report(user: User, period: Period, provider_id=None) -> dict:
    """The correction rows, with counts and minutes changed per provider and in total."""
    rows = correction_rows(user, period, provider_id)
    summary: dict = defaultdict(lambda: {"corrections": 0, "minutes_changed": 0,
                                         "by_reason": defaultdict(int)})
    for row in rows:
        mine = summary[(row["provider"]["name"], row["provider"]["id"])]
        mine["corrections"] += 1
        mine["minutes_changed"] += row["minutes_changed"]
        mine["by_reason"][row["reason_code"]] += 1
    by_provider = [{"provider": {"id": pid, "name": name}, "corrections": s["corrections"],
                    "minutes_changed": s["minutes_changed"], "by_reason": dict(s["by_reason"])}
                   for (name, pid), s in sorted(summary.items())]
    return {"period": {"from": period.first, "to": period.last}, "rows": rows,
            "by_provider": by_provider,
            "total": {"corrections": len(rows),
                      "minutes_changed": sum(r["minutes_changed"] for r in rows)}}
