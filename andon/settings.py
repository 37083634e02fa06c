"""Andon settings. Every knob comes from the environment; see README "Configuration"."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from andon.ops.logs import logging_config


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = Path(os.environ.get("ANDON_DATA_DIR", PROJECT_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# A development key is only acceptable while DEBUG is on or under tests; `andon check --deploy`
# refuses it (see andon.core.checks).
INSECURE_DEV_KEY = "andon-insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEV_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("ANDON_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "axes",
    "andon.core",
    "andon.accounts",
    "andon.queues",
    "andon.catalog",
    "andon.tickets",
    "andon.notifications",
    "andon.fields",
    "andon.audit",
    "andon.ola",
    "andon.wecom",
    "andon.reports",
    "andon.tags",
    "andon.bulk",
    "andon.macros",
    "andon.knowledge",
    "andon.ticketsearch",
    "andon.savedviews",
    "andon.customers",
    "andon.portal",
    "andon.followup",
    "andon.csat",
    "andon.ops",
]

MIDDLEWARE = [
    # First: a request id (X-Request-ID honoured) for every log line, and one line per request.
    "andon.ops.middleware.RequestIdMiddleware",
    # /healthz and /readyz answer here, before host validation and the SSL redirect (andon.ops).
    "andon.ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HEAD is checked as GET, pages refuse OPTIONS and unknown methods (andon.core.permissions).
    "andon.core.permissions.MethodPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "andon.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reads multipart bodies up front, stopping at the size limits (andon.core.uploads).
    "andon.core.uploads.UploadLimitMiddleware",
    "andon.portal.middleware.PortalFenceMiddleware",
    "andon.wecom.middleware.WeComSignInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A services' NotFound raised by a page's read is its 404 (andon.core.middleware).
    "andon.core.middleware.NotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "andon.urls"
WSGI_APPLICATION = "andon.wsgi.application"

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
                "django.template.context_processors.i18n",
                "andon.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "andon.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while the web process reads; IMMEDIATE transactions take the
    # write lock up front so concurrent writers queue on busy_timeout instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file (not :memory:) so threads in tests share one database with real locking; one per
    # process so concurrent test runs never share it. Django deletes it after the run.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
# Front-end libraries come from npm (package.json + lockfile) and are copied into
# andon/static/vendor by `andon vendor` (run by the Makefile); nothing is loaded from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # see ANDON_STORAGE
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not env_bool("ANDON_TESTING")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Attachments on S3-compatible object storage (MinIO, Tencent COS, AWS S3 …) so several web hosts
# share them. Files stay private (no ACL, no public URL): downloads still go through the
# permission-checked view, which streams them from the bucket.
ANDON_STORAGE = os.environ.get("ANDON_STORAGE", "filesystem").strip().lower()
if ANDON_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("ANDON_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("ANDON_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ANDON_S3_REGION") or None,
            "access_key": os.environ.get("ANDON_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("ANDON_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("ANDON_S3_PREFIX", "").strip("/"),
            # "virtual" for stores that want bucket.host (Tencent COS), "path" for MinIO.
            "addressing_style": os.environ.get("ANDON_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }
MEDIA_URL = "/media/"
ATTACHMENT_MAX_BYTES = int(os.environ.get("ANDON_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ANDON_ATTACHMENT_EXTENSIONS",
    "png,jpg,jpeg,gif,webp,pdf,txt,log,csv,xlsx,xls,docx,doc,pptx,zip,json,md",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A whole multipart body (several attachments and the form) may not pass this; a declared length
# above it is refused unread, and andon.core.uploads stops reading a file at ATTACHMENT_MAX_BYTES.
ANDON_UPLOAD_MAX_BYTES = int(
    os.environ.get("ANDON_UPLOAD_MAX_BYTES", str(5 * ATTACHMENT_MAX_BYTES + 1024 * 1024))
)
FILE_UPLOAD_HANDLERS = [
    "andon.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Security -----------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

CSRF_FAILURE_VIEW = "andon.core.views.csrf_failure"
# Content-Security-Policy (django-csp): scripts only from this site or with the request's nonce
# (the two inline scripts carry it); no inline event handlers. 'unsafe-eval' stays because
# Alpine's standard build evaluates its x-data / @click expressions (its CSP build supports no
# inline expressions, which the forms use). Inline style attributes are allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, UNSAFE_EVAL],
        "script-src-attr": [NONE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Rate limits and lock-outs (one cache shared by every process) ----------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Redis when configured, else a database table (made by the core app's first migration).
    # andon.core.cache.RedisCache is Django's, keeping one client per process.
    "throttle": (
        {"BACKEND": "andon.core.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "andon_cache",
        }
    ),
    # Version tokens of cached configuration (andon.core.config_cache), which every web and worker
    # process must agree on: Redis when configured, else files under the data directory (one
    # machine). Only small tokens live here; the cached values stay in each process's memory.
    "config": (
        {
            "BACKEND": "andon.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "andon-config",
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache" / "config"),
        }
    ),
}
# Requests per period, by scope (andon.core.throttling); an empty value switches one off.
ANDON_THROTTLE_RATES = {
    "user": os.environ.get("ANDON_RATE_API_USER", "1200/m"),
    "anon": os.environ.get("ANDON_RATE_API_ANON", "120/m"),
    "token_address": os.environ.get("ANDON_RATE_TOKEN_ADDRESS", "30/m"),
    "token_account": os.environ.get("ANDON_RATE_TOKEN_ACCOUNT", "10/m"),
    "portal_link_address": os.environ.get("ANDON_RATE_PORTAL_LINK_ADDRESS", "20/15m"),
    "assistant": os.environ.get("ANDON_RATE_ASSISTANT", "20/m"),
    "password_reset_address": os.environ.get("ANDON_RATE_PASSWORD_RESET_ADDRESS", "10/15m"),
}
# Password sign-in (pages and the token endpoint): locked per account and per address after
# this many failures, for the cool-off time.
AXES_FAILURE_LIMIT = int(os.environ.get("ANDON_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ANDON_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "throttle"
AXES_LOCKOUT_CALLABLE = "andon.accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "andon.core.throttling.client_ip"
AXES_VERBOSE = False

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's TokenAuthentication with the token's row cached (invalidated at every write).
        "andon.accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["andon.core.permissions.PermissionByMethod"],
    "DEFAULT_METADATA_CLASS": "andon.core.permissions.CallerMethodsMetadata",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "andon.core.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "andon.core.pagination.DefaultPagination",
    "PAGE_SIZE": 25,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["andon.core.throttling.PerUserThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Andon API",
    "DESCRIPTION": "Andon service desk REST API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs describe every endpoint: signed-in callers only.
    "SERVE_PERMISSIONS": ["andon.core.permissions.PermissionByMethod"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids come from the path after /api/v1/ (tickets, queues, ...).
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "andon.core.schema.document_page_errors",
    ],
}

# --- Background work (Huey) ---------------------------------------------------------------
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("HUEY_NAME", "andon"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {
            "workers": int(os.environ.get("ANDON_WORKER_THREADS", "4")),
            "worker_type": "thread",
        },
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "andon",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {
            "workers": int(os.environ.get("ANDON_WORKER_THREADS", "2")),
            "worker_type": "thread",
            # An idle SQLite consumer polls at most this far apart (Redis blocks instead), so a
            # WeCom callback is acted on within seconds.
            "max_delay": 1.0,
        },
    }

# --- Operations (andon.ops) -----------------------------------------------------------------
# Each worker writes a heartbeat this often; readiness fails when none was seen for
# ANDON_WORKER_STALE_SECONDS, or when an OLA step is overdue by that much.
ANDON_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("ANDON_WORKER_HEARTBEAT_SECONDS", "15"))
ANDON_WORKER_STALE_SECONDS = int(os.environ.get("ANDON_WORKER_STALE_SECONDS", "60"))

# /metrics (Prometheus) answers `Authorization: Bearer <this>`; empty: the endpoint is off.
ANDON_METRICS_TOKEN = os.environ.get("ANDON_METRICS_TOKEN", "")
# Days each growing table keeps its rows (andon.ops.retention, daily; 0 keeps everything).
# Processed WeCom callbacks keep their row and dedupe key, only the payload goes.
ANDON_RETENTION_DAYS = {
    "delivery_attempts": int(os.environ.get("ANDON_RETAIN_DELIVERY_ATTEMPTS_DAYS", "90")),
    "callback_events": int(os.environ.get("WECOM_CALLBACK_RETENTION_DAYS", "30")),
    "read_notifications": int(os.environ.get("ANDON_RETAIN_READ_NOTIFICATIONS_DAYS", "180")),
    "import_jobs": int(os.environ.get("ANDON_RETAIN_IMPORT_JOBS_DAYS", "30")),
    "portal_links": int(os.environ.get("ANDON_RETAIN_PORTAL_LINKS_DAYS", "7")),
    "worker_heartbeats": int(os.environ.get("ANDON_RETAIN_WORKER_HEARTBEATS_DAYS", "1")),
}

# --- Tickets ------------------------------------------------------------------------------
TICKET_NUMBER_PREFIX = os.environ.get("ANDON_TICKET_PREFIX", "AD")
# One person may urge the same ticket at most once in this many seconds.
URGE_MIN_INTERVAL_SECONDS = int(os.environ.get("ANDON_URGE_INTERVAL_SECONDS", "600"))

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "andon@localhost")
# Seconds per SMTP network operation; without it a stalled server holds a worker thread forever.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
# Seconds per webhook network operation (connect, each read and write).
ANDON_WEBHOOK_TIMEOUT = float(os.environ.get("ANDON_WEBHOOK_TIMEOUT", "10"))
# Webhooks to loopback, private and link-local addresses are refused (a webhook must not become a
# way to reach the server's own network); intranet installations whose receivers live there
# turn this on.
ANDON_WEBHOOK_ALLOW_PRIVATE = env_bool("ANDON_WEBHOOK_ALLOW_PRIVATE", False)
# How long a claimed outbox message is left to its worker before another may send it again
# (longer than a send takes with the timeouts above; a worker that died mid-send is retried then).
ANDON_OUTBOX_LEASE_SECONDS = int(os.environ.get("ANDON_OUTBOX_LEASE_SECONDS", "120"))

# Plain lines by default, one JSON object per line with LOG_FORMAT=json; every line of a request
# or a worker task carries its id, and secrets are scrubbed from every line (andon.ops.logs).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
LOGGING = logging_config(fmt=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))

# --- WeCom (企业微信) ---------------------------------------------------------------------
WECOM_API_BASE = os.environ.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com")
WECOM_CORP_ID = os.environ.get("WECOM_CORP_ID", "")
WECOM_AGENT_ID = os.environ.get("WECOM_AGENT_ID", "")
WECOM_SECRET = os.environ.get("WECOM_SECRET", "")
WECOM_CALLBACK_TOKEN = os.environ.get("WECOM_CALLBACK_TOKEN", "")
WECOM_CALLBACK_AES_KEY = os.environ.get("WECOM_CALLBACK_AES_KEY", "")
# Where the browser goes for 网页授权 (inside WeCom) and for the web-login QR code (PC).
WECOM_OAUTH_BASE = os.environ.get("WECOM_OAUTH_BASE", "https://open.weixin.qq.com")
WECOM_LOGIN_BASE = os.environ.get("WECOM_LOGIN_BASE", "https://login.work.weixin.qq.com")
# snsapi_base signs in silently; snsapi_privateinfo asks once and also reads mobile and e-mail.
WECOM_OAUTH_SCOPE = os.environ.get("WECOM_OAUTH_SCOPE", "snsapi_base")
# The 通讯录同步 secret, when the org chart is read with it rather than the application's.
WECOM_CONTACTS_SECRET = os.environ.get("WECOM_CONTACTS_SECRET", "")
# Encrypts secrets entered on /config/wecom/ (a Fernet key, or any long random string).
ANDON_SECRETS_KEY = os.environ.get("ANDON_SECRETS_KEY", "")
# The full org chart sync, as a crontab "minute hour day month weekday"; empty: never.
WECOM_SYNC_SCHEDULE = os.environ.get("WECOM_SYNC_SCHEDULE", "30 2 * * *")
# Callbacks whose timestamp is further than this from our clock are refused (replays).
WECOM_CALLBACK_MAX_SKEW_SECONDS = int(os.environ.get("WECOM_CALLBACK_MAX_SKEW_SECONDS", "300"))
# Processed callbacks keep their dedupe key but lose their payload after this many days.
WECOM_CALLBACK_RETENTION_DAYS = int(os.environ.get("WECOM_CALLBACK_RETENTION_DAYS", "30"))

# --- Customers and the requester portal -------------------------------------------------------
# How long an e-mailed portal sign-in link stays valid (single use), and how many links one
# address may request in a quarter of an hour.
ANDON_MAGIC_LINK_TTL_MINUTES = int(os.environ.get("ANDON_MAGIC_LINK_TTL_MINUTES", "30"))
ANDON_MAGIC_LINK_MAX_PER_15_MINUTES = int(
    os.environ.get("ANDON_MAGIC_LINK_MAX_PER_15_MINUTES", "5")
)

# --- Knowledge base search and the assistant (智能问答) ----------------------------------------
# An OpenAI-compatible chat-completions endpoint, e.g. https://api.hunyuan.cloud.tencent.com/v1;
# empty: the assistant answers extractively from the best passages.
ANDON_LLM_BASE_URL = os.environ.get("ANDON_LLM_BASE_URL", "").rstrip("/")
ANDON_LLM_MODEL = os.environ.get("ANDON_LLM_MODEL", "hunyuan-lite")
ANDON_LLM_API_KEY = os.environ.get("ANDON_LLM_API_KEY", "")
ANDON_LLM_TIMEOUT = float(os.environ.get("ANDON_LLM_TIMEOUT", "30"))
# PostgreSQL ranks at most this many matching rows per pass (all terms, then any term):
# bounds the cost of very common terms on big indexes (see bench/search_bench.py).
ANDON_SEARCH_MAX_CANDIDATES = int(os.environ.get("ANDON_SEARCH_MAX_CANDIDATES", "1000"))

# --- OLA and notifications (UI) ---------------------------------------------------------------
# How often the notification bell polls for the unread count, in seconds.
NOTIFICATION_POLL_SECONDS = int(os.environ.get("ANDON_NOTIFICATION_POLL_SECONDS", "20"))
# Article and ticket choice sets get their own OpenAPI enum names (both have a "status").
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ArticleStatusEnum": "andon.knowledge.models.ArticleStatus",
        "ArticleVisibilityEnum": "andon.knowledge.models.Visibility",
        "TicketStatusEnum": "andon.tickets.models.Status",
    }
)
