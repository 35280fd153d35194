"""Who sees what of feedback, on pages and through the API."""
import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Feedback, Role
from backend.services.feedback.submission import submit_feedback
from backend.services.feedback.reading import list_feedback, present
from backend.services.feedback.safety import moderate_feedback
from tests.feedback_helpers import answers

SECRET = "Mrs Jones at 4 Elm Road says the carers are rushed."


@pytest.fixture
def county(make):
    """A named, an anonymous and an unmoderated response about the council's provider, and one
    response by another panel member about the NHS-funded provider."""
    w = make.world()
    w.named = submit_feedback(w.panel, answers(w.provider, free_text=SECRET)).feedback
    w.anonymous = submit_feedback(w.panel, answers(w.provider, anonymous=True, overall=2,
                                                    free_text="Anonymous words.")).feedback
    moderate_feedback(w.commissioner, w.named.id, "[name] at [address] says the carers are rushed.")
    moderate_feedback(w.commissioner, w.anonymous.id, "Anonymous words.")
    third = make.provider(name="Third Care")
    make.contract(funder=w.council, provider=third)
    w.unmoderated = submit_feedback(w.panel, answers(third)).feedback
    nhs_panel = make.user(Role.PANEL_MEMBER, w.nhs)
    w.foreign = submit_feedback(nhs_panel, answers(w.other_provider)).feedback
    make.commit()
    return w


def _ids(user):
    return {f.id for f in list_feedback(user)}


def test_access_matrix(county):
    w = county
    assert _ids(w.panel) == {w.named.id, w.unmoderated.id}  # anonymous: not linked to them
    assert _ids(w.manager) == {w.named.id, w.anonymous.id}  # moderated, own provider only
    assert _ids(w.other_manager) == set()                      # foreign not yet moderated
    assert _ids(w.commissioner) == {w.named.id, w.anonymous.id, w.unmoderated.id}
    assert _ids(w.nhs_commissioner) == {w.foreign.id}
    assert _ids(w.worker) == set()
    assert len(_ids(w.admin)) == 4


def test_manager_never_sees_who_sent_it_nor_the_original_words(county):
    w = county
    for feedback in (w.named, w.anonymous):
        view = present(w.manager, feedback)
        assert SECRET not in str(view) and "Mrs Jones" not in str(view)
        assert not {"submitted_by_name", "anonymous", "reference", "contact_details",
                    "redacted_text"} & set(view)
    assert present(w.manager, w.named)["text"].startswith("[name] at [address]")


def test_commissioner_sees_original_and_sender(county):
    w = county
    view = present(w.commissioner, w.named)
    assert view["text"] == SECRET and view["submitted_by_name"] == w.panel.display_name
    assert present(w.commissioner, w.anonymous)["submitted_by_name"] is None


def test_api_list_follows_the_matrix(county, client, bearer):
    w = county
    manager = client.get("/api/v1/feedback", headers=bearer(w.manager))
    assert manager.status_code == 200 and len(manager.json) == 2
    assert SECRET not in manager.get_data(as_text=True)
    assert w.panel.display_name not in manager.get_data(as_text=True)
    assert "submitted_by_name" not in manager.json[0]
    mine = client.get("/api/v1/feedback", headers=bearer(w.panel))
    assert {f["id"] for f in mine.json} == {str(w.named.id), str(w.unmoderated.id)}
    assert client.get("/api/v1/feedback", headers=bearer(w.worker)).status_code == 403


def test_foreign_and_unknown_feedback_answer_404(county, client, bearer):
    w = county
    for user, feedback in ((w.nhs_commissioner, w.named), (w.manager, w.unmoderated),
                           (w.other_manager, w.named), (w.commissioner, w.foreign)):
        got = client.get(f"/api/v1/feedback/{feedback.id}", headers=bearer(user))
        assert got.status_code == 404
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/api/v1/feedback/{unknown}",
                      headers=bearer(w.commissioner)).status_code == 404
    denied = client.post(f"/api/v1/feedback/{w.foreign.id}/moderation", json={"redacted_text": "x"},
                         headers=bearer(w.commissioner))
    assert denied.status_code == 404


def test_manager_page_shows_redacted_text_only(county, client, auth):
    w = county
    auth.login(w.manager.username)
    listing = client.get("/feedback/").get_data(as_text=True)
    detail = client.get(f"/feedback/{w.named.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "[name] at [address]" in text
    for page in (listing, text):
        assert "Mrs Jones" not in page and w.panel.display_name not in page
        assert "Sent by" not in page and w.named.reference not in page
    assert client.get(f"/feedback/{w.unmoderated.id}").status_code == 404
    assert client.get("/feedback/satisfaction").status_code == 404


def test_commissioner_moderates_on_the_page(county, client, auth):
    w = county
    auth.login(w.commissioner.username)
    page = client.get(f"/feedback/{w.unmoderated.id}")
    assert page.status_code == 200
    assert "does not see this response yet" in page.get_data(as_text=True)
    saved = client.post(f"/feedback/{w.unmoderated.id}", data={"redacted_text": "Fine."})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Feedback, w.unmoderated.id).redacted_text == "Fine."


def test_panel_member_sees_own_feedback_page(county, client, auth):
    w = county
    auth.login(w.panel.username)
    page = client.get("/feedback/mine").get_data(as_text=True)
    assert w.named.reference in page and w.unmoderated.reference in page
    assert w.anonymous.reference not in page
    assert client.get("/feedback/").status_code == 404
    assert client.get(f"/feedback/{w.anonymous.id}").status_code == 404


def test_commissioner_sees_satisfaction_page_with_counts(county, client, auth):
    w = county
    auth.login(w.commissioner.username)
    page = client.get("/feedback/satisfaction")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "60.1%" in text and "Too few responses" in text
    # Found from the menu's Feedback entry, whose pages carry tabs to satisfaction.
    assert 'href="/feedback/"' in client.get("/").get_data(as_text=True)
    assert 'href="/feedback/satisfaction"' in client.get("/feedback/").get_data(as_text=True)
    saved = client.post("/feedback/satisfaction", data={"baseline_pct": "70", "min_responses": "1"})
    assert saved.status_code == 302
    text = client.get("/feedback/satisfaction").get_data(as_text=True)
    assert "70%" in text and "Caring Hands" in text
    bad = client.post("/feedback/satisfaction", data={"baseline_pct": "lots", "min_responses": "1"})
    assert bad.status_code == 422 and "between 0 and 100" in bad.get_data(as_text=True)


def test_api_satisfaction(county, client, bearer):
    w = county
    got = client.get("/api/v1/feedback/satisfaction", headers=bearer(w.commissioner))
    assert got.status_code == 200 and got.json["baseline_pct"] == 60.1
    assert {p["provider_name"] for p in got.json["too_few"]} == {"Caring Hands", "Third Care"}
    assert all(p["verdict"] == "too_few" for p in got.json["too_few"])
    assert client.get("/api/v1/feedback/satisfaction",
                      headers=bearer(w.manager)).status_code == 403


def test_no_row_links_the_anonymous_response_to_anyone(county):
    rows = db.session.execute(sa.text(
        "SELECT submitted_by_id, service_user_id, contact_details FROM feedback "
        "WHERE reference = :ref"), {"ref": county.anonymous.reference}).one()
    assert tuple(rows) == (None, None, None)
