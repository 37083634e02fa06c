"""Org chart sync: make Andon's departments, people and leader links match WeCom's.

A full sync runs in two phases so that a failure half way changes nothing:
1. fetch — department/list, user/list for every department (all pages), agent/get and the tags
   of the visible range, with retries on WeCom's frequency limits; nothing is written but progress;
2. apply — the diff against Andon, computed and written in one transaction (bulk writes, so 10,000
   people take seconds). People who left WeCom are deactivated through accounts' deactivation
   service, which hands their unfinished tickets to a successor; nothing is ever deleted but
   departments that are empty.

A dry run stops after computing the diff. Callbacks (change_contact) apply one member or one
department through the same value mapping (`apply_member`, `apply_department`, …).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.models import Department
from andon.audit.services import record_audit
from andon.core import config_cache
from andon.core.errors import ServiceError
from andon.wecom import config as wecom_config
from andon.wecom.client import WeComClient
from andon.wecom.errors import WeComError, WeComRateLimited
from andon.wecom.models import SyncRun, WeComSettings

log = logging.getLogger(__name__)
User = get_user_model()

# WeCom member status: 1 active, 2 disabled, 4 not yet activated, 5 left the company.
ACTIVE_STATUSES = frozenset({1, 4})
RATE_LIMIT_RETRIES = 5
RATE_LIMIT_BACKOFF_SECONDS = 0.5
MAX_LISTED_CHANGES = 500
SYSTEM_USERNAME = "andon-wecom-sync"


class SyncFailed(Exception):
    """The fetch could not complete; nothing was changed. The message says why, in words."""


# --- the system actor -----------------------------------------------------------------------------


def system_actor():
    """The account scheduled syncs and callbacks act as: it cannot sign in (no password, no
    WeCom userid) and takes no tickets, but holds every permission (the ticket services want an
    active actor), and shows as 企业微信同步 in activity and audit logs."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "display_name": "企业微信同步",
            "is_superuser": True,
            "is_available": False,
            "password": make_password(None),
        },
    )
    return user


# --- fetch ----------------------------------------------------------------------------------------


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


# --- the diff -------------------------------------------------------------------------------------


@dataclass
class Plan:
    changes: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def note(self, kind: str, action: str, name: str, detail: str = "") -> None:
        key = f"{kind}_{action}"
        self.counts[key] = self.counts.get(key, 0) + 1
        if len(self.changes) < MAX_LISTED_CHANGES:
            self.changes.append({"kind": kind, "action": action, "name": name, "detail": detail})

    def summary(self) -> dict[str, Any]:
        return {"counts": dict(sorted(self.counts.items())), "changes": self.changes}


