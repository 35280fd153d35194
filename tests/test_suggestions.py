"""Reassign's suggestions: only workers free, trained, working and not on leave; ranked by
extra travel, continuity and hours left; each with why."""
from datetime import date, time, timedelta

import pytest

from backend.errors import NotFound
from backend.extensions import db
from backend.models import CarerAvailability, CarerLeave, CarerSkill, Role, Visit
from backend.services.rota.suggestions import suggest_carers
from tests.factories import HOME
from tests.monitoring_helpers import utc

TUESDAY = utc(2026, 11, 24, 10, 0)  # GMT: local time is UTC


@pytest.fixture
def s(make):
    w = make.world()
    package = make.package(w.person, contract=w.contract, schedule=[(1, "10:00", 30)])
    package.schedule[0].required_skills = ["medication"]
    w.target = make.visit(package, TUESDAY, 30, schedule_line_id=package.schedule[0].id)
    near = make.service_user(home_lat=HOME[0] + 0.009, home_lon=HOME[1])  # 1 km
    far = make.service_user(home_lat=HOME[0] + 0.09, home_lon=HOME[1])  # 10 km
    w.near_package = make.package(near, contract=w.contract)
    w.far_package = make.package(far, contract=w.contract)
    w.carers = {}
    for name in ("close", "distant", "busy", "away", "untrained", "regular", "evenings"):
        carer = make.user(Role.CARE_WORKER, w.provider, display_name=f"Sam {name}",
                          staff_ref=f"CW-{name}")
        if name != "untrained":
            db.session.add(CarerSkill(worker_id=carer.id, skill="medication"))
        w.carers[name] = carer
    db.session.flush()
    c = w.carers
    make.visit(w.near_package, TUESDAY - timedelta(minutes=60), 30, workers=[c["close"]])
    make.visit(w.far_package, TUESDAY - timedelta(minutes=120), 30, workers=[c["distant"]])
    make.visit(make.package(w.far_package.service_user, contract=w.contract),
               TUESDAY - timedelta(minutes=120), 30, workers=[c["regular"]])
    make.visit(w.near_package, TUESDAY + timedelta(minutes=15), 30, workers=[c["busy"]])
    for weeks_ago in (1, 2, 3):  # the regular has seen the person every week
        make.visit(w.package, TUESDAY - timedelta(weeks=weeks_ago), 30, workers=[c["regular"]])
    db.session.add(CarerLeave(worker_id=c["away"].id, start_date=date(2026, 11, 23),
                              end_date=date(2026, 11, 27)))
    db.session.add(CarerAvailability(worker_id=c["evenings"].id, weekday=1,
                                     start_time=time(16), end_time=time(22)))
    c["distant"].max_weekly_minutes = 600
    db.session.flush()
    return w


def names(found):
    return [f.worker.display_name.removeprefix("Sam ") for f in found]


def test_only_free_trained_working_carers_ranked_by_travel_and_continuity(s):
    found = suggest_carers(s.manager, s.target.id, limit=20)
    ranked = [n for n in names(found) if n.startswith(("close", "distant", "regular"))]
    # The regular comes 10 km too, like the distant carer, but the person knows them:
    # continuity is worth KNOWN_WORTH_MIN (35) minutes and more, so they come first.
    assert ranked == ["regular", "close", "distant"]
    assert not {"busy", "away", "untrained", "evenings"} & set(names(found))
    by_name = dict(zip(names(found), found, strict=True))
    close, regular, distant = by_name["close"], by_name["regular"], by_name["distant"]
    assert close.extra_travel_min == 4 and regular.extra_travel_min == 31  # 1 km, 10 km
    assert regular.known_visits == 3 and distant.known_visits == 0
    assert any("has visited" in r and "3 times" in r for r in regular.reasons)
    assert "+4 min travel after the 09:00 visit" in close.reasons
    assert "trained: medication" in close.reasons
    assert distant.minutes_left_week == 600 - 60
    assert "9 h 00 left this week after this" in distant.reasons
    assert distant.detail == "CW-distant"


def test_warnings_rank_below_and_foreign_visits_are_not_found(s, make):
    # A 5-minute gap before a 10 km trip: offered, with the warning, after the rest.
    make.visit(s.far_package, TUESDAY + timedelta(minutes=35), 30, workers=[s.carers["close"]])
    found = suggest_carers(s.manager, s.target.id, limit=20)
    assert names(found)[-1] == "close"  # below the distant carer without a warning
    assert [p.code for p in found[-1].warnings] == ["travel_time"]
    with pytest.raises(NotFound):
        suggest_carers(s.manager, s.other_visit.id)
    with pytest.raises(NotFound):
        suggest_carers(s.other_manager, s.target.id)


def test_reassign_page_offers_the_suggestion_and_saves_it(s, make, client, auth):
    make.commit()
    auth.login(s.manager.username)
    url = f"/visits/{s.target.id}/reassign"
    page = client.get(url).get_data(as_text=True)
    assert "Suggested care workers" in page and "Sam close" in page
    assert page.index("Sam close") < page.index("Sam distant")
    assert "Sam busy" not in page.split("Suggested care workers")[1].split("</table>")[0]
    chosen = client.get(f"{url}?worker_id={s.carers['close'].id}&replacing_id=")
    assert "No problems found" in chosen.get_data(as_text=True)
    client.post(url, data={"worker_id": str(s.carers["close"].id), "replacing_id": ""})
    db.session.expire_all()
    assert [a.worker_id for a in db.session.get(Visit, s.target.id).assignments] == [
        s.carers["close"].id]
