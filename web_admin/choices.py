"""The options of a select field, as WTForms takes them from version 3.3 (raw (value,
label) tuples are deprecated there and go in 3.4)."""
from wtforms import SelectChoice


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as a select field's options, in the order given."""
    return [SelectChoice(value, label) for value, label in pairs]
