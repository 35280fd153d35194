"""Importing and exporting packages of care with their weekly patterns: one row per call,
the rows of one package sharing its reference (the funder's own). A new reference is a
new package; a known one is updated where it changed, its pattern replaced only when the
calls differ."""
import re
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    CarePackage, Contract, PackageStatus, PackageType, ScheduleLine, ServiceUser, User,
)
from backend.services.administration import changes
from backend.services.administration.packages import pattern_of, withdraw_changes_after
from backend.services.audit import trail
from backend.services.bulk_import import cells
from backend.services.bulk_import.columns import Column, Row
from backend.services.database.ids import new_ids
from backend.services.bulk_import.report import ImportReport, Problem
from backend.services.database.dialect import bulk_insert
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference.packages import MAX_WEEKLY_MIN, CallLine, check_lines, set_schedule
from backend.services.reference.validation import choice, in_range
from backend.services.rota.visit_generation import generate_visits

COLUMNS = [
    Column("reference", "the funder's reference for the package; the rows of one package "
           "share it, one row per call in the week; rows are matched on it", True),
    Column("council_ref", "the person's reference (as in the service users file)", True),
    Column("contract", "the contract's name", True),
    Column("package_type", "standard, reablement, continuing_healthcare or live_in", True),
    Column("hours_per_week", "commissioned hours a week, e.g. 7.5", True,
           parse=cells.minutes_from_hours),
    Column("start_date", "YYYY-MM-DD or DD/MM/YYYY", True, parse=cells.day),
    Column("end_date", "blank: open-ended", parse=cells.day),
    Column("day", "the call's day: Mon..Sun; blank on a package's only row: no calls yet",
           parse=cells.weekday),
    Column("start_time", "the call's local start time, e.g. 08:00", parse=cells.clock_time),
    Column("minutes", "the call's planned length", parse=cells.whole),
    Column("carers", "carers needed (2 for a double-up); blank: 1", parse=cells.whole),
    Column("priority", "normal, or critical for time-critical calls (medication, insulin)"),
    Column("tasks", "separated by semicolons", parse=lambda v: cells.listed(v, ";")),
    Column("required_skills", "separated by commas, e.g. medication, double_up",
           parse=lambda v: cells.listed(v, ",")),
    Column("short_call_agreed", "yes if a call under 30 minutes is agreed in the person's "
           "plan", parse=cells.yes_no),
]
_PACKAGE = ("council_ref", "contract", "package_type", "hours_per_week", "start_date",
            "end_date")
_LINE_COLUMN = {"weekday": "day", "start_time": "start_time", "duration_min": "minutes",
                "carers_required": "carers", "priority": "priority", "tasks": "tasks",
                "required_skills": "required_skills"}
_LINE_FIELD = re.compile(r"^schedule\[(\d+)\]\.(\w+)$")


def _key(line) -> tuple:
    """What makes two calls the same (for "did the pattern change")."""
    return (line.weekday, line.start_time, line.duration_min, line.carers_required,
            str(getattr(line.priority, "value", line.priority)), tuple(line.tasks or ()),
            tuple(sorted(line.required_skills or ())), bool(line.short_call_agreed))


def _lines(rows: list[Row], report: ImportReport) -> tuple[list[CallLine], list[Row]] | None:
    """The package's calls, checked as the pattern editor checks them; problems by row."""
    lines, where = [], []
    for row in rows:
        v = row.values
        if v["day"] is None:
            if v["start_time"] or v["minutes"]:
                report.problems.append(Problem(row.number, "day", "A call needs its day."))
            continue
        lines.append(CallLine(v["day"], v["start_time"], v["minutes"], v["carers"] or 1,
                              v["priority"] or "normal", v["tasks"], v["required_skills"],
                              v["short_call_agreed"]))
        where.append(row)
    try:
        return check_lines(lines), where
    except Invalid:
        pass
    for i, line in enumerate(lines):  # line by line, so every bad call is reported
        try:
            check_lines([line])
        except Invalid as exc:
            _report_lines(exc, [where[i]], report)
            lines[i] = None
    good = [(line, row) for line, row in zip(lines, where, strict=True) if line is not None]
    try:
        check_lines([line for line, _ in good])
    except Invalid as exc:  # calls that overlap on a day
        _report_lines(exc, [row for _, row in good], report)
    return None


