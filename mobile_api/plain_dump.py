"""A schema's dump compiled into plain conversions, for the hottest answer.

marshmallow's dump of a check-in's answer (an event and the visit's state) costs more
than storing the event. `plain_dumper(schema)` reads the schema's fields once and
returns a function giving the same dict for a dict of values, for schemas of simple
fields (strings, UUIDs, numbers, booleans, aware times, lists and nested schemas of
them); tests compare it with the schema's own dump.
"""
from collections.abc import Callable

from marshmallow import Schema, fields

_SIMPLE = ((fields.AwareDateTime, lambda value: value.isoformat()),
           (fields.UUID, str), (fields.String, str), (fields.Float, float),
           (fields.Integer, int), (fields.Boolean, bool))


def _convert(field: fields.Field) -> Callable:
    if isinstance(field, fields.Nested):
        return plain_dumper(field.schema)
    if isinstance(field, fields.List):
        inner = _convert(field.inner)
        return lambda values: [None if v is None else inner(v) for v in values]
    for kind, convert in _SIMPLE:
        if isinstance(field, kind):
            return convert
    raise TypeError(f"plain_dumper cannot dump a {type(field).__name__} field")


def plain_dumper(schema: Schema) -> Callable[[dict], dict]:
    """A function dumping a dict of values (None stays None) as `schema` would."""
    plan = [(field.data_key or name, field.attribute or name, _convert(field))
            for name, field in schema.dump_fields.items()]

    def dump(values: dict) -> dict:
        return {key: None if (value := values[attribute]) is None else convert(value)
                for key, attribute, convert in plan}

    return dump
