"""The facts ASCOF 2D and 2E read about a person: hospital stays, date of death, where they
live, and a move into a care home. A provider manager records them (a council's import
may write the same rows); only someone who may change the person may record them.
"""
from datetime import date, datetime

import sqlalchemy as sa

from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.models import HospitalStay, ServiceUser, User
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.national.codes import ACCOMMODATION_STATUSES

UNSET = object()


def _not_future(day: date | None, field: str, now: datetime) -> date | None:
    if day is not None and day > now.astimezone(clock.zone()).date():
        raise Invalid("This cannot be in the future.", field=field)
    return day


def hospital_stays(user: User, service_user_id) -> list[HospitalStay]:
    """The person's hospital stays, latest first (NotFound if not the user's)."""
    person = access.get_visible(user, ServiceUser, service_user_id, "person")
    return list(db.session.scalars(sa.select(HospitalStay).where(
        HospitalStay.service_user_id == person.id).order_by(HospitalStay.admitted_on.desc())))


def record_stay(user: User, service_user_id, admitted_on: date,
                discharged_on: date | None = None, emergency: bool = True,
                now: datetime | None = None) -> HospitalStay:
    """A stay in hospital: admitted (and, when known, discharged); emergency or planned."""
    now = now or clock.now()
    person = access.get_changeable(user, ServiceUser, service_user_id, "person")
    _not_future(admitted_on, "admitted_on", now)
    _not_future(discharged_on, "discharged_on", now)
    if discharged_on is not None and discharged_on < admitted_on:
        raise Invalid("The discharge is before the admission.", field="discharged_on")
    stay = HospitalStay(service_user_id=person.id, admitted_on=admitted_on,
                        discharged_on=discharged_on, emergency=bool(emergency), created_at=now)
    db.session.add(stay)
    db.session.flush()
    return stay


def record_discharge(user: User, stay_id, discharged_on: date,
                     now: datetime | None = None) -> HospitalStay:
    """The day a person in hospital came out."""
    now = now or clock.now()
    stay = db.session.get(HospitalStay, stay_id)
    if stay is None:
        raise NotFound("No hospital stay with that id.")
    # A stay is the person's: whoever may not see them gets the same 404.
    access.get_changeable(user, ServiceUser, stay.service_user_id, "hospital stay")
    if stay.discharged_on is not None:
        raise Conflict("This stay already has its discharge.")
    _not_future(discharged_on, "discharged_on", now)
    if discharged_on < stay.admitted_on:
        raise Invalid("The discharge is before the admission.", field="discharged_on")
    stay.discharged_on = discharged_on
    db.session.flush()
    return stay


def update_facts(user: User, service_user_id, date_of_death=UNSET, accommodation_status=UNSET,
                 care_home_admitted_on=UNSET, now: datetime | None = None) -> ServiceUser:
    """Date of death, accommodation status (a CLD value) and care home admission; a field
    left out stays as it was, a null clears it."""
    now = now or clock.now()
    person = access.get_changeable(user, ServiceUser, service_user_id, "person")
    if date_of_death is not UNSET:
        person.date_of_death = _not_future(date_of_death, "date_of_death", now)
    if care_home_admitted_on is not UNSET:
        person.care_home_admitted_on = _not_future(care_home_admitted_on,
                                                   "care_home_admitted_on", now)
    if accommodation_status is not UNSET:
        if accommodation_status is not None and accommodation_status not in \
                ACCOMMODATION_STATUSES:
            raise Invalid("Not a Client Level Data accommodation status.",
                          field="accommodation_status")
        person.accommodation_status = accommodation_status
    db.session.flush()
    return person
