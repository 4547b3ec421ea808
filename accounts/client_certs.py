"""Client certificates (mTLS at ingest): recognising them, registering them, and the caller
they authenticate as.

A TLS-terminating proxy verifies the certificate against the CA and passes it on in a header;
devlogs believes that header only from a peer in DEVLOGS_TRUSTED_PROXIES and identifies the
certificate by the SHA-256 of its DER bytes (nginx's own $ssl_client_fingerprint is SHA-1).
See docs/security.md.
"""

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.utils import timezone

from accounts.models import App, ClientCertificate, Tenant

_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
# What `openssl x509 -fingerprint -sha256` and browsers put before the hex.
_FINGERPRINT_LABEL_RE = re.compile(r"^(sha-?256\s*(fingerprint)?\s*[=:]?\s*)", re.IGNORECASE)


class CertificateError(Exception):
    """A presented or pasted certificate that cannot be used; `code` is the API error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CertificateFacts:
    fingerprint_sha256: str
    subject: str
    not_before: datetime
    not_after: datetime


# --- reading certificates and fingerprints ---------------------------------------------------

def normalise_fingerprint(text: str) -> str:
    """Lower-case hex of a SHA-256 fingerprint written as `AB:CD:…`, `ab cd …` or plain hex.

    Raises ValueError for anything that is not 32 bytes of hex (a SHA-1 fingerprint, say).
    """
    cleaned = _FINGERPRINT_LABEL_RE.sub("", text.strip())
    cleaned = re.sub(r"[\s:]", "", cleaned).lower()
    if not _HEX64_RE.match(cleaned):
        if re.fullmatch(r"[0-9a-f]{40}", cleaned):
            raise ValueError("That is a SHA-1 fingerprint; devlogs needs the SHA-256 one "
                             "(openssl x509 -noout -fingerprint -sha256 -in cert.pem).")
        raise ValueError("A SHA-256 fingerprint is 64 hex digits, optionally in pairs separated by ':'.")
    return cleaned


def parse_pem(text: str) -> list[x509.Certificate]:
    """Every certificate in `text`, however its PEM lines were folded (newlines, spaces, none)."""
    certificates = []
    for body in _PEM_RE.findall(text):
        try:
            der = base64.b64decode(re.sub(r"\s+", "", body), validate=True)
            certificates.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError):
            raise CertificateError("client_certificate_malformed", "The certificate is not valid PEM.") from None
    return certificates


def looks_like_pem(text: str) -> bool:
    return "-----BEGIN" in text


def facts(certificate: x509.Certificate) -> CertificateFacts:
    return CertificateFacts(
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def certificate_from_headers(*, verify: str | None, escaped_pem: str | None) -> x509.Certificate | None:
    """The client certificate a trusted proxy reports, or None when the client presented none.

    `verify` is nginx's $ssl_client_verify (SUCCESS, NONE, FAILED:<reason>); `escaped_pem` is
    $ssl_client_escaped_cert (URL-encoded PEM). Raises CertificateError when the proxy says the
    certificate failed verification, or passes one it does not say it verified.
    """
    verify = (verify or "").strip()
    escaped_pem = (escaped_pem or "").strip()
    if not verify and not escaped_pem:
        return None  # this proxy server block does not do client certificates
    if verify.upper() == "NONE" and not escaped_pem:
        return None  # `ssl_verify_client optional` and no certificate: other credentials may follow
    if verify.upper().startswith("FAILED"):
        reason = verify.partition(":")[2] or "unknown reason"
        raise CertificateError("client_certificate_invalid", f"The client certificate was refused: {reason}.")
    if verify.upper() != "SUCCESS":
        raise CertificateError("client_certificate_unverified",
                               "The proxy passed a client certificate without reporting that it verified it.")
    if not escaped_pem:
        raise CertificateError("client_certificate_missing",
                               "The proxy reports a verified certificate but did not pass it on.")
    certificates = parse_pem(unquote(escaped_pem))
    if not certificates:
        raise CertificateError("client_certificate_malformed", "The certificate header holds no PEM certificate.")
    return certificates[0]  # the client's own certificate comes first; any others are its chain


def peer_is_trusted(remote_addr: str | None, networks) -> bool:
    """Whether the request's immediate peer is one of the proxies allowed to vouch for certificates."""
    if not remote_addr or not networks:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


# --- the caller a certificate authenticates as ------------------------------------------------

@dataclass(frozen=True)
class CertificateKey:
    """Stands in for an ApiKey as `caller.key` when a client certificate authenticated the request.

    It carries what the ingest path reads of a key: app, tenant, scopes, the per-key rate and an
    id. A certificate may only ingest, and has no rate of its own (the tenant's quota applies).
    """

    certificate: ClientCertificate
    scopes: tuple[str, ...] = field(default=("ingest",))
    lines_per_second: int | None = None

    @property
    def app(self) -> App:
        return self.certificate.app

    @property
    def app_id(self) -> int:
        return self.certificate.app_id

    @property
    def tenant(self) -> Tenant:
        return self.certificate.app.tenant

    @property
    def id(self) -> str:
        # Not an int, so it can never be mistaken for (or share a rate bucket with) an ApiKey's id.
        return f"cert:{self.certificate.pk}"

    @property
    def prefix(self) -> str:
        return self.certificate.fingerprint_sha256[:16]

    @property
    def actor(self) -> str:
        return f"cert:{self.prefix}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def authenticate_certificate(certificate: x509.Certificate, now: datetime | None = None) -> CertificateKey:
    """The registered, usable certificate matching a verified one, or CertificateError."""
    now = now or timezone.now()
    presented = facts(certificate)
    registered = (ClientCertificate.objects.select_related("app__tenant")
                  .filter(fingerprint_sha256=presented.fingerprint_sha256).first())
    if registered is None:
        raise CertificateError("client_certificate_unknown",
                               f"The client certificate (SHA-256 {presented.fingerprint_sha256[:16]}…) "
                               "is not registered for any app.")
    if registered.revoked_at is not None:
        raise CertificateError("client_certificate_revoked", "The client certificate has been revoked.")
    # Both dates count: the proxy should refuse an expired certificate, but may be configured not to.
    if (registered.not_after is not None and registered.not_after <= now) or presented.not_after <= now:
        raise CertificateError("client_certificate_expired", "The client certificate has expired.")
    if presented.not_before > now:
        raise CertificateError("client_certificate_not_yet_valid", "The client certificate is not valid yet.")
    return CertificateKey(registered)


# --- registering and revoking ----------------------------------------------------------------

def registration_facts(text: str) -> tuple[str, str, datetime | None]:
    """(fingerprint, subject, not_after) from a pasted PEM certificate or a bare fingerprint.

    Raises ValueError with a message for a person.
    """
    if looks_like_pem(text):
        try:
            certificates = parse_pem(text)
        except CertificateError as exc:
            raise ValueError(exc.message) from None
        if len(certificates) != 1:
            raise ValueError("Paste exactly one certificate (the client's own, not its chain).")
        found = facts(certificates[0])
        return found.fingerprint_sha256, found.subject, found.not_after
    return normalise_fingerprint(text), "", None


def client_certificate_revoke(*, certificate: ClientCertificate) -> None:
    if certificate.revoked_at is None:
        certificate.revoked_at = timezone.now()
        certificate.save(update_fields=["revoked_at"])
