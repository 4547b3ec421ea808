"""mTLS at ingest: client certificates registered in the admin, verified by nginx
(deploy/nginx/devlogs-mtls.conf) and believed only from DEVLOGS_TRUSTED_PROXIES.

The certificates are made here with `cryptography`: a client CA, a server certificate, good,
expired and unregistered client certificates, and one from another CA.
"""

import datetime as dt
import http.client
import ipaddress
import os
import re
import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from accounts.client_certs import (CertificateError, CertificateKey, certificate_from_headers,
                                   client_certificate_revoke, normalise_fingerprint, peer_is_trusted)
from accounts.keys import api_key_create
from accounts.models import App, AuditEvent, ClientCertificate, Tenant
from accounts.scoping import caller_for_key
from devlogs.env import env_header_name, env_networks
from logs.models import LogEntry
from tests.conftest import ROOT, assert_error, free_port, require_service, running_server, wait_for

NOW = dt.datetime.now(dt.timezone.utc)


# --- certificates made for the tests --------------------------------------------------------

@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex()

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        cert_path.write_text(self.pem)
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        return cert_path, key_path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "devlogs tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=30)).not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cert, key)


def issue(ca: Issued, common_name: str, *, not_before=None, not_after=None, server=False) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(ca.cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - dt.timedelta(days=1))
               .not_valid_after(not_after or NOW + dt.timedelta(days=90))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                              critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                     else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


@pytest.fixture(scope="module")
def pki():
    ca = make_ca("devlogs test client CA")
    other_ca = make_ca("some other CA")
    return {
        "ca": ca,
        "server": issue(ca, "127.0.0.1", server=True),
        "good": issue(ca, "billing-service"),
        "revoked": issue(ca, "retired-service"),
        "unknown": issue(ca, "unregistered-service"),
        "lapsed": issue(ca, "lapsed-registration"),
        "expired": issue(ca, "expired-service", not_before=NOW - dt.timedelta(days=60),
                         not_after=NOW - dt.timedelta(days=1)),
        "other_ca": issue(other_ca, "billing-service"),
    }


def register(issued: Issued, *, tenant="acme", app="web", **fields) -> ClientCertificate:
    tenant_obj, _ = Tenant.objects.get_or_create(slug=tenant, defaults={"name": tenant.title()})
    app_obj, _ = App.objects.get_or_create(tenant=tenant_obj, slug=app, defaults={"name": app.title()})
    fields.setdefault("not_after", issued.cert.not_valid_after_utc)
    return ClientCertificate.objects.create(app=app_obj, fingerprint_sha256=issued.fingerprint,
                                            subject=issued.cert.subject.rfc4514_string(), **fields)


# --- fingerprints, headers and peers (no services) -------------------------------------------------

def test_fingerprints_are_normalised_from_every_common_spelling(pki):
    plain = pki["good"].fingerprint
    colons = ":".join(plain[i:i + 2] for i in range(0, 64, 2)).upper()
    spellings = [plain, plain.upper(), colons, f"sha256 Fingerprint={colons}", f"SHA256:{plain}",
                 " ".join(plain[i:i + 2] for i in range(0, 64, 2)), f"  {colons}\n"]
    assert {normalise_fingerprint(s) for s in spellings} == {plain}


@pytest.mark.parametrize("text, says", [
    ("AB:CD:EF", "64 hex digits"),
    ("z" * 64, "64 hex digits"),
    ("a" * 40, "SHA-1"),
    ("", "64 hex digits"),
])
def test_bad_fingerprints_are_refused_with_a_reason(text, says):
    with pytest.raises(ValueError, match=says):
        normalise_fingerprint(text)


def test_certificate_header_is_read_however_the_pem_was_folded(pki):
    pem = pki["good"].pem
    forms = [quote(pem, safe=""),  # nginx's $ssl_client_escaped_cert
             pem,
             pem.replace("\n", " "),  # proxies that cannot put newlines in a header
             quote(pem, safe="") + quote(pki["ca"].pem, safe="")]  # a chain: the client's own comes first
    found = [certificate_from_headers(verify="SUCCESS", escaped_pem=form) for form in forms]
    assert {c.fingerprint(hashes.SHA256()).hex() for c in found} == {pki["good"].fingerprint}


