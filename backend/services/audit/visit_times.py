"""Visit-level actuals with times: per visit and carer, when they checked in and out (UTC and
local), how, where, whether verified, their flags and every correction, beside the visit's
bill and the billing rule applied; and the US EVV six elements, one row per visit and carer.

Built on payment.billed_visits, so the access rule and the bill (billing.bill_visit, the
one payment rule) are the same as the payment page's and its CSVs; this module only adds
the event log read per batch. Streamed: constant memory whatever the period.
"""
from collections import defaultdict
from collections.abc import Iterator

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    CarePackage, EventKind, ServiceUser, User, VisitAssignment, VisitEvent,
)
from backend.services.attendance.delivered import as_text
from backend.services.attendance.visit_state import worker_times
from backend.services.audit import exports
from backend.services.audit.payment import billed_visits, visit_line
from backend.services.dates import clock
from backend.services.dates.periods import Period

BATCH = 1000
Recorder = sa.orm.aliased(User, name="recorder")


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _local(instant):
    return instant.astimezone(clock.zone()) if instant is not None else None


def _events(visit_ids: list) -> dict:
    """{visit id: [(event, worker name, staff ref, recorder name)]} in server order."""
    found: dict = defaultdict(list)
    worker = sa.orm.aliased(User, name="worker")
    stmt = (sa.select(VisitEvent, worker.display_name, worker.staff_ref, Recorder.display_name)
            .join(worker, worker.id == VisitEvent.worker_id)
            .join(Recorder, Recorder.id == VisitEvent.recorded_by_id)
            .where(VisitEvent.visit_id.in_(visit_ids))
            .order_by(VisitEvent.server_time, VisitEvent.id))
    for row in db.session.execute(stmt):
        found[row[0].visit_id].append(tuple(row))
    return found


def _assigned(visit_ids: list) -> dict:
    """{visit id: [(worker id, name, staff ref)]}: the carers on the rota for each visit."""
    found: dict = defaultdict(list)
    stmt = (sa.select(VisitAssignment.visit_id, User.id, User.display_name, User.staff_ref)
            .join(User, User.id == VisitAssignment.worker_id)
            .where(VisitAssignment.visit_id.in_(visit_ids))
            .order_by(User.display_name))
    for visit_id, *worker in db.session.execute(stmt):
        found[visit_id].append(tuple(worker))
    return found


def _places(package_ids: set) -> dict:
    """{package id: (package type, NHS number, home lat, home lon)}."""
    stmt = (sa.select(CarePackage.id, CarePackage.package_type, ServiceUser.nhs_number,
                      ServiceUser.home_lat, ServiceUser.home_lon)
            .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
            .where(CarePackage.id.in_(package_ids)))
    return {pid: rest for pid, *rest in db.session.execute(stmt)}


def _stamp(event) -> dict | None:
    """One check-in or check-out as recorded (never the corrected time)."""
    if event is None:
        return None
    return {"utc": event.device_time, "local": _local(event.device_time),
            "received_utc": event.server_time, "method": event.method and str(event.method),
            "lat": event.lat, "lon": event.lon, "accuracy_m": event.accuracy_m,
            "distance_m": None if event.distance_m is None else round(event.distance_m, 1),
            "verified": event.verified, "flags": list(event.flags or [])}


def _carers(events: list, assigned: list) -> list[dict]:
    """One entry per carer assigned or with events: what they recorded and what counts."""
    by_worker: dict = {}
    for worker_id, name, ref in assigned:
        by_worker[worker_id] = {"name": name, "staff_ref": ref, "events": []}
    for event, name, ref, recorder in events:
        entry = by_worker.setdefault(event.worker_id,
                                     {"name": name, "staff_ref": ref, "events": []})
        entry["events"].append((event, recorder))
    times = worker_times([e for e, *_ in events])
    carers = []
    for worker_id, entry in by_worker.items():
        mine = entry["events"]

        def first(kind, mine=mine):
            return next((e for e, _ in mine if e.kind == kind), None)

        counted = times.get(worker_id)
        carers.append({
            "worker_id": str(worker_id), "worker": entry["name"], "staff_ref": entry["staff_ref"],
            "check_in": _stamp(first(EventKind.CHECK_IN)),
            "check_out": _stamp(first(EventKind.CHECK_OUT)),
            "no_access": _stamp(first(EventKind.NO_ACCESS)),
            "start_utc": counted.start if counted else None,
            "start_local": _local(counted.start) if counted else None,
            "end_utc": counted.end if counted else None,
            "end_local": _local(counted.end) if counted else None,
            "delivered_seconds": counted.seconds if counted else None,
            "flags": sorted(counted.flags) if counted else [],
            "corrections": [{
                "at_utc": e.server_time, "by": recorder, "reason_code": e.reason_code,
                "resolution_code": e.resolution_code, "corrected_start": e.corrected_start,
                "corrected_end": e.corrected_end, "note": e.note}
                for e, recorder in mine if e.kind == EventKind.CORRECTION],
        })
    return carers


