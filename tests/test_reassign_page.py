"""Reassigning a visit from the manager's pages: checks shown before saving, rota changes."""
from datetime import timedelta

from backend.extensions import db
from backend.models import Visit
from backend.services.dates import clock


def test_reassign_previews_then_saves_and_rota_changes(make, client, auth):
    w = make.world()
    later = make.visit(w.package, start=clock.now().replace(microsecond=0) + timedelta(days=1),
                       workers=[w.worker])
    make.commit()
    auth.login(w.manager.username)
    url = f"/visits/{later.id}/reassign"
    preview = client.get(f"{url}?worker_id={w.other_worker.id}&replacing_id={w.worker.id}")
    assert preview.status_code == 200 and "Checks" in preview.get_data(as_text=True)
    saved = client.post(url, data={"worker_id": str(w.other_worker.id),
                                   "replacing_id": str(w.worker.id)}, follow_redirects=True)
    assert "Assignment saved" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert [a.worker_id for a in db.session.get(Visit, later.id).assignments] == [
        w.other_worker.id]


def test_double_booking_is_refused_and_not_saved(make, client, auth):
    w = make.world()
    start = clock.now().replace(microsecond=0) + timedelta(days=1)
    make.visit(w.package, start=start, workers=[w.other_worker])
    target = make.visit(make.package(make.service_user(), contract=w.contract), start=start,
                        workers=[w.worker])
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/visits/{target.id}/reassign", data={
        "worker_id": str(w.other_worker.id), "replacing_id": str(w.worker.id)})
    assert response.status_code == 422
    assert "refused" in response.get_data(as_text=True).lower()
    db.session.expire_all()
    assert [a.worker_id for a in db.session.get(Visit, target.id).assignments] == [w.worker.id]


def test_foreign_worker_or_visit_not_found(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get(f"/visits/{w.other_visit.id}/reassign").status_code == 404
    response = client.post(f"/visits/{w.visit.id}/reassign",
                           data={"worker_id": str(w.foreign_worker.id)})
    assert response.status_code == 404