@pytest.mark.parametrize("verify, cert, code", [
    ("FAILED:certificate has expired", True, "client_certificate_invalid"),
    ("SUCCESS", False, "client_certificate_missing"),
    (None, True, "client_certificate_unverified"),
    ("NONE", True, "client_certificate_unverified"),
    ("SUCCESS", "not a certificate", "client_certificate_malformed"),
    ("SUCCESS", "-----BEGIN CERTIFICATE-----bm9wZQ==-----END CERTIFICATE-----", "client_certificate_malformed"),
])
def test_proxy_verdicts_that_refuse(pki, verify, cert, code):
    pem = quote(pki["good"].pem, safe="") if cert is True else (cert or None)
    with pytest.raises(CertificateError) as caught:
        certificate_from_headers(verify=verify, escaped_pem=pem)
    assert caught.value.code == code


@pytest.mark.parametrize("verify", [None, "", "NONE"])
def test_no_certificate_means_other_credentials_decide(verify):
    assert certificate_from_headers(verify=verify, escaped_pem=None) is None


@pytest.mark.parametrize("remote, networks, trusted", [
    ("10.0.0.5", ["10.0.0.0/24"], True),
    ("::ffff:10.0.0.5", ["10.0.0.0/24"], True),
    ("fd00::7", ["fd00::/64"], True),
    ("10.0.1.5", ["10.0.0.0/24"], False),
    ("10.0.0.5", [], False),
    ("", ["0.0.0.0/0"], False),
    (None, ["0.0.0.0/0"], False),
    ("not-an-ip", ["0.0.0.0/0"], False),
])
def test_peer_is_trusted_only_inside_the_configured_networks(remote, networks, trusted):
    assert peer_is_trusted(remote, [ipaddress.ip_network(n) for n in networks]) is trusted


def test_trusted_proxies_and_header_names_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("DEVLOGS_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/16,fd00::/8")
    assert [str(n) for n in env_networks("DEVLOGS_TRUSTED_PROXIES")] == ["10.0.0.5/32", "192.168.0.0/16", "fd00::/8"]
    monkeypatch.setenv("DEVLOGS_TRUSTED_PROXIES", "10.0.0.5,nginx")
    with pytest.raises(ImproperlyConfigured, match="nginx"):
        env_networks("DEVLOGS_TRUSTED_PROXIES")
    monkeypatch.setenv("DEVLOGS_CLIENT_CERT_HEADER", "X_SSL_Cert")
    with pytest.raises(ImproperlyConfigured, match="X_SSL_Cert"):
        env_header_name("DEVLOGS_CLIENT_CERT_HEADER", "X-SSL-Client-Cert")


# --- the API behind a trusted proxy (test client) -----------------------------------------------

PROXY = "10.0.0.5"


@pytest.fixture
def trusted(settings):
    settings.DEVLOGS_TRUSTED_PROXIES = [ipaddress.ip_network(f"{PROXY}/32")]
    return settings


def post_via_proxy(client, issued: Issued | None, lines, *, remote=PROXY, verify="SUCCESS", key=None):
    headers = {"REMOTE_ADDR": remote}
    if issued is not None:
        headers["HTTP_X_SSL_CLIENT_CERT"] = quote(issued.pem, safe="")
    if verify is not None:
        headers["HTTP_X_SSL_CLIENT_VERIFY"] = verify
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.generic("POST", "/api/v1/logs", orjson.dumps(lines), content_type="application/json", **headers)


@pytest.mark.django_db
def test_registered_certificate_ingests_as_its_app_and_only_ingests(client, trusted, pki, queue, drain):
    registered = register(pki["good"], tenant="acme", app="billing")
    register(pki["revoked"], tenant="globex", app="web")

    response = post_via_proxy(client, pki["good"], [{"message": "paid", "level": "info"}, {"message": "shipped"}])

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 2
    assert drain() == 2
    stored = LogEntry.objects.order_by("message")
    assert [(e.message, e.tenant.slug, e.app.slug) for e in stored] == [
        ("paid", "acme", "billing"), ("shipped", "acme", "billing")]
    read = client.get("/api/v1/logs", REMOTE_ADDR=PROXY, HTTP_X_SSL_CLIENT_VERIFY="SUCCESS",
                      HTTP_X_SSL_CLIENT_CERT=quote(pki["good"].pem, safe=""))
    assert_error(read, 403, "permission_denied")
    assert caller_for_key(CertificateKey(registered)).actor == f"cert:{pki['good'].fingerprint[:16]}"


