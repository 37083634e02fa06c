"""`andon check --deploy`: passes with production settings from the environment, refuses the
built-in development key. Run in a child process because settings are read at start-up."""

import secrets

import pytest

from tests.test_cli import andon, andon_env

PRODUCTION = {
    "ALLOWED_HOSTS": "andon.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://andon.example.cn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "BEHIND_PROXY": "1",
}


@pytest.fixture
def production_env(tmp_path):
    return andon_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)


def test_check_deploy_passes_with_production_settings(production_env):
    result = andon("check", "--deploy", env=production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout + result.stderr


def test_check_deploy_refuses_the_development_key(production_env):
    production_env.pop("SECRET_KEY")
    result = andon("check", "--deploy", env=production_env)
    assert result.returncode != 0
    assert "andon.E001" in result.stdout + result.stderr


def test_check_deploy_wants_https_settings(tmp_path):
    env = andon_env(
        tmp_path, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="andon.example.cn"
    )
    result = andon("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in output


def test_check_deploy_names_andon_production_settings(tmp_path):
    env = andon_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50), DEBUG="1", LOG_FORMAT="xml")
    result = andon("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check in ("andon.E101", "andon.E108", "andon.W102", "andon.W103", "andon.W105"):
        assert check in output, check


def test_serve_refuses_the_development_key(tmp_path):
    result = andon("serve", "--no-collectstatic", env=andon_env(tmp_path))
    assert result.returncode == 2
    assert "refuses the built-in development SECRET_KEY" in result.stderr


def test_missing_holiday_data_is_warned_about_from_november():
    import datetime as dt

    from andon.ola.businesstime import china_holiday_years
    from andon.ops.checks import next_year_has_holiday_data

    last = max(china_holiday_years())
    assert next_year_has_holiday_data(today=dt.date(last, 6, 1)) == []
    (warning,) = next_year_has_holiday_data(today=dt.date(last, 11, 2))
    assert warning.id == "andon.W110" and str(last + 1) in warning.msg
    assert len(next_year_has_holiday_data(today=dt.date(last + 1, 3, 1))) == 1