def _ids(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [v for v in value.replace("|", ",").split(",") if v.strip()]
    result = []
    for item in value or []:
        try:
            result.append(int(item))
        except (TypeError, ValueError):
            continue
    return result


def _userids(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace("|", ",").split(",")
    return [str(v).strip() for v in value or [] if str(v).strip()]


def is_active_member(member: dict[str, Any]) -> bool:
    return _is_active(member)


def _is_active(member: dict[str, Any]) -> bool:
    try:
        status = int(member.get("status", 1))
    except (TypeError, ValueError):
        status = 1
    return status in ACTIVE_STATUSES and str(member.get("enable", 1)) != "0"


def _main_department_id(member: dict[str, Any]) -> int | None:
    main = _ids([member.get("main_department")]) if member.get("main_department") else []
    departments = _ids(member.get("department"))
    return (main or departments or [None])[0]


def _leaders_by_department(snapshot: Snapshot) -> dict[int, list[str]]:
    """department_leader where WeCom gives it, else the members flagged is_leader_in_dept."""
    leaders = {
        int(d["id"]): _userids(d.get("department_leader"))
        for d in snapshot.departments
        if "department_leader" in d
    }
    flagged: dict[int, list[str]] = {}
    for userid, member in snapshot.members.items():
        flags = member.get("is_leader_in_dept") or []
        for dept_id, flag in zip(_ids(member.get("department")), flags, strict=False):
            if str(flag) == "1":
                flagged.setdefault(dept_id, []).append(userid)
    for dept_id, userids in flagged.items():
        leaders.setdefault(dept_id, userids)
    return leaders


class _Apply:
    """Computes the plan against the database and, unless dry, writes it."""

    def __init__(self, snapshot: Snapshot, *, actor, dry_run: bool) -> None:
        self.snapshot = snapshot
        self.actor = actor
        self.dry_run = dry_run
        self.plan = Plan()
        self.owns_chart = wecom_config.current().wecom_owns_org_chart

    def run(self) -> Plan:
        self._departments()
        self._people()
        self._leader_links()
        self._departments_gone()
        self._people_gone()
        if not self.dry_run:
            self._remember_visible_range()
        return self.plan

    # departments ---------------------------------------------------------------------------

    def _departments(self) -> None:
        existing = {d.wecom_id: d for d in Department.objects.filter(wecom_id__isnull=False)}
        wanted = {int(d["id"]): d for d in self.snapshot.departments}
        new = []
        for wecom_id, data in wanted.items():
            if wecom_id not in existing:
                dept = Department(
                    name=str(data.get("name") or wecom_id)[:100],
                    wecom_id=wecom_id,
                    order=_order(data),
                )
                new.append(dept)
                self.plan.note("department", "create", dept.name)
        if new and not self.dry_run:
            Department.objects.bulk_create(new)
            new = list(Department.objects.filter(wecom_id__in=[d.wecom_id for d in new]))
        created = {dept.wecom_id for dept in new}
        for dept in new:
            existing[dept.wecom_id] = dept
        changed = []
        for wecom_id, data in wanted.items():
            dept = existing[wecom_id]
            parent = existing.get(int(data.get("parentid") or 0))
            values = {
                "name": str(data.get("name") or wecom_id)[:100],
                "order": _order(data),
                "parent_id": parent.pk if parent else None,
            }
            diff = [k for k, v in values.items() if getattr(dept, k) != v]
            if dept.pk is None:  # dry run: a department that would be created
                continue
            if diff:
                if wecom_id not in created:  # a new one only gets its parent now
                    action = "move" if diff == ["parent_id"] else "update"
                    self.plan.note("department", action, values["name"], ", ".join(diff))
                for key, value in values.items():
                    setattr(dept, key, value)
                changed.append(dept)
        if changed and not self.dry_run:
            Department.objects.bulk_update(changed, ["name", "order", "parent"], batch_size=500)
        self.departments = existing  # wecom id -> Department
        self.created_departments = created

    def _departments_gone(self) -> None:
        wanted = {int(d["id"]) for d in self.snapshot.departments}
        for wecom_id, dept in list(self.departments.items()):
            if wecom_id in wanted or dept.pk is None:
                continue
            if self.dry_run:
                self.plan.note("department", "delete", dept.name)
                continue
            if dept.children.exists() or User.objects.filter(main_department=dept).exists():
                # Something of Andon's own still hangs on it: keep it, no longer WeCom's.
                Department.objects.filter(pk=dept.pk).update(wecom_id=None)
                self.plan.note("department", "detach", dept.name, _("仍有成员或下级部门，已保留"))
            else:
                dept.delete()
                self.plan.note("department", "delete", dept.name)

    # people -------------------------------------------------------------------------------------

    def _people(self) -> None:
        members = {u: m for u, m in self.snapshot.members.items() if _is_active(m)}
        users = {u.wecom_userid: u for u in User.objects.filter(wecom_userid__isnull=False)}
        by_username = {
            u.username: u
            for u in User.objects.filter(wecom_userid__isnull=True, username__in=list(members))
        }
        taken = set(
            User.objects.filter(username__in=list(members)).values_list("username", flat=True)
        )
        new, changed, fields = [], [], set()
        for userid, member in members.items():
            user = users.get(userid) or by_username.get(userid)
            values = self._user_values(member)
            if user is None:
                username = userid if userid not in taken else f"{userid}.wecom"
                user = User(
                    username=username[:150],
                    wecom_userid=userid,
                    password=make_password(None),
                    **values,
                )
                new.append(user)
                self.plan.note("person", "create", user.display_name or userid)
                continue
            diff = [key for key, value in values.items() if getattr(user, key) != value]
            if user.wecom_userid != userid:
                user.wecom_userid = userid
                diff.append("wecom_userid")
            if not user.is_active and self.owns_chart:
                user.is_active = True
                diff.append("is_active")
                self.plan.note("person", "reactivate", user.name)
            if diff:
                label = "move" if diff == ["main_department_id"] else "update"
                visible_only = set(diff) == {"wecom_visible"}
                self.plan.note(
                    "person",
                    "visible" if visible_only else label,
                    values.get("display_name") or user.name,
                    ", ".join(diff),
                )
                for key in diff:
                    if key in values:
                        setattr(user, key, values[key])
                fields.update(diff)
                changed.append(user)
            users[userid] = user
        if not self.dry_run:
            if new:
                User.objects.bulk_create(new, batch_size=1000)
            if changed:
                names = sorted(f.removesuffix("_id") for f in fields)
                User.objects.bulk_update(changed, names, batch_size=1000)
                config_cache.bump(config_cache.PEOPLE)  # bulk_update sends no post_save
            fresh = User.objects.filter(wecom_userid__in=[u.wecom_userid for u in new])
            users.update({u.wecom_userid: u for u in fresh})
        self.users = users  # wecom userid -> User (active members and Andon's other linked ones)
        self.created_people = {u.wecom_userid for u in new}
        self.members = members

    def _user_values(self, member: dict[str, Any]) -> dict[str, Any]:
        main = self.departments.get(_main_department_id(member) or -1)
        values: dict[str, Any] = {
            "display_name": str(member.get("name") or member["userid"])[:100],
            "main_department_id": main.pk if main is not None else None,
            "wecom_visible": self.snapshot.is_visible(member),
        }
        # Apps created after 2022 get no mobile/e-mail from user/list: never wipe what we have.
        if member.get("email"):
            values["email"] = str(member["email"])[:254]
        if member.get("mobile"):
            values["mobile"] = str(member["mobile"])[:30]
        return values

    def _people_gone(self) -> None:
        leaving = [
            user
            for userid, user in self.users.items()
            if userid not in self.members and user.is_active and user.pk
        ]
        for user in leaving:
            self.plan.note("person", "deactivate", user.name)
            if not self.dry_run:
                error = deactivate(user=user, actor=self.actor)
                if error:
                    self.plan.note("person", "deactivate_refused", user.name, error)
        if not self.dry_run:
            # Those already inactive (or left before) are outside the range too.
            gone = [u for userid, u in self.users.items() if userid not in self.members]
            User.objects.filter(pk__in=[u.pk for u in gone if u.pk]).exclude(
                wecom_visible=False
            ).update(wecom_visible=False)

    # leader links -------------------------------------------------------------------------------

    def _leader_links(self) -> None:
        dept_leaders = _leaders_by_department(self.snapshot)
        through = Department.leaders.through
        ids = [d.pk for d in self.departments.values() if d.pk]
        current: dict[int, set[int]] = {}
        for dept_id, user_id in through.objects.filter(department_id__in=ids).values_list(
            "department_id", "user_id"
        ):
            current.setdefault(dept_id, set()).add(user_id)
        rows, cleared = [], []
        for wecom_id, dept in self.departments.items():
            if dept.pk is None or wecom_id not in dept_leaders:
                continue
            wanted = {self.users[u].pk for u in dept_leaders[wecom_id] if u in self.users}
            wanted.discard(None)
            if wanted != current.get(dept.pk, set()):
                if wecom_id not in self.created_departments:
                    self.plan.note("department", "leaders", dept.name)
                cleared.append(dept.pk)
                rows += [through(department_id=dept.pk, user_id=u) for u in sorted(wanted)]
        if not self.dry_run and cleared:
            through.objects.filter(department_id__in=cleared).delete()
            through.objects.bulk_create(rows, batch_size=1000)

        link = User.direct_leaders.through
        user_ids = [u.pk for u in self.users.values() if u.pk]
        current = {}
        for from_id, to_id in link.objects.filter(from_user_id__in=user_ids).values_list(
            "from_user_id", "to_user_id"
        ):
            current.setdefault(from_id, set()).add(to_id)
        rows, cleared = [], []
        for userid, member in self.members.items():
            user = self.users.get(userid)
            if user is None or user.pk is None:
                continue
            wanted = {
                self.users[u].pk
                for u in _userids(member.get("direct_leader"))
                if u in self.users and u != userid
            }
            wanted.discard(None)
            if wanted != current.get(user.pk, set()):
                if userid not in self.created_people:
                    self.plan.note("person", "direct_leaders", user.name)
                cleared.append(user.pk)
                rows += [link(from_user_id=user.pk, to_user_id=t) for t in sorted(wanted)]
        if not self.dry_run and cleared:
            link.objects.filter(from_user_id__in=cleared).delete()
            link.objects.bulk_create(rows, batch_size=1000)

    def _remember_visible_range(self) -> None:
        if self.snapshot.visible_users is None:
            return
        row = wecom_config.stored_settings()
        row.visible_range = {
            "users": sorted(self.snapshot.visible_users),
            "departments": sorted(self.snapshot.visible_departments),
        }
        if row.pk is None:
            WeComSettings.objects.create(visible_range=row.visible_range)
        else:
            WeComSettings.objects.filter(pk=row.pk).update(visible_range=row.visible_range)


def _order(data: dict[str, Any]) -> int:
    try:
        return max(0, min(int(data.get("order") or 0), 2_147_483_647))
    except (TypeError, ValueError):
        return 0


# --- leaving people -------------------------------------------------------------------------------


def successor_for(user):
    """Who takes over a leaving person's tickets: an active direct leader, else the nearest
    active leader of their department or a parent department."""
    leader = user.direct_leaders.filter(is_active=True).exclude(pk=user.pk).order_by("id").first()
    if leader is not None:
        return leader
    dept, seen = user.main_department, set()
    while dept is not None and dept.pk not in seen:
        seen.add(dept.pk)
        leader = dept.leaders.filter(is_active=True).exclude(pk=user.pk).order_by("id").first()
        if leader is not None:
            return leader
        dept = dept.parent
    return None


def deactivate(*, user, actor) -> str:
    """Deactivate through accounts' service (tickets go to the successor); '' or why not."""
    from andon.accounts.services import deactivate_user

    successor = successor_for(user)
    try:
        deactivate_user(
            actor=actor, user_id=user.pk, successor_id=successor.pk if successor else None
        )
    except ServiceError as exc:
        log.warning("WeCom sync could not deactivate %s: %s", user.username, exc)
        return str(exc)
    return ""


# --- runs -----------------------------------------------------------------------------------------


def compute_and_apply(snapshot: Snapshot, *, actor, dry_run: bool) -> Plan:
    """The diff of `snapshot` against Andon; written in one transaction unless `dry_run`."""
    with transaction.atomic():
        plan = _Apply(snapshot, actor=actor, dry_run=dry_run).run()
        if not dry_run:
            record_audit(
                actor=actor,
                action="wecom_sync",
                object_type="accounts.department",
                object_repr=_("企业微信组织架构同步"),
                changes={"counts": [None, plan.counts]},
            )
        if dry_run:
            transaction.set_rollback(True)  # belt and braces: a dry run leaves no trace
    return plan


def start_sync(
    *, requested_by=None, dry_run: bool = False, trigger: str = SyncRun.Trigger.MANUAL
) -> SyncRun:
    """Record a sync run and hand it to the worker (after commit)."""
    from andon.wecom.tasks import run_sync_task

    run = SyncRun.objects.create(
        dry_run=dry_run, trigger=trigger, requested_by=requested_by, created_at=timezone.now()
    )
    transaction.on_commit(lambda: run_sync_task(run.pk))
    return run


def run_sync(run_id: int) -> SyncRun:
    """Carry out one recorded run: fetch, then apply (or only diff). Never raises for WeCom."""
    run = SyncRun.objects.get(pk=run_id)
    # The claim: a run is carried out once even if its task is delivered twice.
    if not SyncRun.objects.filter(pk=run.pk, state=SyncRun.State.QUEUED).update(
        state=SyncRun.State.FETCHING
    ):
        return run

    def progress(done: int, total: int) -> None:
        SyncRun.objects.filter(pk=run.pk).update(processed=done, total=total)

    actor = run.requested_by if run.requested_by_id else system_actor()
    try:
        snapshot = fetch_snapshot(progress=progress)
        SyncRun.objects.filter(pk=run.pk).update(state=SyncRun.State.APPLYING)
        plan = compute_and_apply(snapshot, actor=actor, dry_run=run.dry_run)
    except SyncFailed as exc:
        SyncRun.objects.filter(pk=run.pk).update(
            state=SyncRun.State.FAILED, error=str(exc), finished_at=timezone.now()
        )
        log.warning("WeCom sync #%s failed: %s", run.pk, exc)
    except Exception as exc:  # the run must say it failed; the transaction rolled back
        SyncRun.objects.filter(pk=run.pk).update(
            state=SyncRun.State.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        log.exception("WeCom sync #%s failed", run.pk)
    else:
        SyncRun.objects.filter(pk=run.pk).update(
            state=SyncRun.State.DONE, summary=plan.summary(), finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


# --- one object at a time (change_contact callbacks) ---------------------------------------------


def _visible_from_range(userid: str, department_ids: list[int]) -> bool | None:
    visible = wecom_config.stored_settings().visible_range
    if not visible:
        return None
    return userid in set(visible.get("users", [])) or bool(
        set(department_ids) & set(visible.get("departments", []))
    )


def member_from_callback(payload: dict[str, Any]) -> dict[str, Any]:
    """A change_contact user event as user/get would spell it (only the fields it carries)."""
    names = {
        "Name": "name",
        "Mobile": "mobile",
        "Email": "email",
        "Position": "position",
        "MainDepartment": "main_department",
        "Status": "status",
    }
    member: dict[str, Any] = {"userid": str(payload.get("UserID") or "")}
    for source, target in names.items():
        if payload.get(source) not in (None, ""):
            member[target] = payload[source]
    if "Department" in payload:
        member["department"] = _ids(payload.get("Department"))
    if "IsLeaderInDept" in payload:
        member["is_leader_in_dept"] = _userids(payload.get("IsLeaderInDept"))
    if "DirectLeader" in payload:
        member["direct_leader"] = _userids(payload.get("DirectLeader"))
    if payload.get("NewUserID"):
        member["new_userid"] = str(payload["NewUserID"])
    return member


@transaction.atomic
def apply_member(*, member: dict[str, Any], actor) -> Any:
    """Create or update one member from the fields `member` carries; deactivate a disabled one.
    Returns the user (None for an unknown disabled member)."""
    userid = member["userid"]
    user = User.objects.select_for_update().filter(wecom_userid=userid).first()
    if user is None:
        user = (
            User.objects.select_for_update()
            .filter(username=userid, wecom_userid__isnull=True)
            .first()
        )
    if "status" in member and not _is_active(member):
        if user is not None and user.is_active:
            deactivate(user=user, actor=actor)
        return user
    if user is None:
        username = (
            userid if not User.objects.filter(username=userid).exists() else f"{userid}.wecom"
        )
        user = User(username=username[:150], password=make_password(None), wecom_userid=userid)
    user.wecom_userid = member.get("new_userid") or userid
    if member.get("name"):
        user.display_name = str(member["name"])[:100]
    elif not user.display_name:
        user.display_name = userid
    for key, limit in (("email", 254), ("mobile", 30)):
        if member.get(key):
            setattr(user, key, str(member[key])[:limit])
    department_ids = member.get("department")
    if department_ids is not None or "main_department" in member:
        main_id = _main_department_id({**member, "department": department_ids or []})
        if main_id is not None:
            user.main_department = Department.objects.filter(wecom_id=main_id).first()
    if department_ids is not None:
        user.wecom_visible = _visible_from_range(user.wecom_userid, department_ids)
    user.save()
    if department_ids is not None and "is_leader_in_dept" in member:
        for dept_id, flag in zip(department_ids, member["is_leader_in_dept"], strict=False):
            dept = Department.objects.filter(wecom_id=dept_id).first()
            if dept is None:
                continue
            if flag == "1":
                dept.leaders.add(user)
            else:
                dept.leaders.remove(user)
    if "direct_leader" in member:
        leaders = User.objects.filter(wecom_userid__in=member["direct_leader"]).exclude(pk=user.pk)
        user.direct_leaders.set(leaders)
    return user


@transaction.atomic
def remove_member(*, userid: str, actor) -> str:
    """A member deleted in WeCom: deactivated (never deleted); '' or why it was refused."""
    user = User.objects.filter(wecom_userid=userid).first()
    if user is None or not user.is_active:
        return ""
    error = deactivate(user=user, actor=actor)
    if not error:
        User.objects.filter(pk=user.pk).update(wecom_visible=False)
        config_cache.bump(config_cache.PEOPLE)
    return error


@transaction.atomic
def apply_department(*, data: dict[str, Any]) -> Department:
    """create_party / update_party: Id, Name, ParentId, Order (only those carried)."""
    wecom_id = int(data["Id"])
    dept = Department.objects.select_for_update().filter(wecom_id=wecom_id).first()
    if dept is None:
        dept = Department(wecom_id=wecom_id, name=str(data.get("Name") or wecom_id)[:100])
    if data.get("Name"):
        dept.name = str(data["Name"])[:100]
    if data.get("ParentId") not in (None, ""):
        parent_id = int(data["ParentId"])
        dept.parent = Department.objects.filter(wecom_id=parent_id).first() if parent_id else None
    if data.get("Order") not in (None, ""):
        dept.order = _order({"order": data["Order"]})
    dept.save()
    return dept


@transaction.atomic
def remove_department(*, wecom_id: int) -> bool:
    """delete_party: WeCom only deletes empty departments; ours goes too when it is empty."""
    dept = Department.objects.filter(wecom_id=wecom_id).first()
    if dept is None:
        return False
    if dept.children.exists() or User.objects.filter(main_department=dept).exists():
        Department.objects.filter(pk=dept.pk).update(wecom_id=None)
        return False
    dept.delete()
    return True
