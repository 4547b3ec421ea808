"""From a facet's value back to a query: the lines whose field has that value.

logs.facets answers "which values, how many lines each"; dashboards (series split by a field) and
alerts (a sample line for a new value) then need those lines. Building the query node here, in
the query language, keeps the answer equal to what a person gets by typing it in the explorer.
"""

from logs.facets import COLUMNS, facet_field
from logline.levels import parse_level
from logs.querylang import to_text
from logs.numbers import is_number
from logs.querylang.parser import Attr, Level, Match, Node

LITERALS = ("true", "false", "null")


def value_filter(name: str, value: str) -> Node:
    """The query node for `name` = `value`, `value` as logs.facets gives it (text). UnknownFacet if no facet."""
    field = facet_field(name)
    if name == "level":
        return Level("=", parse_level(value))
    if name in COLUMNS:
        return Match(name, value)
    path = tuple(field)
    # facets() shows attribute values as text: 42 and "42" are one row, as `attributes.n:42` matches both.
    if is_number(value):
        return Attr(path, "=", value, "number")
    if value in LITERALS:
        return Attr(path, "=", value, "literal")
    return Attr(path, "=", value, "string")


def value_query(name: str, value: str) -> str:
    """The same as query text (for links to the explorer)."""
    return to_text(value_filter(name, value))
