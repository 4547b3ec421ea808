"""Is TimescaleDB usable on the configured PostgreSQL? Decides the database engine.

django-timescaledb's engine runs `CREATE EXTENSION IF NOT EXISTS timescaledb` before every
migration, which fails where the extension cannot be created, so `auto` chooses it only where
that works:

- the extension already exists in the database; or
- it is installed on the server *and* preloaded (`shared_preload_libraries`; without that,
  `CREATE EXTENSION` fails with "Will require a database restart"), *and* this role may create
  it (superuser, or the extension is marked trusted and the role may CREATE in the database).

The database itself need not exist yet (pytest-django creates `test_<NAME>` from the server's
maintenance database): then the server-wide conditions are checked from the `postgres` database.
"""

import logging

log = logging.getLogger("devlogs.settings")
ENGINE = "timescale.db.backends.postgresql"

CHECK = """
SELECT
  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS created,
  EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS installed,
  'timescaledb' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
    AS preloaded,
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
    OR (EXISTS (SELECT 1 FROM pg_available_extension_versions WHERE name = 'timescaledb' AND trusted)
        AND has_database_privilege(current_database(), 'CREATE')) AS may_create
"""


def _connect(database: dict, dbname: str):
    import psycopg

    options = database.get("OPTIONS", {})
    return psycopg.connect(host=database.get("HOST") or None, port=database.get("PORT") or None,
                           user=database.get("USER") or None, password=database.get("PASSWORD") or None,
                           dbname=dbname, sslmode=options.get("sslmode", "prefer"), connect_timeout=5)


def timescale_available(database: dict) -> bool:
    import psycopg

    name = database.get("NAME")
    try:
        try:
            conn = _connect(database, name)
        except psycopg.OperationalError as exc:
            if "does not exist" not in str(exc):
                raise
            # Not created yet (a test run's database, a restore target): the server decides.
            conn = _connect(database, "postgres")
            name = None
        with conn:
            created, installed, preloaded, may_create = conn.execute(CHECK).fetchone()
    except Exception as exc:  # never stop settings from loading: the check only picks an engine
        log.warning("could not check for TimescaleDB (%s: %s); using plain PostgreSQL", type(exc).__name__, exc)
        return False
    if created and name is not None:
        return True
    if not installed:
        return False
    if not preloaded:
        log.warning("TimescaleDB is installed but not in shared_preload_libraries (restart needed); "
                    "using plain PostgreSQL")
        return False
    if not may_create:
        log.warning("TimescaleDB is available but role %s may not CREATE EXTENSION timescaledb in %s; "
                    "using plain PostgreSQL (create it as a superuser, or set DEVLOGS_TIMESCALE=on)",
                    database.get("USER"), database.get("NAME"))
        return False
    return True


def choose_engine(database: dict, mode: str) -> dict:
    """The database settings with the TimescaleDB engine where `mode` (auto/on/off) says so."""
    if database["ENGINE"] != "django.db.backends.postgresql" or mode == "off":
        return database
    if mode == "on" or timescale_available(database):
        return {**database, "ENGINE": ENGINE}
    return database
