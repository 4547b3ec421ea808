"""devlogs settings: one module, every value read from the environment.

Defaults are the embedded mode (SQLite, local durable queue, in-memory channel
layer, processor inside the server process) so a fresh checkout runs with no
configuration. Production sets DATABASE_URL, DEVLOGS_QUEUE, DEVLOGS_CHANNEL_LAYER
and friends; see docs/configuration.md.
"""

import functools
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy

from devlogs.database import database_conn_max_age, database_pool_settings
from devlogs.env import env_bool, env_choice, env_float, env_header_name, env_int, env_list, env_networks, env_str
from devlogs.self_logging import handler_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DEVLOGS_DATA_DIR", str(BASE_DIR / "var")))  # made by devlogs/apps.py, not here

DEBUG = env_bool("DEBUG", False)


# Production is anything beyond the embedded defaults (a database or queue of its own), unless
# DEVLOGS_PRODUCTION says otherwise. There, with DEBUG off, we refuse to start on a weak or
# per-process secret key or on unset ALLOWED_HOSTS, and cookies and HTTPS are strict.
DEVLOGS_PRODUCTION = env_bool("DEVLOGS_PRODUCTION",
                              bool(os.environ.get("DATABASE_URL")) or env_str("DEVLOGS_QUEUE") in ("kafka", "redis"))
_STRICT = DEVLOGS_PRODUCTION and not DEBUG


def _check_secret_key(key: str, source: str) -> str:
    # The rule Django's deploy check applies (security.W009), enforced instead of warned.
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(f"{source} is too weak: use at least 50 random characters "
                                   "(python -c 'import secrets; print(secrets.token_urlsafe(50))').")
    return key


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        return _check_secret_key(configured, "SECRET_KEY")
    key_file = env_str("SECRET_KEY_FILE")
    if key_file:
        try:
            return _check_secret_key(Path(key_file).read_text().strip(), f"SECRET_KEY_FILE {key_file}")
        except OSError as exc:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE {key_file} cannot be read: {exc}") from None
    if _STRICT:
        # A key generated per process would differ between replicas and sign nothing they share.
        raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) in production; see docs/security.md.")
    # Embedded mode: a random key kept beside the data, so sessions survive restarts and no two
    # installs share a key. Read (or made) when first used, not while settings load.
    return lazy(_embedded_secret_key, str)()


@functools.cache
def _embedded_secret_key() -> str:
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Whole or absent, first writer wins: threads and processes starting together once read an
        # empty file here (the key written after the file was created) and answered 500.
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=DATA_DIR, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w") as file:  # mkstemp: mode 0600 already
                file.write(secrets.token_urlsafe(50))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
if _STRICT and not env_list("ALLOWED_HOSTS", []):
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the host names this server answers to in production.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "corsheaders",
    "csp",
    "axes",
    "devlogs",
    "accounts",
    "ingest",
    "processing",
    "logs",
    "shippers",
    "alerts",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ingest.inflation.InflationBudgetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

# --- Security (docs/security.md) ----------------------------------------------------
# HTTPS: on by default in production. Behind a TLS-terminating proxy, trust its
# X-Forwarded-Proto only when DEVLOGS_TRUST_X_FORWARDED_PROTO says the proxy sets it.
if env_bool("DEVLOGS_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _STRICT)
# Probes and scrapers talk plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _STRICT else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _STRICT)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list binds every subdomain for months: the operator's call,
# so the deploy check's reminder about it (W021) is not a defect of these settings.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _STRICT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _STRICT)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=300)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The dashboard and admin load nothing from elsewhere; the live tail needs ws(s): to ourselves.
# Inline styles stay allowed (charts and the admin set style attributes); inline scripts do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    },
}
# Cross-origin browser access only to the API, and only from origins an operator lists.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api/v1|v1|otlp|loki|es)/.*$"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "content-encoding", "x-api-key", "idempotency-key",
                      "x-devlogs-tenant"]
CORS_ALLOW_CREDENTIALS = False  # keys, not cookies, cross origins

