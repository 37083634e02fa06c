"""change_contact (通讯录变更): members and departments created, changed or deleted in WeCom are
applied to Andon's org chart as they arrive (tags are picked up by the full sync)."""

from __future__ import annotations

from andon.wecom import handlers, orgsync
from andon.wecom.models import CallbackEvent


def _user_key(payload: dict) -> str:
    return f"user:{payload.get('UserID') or ''}"


def _party_key(payload: dict) -> str:
    return f"party:{payload.get('Id') or ''}"


@handlers.register(event="change_contact", change_type="create_user", object_key=_user_key)
@handlers.register(event="change_contact", change_type="update_user", object_key=_user_key)
def on_user_changed(event: CallbackEvent) -> None:
    member = orgsync.member_from_callback(event.payload)
    if not member["userid"]:
        raise ValueError("change_contact without a UserID")
    orgsync.apply_member(member=member, actor=orgsync.system_actor())


@handlers.register(event="change_contact", change_type="delete_user", object_key=_user_key)
def on_user_deleted(event: CallbackEvent) -> None:
    userid = str(event.payload.get("UserID") or "")
    if not userid:
        raise ValueError("change_contact without a UserID")
    error = orgsync.remove_member(userid=userid, actor=orgsync.system_actor())
    if error:
        # Retried (and in the end shown as dead with this reason) until someone resolves it.
        raise RuntimeError(error)


@handlers.register(event="change_contact", change_type="create_party", object_key=_party_key)
@handlers.register(event="change_contact", change_type="update_party", object_key=_party_key)
def on_party_changed(event: CallbackEvent) -> None:
    if not event.payload.get("Id"):
        raise ValueError("change_contact without an Id")
    orgsync.apply_department(data=event.payload)


@handlers.register(event="change_contact", change_type="delete_party", object_key=_party_key)
def on_party_deleted(event: CallbackEvent) -> None:
    orgsync.remove_department(wecom_id=int(event.payload["Id"]))
