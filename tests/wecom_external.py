"""The customer-contact (客户联系) part of the local WeCom server: external contacts, customer group
chats and their callbacks, with WeCom's JSON shapes and errcodes.

`tests/wecom_server.py`'s FakeWeCom holds one `ExternalDirectory` as `.external` and serves the
routes below (externalcontact/get_follow_user_list, list, get, batch/get_by_user, groupchat/list,
groupchat/get). Tests change the directory (`add_contact`, `add_chat`, …) and push the matching
change_external_contact / change_external_chat callbacks with `FakeWeCom.push_callback` and the
XML builders here.
"""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

# WeCom's errcodes for the cases the product has to explain.
NOT_EXTERNAL_CONTACT = 84061  # "not external contact": no such external_userid for this corp
USER_NOT_FOUND = 60111
INVALID_CHAT_ID = 40050
INVALID_LIMIT = 40058  # "不合法的参数" (a limit out of range)
NO_CUSTOMER_PERMISSION = 84074  # the member has no 客户联系 permission


def _ok() -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok"}


def _err(errcode: int, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": f"{errmsg}, hint: [fake-{secrets.token_hex(4)}]"}


def external_userid(n: int) -> str:
    """An id shaped like WeCom's (wm + 30 characters)."""
    return f"wmAndon{n:023d}"


@dataclass
class ExternalDirectory:
    """Who the corp's members have as customers, and the customer group chats."""

    # external_userid -> {"external_contact": {...}, "follow_user": [{...}, ...]}
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # chat_id -> the groupchat/get "group_chat" object
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Members with the 客户联系 feature (get_follow_user_list); others answer 84074.
    follow_users: list[str] = field(default_factory=list)
    # batch/get_by_user returns at most this many per page (WeCom: limit ≤ 100).
    batch_limit: int = 100

    def __post_init__(self) -> None:
        # Bumped by every method that adds or removes a contact, follow or chat; the listing
        # cache of batch/get_by_user holds references, so edited fields show without a bump.
        self._edits = 0
        self._rows_cache: tuple | None = None

    def add_contact(
        self,
        external_userid: str,
        name: str,
        *,
        followers: list[str] | tuple[str, ...] = (),
        remark: str = "",
        corp_name: str = "",
        type: int = 1,
        remark_corp_name: str = "",
        remark_mobiles: list[str] | None = None,
        description: str = "",
        unionid: str = "",
        position: str = "",
    ) -> dict[str, Any]:
        """Create or replace a contact; each follower gets the same remark unless changed later
        with `follow`."""
        contact = {
            "external_contact": {
                "external_userid": external_userid,
                "name": name,
                "position": position,
                "avatar": "",
                "corp_name": corp_name if type == 2 else "",
                "corp_full_name": corp_name if type == 2 else "",
                "type": type,
                "gender": 0,
                **({"unionid": unionid} if unionid else {}),
            },
            "follow_user": [],
        }
        self.contacts[external_userid] = contact
        self._edits += 1
        for userid in followers:
            self.follow(
                external_userid,
                userid,
                remark=remark,
                remark_corp_name=remark_corp_name,
                remark_mobiles=remark_mobiles,
                description=description,
            )
        return copy.deepcopy(contact)

    def follow(
        self,
        external_userid: str,
        userid: str,
        *,
        remark: str = "",
        remark_corp_name: str = "",
        remark_mobiles: list[str] | None = None,
        description: str = "",
    ) -> None:
        """`userid` adds (or re-describes) the contact: one follow_user entry per member."""
        if userid not in self.follow_users:
            self.follow_users.append(userid)
        follow = self.contacts[external_userid]["follow_user"]
        entry = next((f for f in follow if f["userid"] == userid), None)
        if entry is None:
            entry = {"userid": userid, "createtime": int(time.time()), "tags": [],
                     "oper_userid": userid, "add_way": 1}  # fmt: skip
            follow.append(entry)
        entry.update(remark=remark, description=description, remark_corp_name=remark_corp_name,
                     remark_mobiles=list(remark_mobiles or []))  # fmt: skip
        self._edits += 1

    def rows_for(self, userids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every (external_contact, follow_info) of these members in a stable order, so the
        cursor can be an offset; kept between the pages of one listing (a benchmark pages
        through 100,000 of them)."""
        key = (tuple(userids), self._edits)
        cached = self._rows_cache
        if cached and cached[0] == key:
            return cached[1]
        wanted = set(userids)
        rows = []
        for contact in self.contacts.values():
            for follow in contact["follow_user"]:
                if follow["userid"] in wanted:
                    rows.append((contact["external_contact"], follow))
        self._rows_cache = (key, rows)
        return rows

    def unfollow(self, external_userid: str, userid: str) -> None:
        contact = self.contacts.get(external_userid)
        if contact is not None:
            contact["follow_user"] = [f for f in contact["follow_user"] if f["userid"] != userid]
            self._edits += 1

    def add_chat(
        self,
        chat_id: str,
        name: str,
        *,
        owner: str,
        members: list[str] | tuple[str, ...] = (),
        externals: list[str] | tuple[str, ...] = (),
        notice: str = "",
    ) -> dict[str, Any]:
        """A customer group chat owned by member `owner`, with members (userids) and external
        contacts (external_userids; their names come from the contact directory)."""
        now = int(time.time())
        member_list = [
            {"userid": userid, "type": 1, "join_time": now, "join_scene": 1,
             "invitor": {"userid": owner}, "group_nickname": "", "name": userid}
            for userid in dict.fromkeys([owner, *members])
        ]  # fmt: skip
        for ext in externals:
            contact = self.contacts.get(ext, {}).get("external_contact", {})
            member_list.append(
                {"userid": ext, "type": 2, "join_time": now, "join_scene": 3,
                 "invitor": {"userid": owner}, "group_nickname": "",
                 "name": contact.get("name", ext)}
            )  # fmt: skip
        chat = {"chat_id": chat_id, "name": name, "owner": owner, "create_time": now,
                "notice": notice, "member_list": member_list, "admin_list": [],
                "member_version": secrets.token_hex(8)}  # fmt: skip
        self.chats[chat_id] = chat
        return copy.deepcopy(chat)

    def dismiss_chat(self, chat_id: str) -> None:
        self.chats.pop(chat_id, None)


# --- the protocol (each takes the FakeWeCom, the query parameters and the JSON body) --------------


def _get_follow_user_list(app, _params, _body) -> dict[str, Any]:
    return {**_ok(), "follow_user": list(app.external.follow_users)}


def _list(app, params, _body) -> dict[str, Any]:
    userid = params.get("userid", "")
    if userid not in app.users:
        return _err(USER_NOT_FOUND, "userid not found")
    if userid not in app.external.follow_users:
        return _err(NO_CUSTOMER_PERMISSION, "user has no customer contact permission")
    ids = [
        ext
        for ext, contact in app.external.contacts.items()
        if any(f["userid"] == userid for f in contact["follow_user"])
    ]
    return {**_ok(), "external_userid": ids}


def _get(app, params, _body) -> dict[str, Any]:
    contact = app.external.contacts.get(params.get("external_userid", ""))
    if contact is None or not contact["follow_user"]:
        return _err(NOT_EXTERNAL_CONTACT, "not external contact")
    return {**_ok(), **copy.deepcopy(contact)}


def _batch_get_by_user(app, _params, body) -> dict[str, Any]:
    body = body if isinstance(body, dict) else {}
    userids = body.get("userid_list") or []
    if not isinstance(userids, list) or not userids or len(userids) > 100:
        return _err(INVALID_LIMIT, "userid_list must hold 1 to 100 userids")
    limit = int(body.get("limit") or 50)
    if not 1 <= limit <= 100:
        return _err(INVALID_LIMIT, "invalid limit")
    limit = min(limit, app.external.batch_limit)
    rows = app.external.rows_for(userids)
    start = int(body.get("cursor") or 0)
    page = rows[start : start + limit]
    answer = {
        **_ok(),
        "external_contact_list": [
            {"external_contact": copy.deepcopy(ext), "follow_info": _follow_info(follow)}
            for ext, follow in page
        ],
    }
    answer["next_cursor"] = str(start + limit) if start + limit < len(rows) else ""
    return answer


def _follow_info(follow: dict[str, Any]) -> dict[str, Any]:
    info = {key: copy.deepcopy(value) for key, value in follow.items() if key != "tags"}
    info["tag_id"] = [tag.get("tag_id") for tag in follow.get("tags", [])]
    return info


def _groupchat_list(app, _params, body) -> dict[str, Any]:
    body = body if isinstance(body, dict) else {}
    limit = int(body.get("limit") or 0)
    if not 1 <= limit <= 1000:
        return _err(INVALID_LIMIT, "limit must be 1 to 1000")
    owners = set((body.get("owner_filter") or {}).get("userid_list") or [])
    chats = [c for c in app.external.chats.values() if not owners or c["owner"] in owners]
    start = int(body.get("cursor") or 0)
    page = chats[start : start + limit]
    answer = {**_ok(), "group_chat_list": [{"chat_id": c["chat_id"], "status": 0} for c in page]}
    answer["next_cursor"] = str(start + limit) if start + limit < len(chats) else ""
    return answer


def _groupchat_get(app, _params, body) -> dict[str, Any]:
    chat_id = body.get("chat_id", "") if isinstance(body, dict) else ""
    chat = app.external.chats.get(chat_id)
    if chat is None:
        return _err(INVALID_CHAT_ID, "invalid chatid")
    return {**_ok(), "group_chat": copy.deepcopy(chat)}


ROUTES = {
    "/cgi-bin/externalcontact/get_follow_user_list": ("GET", _get_follow_user_list, True),
    "/cgi-bin/externalcontact/list": ("GET", _list, True),
    "/cgi-bin/externalcontact/get": ("GET", _get, True),
    "/cgi-bin/externalcontact/batch/get_by_user": ("POST", _batch_get_by_user, True),
    "/cgi-bin/externalcontact/groupchat/list": ("POST", _groupchat_list, True),
    "/cgi-bin/externalcontact/groupchat/get": ("POST", _groupchat_get, True),
}


# --- callbacks ------------------------------------------------------------------------------------


def _event_xml(corp_id: str, event: str, change_type: str, fields: dict[str, str]) -> str:
    parts = [
        f"<ToUserName><![CDATA[{corp_id}]]></ToUserName>",
        "<FromUserName><![CDATA[sys]]></FromUserName>",
        f"<CreateTime>{int(time.time())}</CreateTime>",
        "<MsgType><![CDATA[event]]></MsgType>",
        f"<Event><![CDATA[{event}]]></Event>",
        f"<ChangeType><![CDATA[{change_type}]]></ChangeType>",
    ]
    parts += [f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items() if value]
    parts.append(f"<AndonTestNonce>{secrets.token_hex(4)}</AndonTestNonce>")
    return "<xml>" + "".join(parts) + "</xml>"


def external_contact_event_xml(
    corp_id: str, change_type: str, *, userid: str, external_userid: str, **extra: str
) -> str:
    """change_external_contact: add_external_contact, edit_external_contact,
    add_half_external_contact, del_external_contact, del_follow_user, transfer_fail."""
    fields = {"UserID": userid, "ExternalUserID": external_userid, **extra}
    return _event_xml(corp_id, "change_external_contact", change_type, fields)


def external_chat_event_xml(
    corp_id: str, change_type: str, *, chat_id: str, update_detail: str = "", **extra: str
) -> str:
    """change_external_chat: create, update (UpdateDetail add_member, del_member, change_owner,
    change_name, change_notice), dismiss."""
    fields = {"ChatId": chat_id, "UpdateDetail": update_detail, **extra}
    return _event_xml(corp_id, "change_external_chat", change_type, fields)
