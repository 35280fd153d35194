"""Importing and exporting organisations (admins): councils, ICBs and providers with their
codes and areas, matched on their name."""
import sqlalchemy as sa

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import Area, Organisation, OrganisationKind, User
from backend.services.administration import organisations as service
from backend.services.bulk_import import cells
from backend.services.bulk_import.columns import Column, Row, problems_of
from backend.services.bulk_import.report import ImportReport, Problem
from backend.services.identity import access
from backend.services.reference.validation import choice

COLUMNS = [
    Column("name", "the organisation's name; rows are matched on it", True),
    Column("kind", "council, nhs (an ICB) or provider", True),
    Column("ods_code", "its NHS ODS code, if it has one"),
    Column("cqc_id", "a provider's CQC location id, e.g. 1-123456789"),
    Column("email", "where alerts and notices go"),
    Column("webhook_url", "an http(s) address alerts are posted to"),
    Column("areas", "a provider's areas (lots), separated by semicolons",
           parse=lambda v: cells.listed(v, ";")),
]
_FIELDS = ("ods_code", "cqc_id", "email", "webhook_url")


def plan(user: User, rows: list[Row], report: ImportReport):
    """Check every row against the organisations there; the writes to make."""
    access.require_set_up(user, Organisation, label="organisation")
    names = [r.values["name"] for r in rows if r.values["name"]]
    existing = {o.name: o for o in db.session.scalars(
        sa.select(Organisation).where(Organisation.name.in_(names)))} if names else {}
    areas = dict(db.session.execute(sa.select(Area.name, Area.id)).all())
    seen: dict = {}
    creates, updates = [], []
    for row in rows:
        v = row.values
        if not v["name"]:
            continue
        try:
            kind = choice(OrganisationKind, v["kind"], "kind")
        except Invalid as exc:
            report.problems.append(Problem(row.number, "kind", exc.message))
            continue
        current = existing.get(v["name"])
        fields = {name: v[name] for name in _FIELDS}
        keys = [("name", v["name"].lower())] + [(k, fields[k].upper())
                                                for k in ("ods_code", "cqc_id") if fields[k]]
        repeated = [key for key in keys if key in seen]
        for key in repeated:
            report.problems.append(Problem(row.number, key[0], f"The same {key[0]} is on row "
                                           f"{seen[key]}."))
        for key in keys:
            seen.setdefault(key, row.number)
        if repeated:
            continue
        try:
            checked = service.check_fields({"name": v["name"], **fields}, kind,
                                           current.id if current else None)
        except (Invalid, Conflict) as exc:
            report.problems.extend(problems_of(exc, row.number, {}))
            continue
        missing = [a for a in v["areas"] if a not in areas]
        if missing:
            report.problems.append(Problem(row.number, "areas",
                                           f"No area named {', '.join(missing)}."))
            continue
        if v["areas"] and kind != OrganisationKind.PROVIDER:
            report.problems.append(Problem(row.number, "areas", "Only providers work in "
                                           "areas."))
            continue
        area_ids = sorted(areas[a] for a in v["areas"])
        if current is None:
            creates.append((kind, checked, area_ids))
        elif current.kind != kind:
            report.problems.append(Problem(row.number, "kind", "An organisation keeps its "
                                           "kind."))
        else:
            diff = {k: val for k, val in checked.items() if getattr(current, k) != val}
            new_areas = area_ids if kind == OrganisationKind.PROVIDER and sorted(
                a.id for a in current.areas) != area_ids else None
            if diff or new_areas is not None:
                updates.append((current, diff, new_areas))
            else:
                report.unchanged += 1
    report.created, report.updated = len(creates), len(updates)

    def apply() -> None:
        for kind, checked, area_ids in creates:
            organisation = service.create_organisation(user, checked.pop("name"), kind,
                                                       **checked)
            if area_ids:
                service.set_provider_areas(user, organisation.id, area_ids)
        for organisation, diff, area_ids in updates:
            if diff:
                service.update_organisation(user, organisation.id, **diff)
            if area_ids is not None:
                service.set_provider_areas(user, organisation.id, area_ids)

    return apply


def export_rows(user: User) -> list[list]:
    """Every organisation the user may see, in the template's columns."""
    return [[o.name, o.kind.value, o.ods_code or "", o.cqc_id or "", o.email or "",
             o.webhook_url or "", "; ".join(sorted(a.name for a in o.areas))]
            for o in service.list_organisations(user)]
