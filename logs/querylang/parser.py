"""Search query text → AST (frozen dataclasses), and back (`to_text`).

Grammar (precedence NOT > AND > OR; AND is implicit between adjacent terms):

    query    := [ or ] END
    or       := and ( "OR" and )*
    and      := unary ( [ "AND" ] unary )*
    unary    := ( "NOT" | "-" ) unary | primary
    primary  := "(" or ")" | term
    term     := WORD | "phrase" | field ":" [ op ] value
    field    := level | app | service | host | trace_id | span_id | message
              | attributes.<key>[.<key>…] | attr.<key>[.<key>…]
    op       := ">=" | ">" | "<=" | "<"          (level and attributes only)
    value    := WORD | "quoted"                   (bare `*` alone: the field is present)

Unquoted `*` in a value is a wildcard (any run of characters); inside quotes it is literal.
Inside quotes, `\\"` is a quote and `\\\\` a backslash; any other backslash is literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from logline.levels import NAMES, parse_level
from logs.numbers import is_number

MAX_LENGTH = 2000
MAX_TERMS = 100
MAX_DEPTH = 40  # nested parentheses / NOTs

COLUMN_FIELDS = ("app", "service", "host", "trace_id", "span_id")
FIELDS = ("level", "app", "service", "host", "trace_id", "span_id", "message")
KNOWN_FIELDS_TEXT = ", ".join(FIELDS) + ", attributes.<key> (or attr.<key>)"
COMPARISONS = (">=", "<=", ">", "<")
KEYWORDS = ("AND", "OR", "NOT")
LITERALS = {"true": True, "false": False, "null": None}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATTR_PREFIX = re.compile(r"(?i)(attributes|attr)\.")


def _stops(ch: str) -> bool:
    """Characters that end a bare word."""
    return ch in '()"' or ch.isspace()


class QueryError(ValueError):
    """A query that cannot be parsed: `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int, expected: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.expected = expected

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position})"

    def as_dict(self) -> dict:
        return {"message": self.message, "position": self.position, "expected": self.expected}


# --- AST ------------------------------------------------------------------------------------

class Node:
    """Base of the AST; every node is a frozen (hashable, comparable) dataclass."""

    __slots__ = ()


@dataclass(frozen=True)
class Text(Node):
    """The message holds `value` on word boundaries, any case (logs/tokens.py); with wildcard, the
    message contains the pattern, where `*` matches any run."""
    value: str
    wildcard: bool = False


@dataclass(frozen=True)
class Match(Node):
    """A column field (app, service, host, trace_id, span_id) equals value, or matches the `*` pattern."""
    field: str
    value: str
    wildcard: bool = False


@dataclass(frozen=True)
class Exists(Node):
    """`field:*`: the field is non-empty (attributes: the key is present, not null, not "")."""
    field: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Level(Node):
    op: str  # "=", ">", ">=", "<", "<="
    level: int


@dataclass(frozen=True)
class Attr(Node):
    """An attribute test. kind:
    "string"   value is compared as a string (quoted values, and bare words that are not numbers/literals);
    "number"   op "=": a JSON number equal to it, or the string exactly; other ops: numeric comparison;
    "literal"  value is "true", "false" or "null": that JSON literal;
    "wildcard" a string value matching the `*` pattern.
    """
    path: tuple[str, ...]
    op: str
    value: str
    kind: str


@dataclass(frozen=True)
class Not(Node):
    item: Node


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]


# --- lexer ----------------------------------------------------------------------------------

@dataclass
class _Token:
    kind: str  # "(", ")", "-", "KW", "WORD", "PHRASE", "FIELD", "END"
    pos: int
    text: str = ""
    # FIELD only:
    name: str = ""
    op: str = "="
    value: str = ""
    quoted: bool = False
    value_pos: int = 0


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """text[start] is '"'; returns (value, index after the closing quote)."""
    out = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "\"\\":
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise QueryError(f"the quote opened at character {start} is not closed", len(text), '"')


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, i))
            i += 1
        elif ch == '"':
            value, i_next = _read_quoted(text, i)
            tokens.append(_Token("PHRASE", i, text=value))
            i = i_next
        elif ch == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")":
                raise QueryError("'-' must be followed by the term to exclude", i + 1, "a term")
            tokens.append(_Token("-", i))
            i += 1
        else:
            start = i
            while i < n and not _stops(text[i]):
                i += 1
            word = text[start:i]
            field = _field_token(text, start, word, i)
            if field is not None:
                tokens.append(field)
                i = field.pos_end  # type: ignore[attr-defined]
            elif word in KEYWORDS:
                tokens.append(_Token("KW", start, text=word))
            else:
                tokens.append(_Token("WORD", start, text=word))
    tokens.append(_Token("END", n))
    return tokens


def _field_token(text: str, start: int, word: str, end: int) -> _Token | None:
    """A `name:value` token when the word has a field-like name before its first colon, else None."""
    colon = word.find(":")
    if colon <= 0:
        return None
    name = word[:colon]
    if not (_IDENT.fullmatch(name) or _ATTR_PREFIX.match(name) or name.lower() in ("attributes", "attr")):
        return None
    token = _Token("FIELD", start, text=word, name=name)
    rest = word[colon + 1:]
    value_pos = start + colon + 1
    for op in COMPARISONS:
        if rest.startswith(op):
            token.op = op
            rest = rest[len(op):]
            value_pos += len(op)
            break
    token.value_pos = value_pos
    token.pos_end = end  # type: ignore[attr-defined]
    if rest == "" and end < len(text) and text[end] == '"':
        token.value, token.pos_end = _read_quoted(text, end)  # type: ignore[attr-defined]
        token.quoted = True
    elif rest == "":
        raise QueryError(f"'{name}:' needs a value", value_pos, "a value")
    else:
        token.value = rest
    return token


# --- parser ---------------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.terms = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def is_kw(self, word: str) -> bool:
        return self.tok.kind == "KW" and self.tok.text == word

    def starts_term(self) -> bool:
        t = self.tok
        return t.kind in ("(", "-", "WORD", "PHRASE", "FIELD") or (t.kind == "KW" and t.text == "NOT")

    def parse(self) -> Node | None:
        if self.tok.kind == "END":
            return None
        node = self.parse_or()
        if self.tok.kind == ")":
            raise QueryError("unmatched ')'", self.tok.pos, "a term, an operator or the end of the query")
        if self.tok.kind != "END":  # pragma: no cover - parse_or consumes everything else
            raise QueryError("unexpected input", self.tok.pos, "the end of the query")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.is_kw("OR"):
            self.i += 1
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while True:
            if self.is_kw("AND"):
                self.i += 1
                items.append(self.parse_unary())
            elif self.starts_term():
                items.append(self.parse_unary())
            else:
                break
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        nots = 0
        while self.tok.kind == "-" or self.is_kw("NOT"):
            nots += 1
            if self.depth + nots > MAX_DEPTH:
                raise QueryError(f"the query nests deeper than {MAX_DEPTH} levels", self.tok.pos)
            self.i += 1
        self.depth += nots
        node = self.parse_primary()
        self.depth -= nots
        for _ in range(nots):
            node = Not(node)
        return node

    def parse_primary(self) -> Node:
        t = self.tok
        if t.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"the query nests deeper than {MAX_DEPTH} levels", t.pos)
            self.i += 1
            if self.tok.kind == ")":
                raise QueryError("empty parentheses", self.tok.pos, "a term")
            node = self.parse_or()
            if self.tok.kind != ")":
                raise QueryError(f"the '(' at character {t.pos} is not closed", self.tok.pos, ")")
            self.i += 1
            self.depth -= 1
            return node
        if t.kind in ("WORD", "PHRASE", "FIELD"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QueryError(f"the query has more than {MAX_TERMS} terms", t.pos)
            self.i += 1
            if t.kind == "WORD":
                return Text(t.text, wildcard="*" in t.text)
            if t.kind == "PHRASE":
                return Text(t.text)
            return _field_node(t)
        if t.kind == "KW":
            where = "at the start" if self.i == 0 else f"after {self._before()}"
            raise QueryError(f"'{t.text}' cannot come {where}; it needs a term on each side"
                             if t.text != "NOT" else "'NOT' needs a term after it", t.pos, "a term")
        if t.kind == ")":
            raise QueryError("unmatched ')'" if self.depth == 0 else "expected a term before ')'", t.pos, "a term")
        if t.kind == "END":
            raise QueryError("the query ends where a term was expected", t.pos, "a term")
        raise QueryError("unexpected input", t.pos, "a term")  # pragma: no cover

    def _before(self) -> str:
        prev = self.tokens[self.i - 1]
        return f"'{prev.text}'" if prev.kind == "KW" else ("'('" if prev.kind == "(" else "'-'" if prev.kind == "-"
                                                             else "a term")


def _field_node(t: _Token) -> Node:
    name, op, value, quoted = t.name, t.op, t.value, t.quoted
    lowered = name.lower()
    star = not quoted and value == "*"
    wildcard = not quoted and "*" in value
    prefix = _ATTR_PREFIX.match(name)
    if prefix or lowered in ("attributes", "attr"):
        key = name[prefix.end():] if prefix else ""
        path = tuple(key.split("."))
        if key == "" or "" in path:
            raise QueryError(f"'{name}' needs a key path like attributes.http.status (no empty keys)", t.pos,
                             "an attribute key")
        if op != "=":
            if not is_number(value):
                raise QueryError(f"'{op}' compares numbers; {value[:40]!r} is not a number", t.value_pos, "a number")
            return Attr(path, op, value, "number")
        if star:
            return Exists("attributes", path)
        if wildcard:
            return Attr(path, "=", value, "wildcard")
        if not quoted and is_number(value):
            return Attr(path, "=", value, "number")
        if not quoted and value in LITERALS:
            return Attr(path, "=", value, "literal")
        return Attr(path, "=", value, "string")
    if lowered not in FIELDS:
        raise QueryError(f"unknown field {name[:40]!r}; known fields: {KNOWN_FIELDS_TEXT}", t.pos, "a known field")
    if lowered == "level":
        if star:
            if op != "=":
                raise QueryError("'*' cannot be compared", t.value_pos, "a level")
            return Exists("level")
        try:
            return Level(op, parse_level(value))
        except ValueError as exc:
            raise QueryError(str(exc), t.value_pos, "a level") from None
    if op != "=":
        raise QueryError(f"'{op}' works only with level and attributes, not {lowered}", t.value_pos - len(op),
                         "a value")
    if star:
        return Exists(lowered)
    if lowered == "message":
        return Text(value, wildcard=wildcard)
    if lowered in ("trace_id", "span_id"):
        value = value.lower()  # stored in one normal form: lower case (ingest/parsing.py, trace_id_form)
    return Match(lowered, value, wildcard=wildcard)


def parse(text: str) -> Node | None:
    """The AST of a query; None for an empty (or all-whitespace) query. QueryError when invalid."""
    if not isinstance(text, str):
        raise QueryError("the query must be a string", 0, "a query")
    if len(text) > MAX_LENGTH:
        raise QueryError(f"the query is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    for position, ch in enumerate(text):
        if ch == "\x00" or "\ud800" <= ch <= "\udfff":
            raise QueryError(f"the query contains an invalid character ({ord(ch):#06x})", position)
    return _Parser(text).parse()


# --- rendering -------------------------------------------------------------------------------

def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bare(value: str, *, word: bool = False) -> str:
    """A value that must stay unquoted (wildcards, numbers, literals): a field value, or a whole word."""
    if not value or any(_stops(c) for c in value):
        raise ValueError(f"{value!r} cannot be written unquoted")
    if word:
        colon = value.find(":")
        name = value[:colon]
        if (value in KEYWORDS or value[0] == "-"
                or colon > 0 and (_IDENT.fullmatch(name) or _ATTR_PREFIX.match(name)
                                  or name.lower() in ("attributes", "attr"))):
            raise ValueError(f"{value!r} cannot be written as a bare word")
    elif value[0] in "<>":
        raise ValueError(f"{value!r} cannot be written as a bare value")
    return value


_OP_TEXT = {"=": ""}


def _plain(value: str) -> str:
    """A literal value, bare when it reads back the same, quoted otherwise."""
    if (value and "*" not in value and not any(_stops(c) for c in value) and value not in KEYWORDS
            and value[0] not in "<>-\\" and ":" not in value and "\\" not in value):
        return value
    return quote(value)


def to_text(node: Node | None) -> str:
    """Query text that parses back to an equal AST (for ASTs the parser can produce)."""
    if node is None:
        return ""
    if isinstance(node, Text):
        if node.wildcard:
            return _bare(node.value, word=True)
        return _plain(node.value)
    if isinstance(node, Match):
        return f"{node.field}:{_bare(node.value) if node.wildcard else _plain(node.value)}"
    if isinstance(node, Exists):
        return f"{'.'.join(('attributes', *node.path)) if node.path else node.field}:*"
    if isinstance(node, Level):
        return f"level:{_OP_TEXT.get(node.op, node.op)}{NAMES[node.level]}"
    if isinstance(node, Attr):
        name = ".".join(("attributes", *node.path))
        if node.kind == "string":
            plain = _plain(node.value)
            value = quote(node.value) if is_number(plain) or plain in LITERALS else plain
        else:
            value = _bare(node.value)
        return f"{name}:{_OP_TEXT.get(node.op, node.op)}{value}"
    if isinstance(node, Not):
        inner = node.item
        return "NOT " + (f"({to_text(inner)})" if isinstance(inner, (And, Or)) else to_text(inner))
    if isinstance(node, And):
        return " ".join(f"({to_text(i)})" if isinstance(i, (And, Or)) else to_text(i) for i in node.items)
    if isinstance(node, Or):
        return " OR ".join(f"({to_text(i)})" if isinstance(i, Or) else to_text(i) for i in node.items)
    raise TypeError(f"not a query node: {node!r}")
