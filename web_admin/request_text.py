"""Pages refuse text the databases cannot store before any view reads it.

A form or query value holding NUL reached PostgreSQL (a sign-in name, a note, feedback)
and answered 500. Browsers never send it from what a person types, so the whole request
is refused (400) with the field named, by the one rule in services/database/storable.py.
"""
from flask import request

from backend.errors import BadRequest
from backend.services.database import storable


def refuse_unstorable_text() -> None:
    """Before each page request: every form and query value is storable text."""
    if request.path.startswith("/api/"):
        return  # the API's parser applies the same rule field by field
    problems = {}
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            bad_name = storable.text_problem(name)
            problem = bad_name or storable.text_problem(value)
            if problem:
                problems.setdefault("field name" if bad_name else name, []).append(problem)
    if problems:
        raise BadRequest("Some of what was sent cannot be stored; please retype it.",
                         fields=problems)