@pytest.mark.django_db
@pytest.mark.parametrize("name, verify, code", [
    ("unknown", "SUCCESS", "client_certificate_unknown"),
    ("revoked", "SUCCESS", "client_certificate_revoked"),
    ("lapsed", "SUCCESS", "client_certificate_expired"),   # the registration's not_after has passed
    ("expired", "SUCCESS", "client_certificate_expired"),  # the certificate's own notAfter (proxy let it by)
    ("good", "FAILED:unable to get local issuer certificate", "client_certificate_invalid"),
    ("good", None, "client_certificate_unverified"),
])
def test_unusable_certificates_are_refused_and_nothing_is_queued(client, trusted, pki, queue, name, verify, code):
    register(pki["good"])
    client_certificate_revoke(certificate=register(pki["revoked"]))
    register(pki["lapsed"], not_after=timezone.now() - dt.timedelta(minutes=1))
    register(pki["expired"], not_after=None)  # registered by bare fingerprint: no date of its own
    key, raw = api_key_create(app=App.objects.get(slug="web"), scopes=["ingest"])

    response = post_via_proxy(client, pki[name], [{"message": "x"}], verify=verify, key=raw)

    body = assert_error(response, 401, code)
    assert body["error"]["message"]
    assert queue.pending_lines() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("remote", ["10.0.0.6", "127.0.0.1", "::1"])
def test_certificate_headers_from_an_untrusted_peer_are_ignored(client, trusted, pki, queue, drain, remote):
    register(pki["good"], tenant="acme", app="billing")
    other_key, raw = api_key_create(app=App.objects.create(tenant=Tenant.objects.create(slug="globex", name="G"),
                                                           slug="web", name="Web"), scopes=["ingest"])

    alone = post_via_proxy(client, pki["good"], [{"message": "spoofed"}], remote=remote)
    with_key = post_via_proxy(client, pki["good"], [{"message": "by key"}], remote=remote, key=raw)

    assert_error(alone, 401, "not_authenticated")
    assert with_key.status_code == 202, with_key.content
    drain()
    assert [(e.message, e.tenant.slug) for e in LogEntry.objects.all()] == [("by key", "globex")]


@pytest.mark.django_db
def test_no_trusted_proxies_means_certificate_headers_are_never_believed(client, settings, pki, queue):
    settings.DEVLOGS_TRUSTED_PROXIES = []
    register(pki["good"])

    assert_error(post_via_proxy(client, pki["good"], [{"message": "x"}], remote="127.0.0.1"), 401,
                 "not_authenticated")
    assert queue.pending_lines() == 0


@pytest.mark.django_db
def test_without_certificate_headers_key_auth_works_as_before(client, trusted, make_key, queue, drain):
    raw = make_key(tenant="acme", app="web")

    response = post_via_proxy(client, None, [{"message": "plain key"}], verify=None, key=raw)

    assert response.status_code == 202, response.content
    assert drain() == 1


# --- admin ----------------------------------------------------------------------------------------

@pytest.fixture
def operator(db, client):
    user = get_user_model().objects.create_superuser("op", "op@example.com", "pw-for-tests-123")
    client.force_login(user)
    return client


@pytest.fixture
def app(db):
    return App.objects.create(tenant=Tenant.objects.create(slug="acme", name="Acme"), slug="web", name="Web")


def test_admin_registers_a_pasted_pem_with_its_subject_and_expiry(operator, app, pki):
    response = operator.post("/admin/accounts/clientcertificate/add/",
                             {"app": app.pk, "name": "billing", "certificate": pki["good"].pem,
                              "not_after_0": "", "not_after_1": ""}, follow=True)

    assert response.status_code == 200
    stored = ClientCertificate.objects.get()
    assert stored.fingerprint_sha256 == pki["good"].fingerprint
    assert stored.subject == "CN=billing-service,O=devlogs tests"
    assert stored.not_after == pki["good"].cert.not_valid_after_utc
    assert stored.app == app
    assert list(AuditEvent.objects.values_list("tenant__slug", "actor", "action", "details__fingerprint")) == [
        ("acme", "op", "client_certificate.registered", pki["good"].fingerprint)]


