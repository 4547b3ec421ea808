"""POST to a URL a tenant gave us (webhook and Slack channels), defensively.

Such a URL is a request the server makes on a user's behalf (SSRF): only http and https, bounded
connect and read timeouts, redirects never followed (a 3xx is a failed delivery: a redirect could
lead anywhere, including to an internal host), at most a few KB of the answer read and none of
it repeated to the user (the channel test and `last_error` say the status, never the body: that
would let a tenant read internal pages). Every address the name resolves to must be public —
not loopback, private, link-local (cloud metadata), unique-local, multicast, unspecified or
reserved, IPv4 or IPv6, IPv4-mapped or embedded included — unless an operator allowlisted it
(DEVLOGS_ALERT_ALLOWED_TARGETS: CIDRs and host names), and the connection goes to the address
that was checked, so a second DNS answer cannot swap it (rebinding).
"""

import ipaddress
import socket
from http import HTTPStatus
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

MAX_URL = 2000
ANSWER_BYTES = 4096


class DeliveryError(Exception):
    """A notification that did not arrive; retried later."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def check_url(url: str):
    """The URL's parts, or ValueError saying what is wrong with it."""
    if not isinstance(url, str) or not url:
        raise ValueError("Give an http:// or https:// URL.")
    if len(url) > MAX_URL:
        raise ValueError(f"The URL is longer than {MAX_URL} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("Only http:// and https:// URLs can receive notifications.")
    if not parts.hostname:
        raise ValueError("The URL has no host.")
    if parts.username or parts.password:
        raise ValueError("Credentials in the URL are not supported; use a secret path or the signature header.")
    try:
        parts.port
    except ValueError:
        raise ValueError("The URL's port is not a number from 0 to 65535.") from None
    return parts


class ForbiddenTarget(DeliveryError):
    """The URL leads to an address the server must not reach on a tenant's behalf."""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip):
    if ip.version != 6:
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.ip_address(int(ip) & 0xFFFFFFFF)
    return None


def _allowed_networks() -> list:
    networks = []
    for item in settings.DEVLOGS_ALERT_ALLOWED_TARGETS:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            pass  # a host name, matched by name
    return networks


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in network for network in _allowed_networks()):
        return False
    for candidate in (ip, _embedded_ipv4(ip)):
        if candidate is not None and (not candidate.is_global or candidate.is_multicast):
            return True
    return False


def _host_allowed(host: str) -> bool:
    names = {item.lower().rstrip(".") for item in settings.DEVLOGS_ALERT_ALLOWED_TARGETS}
    return host.lower().rstrip(".") in names


def _refusal(host: str, address: str) -> str:
    return (f"{host} resolves to {address}, a loopback, private, link-local or reserved address; the "
            "server does not send notifications there unless an operator allows it "
            "(DEVLOGS_ALERT_ALLOWED_TARGETS)")


def _resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _first_forbidden(host: str, addresses: list[str]) -> str | None:
    """The first of the host's addresses the server must not reach (None: all may be reached)."""
    if _host_allowed(host):
        return None
    return next((address for address in addresses if _forbidden(address)), None)


def check_target(url: str) -> None:
    """At create and update: ValueError when the URL is malformed or its host is a forbidden address.

    A name that does not resolve now is let through (it may later); every delivery checks again.
    """
    parts = check_url(url)
    try:
        addresses = _resolve(parts.hostname, parts.port or 443)
    except (socket.gaierror, UnicodeError):
        return
    blocked = _first_forbidden(parts.hostname, addresses)
    if blocked is not None:
        raise ValueError(_refusal(parts.hostname, blocked))


def public_address(host: str, port: int) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        addresses = _resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}") from None
    blocked = _first_forbidden(host, addresses)
    if blocked is not None:
        raise ForbiddenTarget(_refusal(host, blocked))
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST body; the HTTP status when it is 2xx, DeliveryError otherwise."""
    try:
        parts = check_url(url)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    https = parts.scheme == "https"
    host, port = parts.hostname, parts.port or (443 if https else 80)
    connect_to = public_address(host, port)
    seconds = settings.DEVLOGS_ALERT_HTTP_TIMEOUT_SECONDS
    options = {"timeout": urllib3.Timeout(connect=seconds, read=seconds), "retries": False, "maxsize": 1}
    if https:
        # Connecting to a checked address: the certificate must still be the host's.
        options.update(server_hostname=host, assert_hostname=host)
        pool = urllib3.HTTPSConnectionPool(connect_to, port, **options)
    else:
        pool = urllib3.HTTPConnectionPool(connect_to, port, **options)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        response = pool.urlopen("POST", path, body=body, headers={**headers, "Host": parts.netloc},
                                redirect=False, retries=False, preload_content=False, assert_same_host=False)
        response.read(ANSWER_BYTES, decode_content=True)  # so the connection ends cleanly; never shown
        response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(f"could not deliver to {host}: {_reason(exc)}") from None
    finally:
        pool.close()
    if 300 <= response.status < 400:
        raise DeliveryError(f"{host} answered HTTP {_status(response.status)}, a redirect; redirects are not "
                            "followed, so give the final URL", response.status)
    if not 200 <= response.status < 300:
        raise DeliveryError(f"{host} answered HTTP {_status(response.status)}", response.status)
    return response.status


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)[:300]
