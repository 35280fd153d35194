"""Roll last week forward: the same calls get last week's carers where the checks allow,
and what is left says why."""
from datetime import date, time, timedelta

from backend.extensions import db
from backend.models import CarerLeave, Role, Visit
from backend.services.dates import clock
from backend.services.rota.roll_forward import roll_forward

MONDAY = date(2026, 11, 23)


def at(make, package, day, hour, **kw):
    return make.visit(package, start=clock.local_to_utc(day, time(hour)), minutes=30, **kw)


def test_last_weeks_carers_are_copied_where_free_and_the_rest_is_listed(make, client, auth):
    w = make.world()
    away = make.user(Role.CARE_WORKER, w.provider, display_name="Away Carer")
    second = make.package(make.service_user(), contract=w.contract)
    third = make.package(make.service_user(), contract=w.contract)
    fourth = make.package(make.service_user(), contract=w.contract)
    last = MONDAY - timedelta(days=7)
    at(make, w.package, last, 9, workers=[w.worker])
    at(make, second, last + timedelta(days=1), 10, workers=[away])
    at(make, third, last + timedelta(days=2), 11, workers=[w.worker, w.other_worker],
       carers_required=2)
    copied = at(make, w.package, MONDAY, 9)
    blocked = at(make, second, MONDAY + timedelta(days=1), 10)
    double = at(make, third, MONDAY + timedelta(days=2), 11, carers_required=2,
                workers=[w.other_worker])
    new = at(make, fourth, MONDAY + timedelta(days=3), 12)
    db.session.add(CarerLeave(worker_id=away.id, start_date=MONDAY, end_date=MONDAY
                              + timedelta(days=6)))
    db.session.flush()
    result = roll_forward(w.manager, MONDAY + timedelta(days=3))
    assert result.copied == 2
    assert {a.worker_id for a in db.session.get(Visit, copied.id).assignments} == {w.worker.id}
    assert {a.worker_id for a in db.session.get(Visit, double.id).assignments} == {
        w.worker.id, w.other_worker.id}
    left = {v.id: (worker, why) for v, worker, why in result.left}
    assert left[blocked.id][0] == away and "leave" in left[blocked.id][1]
    assert left[new.id] == (None, "nobody had this call last week")
    assert roll_forward(w.manager, MONDAY).copied == 0  # a second run adds nothing


def test_roll_forward_from_the_rota_page(make, client, auth):
    w = make.world()
    at(make, w.package, MONDAY - timedelta(days=7), 9, workers=[w.worker])
    visit = at(make, w.package, MONDAY, 9)
    make.commit()
    auth.login(w.manager.username)
    page = client.post("/rota/roll-forward", data={"date": MONDAY.isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "1 carer copied from last week" in page
    db.session.expire_all()
    assert [a.worker_id for a in db.session.get(Visit, visit.id).assignments] == [w.worker.id]
    assert client.post("/rota/roll-forward", data={"date": "soon"}).status_code == 303
