"""Redaction at ingest: secrets and personal data leave a line before it reaches the queue.

A tenant's policy (ingest.models.RedactionPolicy, or the defaults when it has none) compiles
into a `Redactor`: built-in families of patterns (credentials, tokens, card numbers, emails),
the tenant's own regular expressions, and attribute keys to drop or mask. Every pattern runs
on RE2 (google-re2), whose matching time is linear in the text, because custom patterns come
from tenants and a backtracking engine would let one pattern stall ingest.

Speed comes from scanning a whole request at once: every message and string attribute value
is joined into one text and searched with one combined pattern. The usual request has no
secret and costs that single scan; only the strings a match touches are rewritten, family by
family, with the checks a regular expression cannot make (Luhn for card numbers, base64 for
Basic credentials).
"""

import base64
import binascii
import bisect
import functools
import logging
import re
from dataclasses import dataclass
from typing import Callable

import re2

log = logging.getLogger("devlogs.ingest.redaction")

MARKER = "[REDACTED:{}]"
MARKER_PREFIX = "[REDACTED:"
MASKED = MARKER.format("attribute")

DEFAULT_MASK_KEYS = ("password", "passwd", "pwd", "passphrase", "secret", "token", "api_key", "apikey",
                     "access_key", "secret_key", "private_key", "authorization", "auth", "cookie",
                     "credential", "credentials")

# Limits on what a tenant may configure: enough for real policies, too little to hurt ingest.
MAX_CUSTOM_PATTERNS = 50
MAX_PATTERN_CHARS = 500
MAX_PROGRAM_SIZE = 5_000  # RE2 instructions per custom pattern
MAX_KEYS = 200
MAX_KEY_CHARS = 200
_PATTERN_MEMORY = 1 << 20  # per custom pattern at validation; "pattern too large" beyond it
_SCAN_MEMORY = 64 << 20  # the combined scan's budget (RE2 falls back to its NFA, never gives up)

# An int this large may be a card number sent as a JSON number.
_CARD_SIZED_INT = 10 ** 12


# --- built-in families -------------------------------------------------------------------
#
# Each family is one RE2 pattern plus how to rewrite a match. `(?m)` is applied to all, so that
# `^` and `$` mean the same in the joined scan as in one string (the start and end of a line).

# Keys whose value is a credential when written key=value, key: value, "key": "value" or
# --key value. The key must end with one of these words, so db_password and X-Api-Key count
# and token_count or password_reset_url do not.
_CREDENTIAL_KEYS = (r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|"
                    r"(?:access|secret|private|account|encryption|signing|master)[_-]?key|"
                    r"credentials?|signature")
# A value: double-quoted (JSON, logfmt), double-quoted inside an escaped JSON string,
# single-quoted, or bare up to a delimiter.
_VALUE = (r'(?:"((?:[^"\\\r\n]|\\.)*)"|\\"((?:[^"\\]|\\[^"])*)\\"|'
          r"'([^'\r\n]*)'|([^\s\"'\\,;&}]+))")


@dataclass(frozen=True)
class Family:
    """One kind of secret: a pattern, and which part of a match to replace by the marker."""

    kind: str
    pattern: str
    spans: Callable  # (text as UTF-8 bytes, match) -> [(start, end), ...] byte spans to replace
    # What the request-wide scan looks for, when narrower than `pattern`: it must match wherever
    # `spans` would replace something. Strings it flags take the slow path, so a pattern that
    # flags what the check then refuses costs every such line ~30 µs.
    flag: str | None = None

    @property
    def scan_pattern(self) -> str:
        return self.flag or self.pattern

    @functools.cached_property
    def regex(self):
        return re2.compile(f"(?m:{self.pattern})", _options())

    @functools.cached_property
    def marker(self) -> bytes:
        return MARKER.format(self.kind).encode()

    def apply(self, data: bytes) -> bytes:
        """Every match in `data` rewritten. Works on bytes: the RE2 wrapper is several times
        slower on str, which it re-encodes and maps back for every match."""
        out, done = [], 0
        for match in self.regex.finditer(data):
            for start, end in self.spans(data, match):
                out += (data[done:start], self.marker)
                done = end
        if not out:
            return data
        out.append(data[done:])
        return b"".join(out)


