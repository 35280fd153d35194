"""The alerts inbox page: scoped, acknowledge, resolve, and refusals shown not crashed."""
from datetime import timedelta

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus
from backend.services.dates import clock


def raise_alert(visit, kind=AlertKind.LATE, **kw):
    alert = Alert(visit_id=visit.id, kind=kind, detail="Not started 15 minutes after", **kw)
    db.session.add(alert)
    db.session.flush()
    return alert


def test_manager_sees_own_alerts_and_acts(make, client, auth):
    w = make.world()
    mine, foreign = raise_alert(w.visit), raise_alert(w.other_visit)
    make.commit()
    auth.login(w.manager.username)
    page = client.get("/alerts").get_data(as_text=True)
    assert f"alert-{mine.id}" in page and f"alert-{foreign.id}" not in page
    response = client.post(f"/alerts/{mine.id}/acknowledge", data={"note": "Rang Sam, 10 min"},
                           follow_redirects=True)
    assert "Alert acknowledged." in response.get_data(as_text=True)
    refused = client.post(f"/alerts/{mine.id}/resolve", data={"resolution": " "},
                          follow_redirects=True)
    assert "Say what was done" in refused.get_data(as_text=True)
    client.post(f"/alerts/{mine.id}/resolve", data={"resolution": "Visit delivered late"})
    again = client.post(f"/alerts/{mine.id}/resolve", data={"resolution": "again"},
                        follow_redirects=True)
    assert "already resolved" in again.get_data(as_text=True)
    db.session.expire_all()
    alert = db.session.get(Alert, mine.id)
    assert alert.status == AlertStatus.RESOLVED and alert.acknowledge_note == "Rang Sam, 10 min"


def test_foreign_alert_is_not_found(make, client, auth):
    w = make.world()
    foreign = raise_alert(w.other_visit)
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/alerts/{foreign.id}/resolve", data={"resolution": "x"})
    assert response.status_code == 404
    assert db.session.get(Alert, foreign.id).status == AlertStatus.OPEN


def test_commissioner_filters_escalated(make, client, auth):
    w = make.world()
    quiet = raise_alert(w.visit)
    escalated = raise_alert(w.colleague_visit, AlertKind.MISSED,
                            escalated_at=clock.now() - timedelta(minutes=5))
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get("/alerts?escalated=1").get_data(as_text=True)
    assert f"alert-{escalated.id}" in page and f"alert-{quiet.id}" not in page


def test_next_must_stay_on_this_site(make, client, auth):
    w = make.world()
    alert = raise_alert(w.visit)
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/alerts/{alert.id}/acknowledge",
                           data={"note": "", "next": "//evil.example/phish"})
    assert response.headers["Location"].endswith("/alerts")


def test_care_worker_has_no_inbox(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.worker.username)
    assert client.get("/alerts").status_code == 404
