import pytest

from tests import factories


@pytest.fixture(scope="session")
def _config_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("config-cache")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, _config_cache_dir):
    # Configuration version tokens go to files under the data directory, which every xdist
    # worker (and any other run in this checkout) would share: one worker clearing them would
    # turn another's warm cache cold mid-test. Each worker gets its own directory.
    settings.CACHES = {
        **settings.CACHES,
        "config": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(_config_cache_dir),
        },
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # Every factory user sets a password; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The per-request API throttle adds cache queries to every call, which query-count tests
    # would then measure; tests/security turns it on where it is the subject.
    settings.ANDON_THROTTLE_RATES = {**settings.ANDON_THROTTLE_RATES, "user": "", "anon": ""}
    # Pages use {% static %}; the manifest storage needs collectstatic, which tests do not run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def queue(db):
    return factories.QueueFactory()


@pytest.fixture
def handlers(queue):
    people = [factories.handler() for _ in range(3)]
    factories.add_members(queue, *people)
    return people


@pytest.fixture
def entry(queue):
    return factories.catalog_leaf(queue)


@pytest.fixture
def requester(db):
    return factories.requester()


@pytest.fixture
def admin_user(db):
    return factories.admin()


@pytest.fixture(autouse=True, scope="session")
def _huey_runs_tasks_inline():
    """Tasks run in the calling thread during tests (after the transaction commits, as in
    production), so their effects can be asserted directly."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend is pointed at it."""
    from tests.mail_server import MailServer

    server = MailServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _builtin_roles_in_transactional_tests(request):
    """A transactional test starts from a database flushed by the one before it, which also
    removes the built-in roles and calendar the data migrations created; put them back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        factories.ensure_builtin_roles()
        factories.ensure_builtin_calendar()


@pytest.fixture(autouse=True)
def _empty_config_cache():
    """Each test's database starts over (and reuses primary keys), so cached configuration from
    the previous test must not be served to this one."""
    from andon.core import config_cache

    config_cache.clear()
    yield