def _report_lines(error: Invalid, rows: list[Row], report: ImportReport) -> None:
    for name, messages in error.fields.items():
        match = _LINE_FIELD.match(name)
        row = rows[int(match.group(1))] if match else rows[0]
        column = _LINE_COLUMN.get(match.group(2), "day") if match else "day"
        report.problems.extend(Problem(row.number, column, m) for m in messages)


def _package_fields(first: Row, contract, person_id, report: ImportReport) -> dict | None:
    v, found = first.values, []
    try:
        kind = choice(PackageType, v["package_type"], "package_type")
    except Invalid as exc:
        found.append(Problem(first.number, "package_type", exc.message))
        kind = None
    try:
        in_range(v["hours_per_week"], 0, MAX_WEEKLY_MIN, "hours_per_week", "commissioned time")
    except Invalid:
        found.append(Problem(first.number, "hours_per_week",
                             "Commissioned hours a week are between 0 and 336."))
    if v["end_date"] and v["start_date"] and v["end_date"] < v["start_date"]:
        found.append(Problem(first.number, "end_date", "The package ends before it starts."))
    report.problems.extend(found)
    if found or contract is None or person_id is None:
        return None
    return {"service_user_id": person_id, "contract_id": contract.id,
            "provider_id": contract.provider_id, "funder_id": contract.funder_id,
            "package_type": kind, "weekly_minutes": v["hours_per_week"],
            "start_date": v["start_date"], "end_date": v["end_date"]}


def _contracts(user: User, rows: list[Row], report: ImportReport) -> tuple[dict, dict]:
    names = {r.values["contract"] for r in rows if r.values["contract"]}
    by_name = defaultdict(list)
    for contract in db.session.scalars(access.scoped(user, Contract).where(
            Contract.name.in_(names))) if names else ():
        by_name[contract.name].append(contract)
    usable = {}
    for name, found in by_name.items():
        if len(found) == 1 and access.may_set_up(user, CarePackage,
                                                 [found[0].funder_id, found[0].provider_id]):
            usable[name] = found[0]
    return usable, by_name


