"""Banzu settings: one module, every value from the environment, embedded defaults.

Embedded mode (the default) needs nothing but this checkout: SQLite under ``var/``, the in-memory
channel layer and Huey on SQLite. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
Outside DEBUG a missing secret is a start-up error, never a default.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BANZU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("BANZU_DEBUG", False)
# Demo mode: demo data and printed demo passwords. `make run` turns it on; production never does.
DEMO = env_bool("BANZU_DEMO", False)
TESTING = env_bool("BANZU_TESTING", False)

SECRET_KEY = os.environ.get("BANZU_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or DEMO or TESTING:
        SECRET_KEY = "banzu-insecure-local-key-for-debug-and-demo-only"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "BANZU_SECRET_KEY is not set. Set it in the environment (production mode has no default)."
        )

ALLOWED_HOSTS = env_list(
    "BANZU_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if (DEBUG or DEMO or TESTING) else []
)
CSRF_TRUSTED_ORIGINS = env_list("BANZU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "channels",
    "huey.contrib.djhuey",
    "simple_history",
    "axes",
    "django_htmx",
    "csp",
    "banzu.core",
    "banzu.org",
    "banzu.contact",
    "banzu.simulation",
    "banzu.workorders",
    "banzu.knowledge",
    "banzu.complaints",
    "banzu.callbacks",
    "banzu.wfm",
    "banzu.quality",
    "banzu.performance",
    "banzu.talent",
    "banzu.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "banzu.core.middleware.LoginRequiredMiddleware",
    "banzu.core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "banzu.urls"
WSGI_APPLICATION = "banzu.wsgi.application"
ASGI_APPLICATION = "banzu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "banzu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "banzu.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # No persistent connections: under ASGI synchronous requests run in changing threads, so a
    # connection kept per thread is never reused and only piles up until PostgreSQL refuses clients.
    # Instead each app-server process keeps a small pool (psycopg_pool): opening a connection costs
    # far more than most queries. The test suite opens and drops test databases, so it goes unpooled.
    DB_POOL = env_bool("BANZU_DB_POOL", not TESTING)
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0 if DB_POOL else env_int("BANZU_DB_CONN_MAX_AGE", 0)
        )
    }
    if DB_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("BANZU_DB_POOL_MIN", 2),
            "max_size": env_int("BANZU_DB_POOL_MAX", 20),
            "timeout": env_int("BANZU_DB_POOL_TIMEOUT", 10),
        }
    else:
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BANZU_SQLITE_PATH", str(VAR_DIR / "banzu.sqlite3")),
            "OPTIONS": {
                # Writers queue instead of failing with "database is locked" (DESIGN "Running").
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("BANZU_SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Huey, cache ------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("BANZU_REDIS_PREFIX", "banzu")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "banzu.core.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("BANZU_REDIS_PREFIX", "banzu"),
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("BANZU_REDIS_PREFIX", "banzu"),
        "url": REDIS_URL,
        "immediate": env_bool("BANZU_HUEY_IMMEDIATE", TESTING),
        "consumer": {"workers": env_int("BANZU_HUEY_WORKERS", 2), "worker_type": "thread"},
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Files, not process memory: a management command run beside the server (a switch token
    # rotated, a policy changed) must reach the server's kept configuration (``core.memo``).
    CACHES = {
        "default": (
            {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
            if TESTING
            else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
        )
    }
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "banzu",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("BANZU_HUEY_IMMEDIATE", TESTING),
        "consumer": {"workers": env_int("BANZU_HUEY_WORKERS", 2), "worker_type": "thread"},
    }

# --- Auth and security ----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Fixtures create many users; a fast hash keeps the suite fast. Never used outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("BANZU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("BANZU_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("BANZU_AXES_ENABLED", True)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("BANZU_SESSION_SECONDS", 12 * 3600)
_HTTPS = env_bool("BANZU_HTTPS", not (DEBUG or DEMO or TESTING))
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = env_bool("BANZU_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = env_int("BANZU_HSTS_SECONDS", 31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
BEHIND_PROXY = env_bool("BANZU_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("BANZU_MAX_REQUEST_BYTES", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Largest spreadsheet or attachment accepted by an upload form.
BANZU_MAX_UPLOAD_BYTES = env_int("BANZU_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Alpine.js evaluates expressions with Function(); ECharts sets inline styles.
        "script-src-elem": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, "ws:", "wss:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_COOKIE_NAME = "banzu_language"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "banzu" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or DEMO or TESTING

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated request gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "banzu.core.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "banzu.core.drf.exception_handler",
    # X-Forwarded-For is trusted only behind our own proxy; otherwise a client could forge it to
    # escape the rate limits.
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "120/min",
        "user": "6000/min",
        "login": os.environ.get("BANZU_LOGIN_RATE", "20/min"),
        # Per switch: well above a 1,000-seat centre's 200 events/s, a brake on a runaway switch.
        "cti": os.environ.get("BANZU_CTI_RATE", "1000/s"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Banzu API",
    "DESCRIPTION": "Call-centre platform: organisation, roster, calendar, policies and more.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents the one error shape of core.drf.exception_handler.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "banzu.core.schema.document_errors",
    ],
    # Several apps have a "status" or "category" choice set; give each schema enum its own name.
    "ENUM_NAME_OVERRIDES": {
        "WorkOrderStatusEnum": "banzu.workorders.models.Status",
        "WorkOrderCategoryEnum": "banzu.workorders.models.Category",
        "EmployeeStatusEnum": "banzu.org.models.Employee.Status",
        "ContactStatusEnum": "banzu.contact.models.Contact.Status",
        "ArticleStatusEnum": "banzu.knowledge.models.Article.Status",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BANZU_LOG_LEVEL", "WARNING")},
    "loggers": {"banzu": {"level": os.environ.get("BANZU_LOG_LEVEL", "INFO"), "propagate": True}},
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Background parts started inside `manage.py serve` (embedded mode): dotted paths of functions
# `start() -> stop callable or None`.
# Demo mode plays calls through the virtual switch (CT-1), so the demo centre is alive.
BANZU_EMBEDDED_SERVICES = env_list("BANZU_EMBEDDED_SERVICES", ["banzu.contact.virtual_switch.start"] if DEMO else [])
