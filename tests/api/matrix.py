"""The building blocks of the permission matrix, shared by the base table in
test_permission_matrix.py and by each area's rows in tests/api/matrix_rows/<area>.py.

An area module defines `ROWS: list[Row]` and, when its paths need more references than the base
world provides ({ticket}, {queue}, {entry}, ...), `refs(world, ticket) -> dict` that creates the
objects and returns their ids for the path placeholders; `ticket` is the row's own {ticket}, so an
area never has to guess it from "the newest ticket" (other areas file tickets of their own).
"""

import importlib
import pkgutil
from dataclasses import dataclass, field

from andon.tickets.models import Status

ROLES = ("anonymous", "nobody", "agent", "requester", "handler", "observer", "admin", "custom")


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Expected status per role. `custom` holds a custom role (值班客服) with exactly the 一线客服
    bits, so unless a row says otherwise it must be treated exactly like `agent`: checks go by
    permission bits, never by role names."""
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    result = {role: overrides.get(role, default) for role in ROLES}
    result["custom"] = overrides.get("custom", result["agent"])
    return result


def signed_in(default: int, **overrides) -> dict[str, int]:
    """Anonymous callers get 401; everyone else `default` unless overridden."""
    return expect(default, anonymous=401, **overrides)


def ticket_access(**viewers) -> dict[str, int]:
    """Ticket endpoints: 401 anonymous, 404 for those who cannot see the ticket."""
    return expect(404, anonymous=401, **viewers)


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str
    expected: dict[str, int]
    state: str = Status.PENDING
    body: dict | None = field(default=None)
    multipart: bool = False


def area_modules():
    from tests.api import matrix_rows

    return [
        importlib.import_module(f"tests.api.matrix_rows.{info.name}")
        for info in pkgutil.iter_modules(matrix_rows.__path__)
    ]
