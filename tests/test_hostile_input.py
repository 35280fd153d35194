"""Hostile and malformed input, API and pages: every case is a 4xx naming the field.

The list is what a prober sent (issue 16): far dates, huge numbers, JSON nested 1,000
deep, a lone surrogate in any text (also signing in, unauthenticated), NUL in notes and
free text. Each answered 500 on SQLite or PostgreSQL before the shared limits
(services/dates/days.py, services/database/storable.py, mobile_api/blueprint.py,
web_admin/request_text.py). One test runs the whole list, on whichever database the
suite runs on.
"""
import json

from flask import g

from backend.extensions import db
from backend.models import Alert, AlertKind, Feedback
from tests import outcome_helpers
from tests.mobile_helpers import event_body, sync_item

FAR = "9999-12-31"
LONE = "\ud800"  # a lone UTF-16 surrogate: json.dumps sends it as the escape "\ud800"
NUL = "a\x00b"
REPORTS = ("hours", "quality", "payment", "payment/visits", "corrections", "actuals.csv")


def deep(levels: int = 1000) -> str:
    return "[" * levels + "]" * levels


def api_cases(w, alert, feedback, goal) -> list[tuple]:
    """(who, method, url, body, field named in error.fields)."""
    visit, person = w.visit, w.person
    correction = {"worker_id": str(w.worker.id), "reason_code": "phone_failure",
                  "resolution_code": "confirmed_by_rota"}
    new_goal = {"domain": "food_and_drink", "baseline": -1}
    visits_page = "/api/v1/reports/payment/visits?from=2026-01-01&to=2026-01-31&page="
    episodes = f"/api/v1/service-users/{person.id}/episodes"
    return [
        *(("commissioner", "GET", f"/api/v1/reports/{r}?from={FAR}&to={FAR}", None, "from")
          for r in REPORTS),
        ("commissioner", "GET", f"/api/v1/reports/hours?period=month&date={FAR}", None, "date"),
        ("commissioner", "GET", "/api/v1/reports/hours?period=week&date=0001-01-01", None,
         "date"),
        ("commissioner", "GET", f"/api/v1/outcomes/measures?from={FAR}&to={FAR}", None, "from"),
        ("commissioner", "GET", f"/api/v1/feedback/satisfaction?start={FAR}", None, "start"),
        ("worker", "GET", f"/api/v1/me/rota?date={FAR}", None, "date"),
        ("manager", "GET", f"/api/v1/alerts?from=0001-01-01&to={FAR}", None, "from"),
        ("manager", "GET", "/api/v1/alerts?offset=999999999999999999999", None, "offset"),
        ("commissioner", "GET", visits_page + "1e20", None, "page"),
        ("commissioner", "GET", visits_page + "999999999999999999999", None, "page"),
        (None, "POST", "/api/v1/auth/sign-in", deep(), "body"),
        ("worker", "POST", f"/api/v1/visits/{visit.id}/check-in", deep(), "body"),
        ("worker", "POST", "/api/v1/sync", '{"events": ' + deep(999) + "}", "body"),
        ("worker", "POST", "/api/v1/sync", '{"events": ' + deep(40) + "}", "events"),
        ("worker", "POST", f"/api/v1/visits/{visit.id}/check-in",
         '{"device_time": ' + "9" * 5000 + "}", "body"),
        (None, "POST", "/api/v1/auth/sign-in", {"username": LONE, "password": "x"}, "username"),
        (None, "POST", "/api/v1/auth/sign-in", {"username": "bob", "password": LONE},
         "password"),
        (None, "POST", "/api/v1/auth/refresh", {"refresh_token": LONE}, "refresh_token"),
        ("worker", "POST", f"/api/v1/visits/{visit.id}/check-in", event_body(device_id=LONE),
         "device_id"),
        ("worker", "POST", f"/api/v1/visits/{visit.id}/check-out", event_body(note=LONE),
         "note"),
        ("panel", "POST", "/api/v1/feedback",
         {"provider_id": str(w.provider.id), "overall": 4, "free_text": LONE}, "free_text"),
        ("panel", "POST", "/api/v1/feedback",
         {"provider_id": str(w.provider.id), "overall": 4, "free_text": NUL}, "free_text"),
        ("panel", "POST", "/api/v1/feedback", {"provider_id": str(w.provider.id),
                                               "overall": 10**30}, "overall"),
        ("manager", "POST", f"/api/v1/alerts/{alert.id}/acknowledge", {"note": LONE}, "note"),
        ("manager", "POST", f"/api/v1/alerts/{alert.id}/acknowledge", {"note": NUL}, "note"),
        ("manager", "POST", f"/api/v1/alerts/{alert.id}/resolve", {"resolution": NUL},
         "resolution"),
        ("manager", "POST", f"/api/v1/visits/{visit.id}/corrections",
         {**correction, "note": NUL}, "note"),
        ("manager", "POST", f"/api/v1/visits/{visit.id}/corrections",
         {**correction, "corrected_start": "9999-12-31T23:59:59-23:00"}, "corrected_start"),
        ("manager", "POST", f"/api/v1/service-users/{person.id}/goals",
         {**new_goal, "description": LONE}, "description"),
        ("manager", "POST", f"/api/v1/service-users/{person.id}/goals",
         {**new_goal, "description": NUL}, "description"),
        ("manager", "POST", f"/api/v1/service-users/{person.id}/goals",
         {**new_goal, "description": "x", "review_date": FAR}, "review_date"),
        ("manager", "PATCH", f"/api/v1/goals/{goal.id}",
         {"status": "achieved", "status_reason": NUL}, "status_reason"),
        ("manager", "POST", episodes, {"package_id": str(w.package.id), "start_date": FAR},
         "start_date"),
        ("manager", "POST", episodes, {"package_id": str(w.package.id),
                                       "start_date": "2026-01-01",
                                       "weekly_minutes_start": 10**30}, "weekly_minutes_start"),
        ("commissioner", "POST", f"/api/v1/feedback/{feedback.id}/moderation",
         {"redacted_text": NUL}, "redacted_text"),
        ("commissioner", "POST", "/api/v1/feedback-links", {"label": NUL}, "label"),
    ]


