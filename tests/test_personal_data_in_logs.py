"""Personal data kept out of logs: SQL parameters hidden in production, people's names out
of email subjects unless the contract allows them, STARTTLS to the mail server by default."""
import ssl
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from backend import config as settings
from backend.extensions import db
from backend.models import Channel, Notification, VisitStatus
from backend.services.monitoring.monitor import run_detection
from backend.services.monitoring.outbox import send_email
from tests.monitoring_helpers import utc
from tests.test_outbox import Inbox, free_port

S = utc(2026, 11, 24, 10, 0)


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """Settings as read from a clean environment (one variable set per test)."""
    for name in ("SMTP_STARTTLS", "SQL_HIDE_PARAMETERS", "REPORT_MAX_DAYS", "ECM_ENV",
                 "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def load(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return settings.load(str(tmp_path))

    return load


def test_sql_parameters_are_hidden_in_production_logs(environment):
    production = environment(ECM_ENV="production", SECRET_KEY="k")
    assert production["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    assert environment(ECM_ENV="development")["SQLALCHEMY_ENGINE_OPTIONS"][
        "hide_parameters"] is False


def test_a_failed_statement_in_production_does_not_show_its_parameters(environment, tmp_path):
    from backend.app import create_app

    environment(ECM_ENV="production", SECRET_KEY="k",
                DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    production = create_app()
    with production.app_context(), pytest.raises(sa.exc.IntegrityError) as failure:
        db.session.execute(sa.text("CREATE TABLE goal_notes (note TEXT NOT NULL)"))
        db.session.execute(sa.text("INSERT INTO goal_notes VALUES (:note), (NULL)"),
                           {"note": "Mrs Smith wants to walk to the shop"})
    assert "Mrs Smith" not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)


def test_starttls_is_on_by_default_and_report_days_come_from_the_environment(environment):
    loaded = environment()
    assert loaded["SMTP_STARTTLS"] is True and loaded["REPORT_MAX_DAYS"] == 400
    loaded = environment(SMTP_STARTTLS="0", REPORT_MAX_DAYS="92")
    assert loaded["SMTP_STARTTLS"] is False and loaded["REPORT_MAX_DAYS"] == 92


@pytest.fixture
def tls_smtp(app, monkeypatch, tmp_path):
    """A mail server on loopback that only accepts mail after STARTTLS (its own
    certificate for 127.0.0.1, trusted through SMTP_CA_FILE)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    for name, value in (("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", port),
                        ("SMTP_CA_FILE", str(cert)), ("SMTP_STARTTLS", True)):
        monkeypatch.setitem(app.config, name, value)
    yield handler
    controller.stop()


def test_mail_goes_over_starttls_with_the_certificate_checked(app, tls_smtp, monkeypatch):
    send_email("manager@example.org", "Late: visit at 10:00", "body")
    assert [m.rcpt_tos for m in tls_smtp.messages] == [["manager@example.org"]]
    # An untrusted certificate is refused, not accepted silently.
    monkeypatch.setitem(app.config, "SMTP_CA_FILE", "")
    with pytest.raises(ssl.SSLCertVerificationError):
        send_email("manager@example.org", "Late", "body")
    # Without STARTTLS a server that requires it refuses the mail: nothing in clear.
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    with pytest.raises(Exception):  # noqa: B017 (smtplib's refusal)
        send_email("manager@example.org", "Late", "body")
    assert len(tls_smtp.messages) == 1


@pytest.fixture
def late_visit(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    w = make.world()
    for visit in (w.visit, w.colleague_visit, w.other_visit):
        visit.status = VisitStatus.CANCELLED
    w.manager.email = "manager@caring-hands.example"
    w.person.contact_email, w.person.contact_opted_in = "daughter@example.org", True
    make.visit(w.package, start=S, workers=[w.worker])
    return w


def subjects(channel: Channel) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.subject).where(
        Notification.channel == channel)))


def test_email_subjects_do_not_name_the_person_by_default(late_visit):
    w = late_visit
    run_detection(S + timedelta(minutes=16))
    emails, inbox = subjects(Channel.EMAIL), subjects(Channel.INBOX)
    assert len(emails) == 2  # the manager and the family
    for subject in emails:
        assert w.person.first_name not in subject and w.person.last_name not in subject
        assert "10:00" in subject
    assert any(w.person.last_name in subject for subject in inbox)  # behind the sign-in


def test_a_contract_may_allow_names_in_email_subjects(late_visit):
    w = late_visit
    w.contract.names_in_email_subjects = True
    db.session.flush()
    run_detection(S + timedelta(minutes=16))
    emails = subjects(Channel.EMAIL)
    assert len(emails) == 2 and all(w.person.first_name in subject for subject in emails)
