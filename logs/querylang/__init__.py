"""The search query language: parse(text) → AST, compile_query(AST) → Q, matches(AST, entry) → bool.

See docs/query-language.md.
"""

from logs.querylang.compiler import compile_query
from logs.querylang.matcher import matches, wildcard_match
from logs.querylang.parser import Node, QueryError, parse, to_text

__all__ = ["parse", "QueryError", "Node", "compile_query", "matches", "wildcard_match", "to_text"]
