"""The panel member's feedback form and the JSON endpoint."""
import re

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Feedback, Notification
from tests.feedback_helpers import answers


def _form(provider, **overrides) -> dict:
    return {k: ("y" if v is True else v) for k, v in answers(provider, **overrides).items()
            if v is not False and v is not None}


def _signed_in_panel(make, auth):
    w = make.world()
    make.commit()
    auth.login(w.panel.username)
    return w


def test_form_has_a_label_for_every_field_and_fieldsets_for_ratings(make, client, auth):
    w = _signed_in_panel(make, auth)
    html = client.get("/feedback/new").get_data(as_text=True)
    assert "Caring Hands" in html and "Elsewhere Care" not in html  # only the council's providers
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and ids <= labelled
    assert html.count("<fieldset class=\"rating\"") == 6 and html.count("<legend>") >= 6
    assert "Up to 5,000 characters" in html
    assert w.provider.name in html


def test_panel_member_submits_and_sees_a_reference(make, client, auth):
    w = _signed_in_panel(make, auth)
    response = client.post("/feedback/new", data=_form(w.provider), follow_redirects=True)
    text = response.get_data(as_text=True)
    row = db.session.scalar(sa.select(Feedback))
    assert "your feedback has been received" in text and row.reference in text
    assert row.submitted_by_id == w.panel.id


def test_second_submission_says_it_updated(make, client, auth):
    w = _signed_in_panel(make, auth)
    client.post("/feedback/new", data=_form(w.provider))
    again = client.post("/feedback/new", data=_form(w.provider, overall="1"), follow_redirects=True)
    assert "updated that response" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1


def test_errors_are_summarised_at_the_top_and_next_to_each_field(make, client, auth):
    _signed_in_panel(make, auth)
    page = client.post("/feedback/new", data={"free_text": "Kept"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "There is a problem" in html
    assert 'href="#provider_id"' in html and 'href="#overall"' in html
    assert 'id="overall-error"' in html and 'id="provider_id-error"' in html
    form_start = html.index('<form method="post" action="/feedback/new"')
    assert html.index("There is a problem") < form_start
    assert ">Kept</textarea>" in html


def test_oversized_text_shows_the_limit_and_keeps_the_text(make, client, auth):
    w = _signed_in_panel(make, auth)
    long_text = "The carers were lovely. " * 220  # 5,280 characters
    page = client.post("/feedback/new", data=_form(w.provider, free_text=long_text))
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "the limit is 5,000" in html
    assert long_text.strip() in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0


def test_anonymous_page_submission_is_not_listed_as_mine(make, client, auth):
    w = _signed_in_panel(make, auth)
    client.post("/feedback/new", data=_form(w.provider, anonymous=True))
    row = db.session.scalar(sa.select(Feedback))
    assert row.submitted_by_id is None
    assert row.reference not in client.get("/feedback/mine").get_data(as_text=True)


def test_other_roles_have_no_form(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get("/feedback/new").status_code == 404


def test_api_submission_with_safeguarding_tick(make, client, bearer):
    w = make.world()
    make.commit()
    response = client.post("/api/v1/feedback", json=answers(w.provider, worried=True),
                           headers=bearer(w.panel))
    assert response.status_code == 201 and response.json["updated"] is False
    assert db.session.scalar(sa.select(Feedback.safeguarding))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    again = client.post("/api/v1/feedback", json=answers(w.provider), headers=bearer(w.panel))
    assert again.status_code == 201 and again.json["updated"] is True


def test_api_bad_input_gets_the_error_shape(make, client, bearer):
    w = make.world()
    make.commit()
    too_long = client.post("/api/v1/feedback", json=answers(w.provider, free_text="x" * 6000),
                           headers=bearer(w.panel))
    assert too_long.status_code == 422
    assert "5,000" in too_long.json["error"]["fields"]["free_text"][0]
    missing = client.post("/api/v1/feedback", json={"provider_id": str(w.provider.id)},
                          headers=bearer(w.panel))
    assert missing.status_code == 422 and "overall" in missing.json["error"]["fields"]
    assert client.post("/api/v1/feedback", json=answers(w.provider)).status_code == 401
    assert client.post("/api/v1/feedback", json=answers(w.provider),
                       headers=bearer(w.manager)).status_code == 403
