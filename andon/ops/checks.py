"""`andon check --deploy`: the production settings beyond Django's own security checks (HTTPS,
cookies, HSTS, a short SECRET_KEY) and andon.E001 (the development SECRET_KEY). Errors stop a
deploy; warnings name what a production desk should not run with."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils import timezone

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def next_year_has_holiday_data(*, today: dt.date | None = None) -> list[Warning]:
    """chinesecalendar ships each year's 法定节假日 and 调休 once the State Council publishes them
    (usually in November). OLA due times on days it has no data for ignore holidays, so warn
    when this year has none, and from November on when next year has none."""
    from andon.ola.businesstime import china_holiday_years

    today = today or timezone.localdate()
    years = china_holiday_years()
    missing = [y for y in (today.year, today.year + 1) if y not in years]
    if today.month < 11:
        missing = [y for y in missing if y == today.year]
    return [
        Warning(
            f"The installed chinesecalendar has no holiday data for {year}; OLA times in {year} "
            "ignore 法定节假日 and 调休.",
            hint="Upgrade it (pip install -U chinesecalendar, then update requirements.lock) "
            "once its release with that year is out; calendars can also carry exception dates.",
            id="andon.W110",
        )
        for year in missing
    ]


@register(Tags.compatibility, deploy=True)
def holiday_data(app_configs, **kwargs):
    return next_year_has_holiday_data()


@register(Tags.security, deploy=True)
def production_settings(app_configs, **kwargs):
    problems = []
    if settings.DEBUG:
        problems.append(Error("DEBUG is on.", hint="Unset DEBUG in production.", id="andon.E101"))
    if not set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS:
        problems.append(
            Warning(
                "ALLOWED_HOSTS only names this machine.",
                hint="Set ALLOWED_HOSTS to the host name people use, e.g. andon.example.cn.",
                id="andon.W102",
            )
        )
    site = urlsplit(settings.SITE_URL)
    if site.hostname in LOCAL_HOSTS or site.scheme != "https":
        problems.append(
            Warning(
                f"ANDON_SITE_URL is {settings.SITE_URL}.",
                hint="Links in e-mails and WeCom messages use it: set the public https address.",
                id="andon.W103",
            )
        )
    elif f"{site.scheme}://{site.netloc}" not in settings.CSRF_TRUSTED_ORIGINS:
        problems.append(
            Warning(
                "CSRF_TRUSTED_ORIGINS does not list ANDON_SITE_URL's origin.",
                hint=f"Add {site.scheme}://{site.netloc} to CSRF_TRUSTED_ORIGINS.",
                id="andon.W104",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append(
            Warning(
                "The database is SQLite.",
                hint="Production runs on PostgreSQL: set DATABASE_URL.",
                id="andon.W105",
            )
        )
    if not settings.REDIS_URL:
        problems.append(
            Warning(
                "REDIS_URL is not set: tasks go through a SQLite file on this host.",
                hint="Set REDIS_URL so workers on any host share the task queue.",
                id="andon.W106",
            )
        )
    if settings.ANDON_METRICS_TOKEN and len(settings.ANDON_METRICS_TOKEN) < 24:
        problems.append(
            Warning(
                "ANDON_METRICS_TOKEN is short.",
                hint="Use at least 24 random characters.",
                id="andon.W107",
            )
        )
    if settings.ANDON_STORAGE not in ("filesystem", "s3"):
        problems.append(
            Error(
                f"ANDON_STORAGE is {settings.ANDON_STORAGE!r}.",
                hint="Use filesystem or s3.",
                id="andon.E111",
            )
        )
    elif settings.ANDON_STORAGE == "s3" and not settings.STORAGES["default"]["OPTIONS"].get(
        "bucket_name"
    ):
        problems.append(
            Error(
                "ANDON_STORAGE=s3 without ANDON_S3_BUCKET.",
                hint="Set ANDON_S3_BUCKET (and the endpoint and keys of your store).",
                id="andon.E112",
            )
        )
    if settings.LOG_FORMAT not in ("plain", "json"):
        problems.append(
            Error(
                f"LOG_FORMAT is {settings.LOG_FORMAT!r}.",
                hint="Use plain or json.",
                id="andon.E108",
            )
        )
    if (settings.WECOM_SECRET or settings.WECOM_CORP_ID) and not settings.ANDON_SECRETS_KEY:
        problems.append(
            Warning(
                "ANDON_SECRETS_KEY is not set.",
                hint="Secrets entered on 配置 › 企业微信 cannot be stored without it.",
                id="andon.W109",
            )
        )
    return problems
