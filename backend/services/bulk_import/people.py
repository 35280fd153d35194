"""Importing and exporting service users, matched on the organisation's own reference
(council_ref): a new reference is a new person, a known one is updated where it changed."""
import re

import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import Area, ServiceUser, User
from backend.services.administration import changes
from backend.services.audit import trail
from backend.services.bulk_import import cells
from backend.services.bulk_import.columns import Column, Row, problems_of
from backend.services.database.ids import new_ids
from backend.services.bulk_import.report import ImportReport, Problem
from backend.services.database.dialect import bulk_insert
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference.people import (
    PERSON_FIELDS, check_person_fields, pin_from_address,
)

COLUMNS = [
    Column("council_ref", "the person's reference in your own system, e.g. the council's "
           "client id; rows are matched on it", True),
    Column("first_name", "given name", True),
    Column("last_name", "family name", True),
    Column("nhs_number", "10 digits; the check digit is verified"),
    Column("date_of_birth", "YYYY-MM-DD or DD/MM/YYYY", parse=cells.day),
    Column("address", "the home address carers go to", True),
    Column("postcode", "UK postcode", True),
    Column("home_lat", "latitude of the front door, e.g. 52.2405", parse=cells.number),
    Column("home_lon", "longitude of the front door, e.g. -0.9027", parse=cells.number),
    Column("geofence_radius_m", "metres from the home a check-in counts as there; blank: "
           "the contract's default", parse=cells.whole),
    Column("geofence_off", "yes where there is no signal at home", parse=cells.yes_no),
    Column("access_notes", "how to get in; never a key safe code"),
    Column("contact_name", "contact or next of kin"),
    Column("contact_email", "the contact's email"),
    Column("contact_phone", "the contact's phone number"),
    Column("contact_opted_in", "yes if the contact agreed to be told of late or missed "
           "visits", parse=cells.yes_no),
    Column("area", "the area (lot) name, as on the framework"),
    Column("accommodation_status", "where the person lives, as the Client Level Data "
           "return spells it, e.g. 'Owner occupier or shared ownership scheme'"),
]
_FIELD_COLUMN = {"area_id": "area"}


def _areas(rows: list[Row]) -> dict:
    names = {r.values["area"] for r in rows if r.values["area"]}
    if not names:
        return {}
    return dict(db.session.execute(sa.select(Area.name, Area.id).where(Area.name.in_(names))).all())


def _checked(row: Row, areas: dict, report: ImportReport) -> dict | None:
    """The row's fields as the person's own checks accept them; every bad one reported."""
    values = {name: row.values[name] for name in PERSON_FIELDS
              if name in row.values and name != "area_id"}
    # The area comes by name from the areas read once for the file (the person's own
    # check would read it again, one query per row).
    area_id = None
    if row.values["area"]:
        if row.values["area"] not in areas:
            report.problems.append(Problem(row.number, "area", "No area of that name."))
            return None
        area_id = areas[row.values["area"]]
    if values["home_lat"] is None or values["home_lon"] is None:
        try:
            values = pin_from_address(values)
        except Invalid as exc:
            report.problems.append(Problem(row.number, "home_lat", exc.message))
            return None
    try:
        return {**check_person_fields(values, unique=False), "area_id": area_id}
    except Invalid:
        pass
    found = []  # check field by field, to report every problem of the row
    for name, value in values.items():
        single = {name: value}
        if name in ("home_lat", "home_lon"):
            single = {"home_lat": values["home_lat"], "home_lon": values["home_lon"]}
        try:
            check_person_fields(single, unique=False)
        except Invalid as exc:
            found.extend(p for p in problems_of(exc, row.number, _FIELD_COLUMN)
                         if p not in found)
    report.problems.extend(found)
    return None


