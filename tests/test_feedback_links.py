"""One-time feedback links: used once, expire, refuse tampering; pages and API; rate limits."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.app import create_app
from backend.errors import Forbidden, Invalid, NotFound
from backend.extensions import db, limiter
from backend.models import Feedback, FeedbackLink
from backend.services.dates import clock
from backend.services.feedback.submission import submit_via_link
from backend.services.feedback.links import (
    CODE_ALPHABET,
    LinkUnusable,
    code_hash,
    find_link,
    issue_link,
    sign_code,
    spend_link,
)
from tests.feedback_helpers import answers


def _count(model=Feedback) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_issued_code_is_short_unambiguous_and_stored_only_hashed(make):
    w = make.world()
    issued = issue_link(w.commissioner, w.provider.id)
    assert len(issued.code) == 8 and set(issued.code) <= set(CODE_ALPHABET)
    assert not set("0O1IL5S2Z") & set(CODE_ALPHABET)
    raw = db.session.execute(sa.text("SELECT token_hash FROM feedback_links")).scalar_one()
    assert raw == code_hash(issued.code) and issued.code not in raw
    assert issued.link.expires_at - clock.now() > timedelta(days=27)


def test_only_commissioners_issue_and_only_for_their_providers(make):
    w = make.world()
    with pytest.raises(Forbidden):
        issue_link(w.panel)
    with pytest.raises(Invalid):
        issue_link(w.commissioner, w.other_provider.id)
    with pytest.raises(Invalid):
        issue_link(w.commissioner, valid_days=0)


def test_link_works_once_and_stores_an_anonymous_response(make):
    w = make.world()
    issued = issue_link(w.commissioner, w.provider.id)
    result = submit_via_link(issued.token, answers(w.other_provider))  # provider fixed by link
    assert result.feedback.provider_id == w.provider.id
    assert result.feedback.submitted_by_id is None and result.feedback.anonymous
    assert issued.link.used_at is not None
    with pytest.raises(LinkUnusable) as err:
        submit_via_link(issued.token, answers(w.provider))
    assert err.value.code == "link_used" and _count() == 1


def test_spending_twice_fails_even_with_a_stale_object(make):
    w = make.world()
    issued = issue_link(w.commissioner)
    stale = find_link(issued.code)
    spend_link(find_link(issued.code))
    with pytest.raises(LinkUnusable):
        spend_link(stale)  # a simultaneous second use: the guarded UPDATE matches no row


def test_typed_code_works_with_spaces_hyphen_and_lower_case(make):
    w = make.world()
    issued = issue_link(w.commissioner)
    typed = f" {issued.code[:4].lower()}-{issued.code[4:]} "
    assert find_link(typed).id == issued.link.id
    assert submit_via_link(typed, answers(w.provider)).feedback.provider_id == w.provider.id


def test_expired_link_stores_nothing(make):
    w = make.world()
    issued = issue_link(w.commissioner, valid_days=1)
    with pytest.raises(LinkUnusable) as err:
        submit_via_link(issued.token, answers(w.provider), now=clock.now() + timedelta(days=2))
    assert err.value.code == "link_expired" and _count() == 0
    assert issued.link.used_at is None


def test_tampered_token_is_refused(make):
    w = make.world()
    issued = issue_link(w.commissioner)
    payload, _, signature = issued.token.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    other = "".join(reversed(issued.code))
    for token in (forged, sign_code(other).split(".")[0] + "." + signature, "nonsense.token"):
        with pytest.raises(NotFound):
            submit_via_link(token, answers(w.provider))
    assert _count() == 0


def test_invalid_answers_leave_the_link_unspent(make):
    w = make.world()
    issued = issue_link(w.commissioner)
    with pytest.raises(Invalid):
        submit_via_link(issued.token, answers(w.provider, overall=None))
    assert issued.link.used_at is None


def test_link_for_any_provider_is_limited_to_the_commissioners(make):
    w = make.world()
    issued = issue_link(w.commissioner)
    with pytest.raises(Invalid) as err:
        submit_via_link(issued.token, answers(w.other_provider))
    assert "provider_id" in err.value.fields


# --- pages ---------------------------------------------------------------------------------

def _form(provider, **overrides) -> dict:
    data = {k: ("y" if v is True else v) for k, v in answers(provider, **overrides).items()
            if v is not False and v is not None}
    return data


def test_link_page_submits_once_then_says_it_was_used(make, client):
    w = make.world()
    issued = issue_link(w.commissioner, w.provider.id)
    make.commit()
    url = f"/feedback/link/{issued.token}"
    page = client.get(url)
    assert page.status_code == 200 and "Caring Hands" in page.get_data(as_text=True)
    done = client.post(url, data=_form(w.provider), follow_redirects=True)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "your feedback has been received" in body
    reference = db.session.scalar(sa.select(Feedback.reference))
    assert reference in body
    again = client.post(url, data=_form(w.provider))
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert _count() == 1


def test_tampered_and_expired_links_get_a_friendly_page(make, client):
    w = make.world()
    issued = issue_link(w.commissioner, valid_days=1, now=clock.now() - timedelta(days=2))
    make.commit()
    expired = client.get(f"/feedback/link/{issued.token}")
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    tampered = client.post(f"/feedback/link/{issued.token}x", data=_form(w.provider))
    text = tampered.get_data(as_text=True)
    assert tampered.status_code == 404 and "cannot be used" in text and "Traceback" not in text
    assert _count() == 0


def test_code_page_leads_to_the_form(make, client):
    w = make.world()
    issued = issue_link(w.commissioner)
    make.commit()
    wrong = client.post("/feedback/code", data={"code": "ABCD-EFGH"})
    assert wrong.status_code == 404 and "do not recognise" in wrong.get_data(as_text=True)
    ok = client.post("/feedback/code", data={"code": issued.display_code})
    assert ok.status_code == 302 and ok.headers["Location"].startswith("/feedback/link/")


def test_commissioner_issues_a_link_on_the_page(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    page = client.post("/feedback/links", data={"provider_id": str(w.provider.id),
                                                "valid_days": "14", "label": "Mrs B"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "New feedback link" in body and "/feedback/link/" in body
    assert '<svg' in body and "QR code of the feedback link" in body
    assert db.session.scalar(sa.select(FeedbackLink.label)) == "Mrs B"


# --- API -----------------------------------------------------------------------------------

def test_api_redeems_a_code_once(make, client):
    w = make.world()
    issued = issue_link(w.commissioner)
    make.commit()
    url = f"/api/v1/feedback-links/{issued.code}/responses"
    first = client.post(url, json=answers(w.provider))
    assert first.status_code == 201 and first.json["reference"].startswith("FB-")
    second = client.post(url, json=answers(w.provider))
    assert second.status_code == 410 and second.json["error"]["code"] == "link_used"
    bad = client.post("/api/v1/feedback-links/ZZZZZZZZ/responses", json=answers(w.provider))
    assert bad.status_code == 404 and bad.json["error"]["code"] == "link_invalid"
    assert _count() == 1


def test_api_issues_links_for_commissioners_only(make, client, bearer):
    w = make.world()
    make.commit()
    ok = client.post("/api/v1/feedback-links", json={"provider_id": str(w.provider.id)},
                     headers=bearer(w.commissioner))
    assert ok.status_code == 201 and len(ok.json["code"]) == 9
    assert "/feedback/link/" in ok.json["url"]
    assert client.post("/api/v1/feedback-links", json={},
                       headers=bearer(w.panel)).status_code == 403


@pytest.fixture
def limited_client(app):
    """A fresh app on the same database with rate limiting switched on."""
    fresh = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                        "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                        "RATELIMIT_STORAGE_URI": "memory://"})
    yield fresh.test_client()
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()
    limiter.init_app(app)  # the limiter is a singleton: switch it off again for the suite


def test_link_redemption_is_rate_limited(make, limited_client):
    make.world()
    make.commit()
    statuses = [limited_client.post("/feedback/code", data={"code": f"AAAA{i:04d}"}).status_code
                for i in range(10)]
    assert set(statuses) == {404}
    assert limited_client.post("/feedback/code", data={"code": "AAAAAAAA"}).status_code == 429
    # The API shares the same budget: guessing there is no way round it.
    api = limited_client.post("/api/v1/feedback-links/AAAAAAAA/responses", json={"overall": 3})
    assert api.status_code == 429 and api.json["error"]["code"] == "too_many_requests"


def test_rate_limit_is_off_again_for_the_rest_of_the_suite(make, client):
    assert not limiter.enabled
    statuses = {client.post("/feedback/code", data={"code": "AAAAAAAA"}).status_code
                for _ in range(12)}
    assert statuses == {404}


def test_issued_links_are_listed_only_to_their_commissioner(make):
    from backend.services.feedback.links import links_issued_by

    w = make.world()
    issued = issue_link(w.commissioner)
    assert [link.id for link in links_issued_by(w.commissioner)] == [issued.link.id]
    assert links_issued_by(w.nhs_commissioner) == []
    assert links_issued_by(w.panel) == [] and links_issued_by(w.manager) == []
