"""FHIR Bundles and OperationOutcomes around the resources."""
from datetime import date, timedelta

from backend.errors import BadRequest
from backend.models import User
from backend.services.fhir import search

PROVIDER_BUNDLE_MAX_DAYS = 92  # a quarter: the provider's bundle is built in memory


def searchset(resources: list[dict], base: str) -> dict:
    """A search result: every match, with its full URL."""
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def collection(resources: list[dict], base: str) -> dict:
    """A set of resources sent together (the provider's period)."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources]}


def operation_outcome(status: int, message: str, fields: dict | None = None) -> dict:
    """A FHIR error: what went wrong, and where when a parameter is to blame."""
    code = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
            422: "invalid"}.get(status, "exception")
    issues = [{"severity": "error", "code": code, "diagnostics": message}]
    issues += [{"severity": "error", "code": code, "diagnostics": "; ".join(problems),
                "expression": [name]} for name, problems in (fields or {}).items()]
    return {"resourceType": "OperationOutcome", "issue": issues}


def _period(start: str | None, end: str | None, required: bool) -> list[tuple[str, date]]:
    dates = []
    for name, value, prefix in (("start", start, "ge"), ("end", end, "le")):
        if value:
            try:
                dates.append((prefix, date.fromisoformat(value)))
            except ValueError:
                raise BadRequest(f"{name} is a date: YYYY-MM-DD.",
                                 fields={name: [f"Not a date: {value!r}."]}) from None
        elif required:
            raise BadRequest(f"Give {name} (YYYY-MM-DD).", fields={name: ["Required."]})
    if len(dates) == 2 and dates[1][1] < dates[0][1]:
        raise BadRequest("The period ends before it starts.", fields={"end": ["Before start."]})
    return dates


def person_bundle(user: User, person_id, base: str, start=None, end=None) -> dict:
    """Patient/<id>/$everything: the person and every resource about them in the period."""
    return searchset(search.for_person(user, person_id, _period(start, end, False)), base)


def provider_bundle(user: User, provider_id, base: str, start=None, end=None) -> dict:
    """A provider's people and their resources for a period of at most a quarter."""
    dates = _period(start, end, True)
    if dates[1][1] - dates[0][1] > timedelta(days=PROVIDER_BUNDLE_MAX_DAYS):
        raise BadRequest(f"A provider's bundle covers at most {PROVIDER_BUNDLE_MAX_DAYS} days.",
                         fields={"end": ["Too far from start."]})
    return collection(search.for_provider(user, provider_id, dates), base)
