"""Who may see and change what: the one place access is decided.

Every list and every lookup goes through `visible()` (a WHERE clause) or
`get_visible()` (a lookup that answers NotFound for foreign and unknown ids alike).
Care worker -> own visits; provider manager -> own provider; commissioner ->
packages their organisation funds or co-funds (a share of a jointly funded contract
gives read access; only the contract's own funder changes it); panel member -> what they
submitted; admin -> all.
"""
import functools
import uuid
from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from backend.errors import Forbidden, NotFound
from backend.extensions import db
from backend.models import (
    AccessEntry, Alert, Area, CarePackage, Contract, Feedback, FeedbackLink,
    FrameworkStatusChange, Goal, GoalProgress, Notification, Organisation, PinSuggestion,
    ReablementEpisode, Role, RotaPlan, ServiceUser, User, Visit, VisitAssignment, VisitEvent,
)
from backend.services.reference import funding

NOTHING = sa.false()


def _assigned_visit_ids(user: User):
    return sa.select(VisitAssignment.visit_id).where(VisitAssignment.worker_id == user.id)


def _packages_of(user: User) -> ColumnElement[bool]:
    """Packages a user's organisation delivers, funds or co-funds."""
    if user.role in (Role.PROVIDER_MANAGER,):
        return CarePackage.provider_id == user.organisation_id
    if user.role == Role.COMMISSIONER:
        return funding.funded_by(user.organisation_id)
    if user.role == Role.CARE_WORKER:
        return CarePackage.id.in_(
            sa.select(Visit.package_id).where(Visit.id.in_(_assigned_visit_ids(user))))
    return NOTHING


def _package_ids(user: User):
    return sa.select(CarePackage.id).where(_packages_of(user))


def _funded_provider_ids(user: User):
    """Providers a commissioner's organisation holds (or co-funds) contracts with."""
    return sa.select(Contract.provider_id).where(_contracts(user))


def _visits(user: User) -> ColumnElement[bool]:
    if user.role == Role.CARE_WORKER:
        return Visit.id.in_(_assigned_visit_ids(user))
    return Visit.package_id.in_(_package_ids(user))


def _service_users(user: User) -> ColumnElement[bool]:
    if user.role == Role.PANEL_MEMBER:
        return NOTHING
    packaged = ServiceUser.id.in_(sa.select(CarePackage.service_user_id).where(_packages_of(user)))
    if user.role in (Role.PROVIDER_MANAGER, Role.COMMISSIONER):
        # People their organisation recorded, before any package of theirs exists.
        return sa.or_(packaged, ServiceUser.organisation_id == user.organisation_id)
    return packaged


def _service_user_ids(user: User):
    return sa.select(ServiceUser.id).where(_service_users(user))


def _organisations(user: User) -> ColumnElement[bool]:
    if user.role in (Role.COMMISSIONER, Role.PANEL_MEMBER):
        return sa.or_(Organisation.id == user.organisation_id,
                      Organisation.id.in_(_funded_provider_ids(user)))
    return Organisation.id == user.organisation_id


def _users(user: User) -> ColumnElement[bool]:
    if user.role in (Role.PROVIDER_MANAGER, Role.COMMISSIONER):
        return User.organisation_id == user.organisation_id
    return User.id == user.id


def _contracts(user: User) -> ColumnElement[bool]:
    if user.role == Role.PROVIDER_MANAGER:
        return Contract.provider_id == user.organisation_id
    if user.role == Role.COMMISSIONER:
        return sa.or_(Contract.funder_id == user.organisation_id,
                      Contract.id.in_(funding.co_funded_contract_ids(user.organisation_id)))
    return NOTHING


def _feedback(user: User) -> ColumnElement[bool]:
    if user.role == Role.PANEL_MEMBER:
        return Feedback.submitted_by_id == user.id
    if user.role == Role.PROVIDER_MANAGER:
        # Providers see feedback only once a commissioner has moderated it.
        return sa.and_(Feedback.provider_id == user.organisation_id,
                       Feedback.moderated_at.is_not(None))
    if user.role == Role.COMMISSIONER:
        return Feedback.provider_id.in_(_funded_provider_ids(user))
    return NOTHING


def _alerts(user: User) -> ColumnElement[bool]:
    if user.role in (Role.PROVIDER_MANAGER, Role.COMMISSIONER):
        return Alert.visit_id.in_(sa.select(Visit.id).where(_visits(user)))
    return NOTHING


