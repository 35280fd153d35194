"""Bad input is rejected at the service layer with an error naming the field."""
import pytest

from backend.errors import Conflict, Invalid, SignInRefused
from backend.models import OrganisationKind, Role
from backend.services.reference import validation
from backend.services.identity.accounts import authenticate, create_user


@pytest.mark.parametrize("good", ["9434765919", "943 476 5919", "401-023-2137"])
def test_valid_nhs_numbers(good):
    assert validation.nhs_number(good).isdigit()


@pytest.mark.parametrize("bad", ["9434765918", "12345", "94347659190", "abcdefghij", "1000000010"])
def test_invalid_nhs_numbers_name_the_field(bad):
    with pytest.raises(Invalid) as err:
        validation.nhs_number(bad)
    assert "nhs_number" in err.value.fields


@pytest.mark.parametrize("lat,lon,field", [(91, 0, "lat"), (-90.1, 0, "lat"), (0, 180.5, "lon"),
                                           ("x", 0, "lat"), (None, 0, "lat")])
def test_coordinates_out_of_range(lat, lon, field):
    with pytest.raises(Invalid) as err:
        validation.coordinates(lat, lon)
    assert field in err.value.fields


def test_unknown_enum_value_names_the_field():
    with pytest.raises(Invalid) as err:
        validation.choice(Role, "superuser", "role")
    assert "role" in err.value.fields and "care_worker" in err.value.message


def test_postcode_normalised_and_rejected():
    assert validation.postcode("nn11aa") == "NN1 1AA"
    with pytest.raises(Invalid):
        validation.postcode("12345")


def test_role_must_suit_organisation(make):
    council = make.council()
    with pytest.raises(Invalid) as err:
        create_user("carer", "long-enough-password", Role.CARE_WORKER, council)
    assert "organisation" in err.value.fields


def test_duplicate_username_conflicts(make):
    provider = make.organisation(OrganisationKind.PROVIDER)
    create_user("sam", "long-enough-password", "care_worker", provider)
    with pytest.raises(Conflict):
        create_user("SAM", "long-enough-password", "care_worker", provider)


def test_repeated_failures_make_that_address_wait_not_the_account(make):
    user = make.user(Role.CARE_WORKER)
    for _ in range(6):
        with pytest.raises(SignInRefused) as refused:
            authenticate(user.username, "wrong", "198.51.100.9")
        assert refused.value.code == "unauthorized"
    with pytest.raises(SignInRefused) as refused:
        authenticate(user.username, make.PASSWORD, "198.51.100.9")
    assert refused.value.code == "unauthorized"
    assert authenticate(user.username, make.PASSWORD, "203.0.113.5") == user


