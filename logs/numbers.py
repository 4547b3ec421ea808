"""What a number is in a query value (`status:500`, `latency:>=0.25`) and in the search index's
attribute tokens (logs/tokens.py): JSON's number syntax, finite; equal as numbers (42 = 42.0 =
4.2e1). Its own module because the query language and the index both need it and neither may
import the other.
"""

import math
import re

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def number_value(text: str) -> int | float:
    """The number a "number" attribute value stands for."""
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)


def is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text)) and math.isfinite(float(text))
