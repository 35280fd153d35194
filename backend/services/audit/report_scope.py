"""What a report may cover (access) and how it may be grouped, shared by every report."""
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from backend.errors import Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.models import (
    Area, CarePackage, Organisation, OrganisationKind, Role, ServiceUser, User,
)
from backend.services.identity.access import get_visible, visible
from backend.services.database.dialect import month_start, week_start

READERS = (Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.ADMIN)
ENTITY_DIMENSIONS = ("provider", "funder", "package", "service_user", "area")
TIME_DIMENSIONS = ("week", "month")


@dataclass(frozen=True)
class Grouping:
    """At most one entity dimension and at most one time dimension."""

    entity: str | None
    time: str | None

    @property
    def names(self) -> list[str]:
        """The dimensions in output order."""
        return [d for d in (self.entity, self.time) if d]


def parse_grouping(text: str | None, default: str = "provider") -> Grouping:
    """'provider', 'month' or 'provider,month'; unknown or doubled dimensions -> 422."""
    parts = [p.strip() for p in (text or default).split(",") if p.strip()]
    allowed = ENTITY_DIMENSIONS + TIME_DIMENSIONS
    unknown = [p for p in parts if p not in allowed]
    if unknown or not parts:
        raise Invalid(f"Unknown grouping {', '.join(unknown) or repr(text)}; expected one of: "
                      f"{', '.join(allowed)} (or one of each kind, e.g. provider,month).",
                      field="group")
    entities = [p for p in parts if p in ENTITY_DIMENSIONS]
    times = [p for p in parts if p in TIME_DIMENSIONS]
    if len(entities) > 1 or len(times) > 1:
        raise Invalid("Group by at most one of provider/funder/package/service_user/area and "
                      "at most one of week/month.", field="group")
    return Grouping(entities[0] if entities else None, times[0] if times else None)


def entity_column(dimension: str):
    """The column holding a group's id (area needs service_users joined)."""
    return {
        "provider": CarePackage.provider_id,
        "funder": CarePackage.funder_id,
        "package": CarePackage.id,
        "service_user": CarePackage.service_user_id,
        "area": ServiceUser.area_id,
    }[dimension]


def time_column(dimension: str, local_date_column):
    """The first day of the week or month a local date falls in (see dialect.arithmetic)."""
    return (week_start if dimension == "week" else month_start)(local_date_column)


def check_reader(user: User) -> None:
    """Only commissioners, provider managers and admins read reports."""
    if user.role not in READERS:
        raise Forbidden("Reports are for commissioners and provider managers.")


def package_criteria(user: User, provider_id=None) -> list:
    """WHERE clauses on CarePackage: what the user may see, narrowed to one provider."""
    check_reader(user)
    criteria = [visible(user, CarePackage)]
    if provider_id is not None:
        provider = get_visible(user, Organisation, provider_id, "provider")
        if provider.kind != OrganisationKind.PROVIDER:
            raise NotFound("No provider with that id.")
        criteria.append(CarePackage.provider_id == provider.id)
    return criteria


def _names(model, ids, name_of) -> dict:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(model).where(model.id.in_(ids))).scalars()
    return {row.id: name_of(row) for row in rows}


def entity_labels(dimension: str, ids) -> dict:
    """{id: display name} for the groups of one dimension (one query)."""
    ids = {uuid.UUID(str(i)) if i is not None and not isinstance(i, uuid.UUID) else i
           for i in ids}
    if dimension in ("provider", "funder"):
        return _names(Organisation, ids, lambda o: o.name)
    if dimension == "area":
        return _names(Area, ids, lambda a: a.name)
    if dimension == "service_user":
        return _names(ServiceUser, ids, lambda p: p.council_ref)
    rows = db.session.execute(
        sa.select(CarePackage.id, ServiceUser.council_ref, CarePackage.start_date)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .where(CarePackage.id.in_([i for i in ids if i is not None])))
    return {pid: f"{ref} from {start.isoformat()}" for pid, ref, start in rows}