def test_admin_registers_a_bare_fingerprint_normalised(operator, app, pki):
    colons = ":".join(pki["good"].fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()

    operator.post("/admin/accounts/clientcertificate/add/",
                  {"app": app.pk, "name": "", "certificate": colons, "not_after_0": "2031-01-01",
                   "not_after_1": "00:00:00"})

    stored = ClientCertificate.objects.get()
    assert stored.fingerprint_sha256 == pki["good"].fingerprint
    assert stored.not_after == dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text, says", [
    ("a" * 40, "SHA-1"),
    ("hello", "64 hex digits"),
    ("", "Paste a PEM certificate"),
    ("-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----", "not valid PEM"),
])
def test_admin_explains_what_it_cannot_register(operator, app, text, says):
    response = operator.post("/admin/accounts/clientcertificate/add/",
                             {"app": app.pk, "certificate": text, "not_after_0": "", "not_after_1": ""})

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not ClientCertificate.objects.exists()


def test_admin_refuses_a_certificate_registered_twice_or_a_chain(operator, app, pki):
    register(pki["good"])

    again = operator.post("/admin/accounts/clientcertificate/add/",
                          {"app": app.pk, "certificate": pki["good"].fingerprint, "not_after_0": "", "not_after_1": ""})
    chain = operator.post("/admin/accounts/clientcertificate/add/",
                          {"app": app.pk, "certificate": pki["unknown"].pem + pki["ca"].pem,
                           "not_after_0": "", "not_after_1": ""})

    assert "already registered" in again.content.decode()
    assert "exactly one certificate" in chain.content.decode()
    assert ClientCertificate.objects.count() == 1


def test_admin_app_page_registers_certificates_inline(operator, app, pki):
    existing = register(pki["good"])
    prefix = "client_certificates"
    response = operator.post(f"/admin/accounts/app/{app.pk}/change/", {
        "tenant": app.tenant_id, "name": "Web", "slug": "web",
        "created_at_0": f"{app.created_at:%Y-%m-%d}", "created_at_1": f"{app.created_at:%H:%M:%S}",
        f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": existing.pk, f"{prefix}-0-app": app.pk, f"{prefix}-0-name": "renamed",
        f"{prefix}-0-not_after_0": "", f"{prefix}-0-not_after_1": "",
        f"{prefix}-1-app": app.pk, f"{prefix}-1-name": "second", f"{prefix}-1-certificate": pki["unknown"].pem,
        f"{prefix}-1-not_after_0": "", f"{prefix}-1-not_after_1": "",
    })

    assert response.status_code == 302, re.findall(r"errorlist.{0,200}", response.content.decode(), re.S)
    assert dict(ClientCertificate.objects.values_list("name", "fingerprint_sha256")) == {
        "renamed": pki["good"].fingerprint, "second": pki["unknown"].fingerprint}
    assert list(AuditEvent.objects.values_list("action", "details__fingerprint")) == [
        ("client_certificate.registered", pki["unknown"].fingerprint)]


def test_admin_revoke_action_and_tenant_filter(operator, app, pki):
    mine = register(pki["good"])
    theirs = register(pki["unknown"], tenant="globex", app="web")

    operator.post("/admin/accounts/clientcertificate/",
                  {"action": "revoke_certificates", "_selected_action": [mine.pk]}, follow=True)
    listing = operator.get(f"/admin/accounts/clientcertificate/?app__tenant__id__exact={app.tenant_id}")
    colons = ":".join(theirs.fingerprint_sha256[i:i + 2] for i in range(0, 64, 2)).upper()
    found = operator.get("/admin/accounts/clientcertificate/", {"q": colons})

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert list(AuditEvent.objects.values_list("tenant__slug", "action", "details__fingerprint")) == [
        ("acme", "client_certificate.revoked", mine.fingerprint_sha256)]
    assert mine.fingerprint_sha256[:16] in listing.content.decode()
    assert theirs.fingerprint_sha256[:16] not in listing.content.decode()
    assert theirs.fingerprint_sha256[:16] in found.content.decode()
    assert mine.fingerprint_sha256[:16] not in found.content.decode()


