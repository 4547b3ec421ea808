"""Settings come from the environment, strictly: a bad value stops start-up with a clear message."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from devlogs.env import env_bool, env_choice, env_float, env_int, env_list, env_str


def test_unset_and_empty_mean_the_default(monkeypatch):
    monkeypatch.setenv("DL_EMPTY", "")
    monkeypatch.delenv("DL_UNSET", raising=False)
    assert env_str("DL_EMPTY", "d") == env_str("DL_UNSET", "d") == "d"
    assert env_int("DL_EMPTY", 7) == 7
    assert env_bool("DL_UNSET", True) is True
    assert env_list("DL_EMPTY", ["a"]) == ["a"]


def test_values_are_parsed(monkeypatch):
    monkeypatch.setenv("DL_INT", "42")
    monkeypatch.setenv("DL_FLOAT", "0.25")
    monkeypatch.setenv("DL_BOOL", "Off")
    monkeypatch.setenv("DL_LIST", "a, b,,c ")
    monkeypatch.setenv("DL_CHOICE", "KAFKA")
    assert env_int("DL_INT", 0) == 42
    assert env_float("DL_FLOAT", 0.0) == 0.25
    assert env_bool("DL_BOOL", True) is False
    assert env_list("DL_LIST", []) == ["a", "b", "c"]
    assert env_choice("DL_CHOICE", "embedded", {"embedded", "kafka"}) == "kafka"


@pytest.mark.parametrize("reader, value, message", [
    (lambda: env_int("DL_BAD", 1), "ten", "is not an integer"),
    (lambda: env_int("DL_BAD", 1, minimum=5), "3", "must be at least 5"),
    (lambda: env_float("DL_BAD", 1.0), "fast", "is not a number"),
    (lambda: env_bool("DL_BAD", True), "maybe", "is not a boolean"),
    (lambda: env_choice("DL_BAD", "embedded", {"embedded", "kafka"}), "rabbit", "must be one of"),
])
def test_bad_values_raise_improperly_configured(monkeypatch, reader, value, message):
    monkeypatch.setenv("DL_BAD", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        reader()


# --- the PostgreSQL connection pool (devlogs/database.py) ------------------------------------------

PG = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
POOL_VARS = ("DEVLOGS_DB_POOL", "DEVLOGS_DB_POOL_MIN_SIZE", "DEVLOGS_DB_POOL_MAX_SIZE", "DEVLOGS_DB_POOL_TIMEOUT",
             "DATABASE_CONN_MAX_AGE")


@pytest.fixture
def pool_env(monkeypatch):
    for name in POOL_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_pool_is_on_by_default_for_postgresql_and_off_for_sqlite(pool_env):
    from devlogs.database import database_conn_max_age, database_pool_settings

    assert database_pool_settings(PG) == {"min_size": 2, "max_size": 20, "timeout": 5.0, "name": "devlogs"}
    assert database_pool_settings("timescale.db.backends.postgresql") is not None
    assert database_conn_max_age(pooled=True) == 0  # Django refuses a pool with persistent connections
    assert database_pool_settings(SQLITE) is None
    assert database_conn_max_age(pooled=False) == 60


def test_pool_settings_are_read(pool_env):
    from devlogs.database import database_conn_max_age, database_pool_settings

    pool_env.setenv("DEVLOGS_DB_POOL_MIN_SIZE", "0")
    pool_env.setenv("DEVLOGS_DB_POOL_MAX_SIZE", "8")
    pool_env.setenv("DEVLOGS_DB_POOL_TIMEOUT", "2.5")
    assert database_pool_settings(PG) == {"min_size": 0, "max_size": 8, "timeout": 2.5, "name": "devlogs"}
    pool_env.setenv("DEVLOGS_DB_POOL", "off")
    pool_env.setenv("DATABASE_CONN_MAX_AGE", "30")
    assert database_pool_settings(PG) is None
    assert database_conn_max_age(pooled=False) == 30
    pool_env.setenv("DEVLOGS_DB_POOL", "on")
    pool_env.setenv("DATABASE_CONN_MAX_AGE", "0")
    assert database_conn_max_age(pooled=True) == 0


def test_a_min_size_above_the_default_max_raises_the_max(pool_env):
    from devlogs.database import database_pool_settings

    pool_env.setenv("DEVLOGS_DB_POOL_MIN_SIZE", "30")
    assert database_pool_settings(PG)["max_size"] == 30


@pytest.mark.parametrize("engine, env, message", [
    (PG, {"DEVLOGS_DB_POOL": "sometimes"}, "DEVLOGS_DB_POOL='sometimes' is not a boolean"),
    (PG, {"DEVLOGS_DB_POOL_MIN_SIZE": "two"}, "DEVLOGS_DB_POOL_MIN_SIZE='two' is not an integer"),
    (PG, {"DEVLOGS_DB_POOL_MIN_SIZE": "-1"}, "DEVLOGS_DB_POOL_MIN_SIZE=-1 must be at least 0"),
    (PG, {"DEVLOGS_DB_POOL_MAX_SIZE": "0"}, "DEVLOGS_DB_POOL_MAX_SIZE=0 must be at least 1"),
    (PG, {"DEVLOGS_DB_POOL_MAX_SIZE": "1.5"}, "is not an integer"),
    (PG, {"DEVLOGS_DB_POOL_MIN_SIZE": "5", "DEVLOGS_DB_POOL_MAX_SIZE": "4"},
     "DEVLOGS_DB_POOL_MAX_SIZE=4 must be at least DEVLOGS_DB_POOL_MIN_SIZE=5"),
    (PG, {"DEVLOGS_DB_POOL_TIMEOUT": "soon"}, "DEVLOGS_DB_POOL_TIMEOUT='soon' is not a number"),
    (PG, {"DEVLOGS_DB_POOL_TIMEOUT": "0"}, "DEVLOGS_DB_POOL_TIMEOUT=0.0 must be at least 0.1"),
    # Checked even with the pool off, so a typo does not wait for the day it is switched on.
    (PG, {"DEVLOGS_DB_POOL": "off", "DEVLOGS_DB_POOL_MAX_SIZE": "many"}, "is not an integer"),
    (SQLITE, {"DEVLOGS_DB_POOL_TIMEOUT": "-3"}, "must be at least 0.1"),
    (SQLITE, {"DEVLOGS_DB_POOL": "on"}, "DEVLOGS_DB_POOL=on needs PostgreSQL"),
])
def test_bad_pool_settings_raise_improperly_configured(pool_env, engine, env, message):
    from devlogs.database import database_pool_settings

    for name, value in env.items():
        pool_env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        database_pool_settings(engine)


@pytest.mark.parametrize("value", ["60", "1"])
def test_persistent_connections_with_the_pool_raise_improperly_configured(pool_env, value):
    from devlogs.database import database_conn_max_age

    pool_env.setenv("DATABASE_CONN_MAX_AGE", value)
    with pytest.raises(ImproperlyConfigured, match=f"DATABASE_CONN_MAX_AGE={value} cannot be used with the "
                                                   "connection pool"):
        database_conn_max_age(pooled=True)
