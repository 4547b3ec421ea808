"""Lookups on the message: `ilike_contains` (substring, any case) and `word_match` (a word or phrase
on word boundaries, any case: logs/tokens.py says exactly what that means).

Django's `icontains` writes `UPPER(message) LIKE UPPER(%s)`; `ILIKE` is cheaper per row and
what PostgreSQL indexes could serve. SQLite's LIKE is case-insensitive for ASCII letters.
"""

from django.db.models import Lookup, TextField

from logs.tokens import postgres_pattern, python_pattern


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@TextField.register_lookup
class ILikeContains(Lookup):
    lookup_name = "ilike_contains"
    prepare_rhs = False

    def pattern(self) -> str:
        """The LIKE pattern for the value (subclasses may allow wildcards)."""
        return escape_like(str(self.rhs))

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{lhs} {operator} %s ESCAPE '\\'", [*lhs_params, f"%{self.pattern()}%"]


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
        # SQLite: Django registers REGEXP as Python's re.search, the very test matches() makes.
        return f"{lhs} REGEXP %s", [*lhs_params, "(?is)" + python_pattern(term)]
