"""A provider's standing on the commissioning framework, with its history."""
import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    FrameworkStatus,
    FrameworkStatusChange,
    Organisation,
    OrganisationKind,
    User,
)
from backend.services.audit import trail
from backend.services.dates import clock
from backend.services.identity.access import can_change, get_changeable, get_visible, scoped
from backend.services.reference.validation import choice


def change_framework_status(user: User, provider_id, status, reason: str
                            ) -> FrameworkStatusChange:
    """Accredit, suspend or remove a provider the user's organisation contracts with."""
    provider = get_changeable(user, Organisation, provider_id, "provider")
    if provider.is_funder:
        raise Invalid("Only providers have a framework status.", field="provider_id")
    status = choice(FrameworkStatus, status, "status")
    if not (reason or "").strip():
        raise Invalid("Give a reason for the change.", field="reason")
    if provider.framework_status == status:
        raise Invalid(f"The provider is already {status.value}.", field="status")
    previous = provider.framework_status
    provider.framework_status = status
    change = FrameworkStatusChange(provider_id=provider.id, status=status, reason=reason.strip(),
                                   changed_at=clock.now(), changed_by_id=user.id)
    db.session.add(change)
    trail.record(user, "framework_status_changed", provider,
                       previous=previous and previous.value, status=status.value, reason=reason)
    db.session.flush()
    return change


def framework_history(user: User, provider_id) -> list[FrameworkStatusChange]:
    """A provider's status changes, newest first."""
    provider = get_visible(user, Organisation, provider_id, "provider")
    return list(db.session.scalars(
        sa.select(FrameworkStatusChange).where(FrameworkStatusChange.provider_id == provider.id)
        .order_by(FrameworkStatusChange.changed_at.desc())))


def framework_providers(user: User) -> list[dict]:
    """Providers on the user's framework (those their organisation contracts with), each
    with its status history newest first, who made each change, and whether the user may
    change the status."""
    providers = db.session.scalars(
        scoped(user, Organisation).where(Organisation.kind == OrganisationKind.PROVIDER)
        .order_by(Organisation.name)).all()
    changes = db.session.scalars(
        scoped(user, FrameworkStatusChange)
        .where(FrameworkStatusChange.provider_id.in_([p.id for p in providers]))
        .order_by(FrameworkStatusChange.changed_at.desc())).all()
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(
        User.id.in_({c.changed_by_id for c in changes if c.changed_by_id}))).all()) \
        if changes else {}
    history: dict = {}
    for change in changes:
        history.setdefault(change.provider_id, []).append(
            {"change": change, "by": names.get(change.changed_by_id, "")})
    return [{"provider": p, "history": history.get(p.id, []), "may_change": can_change(user, p)}
            for p in providers]
