"""What both databases can store: text without NUL or unpaired surrogates, whole
numbers that fit an INTEGER column. One definition, used by every parser of input
(the API's body and query parser, the pages' request check) before any service runs.

PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate (JSON's "\\ud800") cannot be
encoded as UTF-8 by either driver: both reached the database as a 500 before.
"""
import re

from backend.errors import Invalid

INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NUL_MESSAGE = "Text may not contain NUL characters."
SURROGATE_MESSAGE = "Text may not contain unpaired UTF-16 surrogates (not valid Unicode)."
INTEGER_MESSAGE = f"Must be a whole number between {INTEGER_MIN} and {INTEGER_MAX}."


def text_problem(text: str) -> str | None:
    """Why a text cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def check_text(text: str, field: str) -> str:
    """The text itself, or a refusal naming the field."""
    problem = text_problem(text)
    if problem:
        raise Invalid(problem, field=field)
    return text


def integer_fits(number: int) -> bool:
    """Whether a whole number fits the databases' INTEGER columns (and their arithmetic)."""
    return INTEGER_MIN <= number <= INTEGER_MAX
