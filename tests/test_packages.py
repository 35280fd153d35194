"""Creating people, contracts and packages: bad input named at the service layer."""
from datetime import date, time

import pytest

from backend.errors import Conflict, Invalid
from backend.models import Priority
from backend.services.reference.packages import (
    CallLine, create_contract, create_package, set_schedule,
)
from backend.services.reference.people import create_service_user

PERSON = dict(council_ref="C1", first_name="Ada", last_name="Jones", address="1 Mill Lane",
              postcode="nn2 6aa", home_lat=52.25, home_lon=-0.88, nhs_number="9434765919")


def test_create_service_user_normalises(make):
    person = create_service_user(**PERSON)
    assert person.postcode == "NN2 6AA" and person.nhs_number == "9434765919"


@pytest.mark.parametrize("override,field", [
    ({"nhs_number": "9434765918"}, "nhs_number"),
    ({"home_lat": 95}, "home_lat"),
    ({"home_lon": -181}, "home_lon"),
    ({"postcode": "nowhere"}, "postcode"),
    ({"first_name": " "}, "first_name"),
    ({"geofence_radius_m": 5}, "geofence_radius_m"),
])
def test_bad_person_names_the_field(make, override, field):
    with pytest.raises(Invalid) as err:
        create_service_user(**{**PERSON, **override})
    assert field in err.value.fields


def test_duplicate_nhs_number_conflicts(make):
    create_service_user(**PERSON)
    with pytest.raises(Conflict):
        create_service_user(**{**PERSON, "council_ref": "C2"})


def test_contract_rules_checked(make):
    council, provider = make.council(), make.provider()
    with pytest.raises(Invalid) as err:
        create_contract(council, provider, "c", date(2026, 1, 1), offline_window_hours=121)
    assert "offline_window_hours" in err.value.fields
    with pytest.raises(Invalid) as err:
        create_contract(council, provider, "c", date(2026, 1, 1), rounding_unit_min=7)
    assert "rounding_unit_min" in err.value.fields
    with pytest.raises(Invalid):
        create_contract(provider, council, "c", date(2026, 1, 1))
    contract = create_contract(council, provider, "c", date(2026, 1, 1))
    assert {r.priority for r in contract.rules} == {Priority.NORMAL, Priority.CRITICAL}
    assert contract.geofence_radius_m == 200 and contract.offline_window_hours == 24


def test_package_with_pattern(make):
    contract = make.contract()
    package = create_package(make.service_user(), contract, "standard", 420, date(2026, 1, 5),
                             schedule=[CallLine(0, time(8), 30, tasks=("Breakfast",)),
                                       CallLine(0, time(12), 45, priority="critical")])
    assert [(s.start_time, s.priority) for s in package.schedule] == [
        (time(8), Priority.NORMAL), (time(12), Priority.CRITICAL)]


@pytest.mark.parametrize("lines,field", [
    ([CallLine(0, time(8), 30), CallLine(0, time(8, 15), 30)], "schedule[1].start_time"),
    ([CallLine(7, time(8), 30)], "schedule[0].weekday"),
    ([CallLine(1, time(8), -30)], "schedule[0].duration_min"),
    ([CallLine(1, time(8), 100000)], "schedule[0].duration_min"),
    ([CallLine(1, time(8), 30, carers_required=0)], "schedule[0].carers_required"),
    ([CallLine(1, time(8), 30, priority="urgent")], "schedule[0].priority"),
])
def test_bad_pattern_names_the_line(make, lines, field):
    package = make.package()
    with pytest.raises(Invalid) as err:
        set_schedule(package, lines)
    assert field in err.value.fields


def test_same_time_on_different_days_is_fine(make):
    package = make.package()
    lines = set_schedule(package, [CallLine(0, time(8), 30), CallLine(1, time(8), 30)])
    assert len(lines) == 2


def test_bad_package_fields(make):
    contract = make.contract()
    with pytest.raises(Invalid) as err:
        create_package(make.service_user(), contract, "respite", 60, date(2026, 1, 1))
    assert "package_type" in err.value.fields
    with pytest.raises(Invalid) as err:
        create_package(make.service_user(), contract, "standard", -1, date(2026, 1, 1))
    assert "weekly_minutes" in err.value.fields
    with pytest.raises(Invalid) as err:
        create_package(make.service_user(), contract, "standard", 60, date(2026, 1, 2),
                       end_date=date(2026, 1, 1))
    assert "end_date" in err.value.fields