def page_cases(w, alert, feedback) -> list[tuple]:
    """(who, method, url, form, text the page shows naming the field)."""
    period_error = 'id="from-error"'
    return [
        ("manager", "GET", "/rota?week=0001-01-01", None, "<strong>week</strong>"),
        ("manager", "GET", f"/rota?week={FAR}", None, "<strong>week</strong>"),
        ("manager", "GET", f"/board?date={FAR}", None, "<strong>date</strong>"),
        ("commissioner", "GET", "/payment?from=9999-12-30&to=9999-12-31", None, period_error),
        ("commissioner", "GET", "/payment/visits.csv?from=9999-12-30&to=9999-12-31", None,
         "<strong>from</strong>"),
        ("commissioner", "GET", f"/overview?from={FAR}&to={FAR}", None, period_error),
        ("commissioner", "GET", f"/overview/hours.csv?from={FAR}&to={FAR}", None,
         "<strong>from</strong>"),
        ("commissioner", "GET", f"/outcomes?from={FAR}&to={FAR}", None, period_error),
        ("commissioner", "GET", f"/feedback/satisfaction?start=0001-01-01&end={FAR}", None,
         "<strong>start</strong>"),
        ("commissioner", "GET", f"/overview/providers/{w.provider.id}?from={FAR}&to={FAR}",
         None, period_error),
        ("manager", "GET", "/alerts?status=%00", None, "<strong>status</strong>"),
        (None, "POST", "/login", {"username": NUL, "password": "x"}, "<strong>username</strong>"),
        ("manager", "POST", f"/alerts/{alert.id}/acknowledge", {"note": NUL},
         "<strong>note</strong>"),
        ("manager", "POST", f"/visits/{w.visit.id}/corrections",
         {"worker_id": str(w.worker.id), "reason_code": "phone_failure",
          "resolution_code": "confirmed_by_rota", "corrected_start": "10:00", "note": NUL},
         "<strong>note</strong>"),
        ("panel", "POST", "/feedback/new",
         {"provider_id": str(w.provider.id), "overall": "4", "free_text": NUL},
         "<strong>free_text</strong>"),
        ("commissioner", "POST", f"/feedback/{feedback.id}", {"redacted_text": NUL},
         "<strong>redacted_text</strong>"),
        ("commissioner", "POST", "/feedback/links", {"label": NUL}, "<strong>label</strong>"),
    ]