def plan(user: User, rows: list[Row], report: ImportReport):
    """Check every row against the records already there; the writes to make, if any."""
    organisation_id = user.organisation_id
    access.require_set_up(user, ServiceUser, [organisation_id], "person")
    refs = [r.values["council_ref"] for r in rows if r.values["council_ref"]]
    # Plain rows, not ORM objects: an unchanged re-import of thousands stays cheap.
    table = ServiceUser.__table__
    existing = {p.council_ref: p for p in db.session.execute(
        sa.select(table).where(table.c.council_ref.in_(refs)))} if refs else {}
    mine = set(db.session.scalars(access.scoped(user, ServiceUser).with_only_columns(
        ServiceUser.id).where(ServiceUser.council_ref.in_(list(existing))))) if existing else set()
    numbers = [re.sub(r"[\s-]", "", r.values["nhs_number"]) for r in rows
               if r.values["nhs_number"]]
    nhs_owner = dict(db.session.execute(sa.select(ServiceUser.nhs_number, ServiceUser.council_ref)
                                        .where(ServiceUser.nhs_number.in_(numbers))).all()) \
        if numbers else {}
    areas = _areas(rows)
    seen_refs, seen_nhs = {}, {}
    creates, updates = [], []
    for row in rows:
        ref = row.values["council_ref"]
        if ref in seen_refs:
            report.problems.append(Problem(row.number, "council_ref",
                                           f"The same reference is on row {seen_refs[ref]}."))
            continue
        seen_refs[ref] = row.number
        fields = _checked(row, areas, report)
        if fields is None or ref is None:
            continue
        nhs = fields.get("nhs_number")
        if nhs and (nhs in seen_nhs or nhs_owner.get(nhs, ref) != ref):
            where = f"row {seen_nhs[nhs]}" if nhs in seen_nhs else "someone already recorded"
            report.problems.append(Problem(row.number, "nhs_number",
                                           f"That NHS number belongs to {where}."))
            continue
        if nhs:
            seen_nhs[nhs] = row.number
        person = existing.get(ref)
        if person is None:
            creates.append(fields)
            continue
        if person.id not in mine:
            report.problems.append(Problem(row.number, "council_ref", "That reference is "
                                           "another organisation's person."))
            continue
        diff = {k: v for k, v in fields.items() if getattr(person, k) != v}
        if diff:
            updates.append((person.id, diff))
        else:
            report.unchanged += 1
    report.created, report.updated = len(creates), len(updates)

    def apply() -> None:
        now = clock.now()
        new = [{"id": person_id, "created_at": now, "organisation_id": organisation_id,
                "geofence_radius_m": None, "geofence_off": False, "access_notes": "",
                "contact_name": None, "contact_email": None, "contact_phone": None,
                "contact_opted_in": False, "accommodation_status": None,
                "nhs_number": None, "date_of_birth": None, "area_id": None, **fields}
               for person_id, fields in zip(new_ids(len(creates)), creates, strict=True)]
        bulk_insert(ServiceUser.__table__, new)
        trail.record_created_many(user, "person_created", "ServiceUser",
                                  [(r["id"], {k: r[k] for k in PERSON_FIELDS}) for r in new])
        for person_id, diff in updates:
            changes.apply(user, db.session.get(ServiceUser, person_id), "person_changed", diff)
        db.session.flush()

    return apply


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def export_rows(user: User) -> list[list]:
    """Every person the user may see, in the template's columns."""
    areas = dict(db.session.execute(sa.select(Area.id, Area.name)).all())
    people = db.session.scalars(access.scoped(user, ServiceUser).order_by(ServiceUser.council_ref))
    return [[p.council_ref, p.first_name, p.last_name, p.nhs_number or "",
             p.date_of_birth.isoformat() if p.date_of_birth else "", p.address, p.postcode,
             p.home_lat, p.home_lon, p.geofence_radius_m or "", _yes(p.geofence_off),
             p.access_notes, p.contact_name or "", p.contact_email or "",
             p.contact_phone or "", _yes(p.contact_opted_in), areas.get(p.area_id, ""),
             p.accommodation_status or ""] for p in people]
