"""The app factory, settings, error shapes and the web sign-in."""
import pytest

from backend import config
from backend.app import create_app
from backend.models import Role


def test_production_refuses_to_start_without_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("ECM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError):
        config.load(str(tmp_path))


def test_development_secret_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("ECM_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.load(str(tmp_path))["SECRET_KEY"]
    assert len(first) > 40
    assert config.load(str(tmp_path))["SECRET_KEY"] == first


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    assert config.load(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == \
        f"sqlite:///{tmp_path / 'ecm.sqlite3'}"


def test_postgres_url_uses_psycopg3(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    assert config.load(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_api_errors_have_one_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.json["error"]) >= {"code", "message"}


def test_health(client):
    assert client.get("/api/v1/health").json == {"status": "ok"}


def test_openapi_document_served(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["info"]["title"] == "Home care ECM API"


def test_unexpected_error_shows_no_traceback(app):
    fresh = create_app({**app.config, "TESTING": False})

    @fresh.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = fresh.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_page(make, client, auth, role):
    world = make.world()
    user = {Role.CARE_WORKER: world.worker, Role.PROVIDER_MANAGER: world.manager,
            Role.COMMISSIONER: world.commissioner, Role.PANEL_MEMBER: world.panel,
            Role.ADMIN: world.admin}[role]
    make.commit()
    assert auth.login(user.username).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert user.organisation.name in page
    assert role.value.replace("_", " ") in page


def test_wrong_password_is_refused_politely(make, client, auth):
    user = make.user(Role.PROVIDER_MANAGER)
    make.commit()
    response = auth.login(user.username, "wrong-password")
    assert response.status_code == 401
    assert b"Wrong username or password" in response.data


def test_login_form_needs_csrf_token(make, app):
    user = make.user(Role.PROVIDER_MANAGER)
    make.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post(
            "/login", data={"username": user.username, "password": make.PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
