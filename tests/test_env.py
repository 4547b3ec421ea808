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
