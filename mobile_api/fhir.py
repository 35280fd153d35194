"""FHIR R4 read-only API under /fhir/R4: reads, searches (`patient`, `date`) and Bundles,
with a bearer token and the same access rules as the rest of the API."""
import json

from flask import Blueprint, Response, request

from backend.errors import DomainError
from backend.models import Role
from backend.services.fhir import bundles, search
from mobile_api.auth import current_user, token_required

bp = Blueprint("fhir", __name__, url_prefix="/fhir/R4")
READERS = (Role.PROVIDER_MANAGER, Role.COMMISSIONER)
FHIR_JSON = "application/fhir+json"


def _json(body: dict, status: int = 200):
    """Compact JSON, keys in the order the resources build them (FHIR's usual order)."""
    return Response(json.dumps(body, separators=(",", ":")), status=status, mimetype=FHIR_JSON)


def _base() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """Errors as OperationOutcome, with the status the rest of the API uses."""
    return _json(bundles.operation_outcome(exc.status, exc.message, exc.fields), exc.status)


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement: what this server reads and searches."""
    return _json({
        "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": "2026-12-07", "fhirVersion": "4.0.1", "format": ["json"],
        "rest": [{"mode": "server", "resource": [
            {"type": kind, "interaction": [{"code": "read"}, {"code": "search-type"}],
             "searchParam": [] if kind == "Patient" else [
                 {"name": "patient", "type": "reference"}, {"name": "date", "type": "date"}]}
            for kind in search.TYPES]}]})


@bp.get("/<kind>")
@token_required(*READERS)
def search_type(kind):
    """Search a type by `patient` and `date` (repeatable, with prefixes); Patient by `_id`."""
    patient = search.parse_patient(request.args.get("_id" if kind == "Patient" else "patient"))
    dates = search.parse_dates(request.args.getlist("date"))
    return _json(bundles.searchset(search.search(current_user(), kind, patient, dates),
                                   _base()))


@bp.get("/<kind>/<resource_id>")
@token_required(*READERS)
def read(kind, resource_id):
    """One resource."""
    return _json(search.read(current_user(), kind, resource_id))


@bp.get("/Patient/<uuid:person_id>/$everything")
@token_required(*READERS)
def everything(person_id):
    """The person's Bundle: Patient, Appointments, Encounters, EpisodeOfCare, CarePlans,
    Goals and Observations, narrowed to `start`..`end` when given."""
    return _json(bundles.person_bundle(current_user(), person_id, _base(),
                                       request.args.get("start"), request.args.get("end")))


@bp.get("/Organization/<uuid:provider_id>/$everything")
@token_required(*READERS)
def provider_everything(provider_id):
    """A provider's Bundle for `start`..`end` (at most a quarter)."""
    return _json(bundles.provider_bundle(current_user(), provider_id, _base(),
                                         request.args.get("start"), request.args.get("end")))
