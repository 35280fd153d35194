"""Statements run on every check-in, compiled to SQL once per database.

To run a statement, SQLAlchemy looks its compiled form up by the statement's whole
structure, hashed afresh on every run: for the check-in's read of the visit (some forty
columns over eight joins) the hash cost more than the database's own work. The same
statement as SQL text with its parameters and columns typed is looked up by its text,
and reads and writes the same values (a UUID, an aware UTC time, an enum) as before.
"""
import sqlalchemy as sa
from sqlalchemy.engine import BindTyping, Dialect


def as_text(select: sa.Select, dialect: Dialect) -> sa.TextualSelect:
    """`select`, compiled for `dialect` with its parameters named as they were: the same
    SQL, parameters and result columns (their names, order and types)."""
    # The database's SQL with parameters written :name, and without the casts some
    # drivers put on them (":id::UUID" would not read as a parameter): the text's typed
    # parameters bring the casts back when it runs.
    named = type(dialect)(paramstyle="named")
    named.bind_typing = BindTyping.NONE
    compiled = select.compile(dialect=named)
    parameters = []
    for bind, name in compiled.bind_names.items():
        # A value fixed in the statement (a LIMIT) stays; the rest are bound per run.
        fixed = bind.callable is None and bind.value is not None
        parameters.append(sa.bindparam(name, bind.value, type_=bind.type) if fixed
                          else sa.bindparam(name, type_=bind.type))
    return sa.text(compiled.string).bindparams(*parameters).columns(
        *(sa.column(column.key, column.type) for column in select.selected_columns))
