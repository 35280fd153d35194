"""The providers page: framework status with its history; the funder changes it with a reason."""
from backend.extensions import db
from backend.models import FrameworkStatus


def _field(provider, name):
    return f"p{provider.id.hex}-{name}"


def test_lists_funded_providers_and_changes_status_with_history(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get("/providers").get_data(as_text=True)
    assert w.provider.name in page and w.other_provider.name not in page
    assert "No changes recorded." in page and f'id="{_field(w.provider, "reason")}"' in page
    response = client.post(f"/providers/{w.provider.id}/status", data={
        _field(w.provider, "status"): "suspended",
        _field(w.provider, "reason"): "CQC rating inadequate"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "status changed" in page
    assert "CQC rating inadequate" in page and w.commissioner.display_name in page
    db.session.expire_all()
    assert w.provider.framework_status == FrameworkStatus.SUSPENDED
    client.post(f"/providers/{w.provider.id}/status", data={
        _field(w.provider, "status"): "accredited",
        _field(w.provider, "reason"): "Re-inspected: good"})
    page = client.get("/providers").get_data(as_text=True)
    assert page.index("Re-inspected: good") < page.index("CQC rating inadequate")  # newest first


def test_missing_reason_keeps_the_choice_and_says_so_by_the_field(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    response = client.post(f"/providers/{w.provider.id}/status", data={
        _field(w.provider, "status"): "removed", _field(w.provider, "reason"): ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{_field(w.provider, "reason")}-error"' in page
    assert "Give a reason for the change." in page
    assert '<option selected value="removed">' in page
    response = client.post(f"/providers/{w.provider.id}/status", data={
        _field(w.provider, "status"): "accredited",
        _field(w.provider, "reason"): "Typed reason stays"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already accredited" in page and f'id="{_field(w.provider, "status")}-error"' in page
    assert "Typed reason stays" in page
    db.session.expire_all()
    assert w.provider.framework_status == FrameworkStatus.ACCREDITED


def test_foreign_provider_is_not_found(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    data = {_field(w.other_provider, "status"): "removed",
            _field(w.other_provider, "reason"): "not ours"}
    assert client.post(f"/providers/{w.other_provider.id}/status", data=data).status_code == 404
    db.session.expire_all()
    assert w.other_provider.framework_status == FrameworkStatus.ACCREDITED


def test_managers_get_no_providers_page_and_cannot_change_status(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get("/providers").status_code == 404
    data = {_field(w.provider, "status"): "removed", _field(w.provider, "reason"): "mine"}
    assert client.post(f"/providers/{w.provider.id}/status", data=data).status_code == 404
    db.session.expire_all()
    assert w.provider.framework_status == FrameworkStatus.ACCREDITED


def test_admin_may_change_any_provider(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.admin.username)
    page = client.get("/providers").get_data(as_text=True)
    assert w.provider.name in page and w.other_provider.name in page
    response = client.post(f"/providers/{w.other_provider.id}/status", data={
        _field(w.other_provider, "status"): "removed",
        _field(w.other_provider, "reason"): "Contract ended"})
    assert response.status_code == 302