def _options(max_mem: int = 8 << 20):
    options = re2.Options()
    options.max_mem = max_mem
    options.log_errors = False
    return options


_NO_SPANS: list = []
_MARKER_PREFIX = MARKER_PREFIX.encode()


def whole(data: bytes, match) -> list:
    start, end = match.span()
    return [(start, end)] if end > start else _NO_SPANS


def first_group(data: bytes, match) -> list:
    """The first participating group, unless it is empty or a marker already."""
    for group in range(1, match.re.groups + 1):
        start, end = match.span(group)
        if start >= 0:
            if end == start or data.startswith(_MARKER_PREFIX, start):
                return _NO_SPANS
            return [(start, end)]
    return _NO_SPANS


def custom(data: bytes, match) -> list:
    """A tenant pattern: its first group when it has groups (keep the context), else the whole match."""
    return first_group(data, match) if match.re.groups else whole(data, match)


def checked(check: Callable) -> Callable:
    """Group 1, when `check(group 1 as text, match)` accepts it (what a pattern alone cannot decide)."""
    def spans(data: bytes, match) -> list:
        start, end = match.span(1)
        return [(start, end)] if start >= 0 and check(data[start:end].decode(), match) else _NO_SPANS
    return spans


def _aws_secret(value: str, match) -> bool:
    # An AWS secret key is 40 random base64 characters; a 40-character run without upper,
    # lower and digit is a word, a path or a hex digest (SHA-1 is 40 hex digits). Group 2
    # holds base64 padding: a padded run is an encoded blob, not a key.
    return (len(value) == 40 and match.span(2)[0] == match.span(2)[1] and any(c.isupper() for c in value)
            and any(c.islower() for c in value) and any(c.isdigit() for c in value))


def _looks_like_token(value: str, match) -> bool:
    # "Bearer token expired" is prose; a token has a digit or punctuation and some length.
    return len(value) >= 8 and any(c.isdigit() or c in "-._~+/" for c in value)


def _basic_credentials(value: str, match) -> bool:
    if len(value) < 8 or len(value) % 4:
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(digits: str) -> bool:
    """Issuer prefix and length of a real card scheme: keeps timestamps and ids out."""
    n, p2, p3, p4 = len(digits), int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # American Express
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or 3528 <= p4 <= 3589 or p2 == 62:
        return 16 <= n <= 19  # Discover, JCB, UnionPay
    if 300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095:
        return 14 <= n <= 19  # Diners Club
    if p2 in (50, 56, 57, 58, 63, 67):
        return 13 <= n <= 19  # Maestro
    return False


