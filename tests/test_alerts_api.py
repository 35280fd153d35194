"""Alerts API: access matrix, 404 for foreign alerts, 409 for double resolve; the inbox."""
import pytest

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus, Channel, Notification
from backend.services.dates import clock


@pytest.fixture
def w(make):
    world = make.world()
    world.alert = Alert(visit_id=world.visit.id, kind=AlertKind.LATE, detail="late")
    world.other_alert = Alert(visit_id=world.other_visit.id, kind=AlertKind.MISSED, detail="m")
    db.session.add_all([world.alert, world.other_alert])
    make.commit()
    return world


def listed(client, headers, query=""):
    response = client.get(f"/api/v1/alerts{query}", headers=headers)
    assert response.status_code == 200, response.json
    return {row["id"] for row in response.json}


def test_access_matrix(client, bearer, w):
    mine, theirs = str(w.alert.id), str(w.other_alert.id)
    assert listed(client, bearer(w.manager)) == {mine}
    assert listed(client, bearer(w.other_manager)) == {theirs}
    assert listed(client, bearer(w.commissioner)) == {mine}
    assert listed(client, bearer(w.nhs_commissioner)) == {theirs}
    assert listed(client, bearer(w.admin)) == {mine, theirs}
    for user in (w.worker, w.panel):
        response = client.get("/api/v1/alerts", headers=bearer(user))
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/alerts").status_code == 401


def test_filters(client, bearer, w):
    headers = bearer(w.admin)
    assert listed(client, headers, "?kind=missed") == {str(w.other_alert.id)}
    assert listed(client, headers, "?status=resolved") == set()
    assert listed(client, headers, f"?provider_id={w.provider.id}") == {str(w.alert.id)}
    today = clock.today().isoformat()
    assert len(listed(client, headers, f"?from={today}&to={today}")) == 2
    assert listed(client, headers, "?from=2020-01-01&to=2020-01-02") == set()
    bad = client.get("/api/v1/alerts?kind=bogus&limit=0", headers=headers)
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"kind", "limit"}


def test_foreign_alert_is_404_everywhere(client, bearer, w):
    headers = bearer(w.manager)
    url = f"/api/v1/alerts/{w.other_alert.id}"
    assert client.get(url, headers=headers).status_code == 404
    assert client.post(f"{url}/acknowledge", json={"note": "x"}, headers=headers).status_code == 404
    assert client.post(f"{url}/resolve", json={"resolution": "x"},
                       headers=headers).status_code == 404
    db.session.refresh(w.other_alert)
    assert w.other_alert.status == AlertStatus.OPEN


def test_acknowledge_then_resolve_then_409(client, bearer, w):
    headers = bearer(w.manager)
    url = f"/api/v1/alerts/{w.alert.id}"
    response = client.post(f"{url}/acknowledge", json={"note": "Rang the carer, 10 min away"},
                           headers=headers)
    assert response.status_code == 200
    assert response.json["status"] == "acknowledged"
    assert response.json["acknowledge_note"] == "Rang the carer, 10 min away"
    again = client.post(f"{url}/acknowledge", json={"note": "x"}, headers=headers)
    assert again.status_code == 409
    done = client.post(f"{url}/resolve", json={"resolution": "Visit delivered at 10:25"},
                       headers=bearer(w.commissioner))
    assert done.status_code == 200 and done.json["status"] == "resolved"
    twice = client.post(f"{url}/resolve", json={"resolution": "again"}, headers=headers)
    assert twice.status_code == 409
    assert twice.json["error"]["code"] == "already_resolved"
    assert "Visit delivered at 10:25" in twice.json["error"]["message"]
    late_ack = client.post(f"{url}/acknowledge", json={"note": "x"}, headers=headers)
    assert late_ack.status_code == 409 and late_ack.json["error"]["code"] == "alert_resolved"
    got = client.get(url, headers=headers).json
    assert got["resolution"] == "Visit delivered at 10:25" and got["acknowledged_at"]


def test_bad_input(client, bearer, w):
    headers = bearer(w.manager)
    url = f"/api/v1/alerts/{w.alert.id}"
    assert client.post(f"{url}/resolve", json={}, headers=headers).status_code == 422
    assert client.post(f"{url}/acknowledge", json={"note": ""}, headers=headers).status_code == 422
    assert client.post(f"{url}/resolve", data="not json", headers=headers,
                       content_type="application/json").status_code in (400, 422)
    assert client.get("/api/v1/alerts/not-a-uuid", headers=headers).status_code == 404


def test_inbox_shows_only_own_rows_and_marks_read(client, bearer, w):
    mine = Notification(dedupe_key="k1", alert_id=w.alert.id, channel=Channel.INBOX,
                        recipient_user_id=w.manager.id, subject="Late", body="b")
    theirs = Notification(dedupe_key="k2", alert_id=w.other_alert.id, channel=Channel.INBOX,
                          recipient_user_id=w.other_manager.id, subject="Missed", body="b")
    db.session.add_all([mine, theirs])
    db.session.commit()
    rows = client.get("/api/v1/notifications", headers=bearer(w.manager)).json
    assert [r["id"] for r in rows] == [str(mine.id)]
    assert client.post(f"/api/v1/notifications/{theirs.id}/read",
                       headers=bearer(w.manager)).status_code == 404
    read = client.post(f"/api/v1/notifications/{mine.id}/read", headers=bearer(w.manager))
    assert read.status_code == 200 and read.json["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=bearer(w.manager)).json == []
