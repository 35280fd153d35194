"""The access log of reads (issue 16, point 10): who viewed which person's record, visit
or rota, and who downloaded which export; written once at commit, kept for a period,
shown to administrators."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.errors import NotFound
from backend.extensions import db
from backend.models import AccessEntry, AuditEntry
from backend.scheduler.jobs import run_job
from backend.services.audit import access_log
from backend.services.dates import clock
from backend.services.reference.person_record import person_record
from backend.unit_of_work import unit_of_work
from tests.factories import Factory


@pytest.fixture
def w(make):
    world = make.world()
    make.commit()
    return world


def reads() -> list[AccessEntry]:
    db.session.expire_all()
    return db.session.scalars(sa.select(AccessEntry).order_by(AccessEntry.at)).all()


def api(client, bearer, user, path):
    return client.get(f"/api/v1{path}", headers=bearer(user))


def test_a_person_page_view_is_logged_once_with_who_and_whom(client, auth, w):
    auth.login(w.manager.username)
    assert client.get(f"/people/{w.person.id}").status_code == 200
    (entry,) = reads()  # the page also lists goals and the timeline: still one read
    assert (entry.user_id, entry.what, entry.service_user_id) == (
        w.manager.id, "person", w.person.id)
    assert entry.object_id == str(w.person.id)
    assert abs(entry.at - clock.now()) < timedelta(minutes=1)


def test_a_visit_page_view_is_logged_against_the_visits_person(client, auth, w):
    auth.login(w.commissioner.username)
    assert client.get(f"/visits/{w.visit.id}").status_code == 200
    (entry,) = reads()
    assert (entry.user_id, entry.what, entry.object_id, entry.service_user_id) == (
        w.commissioner.id, "visit", str(w.visit.id), w.person.id)


def test_a_refused_view_logs_nothing(client, auth, w):
    auth.login(w.manager.username)
    assert client.get(f"/people/{w.other_person.id}").status_code == 404
    assert client.get(f"/visits/{w.other_visit.id}").status_code == 404
    assert reads() == []


def test_the_rota_week_page_is_logged_as_one_read(client, auth, w):
    auth.login(w.manager.username)
    assert client.get("/rota").status_code == 200
    (entry,) = reads()
    assert (entry.what, entry.object_id) == ("rota_week", str(w.provider.id))
    assert entry.details["week"] <= clock.today().isoformat()


def test_api_reads_of_a_person_and_of_the_carers_rota_are_logged(client, bearer, w):
    assert api(client, bearer, w.manager, f"/service-users/{w.person.id}/goals") \
        .status_code == 200
    assert api(client, bearer, w.commissioner,
               f"/service-users/{w.person.id}/outcome-timeline").status_code == 200
    assert api(client, bearer, w.worker, f"/me/rota?date={w.visit.local_date}") \
        .status_code == 200
    got = [(e.user_id, e.what, e.service_user_id) for e in reads()]
    assert got == [(w.manager.id, "goals", w.person.id),
                   (w.commissioner.id, "outcome_timeline", w.person.id),
                   (w.worker.id, "rota_visit", w.person.id)]


def test_export_downloads_are_logged_with_the_period_asked_for(client, auth, bearer, w):
    auth.login(w.commissioner.username)
    web = client.get("/payment/visits.csv?from=2026-03-01&to=2026-03-31")
    assert web.status_code == 200
    web.get_data()
    api_csv = api(client, bearer, w.commissioner, "/reports/actuals.csv?from=2026-03-01"
                  "&to=2026-03-31")
    assert api_csv.status_code == 200
    api_csv.get_data()
    web_entry, api_entry = reads()
    assert (web_entry.user_id, web_entry.what, web_entry.object_id) == (
        w.commissioner.id, "export", "payment-visits-2026-03-01.csv")
    assert web_entry.details == {"first": "2026-03-01", "last": "2026-03-31"}
    assert (api_entry.what, api_entry.object_id) == ("export", "actuals.csv")
    assert api_entry.details["from"] == "2026-03-01" and api_entry.details["to"] == "2026-03-31"


def test_reads_wait_for_the_commit_and_go_with_a_rollback(w):
    with unit_of_work():
        person_record(w.manager, w.person.id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessEntry)) == 0
    assert len(reads()) == 1
    with pytest.raises(NotFound), unit_of_work():
        person_record(w.manager, w.person.id)
        person_record(w.manager, w.other_person.id)
    assert len(reads()) == 1  # the failed request's read of w.person went with it


def test_an_admin_sees_who_looked_at_a_person(app, client, auth, w):
    manager = app.test_client()
    manager.post("/login", data={"username": w.manager.username, "password": Factory.PASSWORD})
    manager.get(f"/people/{w.person.id}")
    manager.get(f"/visits/{w.visit.id}")
    manager.get(f"/people/{w.person.id}/readers")  # not theirs to see
    auth.login(w.admin.username)
    page = client.get(f"/people/{w.person.id}/readers")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert w.manager.display_name in text and w.provider.name in text
    assert "person&#39;s record" in text and "visit record" in text
    assert f"/visits/{w.visit.id}" in text
    assert manager.get(f"/people/{w.person.id}/readers").status_code == 404
    assert client.get(f"/people/{w.other_person.id}/readers").status_code == 200
    assert "No reads recorded" in client.get(
        f"/people/{w.other_person.id}/readers").get_data(as_text=True)


def test_the_service_shows_non_admins_nothing(w):
    access_log.record_read(w.manager, "person", w.person.id, w.person.id)
    db.session.commit()
    assert len(access_log.readers_of(w.admin, w.person.id)[1]) == 1
    assert access_log.readers_of(w.manager, w.person.id)[1] == []


def test_an_admin_sees_who_downloaded_which_export(client, auth, w):
    auth.login(w.commissioner.username)
    client.get("/overview/hours.csv?from=2026-03-01&to=2026-03-07").get_data()
    auth.logout()
    auth.login(w.admin.username)
    text = client.get("/access-log/downloads").get_data(as_text=True)
    assert "providers-hours.csv" in text and w.commissioner.display_name in text
    assert "first 2026-03-01" in text


def test_housekeeping_prunes_reads_past_the_keeping_period(app, w):
    now = clock.now()
    for days in (10, 400, 800):
        db.session.add(AccessEntry(at=now - timedelta(days=days), user_id=w.manager.id,
                                   what="person", object_id=str(w.person.id),
                                   service_user_id=w.person.id))
    db.session.commit()
    assert run_job(app, "housekeeping", "test-holder")["reads_pruned"] == 1  # 730 days
    app.config["ACCESS_LOG_RETENTION_DAYS"] = 365
    try:
        assert run_job(app, "housekeeping", "test-holder")["reads_pruned"] == 1
    finally:
        app.config["ACCESS_LOG_RETENTION_DAYS"] = 730
    assert [e.at.date() for e in reads()] == [(now - timedelta(days=10)).date()]


def test_changes_stay_in_the_change_trail(client, auth, w):
    auth.login(w.manager.username)
    client.post("/account/password", data={"current_password": Factory.PASSWORD,
                                            "new_password": "another-long-one",
                                            "repeat_password": "another-long-one"})
    db.session.expire_all()
    change = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.user_id == w.manager.id))
    assert change.action == "password_changed" and change.object_id == str(w.manager.id)


def test_a_view_that_wrote_nothing_else_commits_its_read_without_waiting_for_the_disk(
        w, is_postgres):
    """PostgreSQL: a page view whose only write is its read-audit row commits with
    synchronous_commit off; a request that changed something keeps the full wait."""
    if not is_postgres:
        pytest.skip("SQLite (WAL, synchronous=NORMAL) does not wait for the disk at commit")
    seen = []

    def note(session):
        seen.append(session.execute(sa.text("SHOW synchronous_commit")).scalar())

    sa.event.listen(db.session, "before_commit", note)  # runs after the queued writes
    try:
        with unit_of_work():
            person_record(w.manager, w.person.id)
        with unit_of_work():
            w.manager.display_name = "Changed as well as read"
            db.session.flush()
            person_record(w.manager, w.person.id)
    finally:
        sa.event.remove(db.session, "before_commit", note)
    assert seen == ["off", "on"]
    assert len(reads()) == 2