def is_card_number(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_brand(digits) and luhn(digits)


_DIGIT_GROUPS = re.compile(rb"\d+")


def card_numbers(data: bytes, match) -> list:
    """The cards inside a run of digit groups ("4111 1111 1111 1111 12" is a card and more)."""
    offset, end = match.span()
    groups = [m.span() for m in _DIGIT_GROUPS.finditer(data, offset, end)]
    spans, i = [], 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            start, stop = groups[i][0], groups[j - 1][1]
            digits = b"".join(data[a:b] for a, b in groups[i:j]).decode()
            if is_card_number(digits):
                spans.append((start, stop))
                i = j
                break
        else:
            i += 1
    return spans


# Named token formats: each has a prefix of its own, so a match is the token.
TOKEN_FORMATS = [
    ("aws_access_key_id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251})\b"),
    ("gitlab_token", r"\bgl(?:pat|dt|rt|ptt|ft|cbt|imt|oas|soat|agent)-[A-Za-z0-9_-]{20,}"),
    ("slack_token", r"\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"),
    ("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
    ("stripe_key", r"\b(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})\b"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("google_oauth_token", r"\bya29\.[0-9A-Za-z_-]{20,}"),
    ("anthropic_key", r"\bsk-ant-[a-z]+\d\d-[A-Za-z0-9_-]{20,}"),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    ("huggingface_token", r"\bhf_[A-Za-z]{34}\b"),
    ("digitalocean_token", r"\bdo[pro]_v1_[a-f0-9]{64}\b"),
    ("shopify_token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    ("telegram_bot_token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    ("devlogs_key", r"\bdl_(?:ingest|read|full)_[A-Za-z0-9]{13,}"),
]

_AUTH_SCHEMES = r"bearer|basic|digest|token|negotiate|ntlm|apikey|dpop|sharedkey|aws4-hmac-sha256|hmac[a-z0-9-]*"

# Order matters: an earlier family's marker is not redacted again by a later one, so the more
# specific families come first (a key block before a key=value, a header before its token).
TOKEN_FAMILIES = [
    Family("private_key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
                          r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)", whole),
    Family("authorization", rf"(?i:\b(?:proxy[_-])?authorization)\\?[\"']?\s*[:=]\s*\\?[\"']?"
                            rf"(?:(?i:{_AUTH_SCHEMES})\s+)?([^\s\"'\\,;]+)", first_group),
    *[Family(kind, pattern, whole) for kind, pattern in TOKEN_FORMATS],
    Family("bearer_token", r"\b(?i:bearer)\s+([A-Za-z0-9._~+/-]+=*)", checked(_looks_like_token)),
    Family("basic_credentials", r"\b(?i:basic)\s+([A-Za-z0-9+/]+={0,2})", checked(_basic_credentials)),
    # Group 2 catches base64 padding: a padded run is an encoded blob, not a key. Only a run of
    # exactly 40 can pass the check, so only those are flagged: longer runs (paths, blobs) are common.
    Family("aws_secret_access_key", r"(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40,})(=?)", checked(_aws_secret),
           flag=r"(?:^|[^A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+]|$)"),
]
CREDENTIAL_FAMILIES = [
    Family("url_password", r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^\s/?#]+)@", first_group),
    Family("cookie", r"(?i:\b(?:set[_-]?)?cookie)\\?[\"']?\s*[:=]\s*\\?[\"']?([^\r\n\"'\\]+)", first_group),
    Family("credential", rf"(?i:{_CREDENTIAL_KEYS})\\?[\"']?\s*(?:[:=]|=>)\s*{_VALUE}", first_group),
    Family("credential", rf"(?:^|\s)--(?i:{_CREDENTIAL_KEYS})\s+([^\s\"'-][^\s\"']*)", first_group),
]
CARD_FAMILIES = [Family("card_number", r"\b(?:\d[ -]?){12,18}\d\b", card_numbers)]
EMAIL_FAMILIES = [Family("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", whole)]


# --- custom patterns -----------------------------------------------------------------------

class InvalidPattern(ValueError):
    """A tenant's pattern that RE2 refuses or that would make redaction misbehave."""


# \A and \z and turning multi-line mode off would mean "start/end of the whole request" in the
# joined scan, so they are refused rather than silently matching less than the tenant expects.
_ANCHORS = re.compile(r"\\[Az]|\(\?[imsU]*-[imsU]*m")
_EMPTY_PROBES = ("", "\n", "a", "ab", " ", "  ", "a b", "a\nb", "\n\n", "-", "0")


def compile_custom(pattern: str):
    """Compile one tenant pattern for RE2, or raise InvalidPattern saying why."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise InvalidPattern(f"is longer than {MAX_PATTERN_CHARS} characters")
    if _ANCHORS.search(pattern):
        raise InvalidPattern(r"uses \A, \z or (?-m); use ^ and $, which match at the start and end of each line")
    try:
        re2.compile(pattern, _options(_PATTERN_MEMORY))  # well-formed alone, so wrapping it changes nothing
        regex = re2.compile(f"(?m:{pattern})", _options(_PATTERN_MEMORY))
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise InvalidPattern(f"is not a valid RE2 pattern: {reason}") from None
    if regex.programsize > MAX_PROGRAM_SIZE:
        raise InvalidPattern(f"is too large ({regex.programsize} RE2 instructions; at most {MAX_PROGRAM_SIZE})")
    # An empty match is made of assertions only (^ $ \b \B); these texts give each of them a chance.
    for probe in _EMPTY_PROBES:
        if any(match.start() == match.end() for match in regex.finditer(probe)):
            raise InvalidPattern("can match the empty string; it must match at least one character")
    return regex


def check_custom_patterns(patterns: list[str]) -> None:
    """Raise InvalidPattern naming the first bad line (1-based) of a tenant's custom patterns."""
    if len(patterns) > MAX_CUSTOM_PATTERNS:
        raise InvalidPattern(f"At most {MAX_CUSTOM_PATTERNS} custom patterns, not {len(patterns)}.")
    for number, pattern in enumerate(patterns, 1):
        try:
            compile_custom(pattern)
        except InvalidPattern as exc:
            raise InvalidPattern(f"Pattern {number} ({pattern[:60]!r}) {exc}.") from None


def check_keys(keys: list[str], what: str) -> None:
    if len(keys) > MAX_KEYS:
        raise ValueError(f"At most {MAX_KEYS} {what}, not {len(keys)}.")
    for key in keys:
        if len(key) > MAX_KEY_CHARS:
            raise ValueError(f"{what.capitalize()} are at most {MAX_KEY_CHARS} characters: {key[:40]!r}….")


def split_lines(text: str) -> list[str]:
    """One entry per non-blank line (how patterns and keys are stored)."""
    return [line.strip("\r") for line in text.split("\n") if line.strip()]


# --- attribute keys ------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_key(key: str) -> str:
    """accessToken, Access-Token and access.token all read access_token."""
    return _NON_ALNUM.sub("_", _CAMEL.sub("_", key).lower()).strip("_")


KEEP, DROP, MASK = 0, 1, 2


# --- the redactor ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """Everything a redactor depends on; equal specs share one compiled redactor."""

    passwords: bool = True
    tokens: bool = True
    card_numbers: bool = True
    emails: bool = False
    custom_patterns: tuple[str, ...] = ()
    drop_keys: frozenset[str] = frozenset()
    mask_keys: tuple[str, ...] = DEFAULT_MASK_KEYS


class Redactor:
    """A compiled policy. `redact_lines` rewrites normalised lines in place."""

    def __init__(self, spec: Spec):
        self.spec = spec
        families = []
        if spec.tokens:
            families += TOKEN_FAMILIES
        if spec.passwords:
            families += CREDENTIAL_FAMILIES
        if spec.card_numbers:
            families += CARD_FAMILIES
        if spec.emails:
            families += EMAIL_FAMILIES
        for pattern in spec.custom_patterns:
            try:
                compile_custom(pattern)
            except InvalidPattern as exc:
                # Saved policies are validated; this guards rows written around validation.
                log.error("redaction pattern skipped pattern=%r reason=%s", pattern, exc)
                continue
            families.append(Family("custom", pattern, custom))
        self.families = families
        self.drop_keys = frozenset(key.lower() for key in spec.drop_keys)
        self.mask_keys = tuple(normalise_key(key) for key in spec.mask_keys if normalise_key(key))
        self._key_actions: dict[str, int] = {}
        self.scan = None
        self.which = None
        if families:
            combined = "|".join(f"(?:{family.scan_pattern})" for family in families)
            options = _options(_SCAN_MEMORY)
            options.never_capture = True
            self.scan = re2.compile(f"(?m){combined}", options)
            self.which = re2.Set.SearchSet(_options(_SCAN_MEMORY))
            for family in families:
                self.which.Add(f"(?m:{family.scan_pattern})")
            self.which.Compile()
        self.inert = self.scan is None and not self.drop_keys and not self.mask_keys
        self.scan_ints = spec.card_numbers

    # keys

    def key_action(self, key: str) -> int:
        action = self._key_actions.get(key)
        if action is None:
            if key.lower() in self.drop_keys:
                action = DROP
            else:
                normal = normalise_key(key)
                action = MASK if any(normal == k or normal.endswith("_" + k) for k in self.mask_keys) else KEEP
            if len(self._key_actions) > 10_000:  # keys are a small vocabulary; bound it anyway
                self._key_actions.clear()
            self._key_actions[key] = action
        return action

    # text

    def redact_text(self, text: str) -> str:
        """One string with every family applied (the slow path, for strings the scan flagged)."""
        data = text.encode()
        hits = self.which.Match(data)
        # A flagged string with no hit here matched only across a join; try every family then.
        for index in sorted(hits) if hits else range(len(self.families)):
            data = self.families[index].apply(data)
        return data.decode()

    # lines

    def redact_lines(self, lines: list[dict]) -> int:
        """Redact messages and attributes of `lines` in place; returns how many strings changed."""
        if self.inert:
            return 0
        texts: list[str] = []
        slots: list = []  # (container, key) for each text
        for line in lines:
            texts.append(line["message"])
            slots.append((line, "message"))
            attributes = line.get("attributes")
            if attributes:
                self._walk(attributes, texts, slots)
        if self.scan is None or not texts:
            return 0
        try:
            data = "\n".join(texts).encode()
        except UnicodeEncodeError:  # a lone surrogate: no database stores one either
            texts = [_valid_utf8(text) for text in texts]
            data = "\n".join(texts).encode()
        if self.scan.search(data) is None:
            return 0
        changed = 0
        for index in self._flagged(data, texts):
            after = self.redact_text(texts[index])
            if after != texts[index]:
                container, key = slots[index]
                container[key] = after
                changed += 1
        return changed

    def _flagged(self, data: bytes, texts: list[str]) -> list[int]:
        """Indexes of the texts that scan matches touch: one search per flagged text at most."""
        starts, offset = [], 0
        for text in texts:
            starts.append(offset)
            offset += len(text.encode()) + 1
        flagged, pos = [], 0
        while pos < len(data):
            match = self.scan.search(data, pos)
            if match is None:
                break
            first = bisect.bisect_right(starts, match.start()) - 1
            last = bisect.bisect_right(starts, max(match.end() - 1, match.start())) - 1
            flagged.extend(range(max(first, flagged[-1] + 1 if flagged else 0), last + 1))
            # The rest of the last text is the slow path's business; scan on from the next one.
            if last + 1 >= len(starts):
                break
            pos = starts[last + 1]
        return flagged

    def _walk(self, value, texts: list, slots: list) -> None:
        """Collect the strings of a JSON value for the scan; drop and mask keys on the way.

        The hot path of ingest: written flat, with the per-key decision memoised.
        """
        if type(value) is dict:
            actions = self._key_actions
            dropped = None
            for key, item in value.items():
                action = actions.get(key)
                if action is None:
                    action = self.key_action(key)
                if action:
                    if action == DROP:
                        dropped = dropped or []
                        dropped.append(key)
                    elif item is not None and item is not True and item is not False:
                        value[key] = MASKED
                    continue
                kind = type(item)
                if kind is str:
                    texts.append(item)
                    slots.append((value, key))
                elif kind is dict or kind is list:
                    self._walk(item, texts, slots)
                elif kind is int and self.scan_ints and not -_CARD_SIZED_INT < item < _CARD_SIZED_INT:
                    texts.append(str(item))
                    slots.append((value, key))
            for key in dropped or ():
                del value[key]
        else:
            for index, item in enumerate(value):
                kind = type(item)
                if kind is str:
                    texts.append(item)
                    slots.append((value, index))
                elif kind is dict or kind is list:
                    self._walk(item, texts, slots)
                elif kind is int and self.scan_ints and not -_CARD_SIZED_INT < item < _CARD_SIZED_INT:
                    texts.append(str(item))
                    slots.append((value, index))


def _valid_utf8(text: str) -> str:
    try:
        text.encode()
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode()


@functools.lru_cache(maxsize=256)
def compile_spec(spec: Spec) -> Redactor:
    """Tenants with the same policy (most keep the defaults) share one compiled redactor."""
    return Redactor(spec)


# --- per-tenant cache ---------------------------------------------------------------------

cached_by_tenant: dict[int, tuple[float, Redactor]] = {}  # filled by ingest/redaction_policies.py


def invalidate(tenant_id: int) -> None:
    cached_by_tenant.pop(tenant_id, None)


def clear_cache() -> None:
    cached_by_tenant.clear()
