"""Pages answer HEAD exactly as GET (same status, no body) and refuse OPTIONS and unknown
methods, for every built-in role and for a custom role holding one bit: a page's permission
check can never be skipped by asking HEAD."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from andon.accounts.models import Role
from andon.accounts.permissions import ALL_CODES
from tests import factories


def _pages(patterns, prefix=""):
    """Every page path without parameters (lists, forms, indexes)."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(("api/", "wecom/", "i18n/")):
                continue
            yield from _pages(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and "<" not in route and "^" not in route:
            yield "/" + route


PAGES = sorted(set(_pages(get_resolver().url_patterns)) - {"/accounts/logout/"})
ROLE_CODES = ("agent", "handler", "observer", "admin")


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_walk_reaches_the_guarded_pages():
    assert {"/config/audit/", "/config/org/people/", "/config/org/roles/"} <= set(PAGES), PAGES


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["anonymous", "no-role", *ROLE_CODES, *(f"bit:{c}" for c in sorted(ALL_CODES))]
)
def test_head_is_get_and_options_is_refused_on_every_page(who):
    factories.ensure_builtin_roles()
    if who == "anonymous":
        user = None
    elif who.startswith("bit:"):
        role = Role.objects.create(name=who, permissions=[who.removeprefix("bit:")])
        user = factories.UserFactory()
        user.roles.add(role)
    else:
        user = factories.UserFactory(role_codes=[] if who == "no-role" else [who])
    client = _client(user)
    problems = []
    for path in PAGES:
        get = client.get(path)
        head = client.head(path)
        if head.status_code != get.status_code:
            problems.append((path, "HEAD", head.status_code, "GET", get.status_code))
        body = b"".join(head.streaming_content) if head.streaming else head.content
        if body:
            problems.append((path, "HEAD body", len(body)))
        for method in ("OPTIONS", "TRACE", "PROPFIND"):
            status = client.generic(method, path).status_code
            if status != 405:
                problems.append((path, method, status))
    assert not problems, problems


@pytest.mark.django_db
def test_plain_employee_gets_no_staff_directory_or_audit_log_by_head():
    factories.ensure_builtin_roles()
    employee = factories.requester()
    client = _client(employee)
    for path in ("/config/audit/", "/config/org/people/"):
        assert client.head(path).status_code == 403, path
    admin = factories.admin()
    for path in ("/config/audit/", "/config/org/people/"):
        assert _client(admin).head(path).status_code == 200, path
