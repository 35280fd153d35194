"""Organisations (funders: councils and ICBs; care providers) and the framework's areas."""
import re
import uuid

import sqlalchemy as sa

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import (
    Area, FrameworkStatus, FrameworkStatusChange, Organisation, OrganisationKind, User,
)
from backend.services.administration import changes
from backend.services.audit import trail
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference.validation import choice

# NHS ODS codes are 3 to 10 letters and digits; CQC location ids look like 1-123456789.
ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")
CQC_ID = re.compile(r"^1-\d{6,12}$")
FIELDS = ("name", "ods_code", "cqc_id", "email", "phone", "webhook_url")


def _unique(column, value, field: str, own_id=None) -> None:
    query = sa.select(Organisation.id).where(column == value)
    if own_id is not None:
        query = query.where(Organisation.id != own_id)
    if value is not None and db.session.scalar(query):
        raise Conflict(f"Another organisation has that {field.replace('_', ' ')}.",
                       fields={field: ["Already in use."]})


def check_fields(values: dict, kind: OrganisationKind, own_id=None) -> dict:
    """An organisation's fields checked and normalised (blank optional ones become None)."""
    checked = {}
    for name, value in values.items():
        text = (value or "").strip() if isinstance(value, str) or value is None else value
        if name == "name":
            if not text or len(text) > 200:
                raise Invalid("A name is 1 to 200 characters.", field="name")
        elif name == "ods_code" and text:
            text = text.upper()
            if not ODS_CODE.match(text):
                raise Invalid("An ODS code is 3 to 10 letters and digits.", field=name)
        elif name == "cqc_id" and text:
            if kind != OrganisationKind.PROVIDER:
                raise Invalid("Only providers have a CQC location id.", field=name)
            if not CQC_ID.match(text):
                raise Invalid("A CQC location id looks like 1-123456789.", field=name)
        elif name == "email" and text and ("@" not in text or len(text) > 200):
            raise Invalid("That is not an email address.", field=name)
        elif name == "phone" and len(text) > 40:
            raise Invalid("A phone number has at most 40 characters.", field=name)
        elif name == "webhook_url" and text and not re.match(r"^https?://\S+$", text):
            raise Invalid("A webhook is an http(s) address.", field=name)
        elif name not in FIELDS:
            raise Invalid(f"{name} is not a field of an organisation.", field=name)
        checked[name] = text or None
    for name, column in (("name", Organisation.name), ("ods_code", Organisation.ods_code),
                         ("cqc_id", Organisation.cqc_id)):
        if name in checked:
            _unique(column, checked[name], name, own_id)
    return checked


def create_organisation(user: User | None, name: str, kind, **fields) -> Organisation:
    """A new funder or provider (admins only; None is the install command's first one).

    A provider starts accredited on the framework; commissioners change that later.
    """
    if user is not None:
        access.require_set_up(user, Organisation, label="organisation")
    kind = choice(OrganisationKind, kind, "kind")
    checked = check_fields({"name": name, **fields}, kind)
    organisation = Organisation(kind=kind, **checked)
    if kind == OrganisationKind.PROVIDER:
        organisation.framework_status = FrameworkStatus.ACCREDITED
    db.session.add(organisation)
    db.session.flush()
    if kind == OrganisationKind.PROVIDER:  # its framework history starts with joining
        db.session.add(FrameworkStatusChange(
            provider_id=organisation.id, status=FrameworkStatus.ACCREDITED,
            reason="Joined the framework.", changed_at=clock.now(),
            changed_by_id=user.id if user else None))
    changes.created(user, organisation, "organisation_created", ("kind", *checked))
    return organisation


def update_organisation(user: User, organisation_id, **values) -> Organisation:
    """Change an organisation's name, codes or contact points (admins only)."""
    organisation = access.get_administrable(user, Organisation, organisation_id, "organisation")
    checked = check_fields(values, organisation.kind, organisation.id)
    changes.apply(user, organisation, "organisation_changed", checked)
    db.session.flush()
    return organisation


def create_area(user: User, name: str) -> Area:
    """A new area (lot) of the framework."""
    access.require_set_up(user, Area, label="area")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("An area's name is 1 to 100 characters.", field="name")
    if db.session.scalar(sa.select(Area.id).where(Area.name == name)):
        raise Conflict("There is already an area of that name.", fields={"name": ["In use."]})
    area = Area(name=name)
    db.session.add(area)
    db.session.flush()
    changes.created(user, area, "area_created", ("name",))
    return area


def organisation_by_id(value, field: str) -> Organisation:
    """Any organisation by id (funders and providers are named openly in contracts);
    Invalid naming the field when there is none."""
    try:
        organisation = db.session.get(Organisation, uuid.UUID(str(value)))
    except ValueError:
        organisation = None
    if organisation is None:
        raise Invalid("No organisation with that id.", field=field)
    return organisation


def areas_by_id(area_ids, field: str = "area_ids") -> list[Area]:
    """The areas with these ids; Invalid naming the field if one is unknown."""
    ids = list(dict.fromkeys(area_ids))
    found = db.session.scalars(sa.select(Area).where(Area.id.in_(ids))).all() if ids else []
    if len(found) != len(ids):
        raise Invalid("One of the areas does not exist.", field=field)
    return sorted(found, key=lambda a: a.name)


def set_provider_areas(user: User, provider_id, area_ids) -> Organisation:
    """The areas (lots) a provider works in."""
    provider = access.get_administrable(user, Organisation, provider_id, "provider")
    if provider.kind != OrganisationKind.PROVIDER:
        raise Invalid("Only providers work in areas.", field="provider_id")
    areas = areas_by_id(area_ids)
    before = sorted(a.name for a in provider.areas)
    if before != [a.name for a in areas]:
        provider.areas = areas
        trail.record_change(user, "provider_areas_changed", provider,
                                    {"areas": before}, {"areas": [a.name for a in areas]})
    db.session.flush()
    return provider


def list_organisations(user: User, kind=None) -> list[Organisation]:
    """Organisations the user may see, by name."""
    query = access.scoped(user, Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == choice(OrganisationKind, kind, "kind"))
    return list(db.session.scalars(query))


def get_organisation(user: User, organisation_id) -> Organisation:
    """An organisation the user may change (admins)."""
    return access.get_administrable(user, Organisation, organisation_id, "organisation")


def list_areas() -> list[Area]:
    """Every area (lot) of the framework, by name."""
    return list(db.session.scalars(sa.select(Area).order_by(Area.name)))


def register_of(*kinds) -> list[Organisation]:
    """Every organisation of these kinds, by name: the register contracts choose from
    (funders and providers are named openly)."""
    kinds = [choice(OrganisationKind, k, "kind") for k in kinds]
    return list(db.session.scalars(sa.select(Organisation).where(
        Organisation.kind.in_(kinds)).order_by(Organisation.name)))
