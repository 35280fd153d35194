"""The API's blueprint: every argument schema is held to what the service can store and
reason about, and every JSON body is read by one parser with limits.

A phone, a finance system or a prober may send any text, number, date or nesting. The
limits below are applied once, here, to every field of every schema a view declares with
`@blp.arguments`, so a new endpoint cannot forget them:

- text: no NUL and no unpaired surrogates (`services/database/storable.py`);
- whole numbers: within the databases' INTEGER range (an offset or page of 10**21 was
  a 500 in the SQL it reached);
- dates and times: within the calendar the service works in (`services/dates/days.py`);
- a JSON body: nested at most MAX_DEPTH deep, numbers short enough to read.

Each refusal is a 400 or 422 in the one error shape, naming the field. In an offline
sync batch, a refused field rejects only its own event (`event_schemas.EachEvent`).
"""
import json
from datetime import datetime

import flask_smorest
from marshmallow import Schema, ValidationError, fields
from webargs import core
from webargs.flaskparser import FlaskParser

from backend.errors import BadRequest
from backend.services.database import storable
from backend.services.dates import days

MAX_DEPTH = 32
TOO_DEEP = f"Nested more than {MAX_DEPTH} levels deep."


def storable_text(value) -> None:
    """Validator: text both databases can store."""
    if isinstance(value, str):
        problem = storable.text_problem(value)
        if problem:
            raise ValidationError(problem)


def fits_integer(value) -> None:
    """Validator: a whole number an INTEGER column and its arithmetic can hold."""
    if isinstance(value, int) and not storable.integer_fits(value):
        raise ValidationError(storable.INTEGER_MESSAGE)


def day_in_range(value) -> None:
    """Validator: a date, or a time's date, within the service's calendar."""
    day = value.date() if isinstance(value, datetime) else value
    if day is not None and not days.in_range(day):
        raise ValidationError(days.OUT_OF_RANGE)


def _limit(field: fields.Field) -> None:
    """Add the limits to one field, and to the fields inside it."""
    if getattr(field, "_ecm_limited", False):
        return
    field._ecm_limited = True
    # A new list: a schema's fields are shallow copies of its class's, sharing validators.
    if isinstance(field, fields.String):
        field.validators = [*field.validators, storable_text]
    elif isinstance(field, fields.Integer):
        field.validators = [*field.validators, fits_integer]
    elif isinstance(field, fields.Date | fields.DateTime):
        field.validators = [*field.validators, day_in_range]
    elif isinstance(field, fields.Nested):
        limited(field.schema)
    elif isinstance(field, fields.List):
        _limit(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _limit(inner)
    if isinstance(field, fields.Dict):
        for inner in (field.key_field, field.value_field):
            if inner is not None:
                _limit(inner)


def limited(schema: Schema | type[Schema]) -> Schema:
    """The schema (an instance), with the limits on every field at every depth."""
    if isinstance(schema, type):
        schema = schema()
    for field in schema.fields.values():
        _limit(field)
    return schema


def _deeper_than(data, limit: int) -> list | None:
    """The path to the first value nested deeper than the limit, or None (no recursion)."""
    stack = [(data, [], 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= limit:
                return path
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, [*path, str(key)], depth + 1) for key, item in items)
    return None


def _named(path: list, message: str) -> dict:
    """Field messages for a path, nested like marshmallow's ({"a": {"0": [message]}})."""
    fields_ = [message]
    for name in reversed(path[:MAX_DEPTH // 4] or ["body"]):
        fields_ = {name: fields_}
    return fields_


class RequestParser(FlaskParser):
    """Webargs' parser, reading JSON bodies within limits."""

    def _raw_load_json(self, req):
        try:
            data = super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs answers it: 400 "Invalid JSON body."
        except RecursionError:
            raise BadRequest(TOO_DEEP, fields=_named([], TOO_DEEP)) from None
        except ValueError:  # an integer of thousands of digits
            message = "A number in the body is too long to read."
            raise BadRequest(message, fields=_named([], message)) from None
        if data is not core.missing:
            path = _deeper_than(data, MAX_DEPTH)
            if path is not None:
                raise BadRequest(TOO_DEEP, fields=_named(path, TOO_DEEP))
        return data


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the service's parser and field limits."""

    ARGUMENTS_PARSER = RequestParser()

    def arguments(self, schema, *args, **kwargs):
        """Declare a view's arguments; every field gets the limits above."""
        return super().arguments(limited(schema), *args, **kwargs)
