"""Web sign-in sessions held on the server (issue 16, point 6): sign-out, idle timeout,
absolute lifetime and a password change end them; a copied cookie then opens nothing."""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import RefreshToken, Role, WebSession
from backend.services.dates import clock
from backend.services.identity import sessions, web_sessions
from tests.factories import Factory


@pytest.fixture
def manager(make):
    user = make.user(Role.PROVIDER_MANAGER)
    make.commit()
    return user


def the_session(user) -> WebSession:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebSession).where(WebSession.user_id == user.id)
                              .order_by(WebSession.started_at.desc())).first()


def age_session(row: WebSession, **ago) -> None:
    """Move a session's clocks into the past, as if that much time had gone by."""
    db.session.execute(sa.update(WebSession).where(WebSession.id == row.id).values(**{
        column: getattr(row, column) - delta for column, delta in ago.items()}))
    db.session.commit()


def opens_board(client) -> bool:
    response = client.get("/board")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def test_a_cookie_captured_before_sign_out_no_longer_opens_the_board(client, auth, manager):
    assert auth.login(manager.username).status_code == 302
    assert opens_board(client)
    captured = client.get_cookie("session").value
    auth.logout()
    client.set_cookie("session", captured)  # the attacker's copy, replayed
    assert not opens_board(client)
    row = the_session(manager)
    assert row.ended_at is not None and row.end_reason == "sign_out"


def test_the_cookie_names_a_session_not_a_user(client, auth, manager):
    auth.login(manager.username)
    with client.session_transaction() as cookie:
        assert {key for key in cookie if not key.startswith("_")} == {"sid"}
        assert uuid.UUID(cookie["sid"]) == the_session(manager).id


def test_a_session_idle_past_the_timeout_ends(client, auth, manager):
    auth.login(manager.username)
    age_session(the_session(manager), last_seen_at=timedelta(minutes=30),
                started_at=timedelta(minutes=30))
    assert not opens_board(client)
    assert the_session(manager).end_reason == "idle"
    assert not opens_board(client)  # and it stays ended


def test_a_busy_session_ends_at_its_absolute_lifetime(client, auth, manager):
    auth.login(manager.username)
    row = the_session(manager)
    assert row.expires_at - row.started_at == timedelta(hours=12)
    age_session(row, started_at=timedelta(hours=12), expires_at=timedelta(hours=12))
    assert not opens_board(client)
    assert the_session(manager).end_reason == "expired"


def test_each_page_moves_the_idle_clock_at_most_once_a_minute(client, auth, manager):
    auth.login(manager.username)
    age_session(the_session(manager), last_seen_at=timedelta(minutes=20))
    before = the_session(manager).last_seen_at
    assert opens_board(client)
    moved = the_session(manager).last_seen_at
    assert moved > before + timedelta(minutes=19)
    assert opens_board(client)
    assert the_session(manager).last_seen_at == moved  # within the minute: no write


def test_the_limits_are_settings(app, manager):
    row = web_sessions.start(manager)
    db.session.commit()
    app.config.update(WEB_SESSION_IDLE_MINUTES=5, WEB_SESSION_MAX_HOURS=1)
    try:
        assert web_sessions.user_of(row.id, row.last_seen_at + timedelta(minutes=4)) == manager
        assert web_sessions.user_of(row.id, row.last_seen_at + timedelta(minutes=5)) is None
        later = web_sessions.start(manager)
        assert later.expires_at - later.started_at == timedelta(hours=1)
    finally:
        app.config.update(WEB_SESSION_IDLE_MINUTES=30, WEB_SESSION_MAX_HOURS=12)


def test_unknown_or_malformed_session_ids_open_nothing(client, manager):
    for sid in (str(uuid.uuid4()), "not-a-uuid", ""):
        with client.session_transaction() as cookie:
            cookie["sid"] = sid
        assert not opens_board(client)


def test_a_deactivated_user_is_signed_out_of_the_pages(client, auth, manager):
    auth.login(manager.username)
    manager.active = False
    db.session.commit()
    assert not opens_board(client)


# --- password change: signed out everywhere ------------------------------------------------


def change(client, current=Factory.PASSWORD, new="a-brand-new-secret", repeat=None):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new, "repeat_password": repeat or new})


def test_changing_the_password_signs_out_everywhere_else(app, client, auth, manager):
    auth.login(manager.username)
    other = app.test_client()  # another browser, signed in earlier
    assert other.post("/login", data={"username": manager.username,
                                      "password": Factory.PASSWORD}).status_code == 302
    phone = sessions.start_session(manager, device_id="phone-1")
    db.session.commit()
    api = app.test_client()

    response = change(client)
    assert response.status_code == 302
    assert opens_board(client)  # this browser carries on, in a fresh session
    assert not opens_board(other)
    refused = api.post("/api/v1/auth/refresh", json={"refresh_token": phone.refresh_token})
    assert refused.status_code == 401
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {phone.access_token}"})
    assert me.status_code == 401
    db.session.expire_all()
    reasons = db.session.scalars(sa.select(RefreshToken.revoke_reason)).all()
    assert reasons == ["password_changed"]
    ended = db.session.scalars(sa.select(WebSession.end_reason)
                               .where(WebSession.ended_at.is_not(None))).all()
    assert sorted(ended) == ["password_changed", "password_changed"]
    assert auth.logout().status_code == 302
    assert auth.login(manager.username).status_code == 401  # the old password is gone
    assert auth.login(manager.username, "a-brand-new-secret").status_code == 302


@pytest.mark.parametrize("form, field, message", [
    ({"current": "not-my-password"}, "current_password", b"not your current password"),
    ({"new": "short"}, "new_password", b"8 to 200 characters"),
    ({"repeat": "something-else"}, "repeat_password", b"two new passwords differ"),
    ({"new": Factory.PASSWORD}, "new_password", b"different from the current"),
])
def test_a_refused_change_says_why_and_ends_nothing(client, auth, manager, form, field,
                                                   message):
    auth.login(manager.username)
    response = change(client, **form)
    assert response.status_code == 422
    assert message in response.data and f'id="{field}-error"'.encode() in response.data
    assert opens_board(client)
    assert the_session(manager).ended_at is None


def test_the_password_page_needs_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_old_sessions_are_purged(manager):
    ended = web_sessions.start(manager)
    web_sessions.end(ended.id, "sign_out", clock.now() - timedelta(days=31))
    live = web_sessions.start(manager)
    assert web_sessions.purge_ended() == 1
    assert db.session.get(WebSession, live.id) is not None


def test_an_administrators_reset_from_the_command_line_signs_out_everywhere(
        runner, client, auth, manager):
    auth.login(manager.username)
    phone = sessions.start_session(manager, device_id="phone-1")
    db.session.commit()
    result = runner.invoke(args=["users", "set-password", manager.username],
                           input="reset-by-the-office\nreset-by-the-office\n")
    assert result.exit_code == 0, result.output
    assert "ended 1 web sessions and 1 phone sign-in tokens" in result.output
    assert not opens_board(client)
    assert client.post("/api/v1/auth/refresh",
                       json={"refresh_token": phone.refresh_token}).status_code == 401
    assert auth.login(manager.username, "reset-by-the-office").status_code == 302
    refused = runner.invoke(args=["users", "set-password", manager.username],
                            input="short\nshort\n")
    assert refused.exit_code != 0 and "at least 8 characters" in refused.output
