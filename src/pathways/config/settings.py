"""Django settings for Pathways. Values a deployment changes come from `env`."""

from __future__ import annotations

import datetime as dt

import dj_database_url
from csp.constants import NONE, SELF

from pathways.config import env

BASE_DIR = env.REPO_ROOT
NODE_MODULES = BASE_DIR / "node_modules"

SECRET_KEY = env.secret_key()
DEBUG = env.flag("PATHWAYS_DEBUG", default=False)
ALLOWED_HOSTS = [h for h in env.text("PATHWAYS_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# Demo mode unlocks conveniences that must never exist in a real deployment
# (printed sign-in details); `pathways demo` switches it on for its own database.
DEMO_MODE = env.flag("PATHWAYS_DEMO_MODE", default=False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    # Only so that the API's documentation page uses django-ninja's own copy of Swagger UI
    # (served from /assets/) instead of a CDN, which the Content-Security-Policy would refuse.
    "ninja",
    "simple_history",
    "pathways.common",
    "pathways.accounts",
    "pathways.access",
    "pathways.people",
    "pathways.offending",
    "pathways.imports",
    "pathways.sharing",
    "pathways.dataprotection",
    "pathways.resolutions",
    "pathways.restorative",
    "pathways.iom",
    "pathways.risk",
    "pathways.evaluation",
    "pathways.linkage",
    "pathways.problems",
    "pathways.referrals",
    "pathways.analytics",
    "pathways.demo",
    "pathways.web",
    "pathways.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pathways.access.middleware.SecurityHeadersMiddleware",
    "pathways.access.middleware.RejectNulCharactersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "pathways.access.middleware.SignInRequiredMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pathways.config.urls"
WSGI_APPLICATION = "pathways.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pathways.web.context_processors.service",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(env.database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes; the timeout waits out a
    # writer instead of failing a page with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:sign-in"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:sign-in"

# Signing in takes a password and then a code from an authenticator app (TOTP, django-otp);
# see pathways.web.views and docs/access-and-audit.md. django-axes checks every attempt first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
OTP_TOTP_ISSUER = "Pathways demo" if DEMO_MODE else "Pathways"
# Five failed attempts (wrong passwords and wrong codes together) lock the account for
# 30 minutes. By account, not by address: a whole police force or council can reach us from
# one address, and five typing mistakes among its staff must not lock them all out (hence
# axes.W006 is silenced). Trying one password on many accounts still meets the second factor.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pathways.web.views.locked_out"
# Successful sign-ins are in Pathways' own audit trail; axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "j F Y"

# GOV.UK Frontend and MoJ Frontend are installed from the npm registry into
# node_modules; their stylesheets refer to /assets/..., so static files live there.
STATIC_URL = "/assets/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    NODE_MODULES / "govuk-frontend/dist/govuk/assets",
    NODE_MODULES / "@ministryofjustice/frontend/moj/assets",
    ("govuk", NODE_MODULES / "govuk-frontend/dist/govuk"),
    ("moj", NODE_MODULES / "@ministryofjustice/frontend/moj"),
    ("htmx", NODE_MODULES / "htmx.org/dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# A session ends after 30 minutes without a request (each request starts the 30 minutes
# again), and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Behind HTTPS: cookies only over HTTPS, with the __Host- prefix (no Domain, Path=/), and HSTS.
SESSION_COOKIE_SECURE = env.flag("PATHWAYS_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent by pathways.access.middleware.SecurityHeadersMiddleware: no page needs these features.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
# Pages load scripts, styles, fonts and images only from this service (/assets/: GOV.UK
# Frontend, MoJ Frontend and our own files); no inline script or style. `data:` images are the
# enrolment QR code and the empty favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# An upload of partner data is a file of many rows; Django's defaults are for forms.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.text("PATHWAYS_LOG_LEVEL", "WARNING")},
}

# Tables meant for publication (the panel report) hide counts under this many people.
PUBLICATION_THRESHOLD = int(env.text("PATHWAYS_PUBLICATION_THRESHOLD", "5"))
