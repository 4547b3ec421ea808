"""AST → django.db.models.Q on LogEntry. User text only ever travels as query parameters.

- message words and phrases: `word_match` (on word boundaries, any case; on PostgreSQL the search
  first narrows to the blocks of lines that hold every word: logs/token_blocks.py); with `*` the
  `ql_icontains_wildcard` lookup below (a substring pattern, scanned within the time range);
- field wildcards: `ql_wildcard` (PostgreSQL: LIKE … ESCAPE, SQLite: GLOB, both case-sensitive);
- attribute equality on PostgreSQL: `attributes @> {...}` (the block index first narrows to the
  blocks that hold the attribute's token, logs/tokens.py);
  everything else on attributes: the small SQL expression `_AttrSQL`, written per vendor and
  null-safe (always true or false, never NULL, so NOT means "not").
The compiler never scopes by tenant: callers AND the result with their tenant filter.
"""

from __future__ import annotations

import json
from functools import reduce
from typing import Callable

from django.db import connection
from django.db.models import CharField, Lookup, Q, TextField

from logs.lookups import ColumnCondition, ILikeContains, escape_like  # importing registers message__word_match too
from logs.numbers import number_value
from logs.querylang.parser import And, Attr, Exists, Level, Match, Node, Not, Or, Text
from logs.tokens import wildcard_pattern

