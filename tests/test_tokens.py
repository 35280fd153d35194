"""Access tokens: pinned algorithm, checked claims, typed."""
from datetime import timedelta

import jwt
import pytest
from flask_smorest import Blueprint

from backend.app import create_app
from backend.errors import Unauthorized
from backend.models import Role
from backend.services.identity import tokens
from mobile_api.auth import current_user, token_required


@pytest.fixture
def guarded(app):
    """A fresh app with one guarded endpoint for care workers."""
    from backend.extensions import api

    fresh = create_app({**app.config})
    blp = Blueprint("probe", __name__)

    @blp.get("/probe")
    @token_required(Role.CARE_WORKER)
    def probe():
        return {"user": current_user().username}

    api.register_blueprint(blp, url_prefix="/api/v1")
    return fresh.test_client()


def forge(app, **overrides):
    claims = {"sub": "x", "typ": "access", "iss": app.config["JWT_ISSUER"],
              "aud": app.config["JWT_AUDIENCE"], "iat": 0, "exp": 4102444800, "jti": "j"}
    claims.update(overrides)
    return claims


def test_valid_token_reaches_the_view(guarded, make, bearer):
    worker = make.user(Role.CARE_WORKER)
    make.commit()
    response = guarded.get("/api/v1/probe", headers=bearer(worker))
    assert response.status_code == 200 and response.json["user"] == worker.username


def test_wrong_role_is_forbidden(guarded, make, bearer):
    commissioner = make.user(Role.COMMISSIONER)
    make.commit()
    assert guarded.get("/api/v1/probe", headers=bearer(commissioner)).status_code == 403


def test_missing_token(guarded):
    response = guarded.get("/api/v1/probe")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("attack", ["alg_none", "wrong_key", "wrong_aud", "wrong_iss", "expired",
                                    "refresh_typ", "hs512"])
def test_forged_tokens_are_refused(app, guarded, make, attack):
    worker = make.user(Role.CARE_WORKER)
    make.commit()
    claims = forge(app, sub=str(worker.id))
    key, alg = app.config["SECRET_KEY"], "HS256"
    if attack == "alg_none":
        key, alg = None, "none"
    elif attack == "wrong_key":
        key = "another-secret-key-of-enough-length"
    elif attack == "wrong_aud":
        claims["aud"] = "someone-else"
    elif attack == "wrong_iss":
        claims["iss"] = "evil"
    elif attack == "expired":
        claims["exp"] = 1000
    elif attack == "refresh_typ":
        claims["typ"] = "refresh"
    elif attack == "hs512":
        alg = "HS512"
    token = jwt.encode(claims, key, algorithm=alg)
    response = guarded.get("/api/v1/probe", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_access_token_lifetime_is_short(app, make):
    worker = make.user(Role.CARE_WORKER)
    token, seconds = tokens.issue_access_token(worker)
    assert seconds <= 15 * 60
    claims = tokens.decode(token, "access")
    assert claims["exp"] - claims["iat"] == int(tokens.ACCESS_LIFETIME / timedelta(seconds=1))
    with pytest.raises(Unauthorized):
        tokens.decode(token, "refresh")
