"""POST to a URL a tenant gave us (webhook and Slack channels), defensively.

Such a URL is a request the server makes on a user's behalf (SSRF): only http and https, bounded
connect and read timeouts, redirects never followed (a 3xx is a failed delivery: a redirect could
lead anywhere, including to an internal host), at most a few KB of the answer read. With
DEVLOGS_ALERT_BLOCK_PRIVATE_ADDRESSES every address the name resolves to must be public, and the
connection goes to the address that was checked, so a second DNS answer cannot swap it (rebinding).
"""

import ipaddress
import socket
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


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def public_address(host: str, port: int) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc.strerror}") from None
    addresses = [info[4][0] for info in infos]
    blocked = [a for a in addresses if _forbidden(a)]
    if blocked:
        raise DeliveryError(f"{host} resolves to {blocked[0]}, a private or reserved address, and "
                            "DEVLOGS_ALERT_BLOCK_PRIVATE_ADDRESSES forbids those")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST body; the HTTP status when it is 2xx, DeliveryError otherwise."""
    try:
        parts = check_url(url)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    https = parts.scheme == "https"
    host, port = parts.hostname, parts.port or (443 if https else 80)
    connect_to = public_address(host, port) if settings.DEVLOGS_ALERT_BLOCK_PRIVATE_ADDRESSES else host
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
        answer = response.read(ANSWER_BYTES, decode_content=True)
        response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(f"could not deliver to {host}: {_reason(exc)}") from None
    finally:
        pool.close()
    if 300 <= response.status < 400:
        raise DeliveryError(f"{host} answered {response.status} (a redirect to "
                            f"{response.headers.get('Location', '?')[:200]}); redirects are not followed, "
                            "so give the final URL", response.status)
    if not 200 <= response.status < 300:
        raise DeliveryError(f"{host} answered HTTP {response.status}: "
                            f"{answer.decode('utf-8', 'replace')[:300]}", response.status)
    return response.status


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)[:300]