_RULES: dict[type, Callable[[User], ColumnElement[bool]]] = {
    Organisation: _organisations,
    Area: lambda u: sa.true(),  # the framework's lots are public to every signed-in user
    User: _users,
    ServiceUser: _service_users,
    Contract: _contracts,
    CarePackage: _packages_of,
    Visit: _visits,
    VisitEvent: lambda u: VisitEvent.visit_id.in_(sa.select(Visit.id).where(_visits(u))),
    Alert: _alerts,
    Goal: lambda u: Goal.service_user_id.in_(_service_user_ids(u)),
    GoalProgress: lambda u: GoalProgress.goal_id.in_(
        sa.select(Goal.id).where(Goal.service_user_id.in_(_service_user_ids(u)))),
    ReablementEpisode: lambda u: ReablementEpisode.service_user_id.in_(_service_user_ids(u)),
    PinSuggestion: lambda u: PinSuggestion.service_user_id.in_(_service_user_ids(u))
    if u.role != Role.CARE_WORKER else NOTHING,
    Feedback: _feedback,
    # One-time links are issued and followed up by the commissioner organisation only.
    FeedbackLink: lambda u: FeedbackLink.commissioner_id == u.organisation_id
    if u.role == Role.COMMISSIONER else NOTHING,
    Notification: lambda u: Notification.recipient_user_id == u.id,
    FrameworkStatusChange: lambda u: FrameworkStatusChange.provider_id.in_(
        sa.select(Organisation.id).where(_organisations(u))),
    # Who read whose record is for administrators only.
    AccessEntry: lambda u: NOTHING,
    # A day plan is its provider's managers' own working paper.
    RotaPlan: lambda u: RotaPlan.provider_id == u.organisation_id
    if u.role == Role.PROVIDER_MANAGER else NOTHING,
}

# Which roles may change a visible object of each type (admins may change anything).
_CHANGERS: dict[type, set[Role]] = {
    Visit: {Role.CARE_WORKER, Role.PROVIDER_MANAGER},
    VisitEvent: set(),  # append-only: nobody changes an event
    CarePackage: {Role.PROVIDER_MANAGER},
    ServiceUser: {Role.PROVIDER_MANAGER},
    Goal: {Role.PROVIDER_MANAGER},
    ReablementEpisode: {Role.PROVIDER_MANAGER},
    PinSuggestion: {Role.PROVIDER_MANAGER},
    Alert: {Role.PROVIDER_MANAGER, Role.COMMISSIONER},
    Organisation: {Role.COMMISSIONER},
    Contract: {Role.COMMISSIONER},
    Feedback: {Role.PANEL_MEMBER, Role.COMMISSIONER},
    RotaPlan: {Role.PROVIDER_MANAGER},
    Notification: {Role.CARE_WORKER, Role.PROVIDER_MANAGER, Role.COMMISSIONER,
                   Role.PANEL_MEMBER},
}


# Who may set up and change the administrative record of each type, within their own
# organisation (admins may do everything): a commissioner the contracts their
# organisation funds and the people and packages it commissions; a provider manager
# their own people, packages and care workers. Organisations and areas: admins only.
_ADMINISTRATORS: dict[type, set[Role]] = {
    Organisation: set(),
    Area: set(),
    Contract: {Role.COMMISSIONER},
    ServiceUser: {Role.PROVIDER_MANAGER, Role.COMMISSIONER},
    CarePackage: {Role.PROVIDER_MANAGER, Role.COMMISSIONER},
    User: {Role.PROVIDER_MANAGER, Role.COMMISSIONER},
}


# Confirming that a visit not verified in the home was delivered (so that a contract
# holding such visits bills it) is the provider's word: its managers give it, nobody else.
_DELIVERY_CONFIRMERS = {Role.PROVIDER_MANAGER}


def may_confirm_delivery(user: User) -> bool:
    """Whether `user` may confirm that a visit they can see was delivered."""
    return user.role in _DELIVERY_CONFIRMERS


def get_confirmable(user: User, visit_id) -> Visit:
    """The visit if `user` may confirm it was delivered; NotFound if they may not see it
    (another provider's visit), Forbidden if they may only see it (its commissioner)."""
    visit = get_visible(user, Visit, visit_id, "visit")
    if not may_confirm_delivery(user):
        raise Forbidden("Only the provider's managers confirm that a visit was delivered.")
    return visit


def may_set_up(user: User, model: type, organisation_ids=()) -> bool:
    """Whether `user` may create a `model` belonging to one of `organisation_ids` (a
    contract's funder, a package's funder or provider, a user's organisation)."""
    if user.role == Role.ADMIN:
        return True
    return (user.role in _ADMINISTRATORS.get(model, set())
            and user.organisation_id in set(organisation_ids))


def require_set_up(user: User, model: type, organisation_ids=(), label: str = "record") -> None:
    """Forbidden unless may_set_up()."""
    if not may_set_up(user, model, organisation_ids):
        raise Forbidden(f"You may not set up this {label}.")