def test_tenant_admin_sees_and_registers_only_for_their_own_tenant(client, app, pki):
    from accounts.models import Membership

    person = get_user_model().objects.create_user("ann", "ann@example.com", "pw-for-tests-123", is_staff=True)
    Membership.objects.create(user=person, tenant=app.tenant, role="admin")
    client.force_login(person)
    mine = register(pki["good"])
    theirs = register(pki["unknown"], tenant="globex", app="web")

    listing = client.get("/admin/accounts/clientcertificate/").content.decode()
    forged = client.post("/admin/accounts/clientcertificate/add/",
                         {"app": theirs.app_id, "certificate": pki["revoked"].pem, "not_after_0": "", "not_after_1": ""})

    assert mine.fingerprint_sha256[:16] in listing and theirs.fingerprint_sha256[:16] not in listing
    assert forged.status_code == 200 and "Select a valid choice" in forged.content.decode()
    assert not ClientCertificate.objects.filter(fingerprint_sha256=pki["revoked"].fingerprint).exists()


@pytest.mark.parametrize("url", ["/admin/accounts/clientcertificate/", "/admin/accounts/clientcertificate/add/",
                                 "/admin/accounts/app/{app}/change/", "/admin/accounts/clientcertificate/{cert}/change/"])
def test_admin_certificate_pages_render(operator, app, pki, url):
    cert = register(pki["good"])
    assert operator.get(url.format(app=app.pk, cert=cert.pk)).status_code == 200


# --- for real: nginx terminating mTLS in front of a daphne server -----------------------------------------

# nginx connects to the app from this address, which is the only trusted one; the tests' own
# requests to the app come from 127.0.0.1 and so are never trusted.
NGINX_SOURCE = "127.0.0.2"


@dataclass
class Stack:
    mtls: int  # nginx, TLS with client certificates required
    plain: int  # nginx, deploy/nginx/devlogs.conf (plain HTTP)
    app: str  # the daphne server, host:port
    tls_dir: Path


def start_nginx(tmp_path: Path, server: str, pki) -> tuple[subprocess.Popen, int, int]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which(nginx):
        require_service("nginx", "install it with apt-get install nginx-light (scripts/test.sh does)")
    tls = tmp_path / "tls"
    tls.mkdir()
    server_crt, server_key = pki["server"].write(tls, "server")
    (tls / "client-ca.crt").write_text(pki["ca"].pem)
    mtls_port, plain_port = free_port(), free_port()
    plain = (ROOT / "deploy" / "nginx" / "devlogs.conf").read_text()
    plain = plain.replace("server 127.0.0.1:8000;", f"server {server};").replace(
        "listen 80;", f"listen 127.0.0.1:{plain_port};")
    mtls = (ROOT / "deploy" / "nginx" / "devlogs-mtls.conf").read_text()
    mtls = (mtls.replace("listen 8443 ssl;", f"listen 127.0.0.1:{mtls_port} ssl;")
            .replace("/etc/devlogs/tls/server.crt", str(server_crt))
            .replace("/etc/devlogs/tls/server.key", str(server_key))
            .replace("/etc/devlogs/tls/client-ca.crt", str(tls / "client-ca.crt")))
    assert str(tls) in mtls and str(mtls_port) in mtls  # the substitutions found their targets
    (tmp_path / "plain.conf").write_text(plain)
    (tmp_path / "mtls.conf").write_text(mtls)
    (tmp_path / "nginx.conf").write_text(f"""
daemon off;
{"user root;" if os.geteuid() == 0 else ""}
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    proxy_bind {NGINX_SOURCE};
    include {tmp_path}/plain.conf;
    include {tmp_path}/mtls.conf;
}}
""")
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", plain_port, timeout=1)
            conn.request("GET", "/api/v1/me")
            conn.getresponse().read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"nginx did not start: {(tmp_path / 'error.log').read_text()[-1000:]}") from None
            time.sleep(0.1)
    return proc, mtls_port, plain_port


