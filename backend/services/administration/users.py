"""User accounts set up by administrators and managers: invited by a one-time link (nobody
types a password for someone else), deactivated, reactivated, sent a reset link."""
from backend.errors import Invalid
from backend.extensions import db
from backend.models import LinkPurpose, Role, User
from backend.services.administration import changes
from backend.services.administration.organisations import organisation_by_id
from backend.services.audit import trail
from backend.services.identity import access, link_mail
from backend.services.identity.accounts import NO_PASSWORD, create_account
from backend.services.identity.links import IssuedLink, issue_link
from backend.services.identity import sessions, web_sessions
from backend.services.reference.validation import choice

# Roles a non-admin may give within their own organisation.
_ROLES_GIVEN_BY = {Role.PROVIDER_MANAGER: {Role.PROVIDER_MANAGER, Role.CARE_WORKER},
                   Role.COMMISSIONER: {Role.COMMISSIONER, Role.PANEL_MEMBER}}


def invite_user(actor: User | None, organisation_id, username: str, role,
                display_name: str | None = None, email: str | None = None
                ) -> tuple[User, IssuedLink]:
    """A new account with no password, and the one-time link its holder sets one with
    (emailed through the outbox when they have an address and mail is set up).

    actor None is the install command making the first admin."""
    organisation = organisation_by_id(organisation_id, "organisation_id")
    role = choice(Role, role, "role")
    if actor is not None:
        access.require_set_up(actor, User, [organisation.id], "user")
        if role not in roles_given_by(actor):
            raise Invalid(f"You may not give the {role.value} role.", field="role")
    user = create_account(username, role, organisation, display_name, email)
    changes.created(actor, user, "user_invited",
                    ("username", "display_name", "email", "role", "organisation_id"))
    return user, link_mail.send_link(user, issue_link(user, LinkPurpose.INVITATION, actor))


def roles_given_by(actor: User) -> list[Role]:
    """The roles the user may give when inviting (an admin: every role)."""
    if actor.role == Role.ADMIN:
        return list(Role)
    return sorted(_ROLES_GIVEN_BY.get(actor.role, set()))


def _account(actor: User, user_id) -> User:
    user = access.get_administrable(actor, User, user_id, "user")
    if user.role == Role.ADMIN and actor.role != Role.ADMIN:
        raise Invalid("Only an administrator may change an administrator.", field="user")
    return user


def set_active(actor: User, user_id, active: bool) -> User:
    """Deactivate (every sign-in ends at once) or reactivate an account; never one's own."""
    user = _account(actor, user_id)
    if user.id == actor.id:
        raise Invalid("You cannot deactivate yourself.", field="active")
    if changes.apply(actor, user, "user_activated" if active else "user_deactivated",
                     {"active": bool(active)}) and not active:
        sessions.revoke_all(user.id, "deactivated")
        web_sessions.end_all(user.id, "deactivated")
    db.session.flush()
    return user


def send_reset_link(actor: User, user_id) -> IssuedLink:
    """A one-time link for the user to choose a new password (the old one works until then);
    an account that never had one (a care worker just set up) gets an invitation. Emailed
    through the outbox when the user has an address and mail is set up."""
    user = _account(actor, user_id)
    purpose = LinkPurpose.INVITATION if user.password_hash == NO_PASSWORD else LinkPurpose.RESET
    issued = link_mail.send_link(user, issue_link(user, purpose, actor))
    trail.record_change(actor, "password_reset_link_issued", user, {},
                        {"expires_at": issued.link.expires_at,
                         "emailed_to": issued.emailed_to})
    return issued


def list_users(actor: User) -> list[User]:
    """Accounts the user may see (their organisation's; an admin all), by organisation, name."""
    return list(db.session.scalars(access.scoped(actor, User).order_by(
        User.organisation_id, User.display_name)))


def get_account(actor: User, user_id) -> User:
    """An account the user may manage."""
    return _account(actor, user_id)