def get_administrable(user: User, model: type, object_id, label: str | None = None):
    """The object if `user` may change its administrative record; NotFound if they may
    not even see it, Forbidden if they may only see it (a provider reading its contract)."""
    obj = get_visible(user, model, object_id, label)
    if user.role != Role.ADMIN and (user.role not in _ADMINISTRATORS.get(model, set())
                                    or _only_co_funded(user, obj)):
        raise Forbidden(f"You may view this {label or model.__name__.lower()} but not change it.")
    return obj


def _only_co_funded(user: User, obj) -> bool:
    """A co-funder reads a jointly funded contract, its packages and their alerts; the
    contract's own funder changes them (and acknowledges the alerts). Feedback about a
    provider is moderated by a commissioner holding a contract of its own with the
    provider; one that only co-funds reads it."""
    if user.role != Role.COMMISSIONER:
        return False
    if isinstance(obj, Feedback):
        return db.session.scalar(sa.select(Contract.id).where(
            Contract.provider_id == obj.provider_id,
            Contract.funder_id == user.organisation_id).limit(1)) is None
    if not isinstance(obj, Contract | CarePackage | Alert):
        return False
    funder_id = obj.visit.package.funder_id if isinstance(obj, Alert) else obj.funder_id
    return funder_id != user.organisation_id


def visible(user: User, model: type) -> ColumnElement[bool]:
    """The WHERE clause selecting the rows of `model` that `user` may see."""
    if user.role == Role.ADMIN:
        return sa.true()
    rule = _RULES.get(model)
    if rule is None:
        raise LookupError(f"no access rule for {model.__name__}")
    return rule(user)


def scoped(user: User, model: type) -> sa.Select:
    """SELECT of the rows of `model` that `user` may see."""
    return sa.select(model).where(visible(user, model))


class _AnyOf(NamedTuple):
    """Stands for every user of one role: the rules read the role in Python and put
    the id and organisation into SQL, so those can be parameters."""

    role: Role
    id: sa.BindParameter = sa.bindparam("access_user_id")
    organisation_id: sa.BindParameter = sa.bindparam("access_organisation_id")


@functools.cache
def scoped_by_id(role: Role, model: type) -> sa.Select:
    """scoped() for one row of `model` by id, as a statement built once per role: the
    hot lookups (a check-in's visit) run it with by_id_parameters(user, id). Building
    the rule's statement costs more than running it.

    A care worker's visit is found by probing its one assignment (visit, worker): the
    list rule, IN the worker's assigned visits, reads every visit they were ever
    assigned (SQLite builds that list first), which grows with each week worked."""
    user = _AnyOf(role)
    if role == Role.CARE_WORKER and model is Visit:
        rule = sa.exists().where(VisitAssignment.visit_id == Visit.id,
                                 VisitAssignment.worker_id == user.id)
    else:
        rule = visible(user, model)
    return sa.select(model).where(rule, model.id == sa.bindparam("access_object_id"))


def by_id_parameters(user: User, object_id) -> dict:
    """The parameters of a scoped_by_id() statement for this user and id."""
    return {"access_user_id": user.id, "access_organisation_id": user.organisation_id,
            "access_object_id": object_id}


def get_visible(user: User, model: type, object_id, label: str | None = None):
    """The object if `user` may see it; NotFound for foreign and unknown ids alike."""
    label = label or model.__name__.lower()
    if not isinstance(object_id, uuid.UUID):
        try:
            object_id = uuid.UUID(str(object_id))
        except ValueError:
            raise NotFound(f"No {label} with that id.") from None
    obj = db.session.scalar(scoped(user, model).where(model.id == object_id))
    if obj is None:
        raise NotFound(f"No {label} with that id.")
    return obj


def can_see(user: User, obj) -> bool:
    """Whether `user` may see `obj`."""
    model = type(obj)
    found = db.session.scalar(
        sa.select(sa.literal(1)).select_from(model).where(model.id == obj.id,
                                                          visible(user, model)))
    return found is not None


def can_change(user: User, obj) -> bool:
    """Whether `user` may change `obj` (see it, and hold a role that may change it)."""
    if user.role == Role.ADMIN:
        return not isinstance(obj, VisitEvent)
    return (user.role in _CHANGERS.get(type(obj), set()) and not _only_co_funded(user, obj)
            and can_see(user, obj))


def get_changeable(user: User, model: type, object_id, label: str | None = None):
    """The object if `user` may change it; NotFound if they may not even see it."""
    obj = get_visible(user, model, object_id, label)
    if not can_change(user, obj):
        raise Forbidden(f"You may view this {label or model.__name__.lower()} but not change it.")
    return obj