@pytest.fixture
def stack(transactional_db, tmp_path, pki):
    with running_server(tmp_path, DEVLOGS_TRUSTED_PROXIES=f"{NGINX_SOURCE}/32") as server:
        proc, mtls_port, plain_port = start_nginx(tmp_path, server, pki)
        try:
            yield Stack(mtls=mtls_port, plain=plain_port, app=server, tls_dir=tmp_path / "tls")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def https_post(stack: Stack, client: Issued | None, lines, *, name="client") -> tuple[int, dict]:
    context = ssl.create_default_context(cafile=str(stack.tls_dir / "client-ca.crt"))
    if client is not None:
        context.load_cert_chain(*client.write(stack.tls_dir, name))
    conn = http.client.HTTPSConnection("127.0.0.1", stack.mtls, context=context, timeout=30)
    try:
        conn.request("POST", "/api/v1/logs", orjson.dumps(lines), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, orjson.loads(response.read())
    finally:
        conn.close()


def http_post(port_or_address, lines, headers) -> tuple[int, dict]:
    host, port = (port_or_address.split(":") if isinstance(port_or_address, str)
                  else ("127.0.0.1", port_or_address))
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/api/v1/logs", orjson.dumps(lines), {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, orjson.loads(response.read())
    finally:
        conn.close()


def stored_messages() -> list[tuple[str, str, str]]:
    return sorted(LogEntry.objects.values_list("message", "tenant__slug", "app__slug"))


@pytest.mark.live
def test_through_nginx_a_registered_certificate_ingests_and_every_bad_one_is_refused(stack, pki):
    register(pki["good"], tenant="acme", app="billing")
    register(pki["revoked"], tenant="acme", app="billing")
    client_certificate_revoke(certificate=ClientCertificate.objects.get(fingerprint_sha256=pki["revoked"].fingerprint))
    register(pki["lapsed"], tenant="acme", app="billing", not_after=timezone.now() - dt.timedelta(minutes=1))
    register(pki["expired"], tenant="acme", app="billing")
    Tenant.objects.create(slug="globex", name="Globex")

    refusals = {name: https_post(stack, pki.get(name), [{"message": f"from {name}"}], name=name)
                for name in ["unknown", "revoked", "lapsed", "expired", "other_ca", "missing"]}
    accepted = https_post(stack, pki["good"], [{"message": "paid", "level": "info"}], name="good")

    assert {name: (status, body["error"]["code"]) for name, (status, body) in refusals.items()} == {
        "unknown": (401, "client_certificate_unknown"),
        "revoked": (401, "client_certificate_revoked"),
        "lapsed": (401, "client_certificate_expired"),
        "expired": (401, "client_certificate_invalid"),  # nginx refuses it before devlogs sees it
        "other_ca": (401, "client_certificate_invalid"),
        "missing": (401, "client_certificate_required"),
    }
    assert "expired" in refusals["expired"][1]["error"]["message"]
    assert accepted == (202, {"accepted": 1, "rejected_count": 0, "rejected": [], "truncated": 0})
    wait_for(lambda: LogEntry.objects.exists(), timeout=30, what="the accepted line to be stored")
    assert stored_messages() == [("paid", "acme", "billing")]


@pytest.mark.live
def test_spoofed_certificate_headers_never_authenticate(stack, pki):
    register(pki["good"], tenant="acme", app="billing")
    key, raw = api_key_create(app=App.objects.create(tenant=Tenant.objects.create(slug="globex", name="G"),
                                                     slug="web", name="Web"), scopes=["ingest"])
    spoof = {"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-Cert": quote(pki["good"].pem, safe="")}

    direct = http_post(stack.app, [{"message": "direct spoof"}], spoof)  # from 127.0.0.1: not trusted
    via_plain_nginx = http_post(stack.plain, [{"message": "proxied spoof"}], spoof)  # nginx drops them
    direct_with_key = http_post(stack.app, [{"message": "by key"}], {**spoof, "Authorization": f"Bearer {raw}"})
    still_serving = https_post(stack, pki["good"], [{"message": "real certificate"}], name="good")

    assert direct[0] == 401 and direct[1]["error"]["code"] == "not_authenticated"
    assert via_plain_nginx[0] == 401 and via_plain_nginx[1]["error"]["code"] == "not_authenticated"
    assert direct_with_key[0] == 202
    assert still_serving[0] == 202
    wait_for(lambda: LogEntry.objects.count() >= 2, timeout=30, what="both accepted lines to be stored")
    assert stored_messages() == [("by key", "globex", "web"), ("real certificate", "acme", "billing")]