def plan(user: User, rows: list[Row], report: ImportReport):
    """Check every package and call against what is there; the writes to make."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.values["reference"]:
            groups.setdefault(row.values["reference"], []).append(row)
    contracts, by_name = _contracts(user, rows, report)
    refs = {r.values["council_ref"] for r in rows if r.values["council_ref"]}
    people = dict(db.session.execute(access.scoped(user, ServiceUser).with_only_columns(
        ServiceUser.council_ref, ServiceUser.id).where(ServiceUser.council_ref.in_(refs))).all()) \
        if refs else {}
    funders = {c.funder_id for c in contracts.values()}
    # Plain rows, not ORM objects: an unchanged re-import of thousands stays cheap.
    existing = {(p.funder_id, p.reference): p for p in db.session.execute(
        sa.select(CarePackage.__table__).where(CarePackage.funder_id.in_(funders),
                                               CarePackage.reference.in_(list(groups))))} \
        if funders else {}
    ids = [p.id for p in existing.values()]
    mine = set(db.session.scalars(access.scoped(user, CarePackage).with_only_columns(
        CarePackage.id).where(CarePackage.id.in_(ids)))) if ids else set()
    calls = defaultdict(list)
    if ids:
        lines_table = ScheduleLine.__table__
        for line in db.session.execute(sa.select(lines_table).where(
                lines_table.c.package_id.in_(ids))):
            calls[line.package_id].append(_key(line))
    today = clock.today()
    creates, updates = [], []
    for reference, group in groups.items():
        first = group[0]
        for row in group[1:]:
            for column in _PACKAGE:
                if row.values[column] != first.values[column]:
                    report.problems.append(Problem(row.number, column, "Differs from the "
                                                   f"package's first row (row {first.number})."))
        name = first.values["contract"]
        contract = contracts.get(name)
        if name and contract is None:
            report.problems.append(Problem(first.number, "contract", "Two of your contracts "
                                           "have that name." if len(by_name.get(name, ())) > 1
                                           else "No contract of yours has that name."))
        person_id = people.get(first.values["council_ref"])
        if first.values["council_ref"] and person_id is None:
            report.problems.append(Problem(first.number, "council_ref", "No person of yours "
                                           "has that reference (import the people first)."))
        fields = _package_fields(first, contract, person_id, report)
        pattern = _lines(group, report)
        if fields is None or pattern is None:
            continue
        lines = pattern[0]
        package = existing.get((fields["funder_id"], reference))
        if package is None:
            status = PackageStatus.PENDING if fields["start_date"] > today else \
                PackageStatus.ENDED if fields["end_date"] and fields["end_date"] < today else \
                PackageStatus.ACTIVE
            creates.append((reference, {**fields, "status": status}, lines))
            continue
        if package.id not in mine:
            report.problems.append(Problem(first.number, "reference", "That reference is "
                                           "another provider's package."))
            continue
        if (package.service_user_id, package.contract_id) != (person_id, contract.id):
            report.problems.append(Problem(first.number, "council_ref", "A package keeps its "
                                           "person and contract: end it and add a new one."))
            continue
        diff = {k: fields[k] for k in ("package_type", "weekly_minutes", "start_date",
                                       "end_date") if getattr(package, k) != fields[k]}
        same_pattern = sorted(calls[package.id]) == sorted(map(_key, lines))
        if diff or not same_pattern:
            updates.append((package.id, diff, None if same_pattern else lines))
        else:
            report.unchanged += 1
    report.created, report.updated = len(creates), len(updates)

    def apply() -> None:
        _create(user, creates)
        for package_id, diff, lines in updates:
            package = db.session.get(CarePackage, package_id)
            changes.apply(user, package, "package_changed", diff)
            if diff.get("end_date") is not None:
                withdraw_changes_after(user, package, diff["end_date"])
            if lines is not None:
                before = pattern_of(package)
                set_schedule(package, lines)
                trail.record_change(user, "package_pattern_set", package,
                                    {"pattern": before}, {"pattern": pattern_of(package)})
        if updates:  # future visits follow the changed packages at once
            db.session.flush()
            generate_visits(package_ids=[package_id for package_id, _, _ in updates])

    return apply


def _create(user: User, creates: list) -> None:
    """New packages, their calls and their audit: one executemany per table. Their visits
    are made by the scheduler's generation job (or at once by `flask scheduler tick`)."""
    now = clock.now()
    packages, lines, audit = [], [], []
    ids = iter(new_ids(len(creates) + sum(len(calls) for _, _, calls in creates)))
    for reference, fields, calls in creates:
        package_id = next(ids)
        packages.append({"id": package_id, "created_at": now, "reference": reference,
                         **fields, "package_type": fields["package_type"].value,
                         "status": fields["status"].value})
        for call in calls:
            lines.append({"id": next(ids), "package_id": package_id, "weekday": call.weekday,
                          "start_time": call.start_time, "duration_min": call.duration_min,
                          "carers_required": call.carers_required,
                          "priority": call.priority.value,
                          "tasks": list(call.tasks), "required_skills": list(call.required_skills),
                          "short_call_agreed": call.short_call_agreed})
        audit.append((package_id, {  # the provider and funder are the contract's
            "reference": reference, "service_user_id": fields["service_user_id"],
            "contract_id": fields["contract_id"], "package_type": fields["package_type"],
            "weekly_minutes": fields["weekly_minutes"], "start_date": fields["start_date"],
            "end_date": fields["end_date"], "status": fields["status"],
            "calls": len(calls)}))
    bulk_insert(CarePackage.__table__, packages)
    bulk_insert(ScheduleLine.__table__, lines)
    trail.record_created_many(user, "package_created", "CarePackage", audit)


def export_rows(user: User) -> list[list]:
    """Every package the user may see, one row per call, in the template's columns."""
    packages = db.session.scalars(access.scoped(user, CarePackage).options(
        selectinload(CarePackage.schedule), selectinload(CarePackage.service_user),
        selectinload(CarePackage.contract)).order_by(CarePackage.reference))
    out = []
    for p in packages:
        head = [p.reference or "", p.service_user.council_ref, p.contract.name,
                p.package_type.value, f"{p.weekly_minutes / 60:g}", p.start_date.isoformat(),
                p.end_date.isoformat() if p.end_date else ""]
        calls = [[cells.DAY_NAMES[c.weekday], f"{c.start_time:%H:%M}", c.duration_min,
                  c.carers_required, c.priority.value, "; ".join(c.tasks or ()),
                  ", ".join(c.required_skills or ()), "yes" if c.short_call_agreed else "no"]
                 for c in p.schedule] or [[""] * 8]
        out.extend(head + call for call in calls)
    return out
