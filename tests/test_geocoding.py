"""Home pins from addresses through a configured geocoder (a fake Nominatim on loopback)."""
import pytest

from backend.errors import Invalid
from backend.services.administration import people
from backend.services.bulk_import.run import run_import
from backend.services.reference import geocoding
from tests.fake_geocoder import fake_geocoder  # noqa: F401 (fixture)
from tests.import_helpers import csv_file, person_row

PERSON = dict(council_ref="G-1", first_name="Ada", last_name="Jones", address="1 Mill Lane",
              postcode="NN2 6AA")


def test_off_by_default_names_the_missing_pin(make):
    world = make.world()
    assert geocoding.home_pin("1 Mill Lane", "NN2 6AA") is None
    with pytest.raises(Invalid) as err:
        people.create_person(world.manager, **PERSON)
    assert "no geocoder is configured" in err.value.fields["home_lat"][0]


def test_pin_from_the_address(make, fake_geocoder):  # noqa: F811
    world = make.world()
    fake_geocoder.places["1 Mill Lane, NN2 6AA"] = (52.2611, -0.8702)
    person = people.create_person(world.manager, **PERSON)
    assert (person.home_lat, person.home_lon) == (52.2611, -0.8702)
    (request,) = fake_geocoder.requests
    assert request["path"] == "/search" and request["agent"] == "ecm-tests"
    assert request["countrycodes"] == "gb"
    assert geocoding.home_pin("1 Mill Lane", "NN2 6AA") == (52.2611, -0.8702)
    assert len(fake_geocoder.requests) == 1  # remembered, not asked again
    with pytest.raises(Invalid) as err:
        people.create_person(world.manager, **{**PERSON, "council_ref": "G-2",
                                               "address": "Nowhere Farm"})
    assert "could not place the address" in err.value.fields["home_lat"][0]


def test_import_places_rows_without_pins(make, fake_geocoder):  # noqa: F811
    world = make.world()
    fake_geocoder.places["1 High Street, Northampton, NN1 1AA"] = (52.24, -0.9)
    rows = [person_row(1, home_lat="", home_lon=""), person_row(2, home_lat="", home_lon="")]
    report = run_import(world.manager, "service_users", csv_file("service_users", rows),
                        "p.csv", dry_run=True)
    assert [(p.row, p.column) for p in report.problems] == [(3, "home_lat")]
    assert report.created == 1
