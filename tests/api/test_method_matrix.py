"""HEAD and OPTIONS on every route of the permission matrix, for every built-in role and for a
custom role holding exactly one permission bit (one column per bit).

HEAD must answer exactly as GET does (same status, no body): a check written for GET can never
be skipped by asking HEAD. OPTIONS must answer only a caller who may use one of the route's
methods, and list only those. A method the route does not serve is 405 before anything runs.
"""

import pytest

from andon.accounts.models import Role
from andon.accounts.permissions import ALL_CODES
from andon.tickets.models import Status
from tests import factories
from tests.api.conftest import client_for
from tests.api.matrix import ROLES
from tests.api.test_permission_matrix import MATRIX, path_refs

BIT_ROLES = tuple(f"bit:{code}" for code in sorted(ALL_CODES))
GET_ROWS = {row.path: row for row in MATRIX if row.method == "get" and row.state == Status.PENDING}
PATHS = sorted({row.path for row in MATRIX})


def _user(world, role: str):
    if role == "anonymous":
        return None
    if role.startswith("bit:"):
        code = role.removeprefix("bit:")
        one_bit = Role.objects.create(name=f"只有 {code}", permissions=[code])
        user = factories.UserFactory(username="one-bit")
        user.roles.add(one_bit)
        return user
    return getattr(world, role)


def _write_rows(path: str) -> list:
    return [row for row in MATRIX if row.path == path and row.method != "get"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES + BIT_ROLES)
def test_head_and_options_on_every_route(world, role):
    user = _user(world, role)
    refs = path_refs(world, user)
    client = client_for(user)
    problems = []
    for template in PATHS:
        path = template.format(**refs)
        head = client.head(path)
        options = client.options(path)
        get_row = GET_ROWS.get(template)
        if not path.startswith("/api/v1/"):
            # The schema and the docs page are not REST endpoints: OPTIONS is refused outright.
            if options.status_code != 405:
                problems.append((path, "OPTIONS outside the REST API", options.status_code))
            options = None
        if role == "anonymous":
            if head.status_code != 401 or (options and options.status_code != 401):
                problems.append((path, "anonymous", head.status_code, options))
            continue
        body = b"".join(head.streaming_content) if head.streaming else head.content
        if body:
            problems.append((path, "HEAD has a body", len(body)))
        # What GET answers this caller: the matrix row for built-in roles, a real GET for the
        # one-bit roles (whose rows are not written out); HEAD must match it either way.
        if get_row is None:
            get_status = 405
        elif role in ROLES:
            get_status = get_row.expected[role]
        else:
            get_status = client.get(path).status_code
        if head.status_code != get_status:
            problems.append((path, "HEAD", head.status_code, "GET", get_status))
        if options is None:
            pass
        elif options.status_code == 200:
            # It may list a method whose check lives in the view's body (knowledge bits), but
            # never leave out one the caller may use.
            methods = set(options.json()["methods"])
            if get_row is not None and get_status != 403 and "GET" not in methods:
                problems.append((path, "OPTIONS leaves out GET", sorted(methods), get_status))
        elif options.status_code == 403:
            # Refused only when every method of the route is refused to this caller.
            if get_row is not None and get_status != 403:
                problems.append((path, "OPTIONS 403 but GET allowed", get_status))
            if role in ROLES:
                allowed = [r.name for r in _write_rows(template) if r.expected[role] != 403]
                if allowed:
                    problems.append((path, "OPTIONS 403 but allowed", allowed))
        else:
            problems.append((path, "OPTIONS", options.status_code))
        trace = client.generic("TRACE", path)
        if trace.status_code != 405:
            problems.append((path, "TRACE", trace.status_code))
    assert not problems, problems


@pytest.mark.django_db
def test_one_bit_roles_open_exactly_their_own_reads(world):
    """Spot checks that the bit columns above are not vacuous: HEAD /users/ opens with
    people.view and only with it; HEAD /audit/ only with roles.manage."""
    for code, path in (("people.view", "/api/v1/users/"), ("roles.manage", "/api/v1/audit/")):
        for other in sorted(ALL_CODES):
            one_bit = Role.objects.create(name=f"{code}/{other}", permissions=[other])
            user = factories.UserFactory()
            user.roles.add(one_bit)
            status = client_for(user).head(path).status_code
            assert status == (200 if other == code else 403), (path, other, status)
