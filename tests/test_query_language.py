"""The query language without a database: the parser (every operator, every error), rendering back
to text, matches() on entries, and hypothesis properties (parse never fails with anything but
QueryError; to_text(ast) parses back to the same ast)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logline.levels import DEBUG, ERROR, FATAL, INFO, NAMES, WARN
from logs.querylang import Node, QueryError, matches, parse, to_text, wildcard_match
from logs.querylang.parser import MAX_LENGTH, MAX_TERMS, And, Attr, Exists, Level, Match, Not, Or, Text

A, B, C, D = Text("a"), Text("b"), Text("c"), Text("d")


# --- parser: every operator ------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("", None),
    ("   \t\n", None),
    ("a", A),
    ('"a"', A),
    ("a b", And((A, B))),
    ("a AND b", And((A, B))),
    ("a b AND c", And((A, B, C))),
    ("a OR b", Or((A, B))),
    ("a OR b OR c", Or((A, B, C))),
    ("a b OR c d", Or((And((A, B)), And((C, D))))),
    ("a AND b OR c", Or((And((A, B)), C))),
    ("a OR b AND c", Or((A, And((B, C))))),
    ("(a OR b) c", And((Or((A, B)), C))),
    ("a (b OR c)", And((A, Or((B, C))))),
    ("((a))", A),
    ("(a b) c", And((And((A, B)), C))),
    ("NOT a", Not(A)),
    ("-a", Not(A)),
    ("NOT a b", And((Not(A), B))),
    ("NOT a OR b", Or((Not(A), B))),
    ("NOT (a OR b)", Not(Or((A, B)))),
    ("-(a OR b)", Not(Or((A, B)))),
    ("NOT NOT a", Not(Not(A))),
    ("--a", Not(Not(A))),
    ("a -b", And((A, Not(B)))),
    ("a-b", Text("a-b")),
    ("or and not", And((Text("or"), Text("and"), Text("not")))),
    ('"OR"', Text("OR")),
    ('"exact phrase here"', Text("exact phrase here")),
    ('"say \\"hi\\" \\\\ now"', Text('say "hi" \\ now')),
    ('"C:\\temp"', Text("C:\\temp")),
    ("time*out", Text("time*out", wildcard=True)),
    ('"time*out"', Text("time*out")),
    ("12:30", Text("12:30")),
    ("100%", Text("100%")),
    ("user_id", Text("user_id")),
    ("日本語", Text("日本語")),
    ("message:hello", Text("hello")),
    ('message:"hello world"', Text("hello world")),
    ("message:*", Exists("message")),
    ("level:error", Level("=", ERROR)),
    ("level:ERR", Level("=", ERROR)),
    ("LEVEL:critical", Level("=", FATAL)),
    ("level:>=warn", Level(">=", WARN)),
    ("level:>warning", Level(">", WARN)),
    ("level:<=info", Level("<=", INFO)),
    ("level:<info", Level("<", INFO)),
    ('level:"debug"', Level("=", DEBUG)),
    ("level:3", Level("=", ERROR)),
    ("level:*", Exists("level")),
    ("app:web", Match("app", "web")),
    ("app:web-*", Match("app", "web-*", wildcard=True)),
    ("app:*", Exists("app")),
    ("service:billing", Match("service", "billing")),
    ('service:"billing api"', Match("service", "billing api")),
    ("service:*api*", Match("service", "*api*", wildcard=True)),
    ('service:"*api*"', Match("service", "*api*")),
    ("host:web-*", Match("host", "web-*", wildcard=True)),
    ("host:*", Exists("host")),
    ('host:""', Match("host", "")),
    ("host:a:b", Match("host", "a:b")),
    ("host:web?1", Match("host", "web?1")),
    ("trace_id:4bf92f35", Match("trace_id", "4bf92f35")),
    ("span_id:00f0*", Match("span_id", "00f0*", wildcard=True)),
    ("attributes.user_id:42", Attr(("user_id",), "=", "42", "number")),
    ("attr.user_id:42", Attr(("user_id",), "=", "42", "number")),
    ("attr.user_id:-4.5e2", Attr(("user_id",), "=", "-4.5e2", "number")),
    ('attr.user_id:"42"', Attr(("user_id",), "=", "42", "string")),
    ("attr.zip:02134", Attr(("zip",), "=", "02134", "string")),
    ("attributes.http.status:500", Attr(("http", "status"), "=", "500", "number")),
    ("attributes.ok:true", Attr(("ok",), "=", "true", "literal")),
    ("attributes.ok:false", Attr(("ok",), "=", "false", "literal")),
    ("attributes.x:null", Attr(("x",), "=", "null", "literal")),
    ('attributes.x:"null"', Attr(("x",), "=", "null", "string")),
    ("attributes.method:GET", Attr(("method",), "=", "GET", "string")),
    ("attributes.path:/api/*", Attr(("path",), "=", "/api/*", "wildcard")),
    ("attributes.path:*", Exists("attributes", ("path",))),
    ("attributes.status:>=500", Attr(("status",), ">=", "500", "number")),
    ("attributes.status:>500", Attr(("status",), ">", "500", "number")),
    ("attributes.status:<500", Attr(("status",), "<", "500", "number")),
    ("attributes.status:<=1.5", Attr(("status",), "<=", "1.5", "number")),
    ('attributes.status:>="500"', Attr(("status",), ">=", "500", "number")),
    ("attributes.a'b:1", Attr(("a'b",), "=", "1", "number")),
    ("Attributes.Key:v", Attr(("Key",), "=", "v", "string")),
    ("-host:x level:>=warn OR attributes.a.b:*",
     Or((And((Not(Match("host", "x")), Level(">=", WARN))), Exists("attributes", ("a", "b"))))),
])
def test_parse(query, expected):
    assert parse(query) == expected


def test_nodes_are_frozen_and_hashable():
    node = parse('a OR host:"x"')
    assert isinstance(node, Node)
    assert hash(node) == hash(parse('a OR host:"x"'))
    with pytest.raises(AttributeError):
        node.items = ()


# --- parser: every error -------------------------------------------------------------------------

@pytest.mark.parametrize("query, position, expected, message", [
    ("level:>=loud", 8, "a level", "unknown level"),
    ("level:loud", 6, "a level", "unknown level"),
    ('level:""', 6, "a level", "unknown level"),
    ("level:>*", 7, "a level", "cannot be compared"),
    ("(a OR b", 7, ")", "not closed"),
    ("((a) b", 6, ")", "not closed"),
    ("colour:red", 0, "a known field", "level, app, service, host, trace_id, span_id, message, attributes"),
    ("a colour:red", 2, "a known field", "unknown field 'colour'"),
    ("host:", 5, "a value", "needs a value"),
    ("host: x", 5, "a value", "needs a value"),
    ("level:>=", 8, "a value", "needs a value"),
    ("(host:)", 6, "a value", "needs a value"),
    ("a OR", 4, "a term", "ends where a term was expected"),
    ("OR a", 0, "a term", "'OR'"),
    ("a OR OR b", 5, "a term", "'OR'"),
    ("a AND", 5, "a term", "ends"),
    ("AND a", 0, "a term", "'AND'"),
    ("a AND OR b", 6, "a term", "'OR'"),
    ("NOT", 3, "a term", "ends"),
    ("a NOT", 5, "a term", "ends"),
    ("-", 1, "a term", "'-'"),
    ("a - b", 3, "a term", "'-'"),
    ("(-)", 2, "a term", "'-'"),
    ("()", 1, "a term", "empty parentheses"),
    ("(a OR)", 5, "a term", "before ')'"),
    ("a )", 2, "a term, an operator or the end of the query", "unmatched ')'"),
    (")", 0, "a term", "unmatched ')'"),
    ('"abc', 4, '"', "not closed"),
    ('host:"abc', 9, '"', "not closed"),
    ("host:>x", 5, "a value", "only with level and attributes"),
    ("service:<=x", 8, "a value", "only with level and attributes"),
    ("message:>x", 8, "a value", "only with level and attributes"),
    ("attributes.status:>=abc", 20, "a number", "not a number"),
    ("attributes.status:>true", 19, "a number", "not a number"),
    ("attributes.status:>1e999", 19, "a number", "not a number"),
    ("attributes:1", 0, "an attribute key", "key path"),
    ("attr.:1", 0, "an attribute key", "key path"),
    ("attr.a..b:1", 0, "an attribute key", "key path"),
    ("attributes.a.:1", 0, "an attribute key", "key path"),
    ("a\x00b", 1, None, "invalid character"),
    ("a\ud800", 1, None, "invalid character"),
])
def test_errors(query, position, expected, message):
    with pytest.raises(QueryError) as info:
        parse(query)
    error = info.value
    assert error.position == position, error
    assert error.expected == expected, error
    assert message in error.message, error
    assert error.as_dict() == {"message": error.message, "position": position, "expected": expected}
    assert isinstance(error, ValueError)


def test_limits():
    assert parse("a" * MAX_LENGTH) == Text("a" * MAX_LENGTH)
    with pytest.raises(QueryError) as info:
        parse("a" * (MAX_LENGTH + 1))
    assert info.value.position == MAX_LENGTH and "longer than 2000" in info.value.message

    assert len(parse(" ".join(["w"] * MAX_TERMS)).items) == MAX_TERMS
    with pytest.raises(QueryError) as info:
        parse(" ".join(["w"] * (MAX_TERMS + 1)))
    assert info.value.position == 2 * MAX_TERMS and "more than 100 terms" in info.value.message

    parse("(" * 40 + "a" + ")" * 40)
    with pytest.raises(QueryError, match="deeper"):
        parse("(" * 41 + "a" + ")" * 41)
    with pytest.raises(QueryError, match="deeper"):
        parse("NOT " * 41 + "a")
    with pytest.raises(QueryError, match="deeper"):
        parse("-" * 1000 + "a")


def test_a_non_string_is_a_query_error():
    with pytest.raises(QueryError):
        parse(None)


# --- rendering -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, text", [
    ("foo bar", "foo bar"),
    ("a OR b c", "a OR b c"),
    ("(a OR b) c", "(a OR b) c"),
    ("-a", "NOT a"),
    ('"OR" "a b" "-x" "k:v"', '"OR" "a b" "-x" "k:v"'),
    ("attr.user_id:42", "attributes.user_id:42"),
    ('attributes.x:"42"', 'attributes.x:"42"'),
    ('attributes.x:"true"', 'attributes.x:"true"'),
    ("level:err", "level:error"),
    ("level:>=warning", "level:>=warn"),
    ('service:"billing api"', 'service:"billing api"'),
    ("NOT (a OR b)", "NOT (a OR b)"),
])
def test_to_text(query, text):
    assert to_text(parse(query)) == text
    assert parse(to_text(parse(query))) == parse(query)


# --- matches() -----------------------------------------------------------------------------------

ENTRY = {"id": "x", "time": "2026-11-29T10:00:00.000000Z", "received_at": "2026-11-29T10:00:00.000000Z",
         "app": "web-frontend", "level": "warn", "message": "Payment FAILED for user_42 (100% sure)",
         "service": "billing api", "host": "web-7", "trace_id": "abc123", "span_id": "",
         "attributes": {"user_id": 42, "sid": "42", "http": {"status": 503, "path": "/api/v1/pay"}, "ok": False,
                        "none": None, "empty": "", "tags": ["a"], "price": 9.5, "flag": True}}


@pytest.mark.parametrize("query, expected", [
    ("", True),
    ("payment", True), ("PAYMENT failed", True), ("payment refunded", False), ('"failed for"', True),
    ("payment OR refunded", True), ("NOT payment", False), ("-refunded", True), ("pay*user", True),
    ("pay*zzz", False), ("100%", True), ("user_42", True), ("user?42", False),
    ("level:warn", True), ("level:error", False), ("level:>=warn", True), ("level:>warn", False),
    ("level:<=info", False), ("level:<error", True),
    ("app:web-frontend", True), ("app:web", False), ("app:web-*", True), ("app:*front*", True), ("app:*", True),
    ("service:billing", False), ('service:"billing api"', True), ("service:*api", True), ("service:*API", False),
    ("host:web-7", True), ("host:WEB-7", False), ("host:web-?", False), ("host:*", True),
    ("span_id:*", False), ("trace_id:abc*", True),
    ("attributes.user_id:42", True), ("attributes.sid:42", True), ('attributes.user_id:"42"', False),
    ('attributes.sid:"42"', True), ("attributes.user_id:42.0", True), ("attributes.sid:42.0", False),
    ("attributes.http.status:503", True), ("attributes.http.status:>=500", True),
    ("attributes.http.status:<500", False),
    ("attributes.sid:>=40", False), ("attributes.price:>9", True), ("attributes.price:<=9.5", True),
    ("attributes.http.path:/api/*", True), ("attributes.http.path:/API/*", False), ("attributes.http:*", True),
    ("attributes.ok:false", True), ("attributes.ok:true", False), ("attributes.flag:true", True),
    ("attributes.flag:1", False), ("attributes.none:null", True), ("attributes.missing:null", False),
    ("attributes.none:*", False), ("attributes.empty:*", False), ("attributes.tags:*", True),
    ("attributes.missing:*", False), ("attributes.tags:a", False), ("attributes.user_id.x:1", False),
    ("NOT attributes.missing:1", True),
])
def test_matches(query, expected):
    assert matches(parse(query), ENTRY) is expected


def test_wildcard_match():
    assert wildcard_match("web-*", "web-1") and wildcard_match("*", "") and wildcard_match("a*b*c", "aXbYc")
    assert not wildcard_match("web-*", "api") and not wildcard_match("web", "web-1")
    assert wildcard_match("a.b", "a.b") and not wildcard_match("a.b", "aXb")  # no regex leaks
    assert wildcard_match("100%_x", "100%_x") and not wildcard_match("100%_x", "1000Ax")


# --- hypothesis --------------------------------------------------------------------------------------

NOISE = st.lists(st.sampled_from(list('abc ():"*-\\<>=.\'%_\té') + ["OR", "AND", "NOT", "level", "host",
                                                                  "attributes.", "attr."]),
                 max_size=40).map("".join)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), NOISE,
                 st.lists(st.sampled_from(['a', 'b', 'OR', 'AND', 'NOT', '-', '(', ')', '"', 'level:', 'warn',
                                           '>=', 'host:', '*', 'attr.x:', '1', ' ', 'colour:']),
                          max_size=20).map("".join)))
def test_parse_raises_only_query_errors(text):
    try:
        node = parse(text)
    except QueryError as exc:
        assert 0 <= exc.position <= len(text)
        assert exc.message
    else:
        assert node is None or isinstance(node, Node)
        if node is not None:
            assert parse(to_text(node)) == node  # whatever parses renders back to itself


SAFE = "abcxyz019_-./é"
literal_values = st.text(max_size=12).filter(lambda v: "\x00" not in v)  # rendered quoted when needed
wild_values = st.text(alphabet=SAFE + "*", min_size=1, max_size=8).filter(lambda v: "*" in v and v != "*")
keys = st.text(alphabet="abcxyz019_-/'$é", min_size=1, max_size=6)
paths = st.lists(keys, min_size=1, max_size=3).map(tuple)
numbers = st.from_regex(r"-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?", fullmatch=True)
fields = st.sampled_from(["app", "service", "host", "trace_id", "span_id"])

leaves = st.one_of(
    st.builds(Text, literal_values),
    st.builds(Text, st.text(alphabet="abcxyz019_.*", min_size=1, max_size=8).filter(lambda v: "*" in v),
              st.just(True)),
    # Trace and span ids have one normal form, lower case: the parser folds what it is given.
    st.builds(lambda f, v: Match(f, v.lower() if f in ("trace_id", "span_id") else v), fields, literal_values),
    st.builds(lambda f, v: Match(f, v.lower() if f in ("trace_id", "span_id") else v, True), fields, wild_values),
    st.builds(Exists, st.sampled_from(["app", "service", "host", "trace_id", "span_id", "message", "level"])),
    st.builds(Exists, st.just("attributes"), paths),
    st.builds(Level, st.sampled_from(["=", ">", ">=", "<", "<="]), st.sampled_from(sorted(NAMES))),
    st.builds(Attr, paths, st.just("="), literal_values, st.just("string")),
    st.builds(Attr, paths, st.sampled_from(["=", ">", ">=", "<", "<="]), numbers, st.just("number")),
    st.builds(Attr, paths, st.just("="), st.sampled_from(["true", "false", "null"]), st.just("literal")),
    st.builds(Attr, paths, st.just("="), wild_values.filter(lambda v: not v.startswith("-")), st.just("wildcard")),
)
trees = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(Not, inner),
    st.lists(inner, min_size=2, max_size=4).map(lambda items: And(tuple(items))),
    st.lists(inner, min_size=2, max_size=4).map(lambda items: Or(tuple(items))),
), max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(trees)
def test_rendered_asts_parse_back_equal(node):
    text = to_text(node)
    assert parse(text) == node, text
