"""Log lines: plain or one JSON object per line (LOG_FORMAT=json), a request id on every line of
a request and of a worker task, and secrets scrubbed from every line whatever its format.

This module imports nothing from Django at import time: gunicorn's master process uses
`logging_config()` too (andon/ops/gunicorn_conf.py), before Django is set up."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from contextvars import ContextVar
from urllib.parse import urlsplit

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id_var: ContextVar[str] = ContextVar("andon_request_id", default="")
task_var: ContextVar[str] = ContextVar("andon_task", default="")

REDACTED = "***"
# Environment variables holding secrets: their values never appear in a log line.
SECRET_ENV_VARS = (
    "SECRET_KEY",
    "WECOM_SECRET",
    "WECOM_CONTACTS_SECRET",
    "WECOM_CALLBACK_TOKEN",
    "WECOM_CALLBACK_AES_KEY",
    "EMAIL_HOST_PASSWORD",
    "ANDON_LLM_API_KEY",
    "ANDON_SECRETS_KEY",
    "ANDON_METRICS_TOKEN",
    "ANDON_ADMIN_PASSWORD",
    "ANDON_S3_SECRET_ACCESS_KEY",
)
# URLs whose password part is secret.
SECRET_URL_VARS = ("DATABASE_URL", "REDIS_URL")
_KEYS = (
    r"password|passwd|pwd|secret|corpsecret|token|access_token|jsapi_ticket|ticket|api_key"
    r"|apikey|aes_key|encodingaeskey|secret_key|sessionid|csrftoken|code"
)
# key=value, key: value, "key": "value" (query strings, form dumps, reprs of dicts).
_PAIR_RE = re.compile(
    r"(?P<key>(?<![A-Za-z0-9])(?:" + _KEYS + r")[\"']?\s*[=:]\s*[\"']?)(?P<value>[^&\s\"',;}<>]+)",
    re.IGNORECASE,
)
_AUTH_RE = re.compile(r"(?P<key>\b(?:Token|Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}")
_URL_PASSWORD_RE = re.compile(r"(?P<key>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)")
_MIN_SECRET_LENGTH = 6  # shorter values would scrub ordinary words


def _known_secrets() -> list[str]:
    values = [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    for name in SECRET_URL_VARS:
        url = os.environ.get(name, "")
        if url:
            with contextlib.suppress(ValueError):
                values.append(urlsplit(url).password or "")
    try:
        from django.conf import settings

        if settings.configured:
            values += [
                getattr(settings, name, "") or ""
                for name in (
                    "SECRET_KEY",
                    "WECOM_SECRET",
                    "WECOM_CONTACTS_SECRET",
                    "WECOM_CALLBACK_TOKEN",
                    "WECOM_CALLBACK_AES_KEY",
                    "EMAIL_HOST_PASSWORD",
                    "ANDON_LLM_API_KEY",
                    "ANDON_SECRETS_KEY",
                    "ANDON_METRICS_TOKEN",
                    "AWS_SECRET_ACCESS_KEY",
                )
            ]
            values.append(settings.DATABASES.get("default", {}).get("PASSWORD") or "")
    except Exception:  # settings not importable yet (gunicorn master): environment only
        pass
    return sorted(
        {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LENGTH},
        key=len,
        reverse=True,
    )


def scrub(text: str) -> str:
    """`text` with known secret values and anything shaped like a credential replaced."""
    for secret in _known_secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _URL_PASSWORD_RE.sub(lambda m: m.group("key") + REDACTED, text)
    text = _AUTH_RE.sub(lambda m: m.group("key") + REDACTED, text)
    return _PAIR_RE.sub(lambda m: m.group("key") + REDACTED, text)


_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class SecretsFilter(logging.Filter):
    """On the handler, so it sees every line (Django's, Huey's, gunicorn's, httpx's): the
    message is rendered, scrubbed and frozen; so are a traceback and string extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template, drop the arguments
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = scrub(text), None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        for key, value in list(vars(record).items()):
            if key in _RESERVED or value is None or isinstance(value, bool | int | float):
                continue
            # Objects too (Django passes the request, whose repr has the query string).
            setattr(record, key, scrub(value if isinstance(value, str) else str(value)))
        return True


class ContextFilter(logging.Filter):
    """Adds the current request id (or worker task id) and task name to the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        if not getattr(record, "task", ""):
            record.task = task_var.get()
        return True


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if getattr(record, "request_id", ""):
            line = f"{line} [request_id={record.request_id}]"
        return line


class JsonFormatter(_JsonFormatter):
    """{"time", "level", "logger", "message", "request_id", "task", …extras, "exc_info"}."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        for key in ("request_id", "task"):
            if not log_data.get(key):
                log_data.pop(key, None)


def logging_config(*, fmt: str | None = None, level: str | None = None) -> dict:
    """The LOGGING dict for settings.py and for gunicorn (same handler, filters, format)."""
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "plain").strip().lower()
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    formatter = (
        {"()": "andon.ops.logs.JsonFormatter", "fmt": "%(message)s"}
        if fmt == "json"
        else {
            "()": "andon.ops.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "andon.ops.logs.ContextFilter"},
            "secrets": {"()": "andon.ops.logs.SecretsFilter"},
        },
        "formatters": {"andon": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "andon",
                "filters": ["context", "secrets"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # A failing readiness check is the probe's answer, not news on every probe.
            "health_check": {"level": "ERROR"},
            # Our handler on Huey's logger: `andon worker` (run_huey) then adds none of its own.
            "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            # Requests are logged by andon.ops.middleware (with ids, without query strings).
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