def visit_times(user: User, period: Period, provider_id=None, limit: int | None = None,
                offset: int = 0) -> Iterator[dict]:
    """Each visit the user may see in the period: its bill line with its carers' times.

    Access is checked at once (by billed_visits); visits follow lazily, batch by batch."""
    bills = billed_visits(user, period, provider_id, limit=limit, offset=offset)

    def visits():
        for batch in _batches(bills, BATCH):
            ids = [row.id for row, _ in batch]
            events, assigned = _events(ids), _assigned(ids)
            places = _places({row.package_id for row, _ in batch})
            for row, bill in batch:
                kind, nhs_number, lat, lon = places[row.package_id]
                yield {**visit_line(row, bill), "planned_start_local": _local(row.planned_start),
                       "service_type": str(kind), "nhs_number": nhs_number,
                       "home": {"lat": lat, "lon": lon},
                       "carers": _carers(events.get(row.id, []), assigned.get(row.id, []))}

    return visits()


TIMES_HEADER = [
    "Visit ID", "Council client reference", "Provider", "Funder", "Date", "Planned start (UTC)",
    "Planned start (local)", "Planned minutes", "Status", "Carer", "Staff reference",
    "Check-in (UTC)", "Check-in (local)", "Check-in method", "Check-in distance (m)",
    "Check-in verified", "Check-out (UTC)", "Check-out (local)", "Check-out method",
    "Check-out distance (m)", "Check-out verified", "Counted start (UTC)",
    "Counted start (local)", "Counted end (UTC)", "Counted end (local)", "Carer time",
    "Carer flags", "Corrections", "Visit raw time", "Visit billed minutes",
    "Visit amount (£)", "Billing rule", "Share (%)", "Share amount (£)", "Funder shares"]


def _correction_text(c: dict) -> str:
    times = " to ".join(t.isoformat() if t else "?" for t in (c["corrected_start"],
                                                               c["corrected_end"]))
    return (f"{c['at_utc'].isoformat()} by {c['by']}: {c['reason_code']}/"
            f"{c['resolution_code']}" + (f" ({times})" if times != "? to ?" else ""))


def _times_rows(visits) -> Iterator[list]:
    for v in visits:
        bill = [as_text(v["raw_seconds"]), v["billed_minutes"],
                exports.pounds(v["amount_pence"]), v["rule"], v["share_pct"],
                exports.pounds(v["share_pence"]), exports.funder_shares_text(v)]
        head = [v["visit_id"], v["council_ref"], v["provider"], v["funder"], v["date"],
                v["planned_start"], v["planned_start_local"], v["planned_minutes"], v["status"]]
        if not v["carers"]:
            yield [*head, *[None] * 18, *bill]
        for c in v["carers"]:
            cin, cout = c["check_in"] or {}, c["check_out"] or {}
            yield [*head, c["worker"], c["staff_ref"],
                   cin.get("utc"), cin.get("local"), cin.get("method"), cin.get("distance_m"),
                   cin.get("verified"), cout.get("utc"), cout.get("local"), cout.get("method"),
                   cout.get("distance_m"), cout.get("verified"), c["start_utc"],
                   c["start_local"], c["end_utc"], c["end_local"],
                   as_text(c["delivered_seconds"]) if c["delivered_seconds"] is not None
                   else None, c["flags"], [_correction_text(x) for x in c["corrections"]], *bill]


def visit_times_csv(user: User, period: Period, provider_id=None) -> Iterator[str]:
    """One row per visit and carer (a visit nobody was assigned to or attended: one row).
    The visit's bill is repeated on each of its carers' rows: sum it once per visit ID."""
    return exports.csv_lines(TIMES_HEADER, _times_rows(visit_times(user, period, provider_id)))


EVV_HEADER = [
    "Service type", "Recipient ID", "Recipient NHS number", "Date of service",
    "Location: check-in latitude", "Location: check-in longitude",
    "Location: check-out latitude", "Location: check-out longitude",
    "Location: in the home", "Worker ID", "Worker name", "Begin (UTC)", "End (UTC)",
    "Begin (local)", "End (local)", "Visit ID", "Edit reason codes", "Edit resolution codes",
    "Funder share (%)"]


def _evv_rows(visits) -> Iterator[list]:
    for v in visits:
        for c in v["carers"]:
            if c["start_utc"] is None:
                continue  # EVV records visits that happened: a carer who attended
            cin, cout = c["check_in"] or {}, c["check_out"] or {}
            verdicts = [s.get("verified") for s in (cin, cout) if s]
            yield [v["service_type"], v["council_ref"], v["nhs_number"], v["date"],
                   cin.get("lat"), cin.get("lon"), cout.get("lat"), cout.get("lon"),
                   all(verdicts) if verdicts and None not in verdicts else None,
                   c["staff_ref"] or c["worker_id"], c["worker"], c["start_utc"], c["end_utc"],
                   c["start_local"], c["end_local"], v["visit_id"],
                   [x["reason_code"] for x in c["corrections"]],
                   [x["resolution_code"] for x in c["corrections"]], v["share_pct"]]


def evv_csv(user: User, period: Period, provider_id=None) -> Iterator[str]:
    """The six EVV elements (21st Century Cures Act, section 12006) per visit and carer who
    attended: service type, recipient, date, location, worker, begin and end; with the
    reason and resolution codes of any edit."""
    return exports.csv_lines(EVV_HEADER, _evv_rows(visit_times(user, period, provider_id)))
