"""Authentication by API key (DRF views and WebSocket handshakes) and by client certificate (DRF)."""

import base64
import binascii
import logging
from dataclasses import dataclass

from django.conf import settings
from rest_framework import authentication, exceptions

from accounts.client_certs import (CertificateError, CertificateKey, authenticate_certificate,
                                   certificate_from_headers, peer_is_trusted)
from accounts.keys import InvalidKey, authenticate_key
from accounts.models import ApiKey

log = logging.getLogger("devlogs.auth")


@dataclass(frozen=True)
class KeyPrincipal:
    """The request.user of a request authenticated by an API key or a client certificate (not a person)."""

    key: ApiKey | CertificateKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def username(self) -> str:
        return self.key.actor

    def __str__(self) -> str:
        return self.username


def raw_key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a client presented: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or
    `Authorization: Basic` with the key as the password (several log shippers speak only Basic).

    Returns None when neither header is present, so session authentication can try.
    Raises InvalidKey for a header that is present but carries no key.
    """
    if x_api_key is not None:
        return x_api_key.strip()
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidKey("malformed_authorization", "The Basic credentials are not valid base64 of 'user:key'.") from None
        _user, colon, password = decoded.partition(":")
        if colon and password:
            return password
        raise InvalidKey("malformed_authorization", "Put the API key in the password of the Basic credentials.")
    raise InvalidKey("malformed_authorization",
                     "Use 'Authorization: Bearer <api key>', 'X-API-Key: <api key>' or Basic with the key as password.")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Accepts `Authorization: Bearer <key>` and `X-API-Key: <key>`."""

    www_authenticate_realm = "devlogs"

    def authenticate(self, request):
        try:
            raw = raw_key_from_headers(request.headers.get("Authorization"), request.headers.get("X-API-Key"))
            if raw is None:
                return None
            key = authenticate_key(raw)
        except InvalidKey as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return KeyPrincipal(key), key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return f'Bearer realm="{self.www_authenticate_realm}"'


class ClientCertificateAuthentication(authentication.BaseAuthentication):
    """A client certificate verified by a TLS-terminating proxy listed in DEVLOGS_TRUSTED_PROXIES.

    From any other peer the certificate headers are ignored (anyone can send them) and the
    request falls through to key authentication. A certificate that is presented but unusable
    is refused outright rather than falling through.
    """

    www_authenticate_realm = "devlogs"

    def authenticate(self, request):
        if not peer_is_trusted(request.META.get("REMOTE_ADDR"), settings.DEVLOGS_TRUSTED_PROXIES):
            return None
        try:
            certificate = certificate_from_headers(verify=request.headers.get(settings.DEVLOGS_CLIENT_VERIFY_HEADER),
                                                   escaped_pem=request.headers.get(settings.DEVLOGS_CLIENT_CERT_HEADER))
            if certificate is None:
                return None
            key = authenticate_certificate(certificate)
        except CertificateError as exc:
            # Imported here: devlogs.errors imports rest_framework.views, whose settings import this module.
            from devlogs.errors import ApiError

            log.warning("client certificate refused", extra={"code": exc.code, "peer": request.META.get("REMOTE_ADDR")})
            raise ApiError(401, exc.code, exc.message,
                           headers={"WWW-Authenticate": self.authenticate_header(request)}) from None
        return KeyPrincipal(key), key

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'
