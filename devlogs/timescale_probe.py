"""Is TimescaleDB available on the configured PostgreSQL? Decides the database engine.

django-timescaledb's engine runs `CREATE EXTENSION timescaledb` before every migration,
which fails where the extension is not installed, so it is chosen only where it can work.
"""

import logging

log = logging.getLogger("devlogs.settings")
ENGINE = "timescale.db.backends.postgresql"


def timescale_available(database: dict) -> bool:
    import psycopg

    options = database.get("OPTIONS", {})
    try:
        with psycopg.connect(host=database.get("HOST") or None, port=database.get("PORT") or None,
                             user=database.get("USER") or None, password=database.get("PASSWORD") or None,
                             dbname=database.get("NAME"), sslmode=options.get("sslmode", "prefer"),
                             connect_timeout=5) as conn:
            row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
            return row is not None
    except psycopg.Error as exc:
        log.warning("could not check for TimescaleDB (%s); using plain PostgreSQL", exc)
        return False


def choose_engine(database: dict, mode: str) -> dict:
    """The database settings with the TimescaleDB engine where `mode` (auto/on/off) says so."""
    if database["ENGINE"] != "django.db.backends.postgresql" or mode == "off":
        return database
    if mode == "on" or timescale_available(database):
        return {**database, "ENGINE": ENGINE}
    return database
