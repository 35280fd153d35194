"""Idempotency-Key: the same key and body get the same response; a new body is refused.

The key is claimed (a row inserted) before the request is answered, inside the
request's transaction: a concurrent retry with the same key waits on the unique
index and then finds the stored answer. A failed request rolls its claim back.
"""
import hashlib
import json

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import IdempotencyRecord, User
from backend.services.database import transactions

MAX_KEY_LENGTH = 200


def request_hash(method: str, path: str, body: bytes) -> str:
    """sha256 of the method, path and body (canonical JSON when it parses)."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True,
                               separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body or b""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def _find(user: User, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(sa.select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key))


def _stored(record: IdempotencyRecord, digest: str) -> IdempotencyRecord:
    if record.request_hash != digest:
        raise Invalid("This Idempotency-Key was used with a different request.",
                      field="Idempotency-Key", code="idempotency_key_reused")
    if record.status_code == 0:
        raise Conflict("A request with this Idempotency-Key is still being answered.",
                       code="idempotency_key_in_use")
    return record


def claim(user: User, key: str, digest: str) -> tuple[IdempotencyRecord, bool]:
    """(record, True) for a new key to answer now; (stored record, False) for a replay."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters.",
                      field="Idempotency-Key")
    existing = _find(user, key)
    if existing is not None:
        return _stored(existing, digest), False
    record = IdempotencyRecord(user_id=user.id, key=key, request_hash=digest)
    try:
        with transactions.savepoint():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        return _stored(_find(user, key), digest), False
    return record, True


def remember(record: IdempotencyRecord, status_code: int, body: dict) -> None:
    """Keep the response given for a claimed key."""
    record.status_code = status_code
    record.response_body = body
    db.session.flush()
