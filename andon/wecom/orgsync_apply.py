"""Org chart sync, phase 2: the diff of a WeCom snapshot against Andon's departments, people
and leader links, computed and written in one transaction (bulk writes). People who left WeCom
are deactivated through accounts' deactivation service, which hands their unfinished tickets to
a successor. The value mapping here is shared with the one-object callbacks (andon.wecom.orgsync).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from andon.accounts.models import Department
from andon.audit.services import record_audit
from andon.core import config_cache
from andon.core.errors import ServiceError
from andon.wecom import config as wecom_config
from andon.wecom.models import WeComSettings
from andon.wecom.orgsync_fetch import Snapshot

log = logging.getLogger("andon.wecom.orgsync")
User = get_user_model()

# WeCom member status: 1 active, 2 disabled, 4 not yet activated, 5 left the company.
ACTIVE_STATUSES = frozenset({1, 4})
MAX_LISTED_CHANGES = 500


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


def int_ids(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [v for v in value.replace("|", ",").split(",") if v.strip()]
    result = []
    for item in value or []:
        try:
            result.append(int(item))
        except (TypeError, ValueError):
            continue
    return result


def userid_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace("|", ",").split(",")
    return [str(v).strip() for v in value or [] if str(v).strip()]


def is_active_member(member: dict[str, Any]) -> bool:
    try:
        status = int(member.get("status", 1))
    except (TypeError, ValueError):
        status = 1
    return status in ACTIVE_STATUSES and str(member.get("enable", 1)) != "0"


def main_department_id(member: dict[str, Any]) -> int | None:
    main = int_ids([member.get("main_department")]) if member.get("main_department") else []
    departments = int_ids(member.get("department"))
    return (main or departments or [None])[0]


def _leaders_by_department(snapshot: Snapshot) -> dict[int, list[str]]:
    """department_leader where WeCom gives it, else the members flagged is_leader_in_dept."""
    leaders = {
        int(d["id"]): userid_list(d.get("department_leader"))
        for d in snapshot.departments
        if "department_leader" in d
    }
    flagged: dict[int, list[str]] = {}
    for userid, member in snapshot.members.items():
        flags = member.get("is_leader_in_dept") or []
        for dept_id, flag in zip(int_ids(member.get("department")), flags, strict=False):
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
                    order=department_order(data),
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
                "order": department_order(data),
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
        members = {u: m for u, m in self.snapshot.members.items() if is_active_member(m)}
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
        main = self.departments.get(main_department_id(member) or -1)
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
                for u in userid_list(member.get("direct_leader"))
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


def department_order(data: dict[str, Any]) -> int:
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


# --- the run's write ------------------------------------------------------------------------------


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
