"""Database connection settings read from the environment: the PostgreSQL connection pool.

Read by devlogs/settings.py; pure (no connection is made here, the pool opens on first use).

Django's psycopg pool (Django >= 5.1, `OPTIONS["pool"]`, the psycopg-pool package) keeps a few
connections per process and lends one to each request, which returns it when the request ends.
It needs CONN_MAX_AGE = 0: "closing" a connection is what gives it back to the pool.
"""

from django.core.exceptions import ImproperlyConfigured

from devlogs.env import env_bool, env_float, env_int

POSTGRESQL_ENGINES = {"django.db.backends.postgresql", "timescale.db.backends.postgresql", "devlogs.db_backend"}

# Defaults: two connections kept warm; up to 20 lent at once (a server process holds one per
# request in flight, from its key lookup to its answer); a request waits at most 5 s for one,
# then fails like a database that is down (503 with Retry-After at ingest).
POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 20
POOL_TIMEOUT_SECONDS = 5.0
CONN_MAX_AGE_SECONDS = 60  # without the pool (DEVLOGS_DB_POOL=off, or SQLite), as before


def database_pool_settings(engine: str) -> dict | None:
    """The `pool` options for DATABASES["default"]["OPTIONS"], or None for no pool.

    DEVLOGS_DB_POOL: on/off, default on for PostgreSQL; on is refused for other databases.
    DEVLOGS_DB_POOL_MIN_SIZE, DEVLOGS_DB_POOL_MAX_SIZE, DEVLOGS_DB_POOL_TIMEOUT: see
    docs/configuration.md. Every value is checked even when the pool is off, so a typo
    never waits for the day the pool is switched on.
    """
    is_postgresql = engine in POSTGRESQL_ENGINES
    requested = env_bool("DEVLOGS_DB_POOL", is_postgresql)
    min_size = env_int("DEVLOGS_DB_POOL_MIN_SIZE", POOL_MIN_SIZE, minimum=0)
    max_size = env_int("DEVLOGS_DB_POOL_MAX_SIZE", max(POOL_MAX_SIZE, min_size), minimum=1)
    timeout = env_float("DEVLOGS_DB_POOL_TIMEOUT", POOL_TIMEOUT_SECONDS, minimum=0.1)
    if max_size < min_size:
        raise ImproperlyConfigured(f"DEVLOGS_DB_POOL_MAX_SIZE={max_size} must be at least "
                                   f"DEVLOGS_DB_POOL_MIN_SIZE={min_size}")
    if not requested:
        return None
    if not is_postgresql:
        raise ImproperlyConfigured("DEVLOGS_DB_POOL=on needs PostgreSQL (DATABASE_URL=postgres://...); "
                                   f"the configured database is {engine}")
    return {"min_size": min_size, "max_size": max_size, "timeout": timeout, "name": "devlogs"}


def database_conn_max_age(*, pooled: bool) -> int:
    """CONN_MAX_AGE: DATABASE_CONN_MAX_AGE (default 60 s) without the pool; 0 with it, which Django requires."""
    if not pooled:
        return env_int("DATABASE_CONN_MAX_AGE", CONN_MAX_AGE_SECONDS, minimum=0)
    value = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
    if value != 0:
        raise ImproperlyConfigured(f"DATABASE_CONN_MAX_AGE={value} cannot be used with the connection pool: "
                                   "pooled connections are returned at the end of each request. "
                                   "Unset it, or set DEVLOGS_DB_POOL=off.")
    return 0
