"""The benchmark floor: a minimal Flask endpoint doing one INSERT, nothing else.

Served by gunicorn with the same settings as the real app, against the same database,
so the check-in benchmark can report its throughput as a ratio of this.
"""
import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request

metadata = sa.MetaData()
floor_rows = sa.Table(
    "bench_floor", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
)


def engine_for(url: str) -> sa.Engine:
    """An engine with the same connection settings the app uses (WAL and busy timeout)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = sa.create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def pragmas(connection, _record):
            cursor = connection.cursor()
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()
    return engine


# FLOOR_READS=k (a measure of the stack, not the floor): k SELECTs by primary key in
# the same transaction before the INSERT, as many statements as a check-in makes.
READ_ROW = sa.select(floor_rows).where(floor_rows.c.id == sa.bindparam("id"))


def create_app() -> Flask:
    """The floor app: POST /floor stores the JSON body as one row."""
    app = Flask(__name__)
    engine = engine_for(os.environ["DATABASE_URL"])
    metadata.create_all(engine)
    reads = int(os.environ.get("FLOOR_READS", "0"))

    @app.post("/floor")
    def floor():
        with engine.begin() as conn:
            for n in range(reads):
                conn.execute(READ_ROW, {"id": n + 1}).first()
            new_id = conn.execute(floor_rows.insert().values(
                at=datetime.now(UTC), payload=request.get_json())).inserted_primary_key[0]
        return jsonify(id=new_id), 201

    return app
