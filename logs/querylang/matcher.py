"""The query semantics on one entry in its public API shape (live tail, alerts).

Must agree with compiler.py on every entry; tests/test_query_language_db.py checks that they do.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache

from logline.levels import NUMBERS
from logs.numbers import number_value
from logs.querylang.parser import And, Attr, Exists, Level, Match, Node, Not, Or, Text
from logs.tokens import contains_regex, contains_term, wildcard_pattern

_MISSING = object()
_COMPARE = {"=": operator.eq, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@lru_cache(maxsize=512)
def _whole_regex(pattern: str) -> re.Pattern:
    return re.compile(f"(?:{wildcard_pattern(pattern)})\\Z", re.DOTALL)


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether all of `text` matches `pattern`, where `*` is any run of characters (case-sensitive).

    Callers building `app_ids` for compile_query should select slugs with this, so that the database
    and matches() agree.
    """
    return _whole_regex(pattern).match(text) is not None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _attribute(attributes, path):
    current = attributes
    for key in path:
        if not isinstance(current, dict) or key not in current:
            return _MISSING
        current = current[key]
    return current


def _attr(node: Attr, attributes) -> bool:
    value = _attribute(attributes, node.path)
    if value is _MISSING:
        return False
    if node.kind == "string":
        return isinstance(value, str) and value == node.value
    if node.kind == "wildcard":
        return isinstance(value, str) and wildcard_match(node.value, value)
    if node.kind == "literal":
        expected = {"true": True, "false": False, "null": None}[node.value]
        return value is expected
    # number
    if node.op == "=" and isinstance(value, str):
        return value == node.value
    return _is_number(value) and _COMPARE[node.op](value, number_value(node.value))


def matches(node: Node | None, entry: dict) -> bool:
    """Whether the entry (public shape: app slug, level name, attributes dict…) satisfies the query."""
    if node is None:
        return True
    if isinstance(node, And):
        return all(matches(item, entry) for item in node.items)
    if isinstance(node, Or):
        return any(matches(item, entry) for item in node.items)
    if isinstance(node, Not):
        return not matches(node.item, entry)
    if isinstance(node, Text):
        if node.wildcard:
            return contains_regex(node.value).search(entry["message"]) is not None
        return contains_term(entry["message"], node.value)
    if isinstance(node, Match):
        value = entry[node.field] or ""
        return wildcard_match(node.value, value) if node.wildcard else value == node.value
    if isinstance(node, Exists):
        if node.field == "attributes":
            value = _attribute(entry.get("attributes") or {}, node.path)
            return value is not _MISSING and value is not None and value != ""
        if node.field == "level":
            return True
        return bool(entry.get(node.field))
    if isinstance(node, Level):
        return _COMPARE[node.op](NUMBERS[entry["level"]], node.level)
    if isinstance(node, Attr):
        return _attr(node, entry.get("attributes") or {})
    raise TypeError(f"not a query node: {node!r}")
