"""Phone sign-in: token pairs, refresh rotation and reuse detection, sign-out, attacks, limits."""
import base64
import hashlib
import hmac
import json
import threading
import uuid
import warnings
from datetime import timedelta

import jwt
import pytest
import sqlalchemy as sa
from jwt.warnings import InsecureKeyLengthWarning

from backend.app import create_app
from backend.errors import SignInRefused
from backend.extensions import db, limiter
from backend.models import AuditEntry, RefreshToken, Role, User
from backend.services.dates import clock
from backend.services.identity import sessions, tokens
from backend.services.identity.accounts import REFUSAL
from tests.factories import Factory

SIGN_IN, REFRESH, SIGN_OUT, ME = ("/api/v1/auth/sign-in", "/api/v1/auth/refresh",
                                  "/api/v1/auth/sign-out", "/api/v1/me")


def sign_in(client, username, password=Factory.PASSWORD, **extra):
    return client.post(SIGN_IN, json={"username": username, "password": password, **extra})


def refresh(client, token):
    return client.post(REFRESH, json={"refresh_token": token})


def me(client, access_token):
    return client.get(ME, headers={"Authorization": f"Bearer {access_token}"})


@pytest.fixture
def worker(make):
    user = make.user(Role.CARE_WORKER, display_name="Ada Carer")
    make.commit()
    return user


@pytest.fixture
def pair(worker):
    """A signed-in phone's tokens (without spending an argon2 check on each test)."""
    signed_in = sessions.start_session(worker, device_id="phone-1")
    db.session.commit()
    return {"access_token": signed_in.access_token, "refresh_token": signed_in.refresh_token}


def token_row(token: str) -> RefreshToken:
    claims = tokens.decode(token, "refresh")
    db.session.expire_all()
    return db.session.get(RefreshToken, uuid.UUID(claims["jti"]))


# --- sign-in -------------------------------------------------------------------------------


def test_sign_in_gives_a_short_access_token_and_a_refresh_token(client, worker):
    response = sign_in(client, worker.username, device_id="phone-1")
    assert response.status_code == 200
    pair = response.json
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 15 * 60
    assert pair["user"] == {"id": str(worker.id), "username": worker.username,
                            "display_name": "Ada Carer", "role": "care_worker",
                            "organisation": {"id": str(worker.organisation.id),
                                             "name": worker.organisation.name,
                                             "kind": "provider"}}
    assert me(client, pair["access_token"]).json["id"] == str(worker.id)
    row = token_row(pair["refresh_token"])
    assert row.user_id == worker.id and row.device_id == "phone-1"
    assert row.expires_at - row.issued_at == sessions.REFRESH_LIFETIME
    stored = " ".join(str(getattr(row, c.key)) for c in RefreshToken.__table__.columns)
    assert pair["refresh_token"] not in stored  # only the token's id is kept


