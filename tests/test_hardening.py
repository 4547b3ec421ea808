"""Production hardening: start-up refusals, `check --deploy`, headers, CSRF, CORS, login throttling."""

import os
import secrets
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from accounts.models import Membership, Role, Tenant
from tests.conftest import ROOT, assert_error, manage

STRONG_KEY = secrets.token_urlsafe(50)


def run_manage(tmp_path, *args, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DEVLOGS_PRODUCTION", "DATABASE_URL", "DEBUG",
                         "DEVLOGS_API_KEY_PEPPER", "DEVLOGS_METRICS_TOKEN"}}
    base.update({"DEVLOGS_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(manage(*args), cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


def production_env(tmp_path, **extra):
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "logs.example.com", "DEVLOGS_API_KEY_PEPPER": secrets.token_urlsafe(32), **extra}


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("drop, message", [
    ("SECRET_KEY", "Set SECRET_KEY"),
    ("ALLOWED_HOSTS", "Set ALLOWED_HOSTS"),
    ("DEVLOGS_API_KEY_PEPPER", "Set DEVLOGS_API_KEY_PEPPER"),
])
def test_production_refuses_to_start_without_secret_key_allowed_hosts_or_pepper(tmp_path, drop, message):
    env = production_env(tmp_path)
    del env[drop]
    result = run_manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("weak", ["django-insecure-" + "x" * 60, "short", "a" * 80])
def test_a_weak_secret_key_is_refused_everywhere(tmp_path, weak):
    result = run_manage(tmp_path, "check", SECRET_KEY=weak)
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_a_short_pepper_is_refused_and_the_old_built_in_one_only_when_named(tmp_path):
    short = run_manage(tmp_path, "check", **production_env(tmp_path, DEVLOGS_API_KEY_PEPPER="REPLACE-ME"))
    assert short.returncode != 0 and "DEVLOGS_API_KEY_PEPPER is too short" in short.stderr
    legacy = run_manage(tmp_path, "check", **production_env(tmp_path, DEVLOGS_API_KEY_PEPPER="devlogs-api-key-v1"))
    assert legacy.returncode == 0, legacy.stderr


def test_a_database_of_its_own_means_production_unless_told_otherwise(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    assert run_manage(tmp_path, "check", **env).returncode != 0
    assert run_manage(tmp_path, "check", **env, DEVLOGS_PRODUCTION="false").returncode == 0
    assert run_manage(tmp_path, "check", **env, DEBUG="true").returncode == 0


def test_the_embedded_defaults_start_with_a_generated_key_made_on_first_use(tmp_path):
    result = run_manage(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()  # loading settings writes nothing
    sign = "from django.core import signing; print(signing.Signer().sign('same key?'))"
    first = run_manage(tmp_path, "shell", "-c", sign)
    assert first.returncode == 0, first.stderr
    assert len((tmp_path / "data" / "secret_key").read_text().strip()) >= 50
    assert run_manage(tmp_path, "shell", "-c", sign).stdout == first.stdout  # kept: sessions survive restarts


def test_the_generated_key_is_whole_and_one_when_many_ask_at_once(tmp_path, monkeypatch):
    """Threads (and processes) asking together all get the same complete key: a request once read
    the file between its creation and its write, found it empty and answered 500."""
    import threading

    from devlogs import settings as settings_module

    monkeypatch.setattr(settings_module, "DATA_DIR", tmp_path / "data")
    make = settings_module._embedded_secret_key.__wrapped__  # uncached: each call may be the first
    start, keys = threading.Barrier(16), []

    def ask():
        start.wait()
        keys.append(make())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(keys) == 16 and len(set(keys)) == 1 and len(keys[0]) >= 50
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["secret_key"]  # no temporary left
    assert ((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == 0o600


def test_secret_key_file_is_read(tmp_path):
    path = tmp_path / "key"
    path.write_text(STRONG_KEY + "\n")
    env = production_env(tmp_path, SECRET_KEY_FILE=str(path))
    del env["SECRET_KEY"]
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr


# --- headers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/logs", "/accounts/login/", "/admin/login/"])
def test_security_headers_on_every_kind_of_page(client, db, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=3600)
def test_https_is_enforced_when_configured_except_for_probes(client, db):
    response = client.get("/api/v1/logs")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    secure = client.get("/api/v1/logs", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")
    assert client.get("/healthz").status_code != 301


# --- CSRF on session endpoints -------------------------------------------------------------------

@pytest.fixture
def member(db):
    user = get_user_model().objects.create_user("mia", password="correct horse battery staple")
    tenant = Tenant.objects.create(slug="acme", name="Acme")
    Membership.objects.create(user=user, tenant=tenant, role=Role.ADMIN)
    return user


def test_session_writes_need_the_csrf_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    body = {"name": "errors", "query": "level:error"}
    refused = browser.post("/api/v1/saved-searches", body, content_type="application/json")
    assert_error(refused, 403, "permission_denied")
    assert "CSRF" in refused.json()["error"]["message"]
    browser.get("/")  # the dashboard page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/v1/saved-searches", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_api_keys_need_no_csrf_token(key, queue):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/api/v1/logs", {"message": "hi"}, content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 202


# --- CORS ---------------------------------------------------------------------------------------

def preflight(client, path, origin):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type")


def test_no_cross_origin_access_unless_configured(client, db):
    response = preflight(client, "/api/v1/logs", "https://app.example.com")
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_configured_origins_may_call_the_api_and_nothing_else(client, db):
    allowed = preflight(client, "/api/v1/logs", "https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in allowed
    assert "Access-Control-Allow-Origin" not in preflight(client, "/api/v1/logs", "https://evil.example")
    assert "Access-Control-Allow-Origin" not in preflight(client, "/admin/login/", "https://app.example.com")


# --- login throttling --------------------------------------------------------------------------

@pytest.mark.parametrize("login_path", ["/accounts/login/", "/admin/login/"])
def test_repeated_failed_logins_lock_out_that_user_from_that_address(member, login_path, settings):
    member.is_staff = True
    member.save()
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = browser.post(login_path, {"username": "mia", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
        assert response.status_code == 200  # the form again, with an error
    last = browser.post(login_path, {"username": "mia", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    assert last.status_code == 429
    locked = browser.post(login_path, {"username": "mia", "password": "correct horse battery staple"},
                          REMOTE_ADDR="10.0.0.9")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in browser.session
    # The same person from another address is not locked out.
    other = Client()
    ok = other.post(login_path, {"username": "mia", "password": "correct horse battery staple"},
                    REMOTE_ADDR="10.0.0.10")
    assert ok.status_code == 302
    assert "_auth_user_id" in other.session


def test_a_successful_login_resets_the_failure_count(member, settings):
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        browser.post("/accounts/login/", {"username": "mia", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    assert browser.post("/accounts/login/", {"username": "mia", "password": "correct horse battery staple"},
                        REMOTE_ADDR="10.0.0.9").status_code == 302
    browser.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert browser.post("/accounts/login/", {"username": "mia", "password": "wrong"},
                            REMOTE_ADDR="10.0.0.9").status_code == 200
    assert browser.post("/accounts/login/", {"username": "mia", "password": "correct horse battery staple"},
                        REMOTE_ADDR="10.0.0.9").status_code == 302


def test_production_refuses_processors_apart_with_an_in_memory_channel_layer(tmp_path):
    refused = run_manage(tmp_path, "check", **production_env(tmp_path, DEVLOGS_PROCESSOR_IN_SERVER="0"))
    assert refused.returncode != 0 and "DEVLOGS_CHANNEL_LAYER=redis://" in refused.stderr
    allowed = run_manage(tmp_path, "check", **production_env(tmp_path, DEVLOGS_PROCESSOR_IN_SERVER="0",
                                                              DEVLOGS_CHANNEL_LAYER="redis://127.0.0.1:1/0"))
    assert allowed.returncode == 0, allowed.stderr
