"""Reports endpoints: everyone with `reports.view` (agents, handlers, observers, admins) gets their
own scope's numbers; a signed-in person without roles is refused."""

from tests.api.matrix import Row, signed_in

ROWS = [
    Row(f"reports: {name}", "get", f"/api/v1/reports/{name}/", signed_in(200, nobody=403))
    for name in (
        "summary",
        "series",
        "by-queue",
        "by-priority",
        "by-handler",
        "top-catalog",
        "at-risk",
    )
]
