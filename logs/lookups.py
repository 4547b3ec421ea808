"""Lookups on the message: `ilike_contains` (substring, any case) and `word_match` (a word or phrase
on word boundaries, any case: logs/tokens.py says exactly what that means).

Django's `icontains` writes `UPPER(message) LIKE UPPER(%s)`; `ILIKE` is cheaper per row and
what PostgreSQL indexes could serve. Both fold case as Python does (Unicode), the live matcher's
rule: PostgreSQL in a UTF-8 locale, SQLite through REGEXP (its LIKE folds ASCII only).
"""

import re

from django.db.models import BooleanField, Expression, F, Lookup, TextField

from logs.tokens import postgres_pattern, python_pattern


# SQLite GLOB: text holding a character outside \x01-\x7f.
NOT_ASCII_GLOB = "*[^\x01-\x7f]*"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@TextField.register_lookup
class ILikeContains(Lookup):
    lookup_name = "ilike_contains"
    prepare_rhs = False

    def pattern(self) -> str:
        """The LIKE pattern for the value (subclasses may allow wildcards)."""
        return escape_like(str(self.rhs))

    def regex(self) -> str:
        """The same test as a Python regular expression (flags aside): what SQLite runs."""
        return re.escape(str(self.rhs))

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        like = f"%{self.pattern()}%"
        if connection.vendor == "postgresql":
            return f"{lhs} ILIKE %s ESCAPE '\\'", [*lhs_params, like]
        return sqlite_any_case(lhs, lhs_params, like, self.regex(), str(self.rhs).isascii())


def sqlite_any_case(lhs: str, lhs_params: list, like: str, regex: str, ascii_term: bool) -> tuple[str, list]:
    """SQLite: `regex` found in the column, any case, folded as Python folds (the live matcher's
    rule; Django registers REGEXP as Python's re.search). Before it, where the term is ASCII, LIKE
    (in C) rules out most lines; it folds ASCII case only, and Python also folds a few other letters
    onto ASCII ones (the Kelvin sign onto k), so lines holding anything beyond ASCII skip that test."""
    regexp, params = f"{lhs} REGEXP %s", [*lhs_params, "(?is)" + regex]
    if ascii_term:
        return (f"(({lhs} LIKE %s ESCAPE '\\' OR {lhs} GLOB %s) AND {regexp})",
                [*lhs_params, like, *lhs_params, NOT_ASCII_GLOB, *params])
    return regexp, params


@TextField.register_lookup
class WordMatch(Lookup):
    """The value stands in the text with no word character glued to either end, in any case."""
    lookup_name = "word_match"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        term = str(self.rhs)
        if connection.vendor == "postgresql":
            # ILIKE first: a cheap test that rejects most rows before the regular expression runs.
            return (f"({lhs} ILIKE %s ESCAPE '\\' AND {lhs} ~* %s)",
                    [*lhs_params, f"%{escape_like(term)}%", *lhs_params, postgres_pattern(term)])
        return sqlite_any_case(lhs, lhs_params, f"%{escape_like(term)}%", python_pattern(term), term.isascii())


class ColumnCondition(Expression):
    """A boolean SQL test of one column (`self.column`, an F until resolved) that writes its own
    SQL in `as_sql`: what Django needs to resolve and copy it in a filter."""
    conditional = True

    def __init__(self, column: str):
        super().__init__(output_field=BooleanField())
        self.column = F(column)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.column = self.column.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone


class UnindexedEquals(ColumnCondition):
    """`+column = value`: the same test as column = value, which SQLite's planner will not answer
    from an index on that column (the unary plus makes it an expression). For searches that the
    block index narrowed to id ranges: walking the (tenant, time) index instead would read the
    tenant's whole range."""

    def __init__(self, column: str, value):
        super().__init__(column)
        self.value = value

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"+{sql} = %s", [*params, self.value]
