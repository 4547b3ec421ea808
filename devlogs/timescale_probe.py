"""Is TimescaleDB usable on the configured PostgreSQL? Decides how migrations run
(devlogs/db_backend/base.py asks, on its own connection, the first time a migration needs to know).

django-timescaledb's way runs `CREATE EXTENSION IF NOT EXISTS timescaledb` before every
migration, which fails where the extension cannot be created, so `auto` chooses it only where
that works:

- the extension already exists in the database; or
- it is installed on the server *and* preloaded (`shared_preload_libraries`; without that,
  `CREATE EXTENSION` fails with "Will require a database restart"), *and* this role may create
  it (superuser, or the extension is marked trusted and the role may CREATE in the database).

"""

import logging

log = logging.getLogger("devlogs.settings")

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


def timescale_usable(connection) -> bool:
    """Whether TimescaleDB is (or can be made) usable in the database of this Django connection."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(CHECK)
            created, installed, preloaded, may_create = cursor.fetchone()
    except Exception as exc:  # the check only picks the migrations' way: never let it stop them
        log.warning("could not check for TimescaleDB (%s: %s); using plain PostgreSQL", type(exc).__name__, exc)
        return False
    if created:
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
                    connection.settings_dict.get("USER"), connection.settings_dict.get("NAME"))
        return False
    return True
