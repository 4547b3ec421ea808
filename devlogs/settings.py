"""devlogs settings: one module, every value read from the environment.

Defaults are the embedded mode (SQLite, local durable queue, in-memory channel
layer, processor inside the server process) so a fresh checkout runs with no
configuration. Production sets DATABASE_URL, DEVLOGS_QUEUE, DEVLOGS_CHANNEL_LAYER
and friends; see docs/configuration.md.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from devlogs.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from devlogs.timescale_probe import choose_engine

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DEVLOGS_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    # Embedded mode: a random key kept beside the data, so sessions survive restarts
    # and no two installs share a key.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
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
    "accounts",
    "ingest",
    "processing",
    "logs",
    "shippers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
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
# TimescaleDB: auto (use it where the extension is available), on, off. See docs/storage.md.
DEVLOGS_TIMESCALE = env_choice("DEVLOGS_TIMESCALE", "auto", {"auto", "on", "off"})
DATABASES["default"] = choose_engine(DATABASES["default"], DEVLOGS_TIMESCALE)
DEVLOGS_TIMESCALE_CHUNK_INTERVAL = env_str("DEVLOGS_TIMESCALE_CHUNK_INTERVAL", "1 day")
DEVLOGS_TIMESCALE_COMPRESS_AFTER = env_str("DEVLOGS_TIMESCALE_COMPRESS_AFTER", "7 days")
# Chunks older than this are dropped whole (TimescaleDB); tenants with shorter retention are trimmed by
# apply_retention. Also the most a tenant's retention_days can usefully be.
DEVLOGS_RETENTION_MAX_DAYS = env_int("DEVLOGS_RETENTION_MAX_DAYS", 400, minimum=1)
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
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The dashboard is built by Vite into frontend/dist and served under /static/dashboard/.
STATICFILES_DIRS = [("dashboard", BASE_DIR / "frontend" / "dist")]
WHITENOISE_USE_FINDERS = True
DASHBOARD_INDEX = BASE_DIR / "frontend" / "dist" / "index.html"

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
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
}

# --- API keys -------------------------------------------------------------------
# Keys are stored as HMAC-SHA256(pepper, key). Changing the pepper invalidates every key.
DEVLOGS_API_KEY_PEPPER = env_str("DEVLOGS_API_KEY_PEPPER", "devlogs-api-key-v1")
# last_used_at is written at most this often per key, not on every request.
DEVLOGS_API_KEY_TOUCH_SECONDS = env_int("DEVLOGS_API_KEY_TOUCH_SECONDS", 60, minimum=0)

# --- Ingest limits (documented in docs/ingest.md) ------------------------------------
DEVLOGS_MAX_BODY_BYTES = env_int("DEVLOGS_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
DEVLOGS_MAX_DECOMPRESSED_BYTES = env_int("DEVLOGS_MAX_DECOMPRESSED_BYTES", 50 * 1024 * 1024, minimum=1024)
DEVLOGS_MAX_LINES_PER_REQUEST = env_int("DEVLOGS_MAX_LINES_PER_REQUEST", 10_000, minimum=1)
DEVLOGS_MAX_MESSAGE_BYTES = env_int("DEVLOGS_MAX_MESSAGE_BYTES", 64 * 1024, minimum=256)
# How long an Idempotency-Key is remembered (a retry later than this stores its lines again).
DEVLOGS_IDEMPOTENCY_HOURS = env_int("DEVLOGS_IDEMPOTENCY_HOURS", 24, minimum=1)
DEVLOGS_MAX_ATTRIBUTES_BYTES = env_int("DEVLOGS_MAX_ATTRIBUTES_BYTES", 64 * 1024, minimum=256)

# --- Queue --------------------------------------------------------------------------
DEVLOGS_QUEUE = env_choice("DEVLOGS_QUEUE", "embedded", {"embedded", "kafka"})
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

# --- Processor ------------------------------------------------------------------------
DEVLOGS_BATCH_LINES = env_int("DEVLOGS_BATCH_LINES", 5_000, minimum=1)
DEVLOGS_BATCH_WAIT_SECONDS = env_float("DEVLOGS_BATCH_WAIT_SECONDS", 0.5, minimum=0.0)
# Embedded mode runs the processor as a thread of the server unless told otherwise.
DEVLOGS_PROCESSOR_IN_SERVER = env_bool("DEVLOGS_PROCESSOR_IN_SERVER", DEVLOGS_QUEUE == "embedded")

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

# --- Logging: structured events to stdout ----------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
