"""Org chart sync: make Andon's departments, people and leader links match WeCom's.

A full sync runs in two phases so that a failure half way changes nothing:
1. fetch (andon.wecom.orgsync_fetch) — department/list, user/list for every department (all
   pages), agent/get and the tags of the visible range, with retries on WeCom's frequency limits;
   nothing is written but progress;
2. apply (andon.wecom.orgsync_apply) — the diff against Andon, computed and written in one
   transaction (bulk writes, so 10,000 people take seconds). People who left WeCom are
   deactivated through accounts' deactivation service, which hands their unfinished tickets to a
   successor; nothing is ever deleted but departments that are empty.

A dry run stops after computing the diff. Callbacks (change_contact) apply one member or one
department through the same value mapping (`apply_member`, `apply_department`, …).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from andon.accounts.models import Department
from andon.core import config_cache
from andon.wecom import config as wecom_config
from andon.wecom import worker
from andon.wecom.models import SyncRun
from andon.wecom.orgsync_apply import (
    Plan,
    compute_and_apply,
    deactivate,
    department_order,
    int_ids,
    is_active_member,
    main_department_id,
    successor_for,
    userid_list,
)
from andon.wecom.orgsync_fetch import Snapshot, SyncFailed, fetch_snapshot

__all__ = [
    "Plan",
    "Snapshot",
    "SyncFailed",
    "apply_department",
    "apply_member",
    "compute_and_apply",
    "fetch_snapshot",
    "is_active_member",
    "member_from_callback",
    "remove_department",
    "remove_member",
    "run_sync",
    "start_sync",
    "successor_for",
    "system_actor",
]

log = logging.getLogger(__name__)
User = get_user_model()

SYSTEM_USERNAME = "andon-wecom-sync"


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


# --- runs -----------------------------------------------------------------------------------------


def start_sync(
    *, requested_by=None, dry_run: bool = False, trigger: str = SyncRun.Trigger.MANUAL
) -> SyncRun:
    """Record a sync run and hand it to the worker (after commit)."""
    run = SyncRun.objects.create(
        dry_run=dry_run, trigger=trigger, requested_by=requested_by, created_at=timezone.now()
    )
    transaction.on_commit(lambda: worker.queue_sync(run.pk))
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
        member["department"] = int_ids(payload.get("Department"))
    if "IsLeaderInDept" in payload:
        member["is_leader_in_dept"] = userid_list(payload.get("IsLeaderInDept"))
    if "DirectLeader" in payload:
        member["direct_leader"] = userid_list(payload.get("DirectLeader"))
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
    if "status" in member and not is_active_member(member):
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
        main_id = main_department_id({**member, "department": department_ids or []})
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
        dept.order = department_order({"order": data["Order"]})
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
