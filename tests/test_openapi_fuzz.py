"""Schemathesis against the OpenAPI document: no generated request earns a 5xx."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 15
ERROR_EXAMPLES = 3
OPERATIONS = [("/visits/{visit_id}/check-in", "POST"), ("/visits/{visit_id}/check-out", "POST"),
              ("/visits/{visit_id}/no-access", "POST"), ("/sync", "POST"),
              ("/pin-suggestions/{suggestion_id}/accept", "POST")]


def test_generated_requests_never_get_a_server_error(app, make, bearer):
    world = make.world()
    make.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    worker_headers = bearer(world.worker)
    manager_headers = bearer(world.manager)
    own_visit = str(world.visit.id)
    failures = []

    def fuzz(path, method):
        operation = schema["/api/v1" + path][method]
        headers = manager_headers if "pin-suggestions" in path else worker_headers

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), aim_at_own_visit=st.booleans())
        def run(case, aim_at_own_visit):
            if aim_at_own_visit and "visit_id" in (case.path_parameters or {}):
                case.path_parameters["visit_id"] = own_visit
            response = case.call(headers={**(case.headers or {}), **headers})
            if response.status_code >= 500:
                failures.append((path, case.body, response.status_code, response.text[:300]))

        run()

    for path, method in OPERATIONS:
        fuzz(path, method)
    assert failures == []


def test_error_answers_have_the_documented_shape(app, make, bearer):
    """Every operation's error answers match the OpenAPI document's error schema
    ({"error": {"code", "message", "fields"}}), and none is a 5xx."""
    world = make.world()
    make.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = bearer(world.worker)  # most operations refuse a care worker: error answers
    failures = []

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=ERROR_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers={**(case.headers or {}), **headers})
            if response.status_code >= 500:
                failures.append((case.operation.label, response.status_code, response.text[:300]))
            elif response.status_code >= 400:
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except Exception as exc:  # schemathesis raises a group of failed checks
                    failures.append((case.operation.label, response.status_code, str(exc)[:300]))

        run()
    assert failures == []