_LEVEL_LOOKUP = {"=": "level", ">": "level__gt", ">=": "level__gte", "<": "level__lt", "<=": "level__lte"}
_SQL_OP = {"=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def _like_pattern(pattern: str) -> str:
    return "%".join(escape_like(piece) for piece in pattern.split("*"))


def _glob_pattern(pattern: str) -> str:
    escaped = (piece.replace("[", "[[]").replace("?", "[?]").replace("*", "[*]") for piece in pattern.split("*"))
    return "*".join(escaped)


class WildcardMatch(Lookup):
    """All of the value matches the pattern; `*` is any run of characters; case-sensitive."""
    lookup_name = "ql_wildcard"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "sqlite":  # LIKE is case-insensitive there; GLOB is not
            return f"{lhs} GLOB %s", [*lhs_params, _glob_pattern(str(self.rhs))]
        return f"{lhs} LIKE %s ESCAPE '\\'", [*lhs_params, _like_pattern(str(self.rhs))]


class IContainsWildcard(ILikeContains):
    """The value contains the pattern, case-insensitively; `*` is any run of characters."""
    lookup_name = "ql_icontains_wildcard"

    def pattern(self) -> str:
        return _like_pattern(str(self.rhs))

    def regex(self) -> str:
        return wildcard_pattern(str(self.rhs))


for _field in (CharField, TextField):
    _field.register_lookup(WildcardMatch)
    _field.register_lookup(IContainsWildcard)


class _AttrSQL(ColumnCondition):
    """A test on the attribute at `path`; renders to a boolean that is never NULL.

    test: "string" | "number" | "compare" | "literal" | "wildcard" | "exists".
    """

    def __init__(self, path: tuple[str, ...], test: str, op: str = "=", value: str = ""):
        super().__init__("attributes")
        self.path, self.test, self.op, self.value = tuple(path), test, op, value

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            sql, params = self._postgresql(column, column_params)
        elif connection.vendor == "sqlite":
            sql, params = self._sqlite(column, column_params)
        else:  # pragma: no cover
            raise NotImplementedError(f"attribute queries are not implemented for {connection.vendor}")
        return f"COALESCE(({sql}), FALSE)", params

    def _postgresql(self, column, column_params):
        # Object keys only (`-> 'key'::text`), like matches(): never an array index.
        value_sql = f"({column}" + "".join(" -> %s::text" for _ in self.path) + ")"
        value_params = [*column_params, *self.path]
        text_sql = f"({value_sql} #>> '{{}}')"
        type_sql = f"jsonb_typeof({value_sql})"
        if self.test == "compare":
            # CASE: the cast runs only on numbers.
            return (f"CASE WHEN {type_sql} = 'number' THEN {text_sql}::numeric {_SQL_OP[self.op]} %s::numeric "
                    f"ELSE FALSE END", [*value_params, *value_params, self.value])
        if self.test == "wildcard":
            return (f"{type_sql} = 'string' AND {text_sql} LIKE %s ESCAPE '\\'",
                    [*value_params, *value_params, _like_pattern(self.value)])
        if self.test == "exists":
            return f"{type_sql} <> 'null' AND {value_sql} <> '\"\"'::jsonb", [*value_params, *value_params]
        raise ValueError(self.test)  # equality goes through attributes__contains

    def _sqlite(self, column, column_params):
        # Keys as Django writes them (json.dumps, ASCII-escaped), matching how the column is stored.
        path = "$" + "".join("." + json.dumps(key) for key in self.path)
        type_sql, type_params = f"json_type({column}, %s)", [*column_params, path]
        value_sql, value_params = f"json_extract({column}, %s)", [*column_params, path]
        is_text = f"{type_sql} = 'text'"
        is_number = f"{type_sql} IN ('integer', 'real')"
        if self.test == "string":
            return f"{is_text} AND {value_sql} = %s", [*type_params, *value_params, self.value]
        if self.test == "number":
            return (f"({is_number} AND {value_sql} = %s) OR ({is_text} AND {value_sql} = %s)",
                    [*type_params, *value_params, number_value(self.value), *type_params, *value_params, self.value])
        if self.test == "compare":
            return (f"{is_number} AND {value_sql} {_SQL_OP[self.op]} %s",
                    [*type_params, *value_params, number_value(self.value)])
        if self.test == "literal":
            return f"{type_sql} = %s", [*type_params, self.value]  # json_type names: 'true', 'false', 'null'
        if self.test == "wildcard":
            return f"{is_text} AND {value_sql} GLOB %s", [*type_params, *value_params, _glob_pattern(self.value)]
        if self.test == "exists":
            return (f"{type_sql} <> 'null' AND NOT ({is_text} AND {value_sql} = '')",
                    [*type_params, *type_params, *value_params])
        raise ValueError(self.test)


def _nested(path: tuple[str, ...], value) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value


def _everything() -> Q:
    return ~Q(pk__in=[])  # not an empty Q(): `Q() | x` would collapse to x


def app_ids_matching(node: Match, ids_for: Callable[[str], list[int]]) -> list[int] | None:
    """The ids of the apps an `app:` match names; None when it names none (a literal '*' is never
    in a slug)."""
    if not node.wildcard and "*" in node.value:
        return None
    return ids_for(node.value)


def _nothing() -> Q:
    return Q(pk__in=[])


def _attr(node: Attr, vendor: str) -> Q:
    if node.op != "=":
        return Q(_AttrSQL(node.path, "compare", node.op, node.value))
    if node.kind == "wildcard":
        return Q(_AttrSQL(node.path, "wildcard", value=node.value))
    if vendor == "postgresql":
        if node.kind == "string":
            return Q(attributes__contains=_nested(node.path, node.value))
        if node.kind == "literal":
            return Q(attributes__contains=_nested(node.path, {"true": True, "false": False, "null": None}[node.value]))
        return (Q(attributes__contains=_nested(node.path, number_value(node.value)))
                | Q(attributes__contains=_nested(node.path, node.value)))
    return Q(_AttrSQL(node.path, node.kind, value=node.value))


def compile_query(node: Node | None, *, app_ids: Callable[[str], list[int]]) -> Q:
    """A Q on LogEntry equivalent to matches(node, entry). Not scoped to a tenant: AND it with one.

    app_ids(pattern) → ids of the caller's apps whose slug matches pattern (`*` wildcards,
    case-sensitive; see matcher.wildcard_match). Called once per distinct app value.
    """
    if node is None:
        return Q()
    vendor = connection.vendor
    cache: dict[str, list[int]] = {}

    def ids_for(pattern: str) -> list[int]:
        if pattern not in cache:
            cache[pattern] = list(app_ids(pattern))
        return cache[pattern]

    def build(n: Node) -> Q:
        if isinstance(n, And):
            return reduce(lambda a, b: a & b, (build(i) for i in n.items))
        if isinstance(n, Or):
            return reduce(lambda a, b: a | b, (build(i) for i in n.items))
        if isinstance(n, Not):
            return ~build(n.item)
        if isinstance(n, Text):
            if n.wildcard:
                return Q(message__ql_icontains_wildcard=n.value)
            return Q(message__word_match=n.value)
        if isinstance(n, Match):
            if n.field == "app":
                ids = app_ids_matching(n, ids_for)
                return _nothing() if ids is None else Q(app_id__in=ids)
            if n.wildcard:
                return Q(**{f"{n.field}__ql_wildcard": n.value})
            return Q(**{n.field: n.value})
        if isinstance(n, Exists):
            if n.field == "attributes":
                return Q(_AttrSQL(n.path, "exists"))
            if n.field in ("app", "level"):
                return _everything()
            return ~Q(**{n.field: ""})
        if isinstance(n, Level):
            return Q(**{_LEVEL_LOOKUP[n.op]: n.level})
        if isinstance(n, Attr):
            return _attr(n, vendor)
        raise TypeError(f"not a query node: {n!r}")

    return build(node)