def test_every_malformed_input_is_a_4xx_naming_the_field(app, client, make, bearer):
    w = make.world()
    alert = Alert(visit_id=w.visit.id, kind=AlertKind.LATE)
    feedback = Feedback(provider_id=w.provider.id, overall=4)
    db.session.add_all([alert, feedback])
    goal = outcome_helpers.goal(w.person, package=w.package)
    make.commit()
    users = {"worker": w.worker, "manager": w.manager, "commissioner": w.commissioner,
             "panel": w.panel}
    wrong = []

    for who, method, url, body, field in api_cases(w, alert, feedback, goal):
        data = body if isinstance(body, str) else json.dumps(body)
        response = client.open(url, method=method, data=None if body is None else data,
                               content_type="application/json",
                               headers=bearer(users[who]) if who else {})
        error = (response.get_json(silent=True) or {}).get("error", {})
        if not (400 <= response.status_code < 500 and field in error.get("fields", {})):
            wrong.append((method, url, response.status_code, response.get_data(as_text=True)))

    signed_in = {}
    for who, method, url, form, shown in page_cases(w, alert, feedback):
        if who not in signed_in:
            signed_in[who] = app.test_client()
            if who:
                signed_in[who].post("/login", data={"username": users[who].username,
                                                    "password": make.PASSWORD})
        g.pop("user", None)  # the suite's app context outlives each request
        response = signed_in[who].open(url, method=method, data=form)
        g.pop("user", None)
        page = response.get_data(as_text=True)
        if not (400 <= response.status_code < 500 and shown in page):
            wrong.append((method, url, response.status_code, page[-300:]))

    assert wrong == []


def test_one_bad_text_in_a_sync_batch_rejects_only_its_event(client, make, bearer):
    w = make.world()
    make.commit()
    from backend.services.dates import clock

    now = clock.now()
    good = sync_item("check_in", w.visit, now)
    bad = sync_item("check_in", w.colleague_visit, now, note=LONE)
    response = client.post("/api/v1/sync", headers=bearer(w.worker),
                           data=json.dumps({"events": [good, bad]}),
                           content_type="application/json")
    assert response.status_code == 200, response.get_json()
    results = {r["client_event_id"]: r for r in response.get_json()["results"]}
    assert results[good["client_event_id"]]["result"] == "accepted"
    assert results[bad["client_event_id"]]["result"] == "rejected"


def test_dates_within_the_calendar_still_work(client, make, bearer):
    w = make.world()
    make.commit()
    for day in ("1900-01-01", "2999-12-31"):
        response = client.get(f"/api/v1/me/rota?date={day}", headers=bearer(w.worker))
        assert response.status_code == 200, response.get_json()


def test_every_api_blueprint_applies_the_limits(app):
    """A new API module must use mobile_api.blueprint.Blueprint, or its fields go unchecked."""
    import flask_smorest

    from mobile_api.blueprint import Blueprint

    api_blueprints = [bp for bp in app.blueprints.values()
                      if isinstance(bp, flask_smorest.Blueprint)]
    assert len(api_blueprints) >= 14
    assert [bp.name for bp in api_blueprints if not isinstance(bp, Blueprint)] == []
