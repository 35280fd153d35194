"""What the national measures need to know about a person: hospital stays (ASCOF 2D), date
of death, accommodation status and care home admission (ASCOF 2D and 2E, CLD)."""
from mobile_api.blueprint import Blueprint
from marshmallow import Schema, fields

from backend.models import Role
from backend.services.outcomes import hospital
from mobile_api.auth import BEARER, current_user, token_required

blp = Blueprint("person_facts", __name__, description="Hospital stays and person facts")


class StayIn(Schema):
    admitted_on = fields.Date(required=True)
    discharged_on = fields.Date(load_default=None)
    emergency = fields.Boolean(load_default=True)


class DischargeStayIn(Schema):
    discharged_on = fields.Date(required=True)


class StayOut(Schema):
    id = fields.UUID()
    service_user_id = fields.UUID()
    admitted_on = fields.Date()
    discharged_on = fields.Date(allow_none=True)
    emergency = fields.Boolean()


class FactsIn(Schema):
    date_of_death = fields.Date(allow_none=True)
    accommodation_status = fields.String(allow_none=True, metadata={
        "description": "A Client Level Data Accommodation_Status value"})
    care_home_admitted_on = fields.Date(allow_none=True)


class FactsOut(Schema):
    id = fields.UUID()
    date_of_death = fields.Date(allow_none=True)
    accommodation_status = fields.String(allow_none=True)
    care_home_admitted_on = fields.Date(allow_none=True)


@blp.get("/service-users/<uuid:service_user_id>/hospital-stays")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
@blp.response(200, StayOut(many=True))
def list_stays(service_user_id):
    """The person's hospital stays, latest first."""
    return hospital.hospital_stays(current_user(), service_user_id)


@blp.post("/service-users/<uuid:service_user_id>/hospital-stays")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(StayIn)
@blp.response(201, StayOut)
def record_stay(data, service_user_id):
    """Record a stay in hospital (emergency unless said otherwise)."""
    return hospital.record_stay(current_user(), service_user_id, **data)


@blp.post("/hospital-stays/<uuid:stay_id>/discharge")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(DischargeStayIn)
@blp.response(200, StayOut)
def discharge_stay(data, stay_id):
    """Record the day the person came out of hospital."""
    return hospital.record_discharge(current_user(), stay_id, **data)


@blp.patch("/service-users/<uuid:service_user_id>/national-facts")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(FactsIn)
@blp.response(200, FactsOut)
def update_facts(data, service_user_id):
    """Date of death, accommodation status, care home admission (null clears one)."""
    return hospital.update_facts(current_user(), service_user_id, **data)