# Login throttling (django-axes): after this many failures for one user name from one
# address, that pair is locked out for the cool-off time. Counted in the database, so every
# web replica sees the same count.
AXES_FAILURE_LIMIT = env_int("DEVLOGS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("DEVLOGS_LOGIN_COOLOFF_MINUTES", 15, minimum=0.1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.login_throttle.locked_out"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("DEVLOGS_PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else [
    "REMOTE_ADDR"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "devlogs.urls"
ASGI_APPLICATION = "devlogs.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'devlogs.sqlite3'}"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "devlogs.db_backend"  # Django's, with TimescaleDB where usable
# PostgreSQL: a psycopg connection pool per process (Django's own, psycopg-pool). Under ASGI every
# request runs in a thread of its own and connections are per thread, so without a pool each
# request opened (and authenticated) a new connection; CONN_MAX_AGE reused nothing. With the pool a
# request borrows a connection and returns it when it ends. Workers (run_processor, run_alerts,
# run_syslog) borrow the same way. See docs/configuration.md#database-connection-pool.
DEVLOGS_DB_POOL_OPTIONS = database_pool_settings(DATABASES["default"]["ENGINE"])
DATABASES["default"]["CONN_MAX_AGE"] = database_conn_max_age(pooled=DEVLOGS_DB_POOL_OPTIONS is not None)
if DEVLOGS_DB_POOL_OPTIONS is not None:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = DEVLOGS_DB_POOL_OPTIONS
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the server read while the processor writes; IMMEDIATE avoids
        # the "database is locked" upgrade deadlock between two writers.
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # One file per test run, so two runs (or a run and a helper process) never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-devlogs-{os.getpid()}.sqlite3")}
# TimescaleDB: auto (use it where the extension is usable), on, off. See docs/storage.md. Our
# engine decides on its first migration's connection (devlogs/db_backend/base.py): nothing here
# connects to anything.
DEVLOGS_TIMESCALE = env_choice("DEVLOGS_TIMESCALE", "auto", {"auto", "on", "off"})
# Chunks move to the columnstore (~8x smaller here, docs/storage.md) an hour after they close, so
# the row store, with its indexes, holds hours of lines rather than days.
DEVLOGS_TIMESCALE_CHUNK_INTERVAL = env_str("DEVLOGS_TIMESCALE_CHUNK_INTERVAL", "6 hours")
DEVLOGS_TIMESCALE_COMPRESS_AFTER = env_str("DEVLOGS_TIMESCALE_COMPRESS_AFTER", "1 hour")
# Chunks older than this are dropped whole (TimescaleDB); tenants with shorter retention are trimmed by
# apply_retention. Also the most a tenant's retention_days can usefully be.
DEVLOGS_RETENTION_MAX_DAYS = env_int("DEVLOGS_RETENTION_MAX_DAYS", 400, minimum=1)
# Where log lines are stored (logs/store/): `sql` is Django's database (SQLite, PostgreSQL, TimescaleDB).
# `clickhouse`: log lines in ClickHouse (logs/store/clickhouse.py), everything else stays in Django's database.
DEVLOGS_STORE = env_choice("DEVLOGS_STORE", "sql", {"sql", "clickhouse"})
# A server (`http://user:password@host:8123`, `https://…`) or chDB in-process (`chdb:///path`: one
# process owns the directory, so the processor runs inside the server; docs/storage.md).
CLICKHOUSE_URL = env_str("CLICKHOUSE_URL", "")
CLICKHOUSE_DATABASE = env_str("CLICKHOUSE_DATABASE", "devlogs")
# The cluster of remote_servers to create tables ON CLUSTER (sharded and replicated); empty: one node.
CLICKHOUSE_CLUSTER = env_str("CLICKHOUSE_CLUSTER", "")
if DEVLOGS_STORE == "clickhouse" and not CLICKHOUSE_URL:
    raise ImproperlyConfigured("DEVLOGS_STORE=clickhouse needs CLICKHOUSE_URL (http://… or chdb:///path).")
# PostgreSQL writer: COPY (fast), or INSERT for connection poolers and servers that refuse COPY.
DEVLOGS_PG_WRITER = env_choice("DEVLOGS_PG_WRITER", "copy", {"copy", "insert"})
# The server applies retention this often in the embedded mode; production runs `apply_retention --every`.
DEVLOGS_RETENTION_EVERY_SECONDS = env_float("DEVLOGS_RETENTION_EVERY_SECONDS", 3600, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
# The dashboard is built by Vite into frontend/dist and served under /static/dashboard/.
STATICFILES_DIRS = [("dashboard", BASE_DIR / "frontend" / "dist")]
WHITENOISE_USE_FINDERS = True
DASHBOARD_INDEX = BASE_DIR / "frontend" / "dist" / "index.html"

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ClientCertificateAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "devlogs.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `format` is ours (export: ndjson or csv), not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "devlogs API",
    "DESCRIPTION": "Send, search, export and manage logs. Every error is "
                   '{"error": {"status", "code", "message", "field"}}. See docs/api.md and docs/query-language.md.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ChannelKindEnum": "alerts.models.Channel.Kind", "RuleKindEnum": "alerts.models.Rule.Kind",
                            "WidgetKindEnum": "dashboards.models.Widget.Kind"},
}

# --- API keys -------------------------------------------------------------------
# Keys are stored as HMAC-SHA256(pepper, key). Changing the pepper invalidates every key.
# The embedded mode keeps its built-in pepper (its keys and their hashes live on the same disk);
# production must bring its own: a pepper everyone knows protects nothing.
_BUILT_IN_PEPPER = "devlogs-api-key-v1"
DEVLOGS_API_KEY_PEPPER = env_str("DEVLOGS_API_KEY_PEPPER", "" if _STRICT else _BUILT_IN_PEPPER)
if _STRICT and not DEVLOGS_API_KEY_PEPPER:
    raise ImproperlyConfigured("Set DEVLOGS_API_KEY_PEPPER to 32+ random characters in production "
                               "(python -c 'import secrets; print(secrets.token_urlsafe(32))'); an install whose "
                               f"keys were made with the built-in one sets it to {_BUILT_IN_PEPPER!r}: "
                               "docs/configuration.md.")
if _STRICT and DEVLOGS_API_KEY_PEPPER != _BUILT_IN_PEPPER and len(DEVLOGS_API_KEY_PEPPER) < 32:
    raise ImproperlyConfigured("DEVLOGS_API_KEY_PEPPER is too short: use at least 32 random characters.")
# last_used_at is written at most this often per key, not on every request.
DEVLOGS_API_KEY_TOUCH_SECONDS = env_int("DEVLOGS_API_KEY_TOUCH_SECONDS", 60, minimum=0)
# While the database is down, keys verified this recently still ingest (accounts/keys.py).
DEVLOGS_API_KEY_CACHE_SECONDS = env_int("DEVLOGS_API_KEY_CACHE_SECONDS", 60, minimum=0)

# --- Client certificates (mTLS at ingest, docs/security.md) --------------------------
# Certificate headers are believed only from these peers (the TLS-terminating proxies); empty = never.
DEVLOGS_TRUSTED_PROXIES = env_networks("DEVLOGS_TRUSTED_PROXIES")
DEVLOGS_CLIENT_CERT_HEADER = env_header_name("DEVLOGS_CLIENT_CERT_HEADER", "X-SSL-Client-Cert")
DEVLOGS_CLIENT_VERIFY_HEADER = env_header_name("DEVLOGS_CLIENT_VERIFY_HEADER", "X-SSL-Client-Verify")

# --- Ingest limits (documented in docs/ingest.md) ------------------------------------
DEVLOGS_MAX_BODY_BYTES = env_int("DEVLOGS_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
DEVLOGS_MAX_DECOMPRESSED_BYTES = env_int("DEVLOGS_MAX_DECOMPRESSED_BYTES", 50 * 1024 * 1024, minimum=1024)
DEVLOGS_MAX_LINES_PER_REQUEST = env_int("DEVLOGS_MAX_LINES_PER_REQUEST", 10_000, minimum=1)
DEVLOGS_MAX_MESSAGE_BYTES = env_int("DEVLOGS_MAX_MESSAGE_BYTES", 64 * 1024, minimum=256)
# How long an Idempotency-Key is remembered (a retry later than this stores its lines again).
DEVLOGS_IDEMPOTENCY_HOURS = env_int("DEVLOGS_IDEMPOTENCY_HOURS", 24, minimum=1)
DEVLOGS_MAX_ATTRIBUTES_BYTES = env_int("DEVLOGS_MAX_ATTRIBUTES_BYTES", 64 * 1024, minimum=256)
# Lines timestamped further ahead of the server's clock are refused (timestamp_in_future).
# A connection whose request (headers or body) stops arriving for this long gets 408 and is closed;
# an idle keep-alive connection is closed then too (Twisted's idle timeout, 60 s by default).
DEVLOGS_HTTP_IDLE_SECONDS = env_float("DEVLOGS_HTTP_IDLE_SECONDS", 60.0, minimum=1.0)
# Request bytes inflated (gzip, deflate) and held at once by this process; past it: 503 + Retry-After.
DEVLOGS_INFLATE_BUDGET_BYTES = env_int("DEVLOGS_INFLATE_BUDGET_BYTES", 64 * 1024 * 1024, minimum=1024 * 1024)
DEVLOGS_MAX_FUTURE_SECONDS = env_int("DEVLOGS_MAX_FUTURE_SECONDS", 2 * 24 * 3600, minimum=0)
DEVLOGS_MAX_ATTRIBUTES_DEPTH = env_int("DEVLOGS_MAX_ATTRIBUTES_DEPTH", 32, minimum=1)
# How long an ingest process keeps a tenant's compiled redaction policy before re-reading it
# (a save applies at once in the process that saved it; docs/redaction.md).
DEVLOGS_REDACTION_CACHE_SECONDS = env_float("DEVLOGS_REDACTION_CACHE_SECONDS", 10.0, minimum=0.0)

# --- Syslog listener: manage.py run_syslog (docs/shippers-bulk-syslog.md) -------------------
# Addresses are HOST:PORT, or "off". The API key decides the app of messages without their own.
DEVLOGS_SYSLOG_TCP = env_str("DEVLOGS_SYSLOG_TCP", "127.0.0.1:5140")
DEVLOGS_SYSLOG_UDP = env_str("DEVLOGS_SYSLOG_UDP", "off")
DEVLOGS_SYSLOG_API_KEY = env_str("DEVLOGS_SYSLOG_API_KEY")
DEVLOGS_SYSLOG_TLS_CERT = env_str("DEVLOGS_SYSLOG_TLS_CERT")  # PEM; with it the TCP listener speaks TLS only
DEVLOGS_SYSLOG_TLS_KEY = env_str("DEVLOGS_SYSLOG_TLS_KEY")
DEVLOGS_SYSLOG_MAX_MESSAGE_BYTES = env_int("DEVLOGS_SYSLOG_MAX_MESSAGE_BYTES", 128 * 1024, minimum=480)
DEVLOGS_SYSLOG_IDLE_SECONDS = env_float("DEVLOGS_SYSLOG_IDLE_SECONDS", 300.0, minimum=1)
DEVLOGS_SYSLOG_BATCH_LINES = env_int("DEVLOGS_SYSLOG_BATCH_LINES", 1000, minimum=1)
DEVLOGS_SYSLOG_BATCH_WAIT_SECONDS = env_float("DEVLOGS_SYSLOG_BATCH_WAIT_SECONDS", 0.2, minimum=0.0)
# Past this many lines waiting for the queue, TCP connections stop being read (backpressure).
# The UDP socket's receive buffer: a burst waits there while the listener is busy (Linux counts
# what still overflows it: run_syslog's kernel_dropped, devlogs_syslog_udp_kernel_dropped).
DEVLOGS_SYSLOG_UDP_BUFFER_BYTES = env_int("DEVLOGS_SYSLOG_UDP_BUFFER_BYTES", 8 * 1024 * 1024, minimum=4096)
DEVLOGS_SYSLOG_MAX_PENDING_LINES = env_int("DEVLOGS_SYSLOG_MAX_PENDING_LINES", 20_000, minimum=1)

# --- Queue --------------------------------------------------------------------------
DEVLOGS_QUEUE = env_choice("DEVLOGS_QUEUE", "embedded", {"embedded", "kafka", "redis"})
DEVLOGS_QUEUE_PATH = Path(env_str("DEVLOGS_QUEUE_PATH", str(DATA_DIR / "queue.sqlite3")))
# A claimed batch not acknowledged within this time is delivered again (processor crashed).
DEVLOGS_QUEUE_VISIBILITY_SECONDS = env_float("DEVLOGS_QUEUE_VISIBILITY_SECONDS", 30.0, minimum=0.1)

# Kafka (DEVLOGS_QUEUE=kafka). Any librdkafka setting can be given as KAFKA_CONFIG_<NAME>, the name
# upper-cased with dots as underscores: KAFKA_CONFIG_SECURITY_PROTOCOL=SASL_SSL,
# KAFKA_CONFIG_SASL_MECHANISMS=SCRAM-SHA-512, KAFKA_CONFIG_SASL_USERNAME=..., KAFKA_CONFIG_SSL_CA_LOCATION=...
KAFKA_BOOTSTRAP_SERVERS = env_str("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
KAFKA_TOPIC = env_str("KAFKA_TOPIC", "devlogs.lines")
KAFKA_DLQ_TOPIC = env_str("KAFKA_DLQ_TOPIC", KAFKA_TOPIC + ".dlq")
KAFKA_CONSUMER_GROUP = env_str("KAFKA_CONSUMER_GROUP", "devlogs-processors")
KAFKA_PARTITIONS = env_int("KAFKA_PARTITIONS", 12, minimum=1)
KAFKA_REPLICATION_FACTOR = env_int("KAFKA_REPLICATION_FACTOR", 1, minimum=1)
KAFKA_RETENTION_HOURS = env_int("KAFKA_RETENTION_HOURS", 72, minimum=1)
# How long ingest waits for the broker to acknowledge before answering 503.
KAFKA_DELIVERY_TIMEOUT_MS = env_int("KAFKA_DELIVERY_TIMEOUT_MS", 10_000, minimum=100)
# A processor silent this long is presumed dead and its partitions go to the others.
KAFKA_SESSION_TIMEOUT_MS = env_int("KAFKA_SESSION_TIMEOUT_MS", 15_000, minimum=1000)
KAFKA_LINGER_MS = env_int("KAFKA_LINGER_MS", 5, minimum=0)
KAFKA_COMPRESSION = env_choice("KAFKA_COMPRESSION", "lz4", {"none", "gzip", "snappy", "lz4", "zstd"})
KAFKA_CONFIG = {
    name[len("KAFKA_CONFIG_"):].lower().replace("_", "."): value
    for name, value in os.environ.items() if name.startswith("KAFKA_CONFIG_")
}

# Redis Streams (DEVLOGS_QUEUE=redis, docs/redis-queue.md). Durability is Redis's own: run it with
# appendonly yes and appendfsync always (or accept everysec's last second); /readyz says which.
DEVLOGS_REDIS_QUEUE_URL = env_str("DEVLOGS_REDIS_QUEUE_URL", "redis://127.0.0.1:6379/0")
# An app's lines go to one stream (its key's hash), so they keep their order; streams spread the work.
DEVLOGS_REDIS_QUEUE_STREAMS = env_int("DEVLOGS_REDIS_QUEUE_STREAMS", 8, minimum=1)
DEVLOGS_REDIS_QUEUE_PREFIX = env_str("DEVLOGS_REDIS_QUEUE_PREFIX", "devlogs:ingest")
# Past this many unacknowledged entries (each up to 1,000 lines) ingest answers 503 + Retry-After:
# Redis keeps everything in memory, so the backlog must have a bound, and entries are never trimmed.
DEVLOGS_REDIS_QUEUE_MAX_PENDING = env_int("DEVLOGS_REDIS_QUEUE_MAX_PENDING", 100_000, minimum=1)
# Entries a processor has held unacknowledged this long (it died) are redelivered to another.
DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS = env_float("DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS", 30.0, minimum=0.1)
# An entry delivered this many times without being stored goes to the dead letters.
DEVLOGS_REDIS_QUEUE_MAX_DELIVERIES = env_int("DEVLOGS_REDIS_QUEUE_MAX_DELIVERIES", 5, minimum=1)
DEVLOGS_REDIS_QUEUE_GROUP = env_str("DEVLOGS_REDIS_QUEUE_GROUP", "devlogs-processors")

# --- Processor ------------------------------------------------------------------------
DEVLOGS_BATCH_LINES = env_int("DEVLOGS_BATCH_LINES", 5_000, minimum=1)
DEVLOGS_BATCH_WAIT_SECONDS = env_float("DEVLOGS_BATCH_WAIT_SECONDS", 0.5, minimum=0.0)
# Embedded mode runs the processor as a thread of the server unless told otherwise.
DEVLOGS_PROCESSOR_IN_SERVER = env_bool("DEVLOGS_PROCESSOR_IN_SERVER", DEVLOGS_QUEUE == "embedded")
# The embedded server writes a request's lines to the store before its 202; the queue file takes
# only what cannot be stored at once (processing/direct_write.py).
DEVLOGS_EMBEDDED_DIRECT_WRITES = env_bool("DEVLOGS_EMBEDDED_DIRECT_WRITES", True)
# Alert rules are evaluated by a thread of the server in the embedded mode; production runs
# `manage.py run_alerts` (one or more, they share the work).
DEVLOGS_ALERTS_IN_SERVER = env_bool("DEVLOGS_ALERTS_IN_SERVER", DEVLOGS_PROCESSOR_IN_SERVER)

# --- Health (docs/deploy.md#health) ------------------------------------------------------------
# Worker roles (processor, alerts, syslog) answer /healthz and /readyz on this port; 0 = no listener.
DEVLOGS_HEALTH_PORT = env_int("DEVLOGS_HEALTH_PORT", 0, minimum=0)
# Each readiness check (database, queue, channel layer) gets this long to answer.
DEVLOGS_HEALTH_TIMEOUT_SECONDS = env_float("DEVLOGS_HEALTH_TIMEOUT_SECONDS", 2.0, minimum=0.1)
# A worker whose main loop has not ticked for this long is reported dead (its liveness fails).
DEVLOGS_HEALTH_STALL_SECONDS = env_float("DEVLOGS_HEALTH_STALL_SECONDS", 120.0, minimum=1.0)

# --- Live feed (Channels) --------------------------------------------------------------
DEVLOGS_CHANNEL_LAYER = env_str("DEVLOGS_CHANNEL_LAYER", "memory://")
if DEVLOGS_CHANNEL_LAYER.startswith("memory://"):
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
elif DEVLOGS_CHANNEL_LAYER.startswith(("redis://", "rediss://")):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # capacity bounds each socket's queue in Redis; sockets add their own credit-based limit.
            "CONFIG": {"hosts": [DEVLOGS_CHANNEL_LAYER], "capacity": 100, "expiry": 10,
                       "prefix": env_str("DEVLOGS_CHANNEL_LAYER_PREFIX", "devlogs")},
        }
    }
else:
    raise ImproperlyConfigured("DEVLOGS_CHANNEL_LAYER must be memory:// or a redis:// URL")
if _STRICT and not DEVLOGS_PROCESSOR_IN_SERVER and DEVLOGS_CHANNEL_LAYER.startswith("memory://"):
    # Processors apart from the server would publish the live feed into their own memory.
    raise ImproperlyConfigured("With processors outside the server (DEVLOGS_PROCESSOR_IN_SERVER=0, or DEVLOGS_QUEUE="
                               "kafka or redis) the live tail needs a shared channel layer: set DEVLOGS_CHANNEL_LAYER=redis://…")

# Ingest quotas are shared by every ingest process through Redis; without it each process
# keeps its own (right for the embedded mode's single server). See ingest/quotas.py.
DEVLOGS_QUOTA_REDIS_URL = env_str(
    "DEVLOGS_QUOTA_REDIS_URL", DEVLOGS_CHANNEL_LAYER if DEVLOGS_CHANNEL_LAYER.startswith(("redis://", "rediss://")) else "")
DEVLOGS_QUOTA_REDIS_PREFIX = env_str("DEVLOGS_QUOTA_REDIS_PREFIX", "devlogs:quota")

# Prometheus: /metrics (and the workers' health port). A token keeps tenant names from strangers.
DEVLOGS_METRICS_TOKEN = env_str("DEVLOGS_METRICS_TOKEN", "")

# --- Alerts (docs/alerts.md) ------------------------------------------------------------------
# Links in notifications point here (the dashboard's explorer with the rule's query and window).
DEVLOGS_PUBLIC_URL = env_str("DEVLOGS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Windows end this long before now, so lines still in the queue or the processor's batch are counted.
DEVLOGS_ALERT_DELAY_SECONDS = env_int("DEVLOGS_ALERT_DELAY_SECONDS", 30, minimum=0)
DEVLOGS_ALERT_TICK_SECONDS = env_float("DEVLOGS_ALERT_TICK_SECONDS", 5.0, minimum=0.1)
DEVLOGS_ALERT_HTTP_TIMEOUT_SECONDS = env_float("DEVLOGS_ALERT_HTTP_TIMEOUT_SECONDS", 10.0, minimum=0.5)
DEVLOGS_ALERT_MAX_ATTEMPTS = env_int("DEVLOGS_ALERT_MAX_ATTEMPTS", 8, minimum=1)
DEVLOGS_ALERT_RETRY_BASE_SECONDS = env_float("DEVLOGS_ALERT_RETRY_BASE_SECONDS", 10.0, minimum=0.1)
DEVLOGS_ALERT_RETRY_MAX_SECONDS = env_float("DEVLOGS_ALERT_RETRY_MAX_SECONDS", 3600.0, minimum=1)
# Webhook and Slack targets on loopback, private, link-local and reserved addresses are refused;
# these CIDRs and host names are let through (an internal receiver an operator trusts).
DEVLOGS_ALERT_ALLOWED_TARGETS = env_list("DEVLOGS_ALERT_ALLOWED_TARGETS", [])
DEVLOGS_ALERT_SEEN_VALUES_MAX = env_int("DEVLOGS_ALERT_SEEN_VALUES_MAX", 10_000, minimum=1000)

# Email notifications go through Django's email backend.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0, minimum=0.5)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "devlogs@localhost")

# --- Logging: structured events to stdout ----------------------------------------------------
# Structured JSON to stdout in production (one object per line, for whatever collects stdout),
# plain text in the embedded mode where a person reads the terminal. See docs/operations.md.
DEVLOGS_LOG_FORMAT = env_choice("DEVLOGS_LOG_FORMAT", "json" if DEVLOGS_PRODUCTION else "plain", {"json", "plain"})
# Optionally also ship devlogs' own records into a tenant of its own, through its own handler.
_SELF_LOG = handler_config(url=env_str("DEVLOGS_SELF_LOG_URL"), api_key=env_str("DEVLOGS_SELF_LOG_API_KEY"),
                           level=env_choice("DEVLOGS_SELF_LOG_LEVEL", "WARNING",
                                            {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}),
                           service=env_str("DEVLOGS_SELF_LOG_SERVICE", "devlogs"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(levelname)s %(name)s %(message)s %(process)d %(threadName)s",
                 "rename_fields": {"levelname": "level", "name": "logger", "threadName": "thread"},
                 "timestamp": "time"},
    },
    "filters": {"not_about_shipping": {"()": "devlogs.self_logging.NotAboutShipping"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": DEVLOGS_LOG_FORMAT,
                            "stream": "ext://sys.stdout"}, **_SELF_LOG},
    "root": {"handlers": ["stdout", *_SELF_LOG], "level": env_str("LOG_LEVEL", "INFO").upper()},
    # psycopg.pool logs two INFO records per borrowed connection (every request): warnings only.
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"},
                "axes": {"level": "WARNING"}, "psycopg.pool": {"level": "WARNING"}},
}
