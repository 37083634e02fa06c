"""Org chart sync, phase 1: read everything the sync needs from WeCom (department/list, user/list
for every department, agent/get and the tags of the visible range), retrying on WeCom's frequency
limits. Nothing is written here but progress (andon.wecom.orgsync runs the phases)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from andon.wecom import config as wecom_config
from andon.wecom.client import WeComClient
from andon.wecom.errors import WeComError, WeComRateLimited

RATE_LIMIT_RETRIES = 5
RATE_LIMIT_BACKOFF_SECONDS = 0.5


class SyncFailed(Exception):
    """The fetch could not complete; nothing was changed. The message says why, in words."""


@dataclass
class Snapshot:
    departments: list[dict[str, Any]]
    members: dict[str, dict[str, Any]]
    visible_users: set[str] | None = None
    visible_departments: set[int] = field(default_factory=set)

    def is_visible(self, member: dict[str, Any]) -> bool | None:
        if self.visible_users is None:
            return None
        return member["userid"] in self.visible_users or bool(
            set(member.get("department") or []) & self.visible_departments
        )


def _patient(call: Callable[[], Any]) -> Any:
    """`call()`, retried with backoff while WeCom answers with a frequency limit (45009…)."""
    for attempt in range(RATE_LIMIT_RETRIES):
        try:
            return call()
        except WeComRateLimited:
            if attempt == RATE_LIMIT_RETRIES - 1:
                raise
            time.sleep(RATE_LIMIT_BACKOFF_SECONDS * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _clients() -> tuple[WeComClient, WeComClient]:
    """(contacts client, application client); the same one without a 通讯录同步 secret."""
    config = wecom_config.current()
    if not config.corp_id or not config.sync_secret:
        raise SyncFailed(_("企业微信尚未配置：缺少企业 ID 或 Secret"))
    app = WeComClient()
    if not config.contacts_secret:
        return app, app
    # Its own token cache row: the contacts secret gets a different access token.
    contacts = WeComClient(agent_id="contacts", secret=config.contacts_secret)
    return contacts, app


def _subtree(departments: list[dict[str, Any]], roots: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for dept in departments:
        children.setdefault(int(dept.get("parentid") or 0), []).append(int(dept["id"]))
    found, frontier = set(roots), list(roots)
    while frontier:
        nxt = [c for d in frontier for c in children.get(d, []) if c not in found]
        found.update(nxt)
        frontier = nxt
    return found


def fetch_snapshot(*, progress: Callable[[int, int], None] | None = None) -> Snapshot:
    """Everything the sync needs from WeCom, or SyncFailed (nothing written)."""
    contacts, app = _clients()
    try:
        departments = _patient(contacts.list_departments)
        total = len(departments) + 1
        members: dict[str, dict[str, Any]] = {}
        for done, dept in enumerate(departments, start=1):
            for member in _patient(lambda d=dept: contacts.list_department_users(int(d["id"]))):
                members.setdefault(str(member["userid"]), member)
            if progress and (done % 25 == 0 or done == len(departments)):
                progress(done, total)
        visible_users, visible_departments = _visible_range(app, departments)
        if progress:
            progress(total, total)
    except WeComError as exc:
        raise SyncFailed(
            _("读取企业微信失败（%(api)s）：%(error)s")
            % {"api": exc.api or "-", "error": exc.errmsg}
        ) from exc
    finally:
        contacts.close()
        app.close()
    return Snapshot(departments, members, visible_users, visible_departments)


def _visible_range(app: WeComClient, departments) -> tuple[set[str], set[int]]:
    agent = _patient(app.get_agent)
    users = {str(u["userid"]) for u in (agent.get("allow_userinfos") or {}).get("user", [])}
    parties = {int(p) for p in (agent.get("allow_partys") or {}).get("partyid", [])}
    for tag_id in (agent.get("allow_tags") or {}).get("tagid", []):
        tag = _patient(lambda t=tag_id: app.get_tag(int(t)))
        users |= {str(u["userid"]) for u in tag.get("userlist") or []}
        parties |= {int(p) for p in tag.get("partylist") or []}
    return users, _subtree(departments, parties)
