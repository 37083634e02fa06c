"""The customer-contact (客户联系) APIs: external contacts and customer group chats.

A WeComClient for the same application, so the access token is the shared one; kept apart from
client.py because it is its own area of WeCom's API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from andon.wecom.client import WeComClient
from andon.wecom.errors import WeComError

# WeCom's answers for "no such external contact" and "no such chat".
NOT_EXTERNAL_CONTACT = 84061
INVALID_CHAT_IDS = (40050, 701008)
BATCH_USERS = 100  # batch/get_by_user takes at most 100 userids and returns at most 100 per page
CHAT_PAGE = 1000


def is_unknown_contact(error: WeComError) -> bool:
    return error.errcode == NOT_EXTERNAL_CONTACT


def is_unknown_chat(error: WeComError) -> bool:
    return error.errcode in INVALID_CHAT_IDS


def _body(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in ("errcode", "errmsg")}


class ExternalContactClient(WeComClient):
    def follow_users(self) -> list[str]:
        """Members with the 客户联系 feature (externalcontact/get_follow_user_list)."""
        data = self._call("GET", "/cgi-bin/externalcontact/get_follow_user_list")
        return [str(userid) for userid in data.get("follow_user") or []]

    def list_external_contacts(self, userid: str) -> list[str]:
        """The external_userids one member has as customers (externalcontact/list)."""
        data = self._call("GET", "/cgi-bin/externalcontact/list", params={"userid": userid})
        return [str(ext) for ext in data.get("external_userid") or []]

    def get_external_contact(self, external_userid: str) -> dict[str, Any]:
        """{"external_contact": {...}, "follow_user": [...]} with every follow user (the
        answer is paged by `next_cursor` past 500 of them)."""
        params: dict[str, Any] = {"external_userid": external_userid}
        result: dict[str, Any] = {"external_contact": {}, "follow_user": []}
        while True:
            data = self._call("GET", "/cgi-bin/externalcontact/get", params=params)
            result["external_contact"] = data.get("external_contact") or {}
            result["follow_user"].extend(data.get("follow_user") or [])
            cursor = data.get("next_cursor")
            if not cursor:
                return result
            params = {"external_userid": external_userid, "cursor": cursor}

    def batch_by_users(self, userids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Every (external_contact, follow_info) pair of these members, page by page
        (externalcontact/batch/get_by_user; at most 100 members per call)."""
        users = list(userids)
        for start in range(0, len(users), BATCH_USERS):
            body: dict[str, Any] = {"userid_list": users[start : start + BATCH_USERS], "limit": 100}
            while True:
                data = self._call("POST", "/cgi-bin/externalcontact/batch/get_by_user", json=body)
                yield from data.get("external_contact_list") or []
                cursor = data.get("next_cursor")
                if not cursor:
                    break
                body = {**body, "cursor": cursor}

    def list_group_chats(self) -> list[str]:
        """The chat_id of every customer group chat of the corp (groupchat/list, paged)."""
        chat_ids: list[str] = []
        body: dict[str, Any] = {"status_filter": 0, "limit": CHAT_PAGE}
        while True:
            data = self._call("POST", "/cgi-bin/externalcontact/groupchat/list", json=body)
            chat_ids.extend(str(row["chat_id"]) for row in data.get("group_chat_list") or [])
            cursor = data.get("next_cursor")
            if not cursor:
                return chat_ids
            body = {**body, "cursor": cursor}

    def get_group_chat(self, chat_id: str) -> dict[str, Any]:
        """groupchat/get's "group_chat": name, owner, notice, member_list (with names)."""
        data = self._call(
            "POST",
            "/cgi-bin/externalcontact/groupchat/get",
            json={"chat_id": chat_id, "need_name": 1},
        )
        return dict(_body(data).get("group_chat") or {})
