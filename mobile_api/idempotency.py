"""The Idempotency-Key header for API views that create things."""
from functools import wraps

from flask import jsonify, request

from backend.services.database import idempotency
from mobile_api.auth import caller

HEADER = "Idempotency-Key"
HEADER_DOC = {"in": "header", "name": HEADER, "required": False,
              "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH},
              "description": "Same key and body: the first response is replayed. "
                             "Same key, different body: 422."}


def idempotent(view):
    """Replay the stored response for a repeated key; remember successful responses."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        digest = idempotency.request_hash(request.method, request.path, request.get_data())
        record, fresh = idempotency.claim(caller(), key, digest)
        if not fresh:
            response = jsonify(record.response_body)
            response.status_code = record.status_code
            response.headers["Idempotent-Replayed"] = "true"
            return response
        response = view(*args, **kwargs)
        if response.status_code < 400:
            idempotency.remember(record, response.status_code, response.get_json())
        return response

    return wrapped