def test_wrong_password_is_refused_and_counted(client, worker):
    response = sign_in(client, worker.username, "not-the-password")
    assert response.status_code == 401
    assert response.json["error"] == {"code": "unauthorized", "message": REFUSAL}
    db.session.expire_all()
    assert db.session.get(User, worker.id).failed_sign_ins == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshToken)) == 0


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, worker):
    unknown = sign_in(client, "nobody-here")
    wrong = sign_in(client, worker.username, "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json == wrong.json


def test_repeated_failures_slow_that_address_with_the_same_answer(client, worker):
    for _ in range(5):
        assert sign_in(client, worker.username, "not-the-password").status_code == 401
    response = sign_in(client, worker.username, "still-wrong")  # the sixth: a wait is owed
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    waiting = sign_in(client, worker.username)  # the right password, during the wait
    assert waiting.status_code == 401 and waiting.json == response.json
    elsewhere = client.post(SIGN_IN, json={"username": worker.username,
                                           "password": Factory.PASSWORD},
                            environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert elsewhere.status_code == 200  # the real user, on their own phone, is not held up


def test_deactivated_user_cannot_sign_in_or_refresh(client, worker, pair):
    db.session.get(User, worker.id).active = False
    db.session.commit()
    assert sign_in(client, worker.username).status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert me(client, pair["access_token"]).status_code == 401


# --- refresh rotation ----------------------------------------------------------------------


def test_refresh_rotates_within_the_family(client, pair):
    response = refresh(client, pair["refresh_token"])
    assert response.status_code == 200
    new = response.json
    assert new["refresh_token"] != pair["refresh_token"]
    old_row, new_row = token_row(pair["refresh_token"]), token_row(new["refresh_token"])
    assert old_row.used_at is not None and old_row.replaced_by_id == new_row.id
    assert new_row.family_id == old_row.family_id and new_row.device_id == "phone-1"
    assert me(client, new["access_token"]).status_code == 200
    assert refresh(client, new["refresh_token"]).status_code == 200


def test_reuse_of_an_old_refresh_token_revokes_the_family(client, pair):
    newest = refresh(client, pair["refresh_token"]).json
    old_row = token_row(pair["refresh_token"])
    old_row.used_at -= sessions.REUSE_GRACE + timedelta(seconds=1)  # a replay, later on
    db.session.commit()

    replay = refresh(client, pair["refresh_token"])
    assert replay.status_code == 401
    assert replay.json["error"]["code"] == "refresh_token_reused"
    # Both holders are out: the newest refresh token and its access token stop working.
    after = refresh(client, newest["refresh_token"])
    assert after.status_code == 401 and after.json["error"]["code"] == "session_revoked"
    assert me(client, newest["access_token"]).status_code == 401
    assert token_row(newest["refresh_token"]).revoke_reason == "reuse_detected"
    assert db.session.scalar(sa.select(AuditEntry.action)) == "refresh_token_reused"


def test_reuse_revokes_only_that_family(client, worker, pair):
    other_phone = sign_in(client, worker.username, device_id="phone-2").json
    refresh(client, pair["refresh_token"])
    token_row(pair["refresh_token"]).used_at -= timedelta(minutes=5)
    db.session.commit()
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert refresh(client, other_phone["refresh_token"]).status_code == 200


def test_retry_within_grace_window_gets_the_same_successor(client, pair):
    first = refresh(client, pair["refresh_token"]).json
    retry = refresh(client, pair["refresh_token"])  # the phone never saw `first`
    assert retry.status_code == 200
    assert retry.json["refresh_token"] == first["refresh_token"]
    assert me(client, retry.json["access_token"]).status_code == 200
    assert token_row(first["refresh_token"]).revoked_at is None
    assert refresh(client, first["refresh_token"]).status_code == 200


def test_retry_after_the_successor_was_used_is_reuse(client, pair):
    first = refresh(client, pair["refresh_token"]).json
    assert refresh(client, first["refresh_token"]).status_code == 200
    replay = refresh(client, pair["refresh_token"])
    assert replay.status_code == 401 and replay.json["error"]["code"] == "refresh_token_reused"


def test_expired_refresh_token_is_refused(app, client, pair):
    row = token_row(pair["refresh_token"])
    later = row.expires_at + timedelta(seconds=1)
    with pytest.raises(SignInRefused) as refused:
        sessions.refresh(pair["refresh_token"], now=later)
    assert refused.value.status == 401 and refused.value.code == "token_expired"
    assert row.used_at is None


# --- sign-out ------------------------------------------------------------------------------


def test_sign_out_with_the_refresh_token_ends_the_sign_in(client, pair):
    assert client.post(SIGN_OUT, json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert me(client, pair["access_token"]).status_code == 401
    assert token_row(pair["refresh_token"]).revoke_reason == "sign_out"


def test_sign_out_with_the_access_token_alone(client, pair):
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.post(SIGN_OUT, headers=headers).status_code == 204
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_sign_out_leaves_other_devices_signed_in(client, worker, pair):
    other_phone = sign_in(client, worker.username, device_id="phone-2").json
    assert token_row(other_phone["refresh_token"]).device_id == "phone-2"
    client.post(SIGN_OUT, json={"refresh_token": pair["refresh_token"]})
    assert me(client, other_phone["access_token"]).status_code == 200


def test_sign_out_needs_a_token(client, pair):
    assert client.post(SIGN_OUT).status_code == 401
    assert client.post(SIGN_OUT, json={"refresh_token": pair["access_token"]}).status_code == 401


# --- token types and attacks ---------------------------------------------------------------


def test_access_token_is_not_a_refresh_token(client, pair):
    response = refresh(client, pair["access_token"])
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


def test_refresh_token_is_not_an_access_token(client, pair):
    assert me(client, pair["refresh_token"]).status_code == 401


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_header(header: dict, claims: dict, key: str) -> str:
    """A token whose header lies about its algorithm (the RS256/HS256 confusion attack)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.mark.parametrize("attack", ["alg_none", "hs512", "rs256_header", "wrong_key", "expired",
                                    "wrong_aud", "wrong_iss", "no_exp", "unknown_jti"])
@pytest.mark.parametrize("typ", ["access", "refresh"])
def test_forged_tokens_are_refused(app, client, pair, attack, typ):
    genuine = tokens.decode(pair[f"{typ}_token"], typ)
    claims = dict(genuine)
    key, alg = app.config["SECRET_KEY"], "HS256"
    if attack == "alg_none":
        key, alg = None, "none"
    elif attack == "hs512":
        alg = "HS512"
    elif attack == "wrong_key":
        key = "another-secret-key-of-enough-length-for-hs256"
    elif attack == "expired":
        claims["iat"], claims["exp"] = 1_000, 2_000
    elif attack == "wrong_aud":
        claims["aud"] = "someone-else"
    elif attack == "wrong_iss":
        claims["iss"] = "evil"
    elif attack == "no_exp":
        del claims["exp"]
    elif attack == "unknown_jti":
        claims["jti"] = "0" * 32
    if attack == "rs256_header":
        token = _hs256_with_header({"alg": "RS256", "typ": "JWT"}, claims, key)
    else:
        with warnings.catch_warnings():  # HS512 wants a longer key than the test one
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            token = jwt.encode(claims, key, algorithm=alg)
    response = me(client, token) if typ == "access" else refresh(client, token)
    if attack == "unknown_jti" and typ == "access":
        assert response.status_code == 200  # access tokens are not looked up by jti
        return
    assert response.status_code == 401, response.json
    assert response.json["error"]["code"] in {"invalid_token", "token_expired", "unauthorized"}


def test_garbage_bearer_tokens_are_401_not_500(client):
    for header in ("Bearer", "Bearer ", "Bearer a.b.c", "Bearer ....", "Basic abc", "Bearer é"):
        assert client.get(ME, headers={"Authorization": header}).status_code == 401


# --- per-address limit on failed sign-ins ------------------------------------------------


@pytest.fixture
def limited(app):
    """A fresh app with rate limiting on: two failed sign-ins per address per minute."""
    fresh = create_app({**app.config, "RATELIMIT_ENABLED": True,
                        "RATELIMIT_SIGN_IN_FAILURES": "2 per minute"})
    yield fresh.test_client()
    limiter.init_app(app)  # the extension is a singleton: switch it back off for the suite


def test_failed_sign_ins_are_limited_per_address(limited, worker):
    for _ in range(2):
        assert sign_in(limited, worker.username).status_code == 200  # successes do not count
        assert sign_in(limited, "nobody", "wrong-password").status_code == 401
    blocked = sign_in(limited, worker.username)  # even the right password, from this address
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "too_many_requests"
    assert "failed sign-ins" in blocked.json["error"]["message"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    elsewhere = limited.post(SIGN_IN, json={"username": worker.username,
                                            "password": Factory.PASSWORD},
                             environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 200


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("body, status, fields", [
    ({}, 422, {"username", "password"}),
    ({"username": 7, "password": ["x"]}, 422, {"username", "password"}),
    ({"username": "a", "password": "b", "device_id": ""}, 422, {"device_id"}),
    ({"username": "a", "password": "b", "surprise": 1}, 422, {"surprise"}),
    ({"username": "carer\u0000", "password": "b", "device_id": "x\n"}, 422,
     {"username", "device_id"}),
    ([1, 2], 422, {"_schema"}),
])
def test_sign_in_names_the_bad_fields(client, body, status, fields):
    response = client.post(SIGN_IN, json=body)
    assert response.status_code == status
    assert response.json["error"]["code"] == "invalid"
    assert set(response.json["error"]["fields"]) == fields


@pytest.mark.parametrize("path", [SIGN_IN, REFRESH, SIGN_OUT])
def test_malformed_json_is_400_in_our_shape(client, path):
    response = client.post(path, data=b'{"username": "a",', content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == {"code": "bad_request",
                                      "message": "The request body is not valid JSON."}


def test_oversized_body_is_413_in_our_shape(app, client):
    padding = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(SIGN_IN, json={"username": "a", "password": padding})
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


def test_refresh_needs_a_string_token(client):
    response = client.post(REFRESH, json={"refresh_token": 12})
    assert response.status_code == 422 and "refresh_token" in response.json["error"]["fields"]
    assert refresh(client, "not-a-jwt").status_code == 401


# --- housekeeping and documentation -------------------------------------------------------


def test_purge_removes_only_expired_tokens(client, pair):
    fresh_row = token_row(refresh(client, pair["refresh_token"]).json["refresh_token"])
    old_row = token_row(pair["refresh_token"])
    old_row.expires_at = clock.now() - timedelta(days=1)
    db.session.commit()
    assert sessions.purge_expired() == 1
    db.session.commit()
    assert db.session.scalars(sa.select(RefreshToken.id)).all() == [fresh_row.id]


def test_openapi_documents_bearer_security(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/api/v1/me/rota"]["get"]["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in doc["paths"]["/api/v1/auth/sign-in"]["post"]


def test_concurrent_refreshes_with_one_token_make_no_branch(app, pair):
    """Two requests racing with the same token: one rotates, the other gets the same successor."""
    barrier = threading.Barrier(2)
    answers = []

    def race():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            answers.append(refresh(client, pair["refresh_token"]))
            db.session.remove()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json["refresh_token"] == answers[1].json["refresh_token"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshToken)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RefreshToken).where(
        RefreshToken.revoked_at.is_not(None))) == 0
