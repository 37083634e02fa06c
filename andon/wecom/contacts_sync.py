"""Customers from WeCom: external contacts (with each member's remark) and customer group chats
(owner, members) written into andon.customers — all of them on demand (`andon wecom sync`), one
at a time from the change_external_contact / change_external_chat callbacks, and on the spot when
the sidebar opens a contact or chat Andon has not seen yet.

What WeCom says wins for what WeCom owns (names, follow users and their remarks, chat owner,
members, notice). What people decide in Andon stays: a contact's company link is only filled in
(from the WeCom company name or a member's 备注企业名称) while it is empty, and the owner only
while there is none. Contacts and chats are never deleted by a sync — tickets point at them;
a chat WeCom no longer lists is marked dismissed.

Writes go in batches (bulk inserts and updates, one lookup per batch), so a 50,000-contact corp
syncs in minutes; a second sync with nothing changed writes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.customers.models import (
    Contact,
    ContactFollower,
    Customer,
    CustomerGroupChat,
    GroupChatMember,
)
from andon.wecom.errors import WeComError, WeComNotConfigured
from andon.wecom.external_client import ExternalContactClient, is_unknown_chat, is_unknown_contact

User = get_user_model()
log = logging.getLogger(__name__)

CHUNK = 1000

CONTACT_FIELDS = ("name", "corp_name", "position", "wecom_type", "union_id")
FOLLOWER_FIELDS = ("user_id", "remark", "description", "remark_corp_name", "remark_mobiles",
                   "added_at")  # fmt: skip
MEMBER_FIELDS = ("kind", "name", "user_id", "contact_id", "joined_at")


@dataclass
class Counts:
    values: Counter = field(default_factory=Counter)

    def add(self, key: str, amount: int = 1) -> None:
        if amount:
            self.values[key] += amount

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.values.items()))


def _epoch(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None


def _cut(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _people(userids: Iterable[str]) -> dict[str, int]:
    """Andon user ids by WeCom userid, for the members named."""
    wanted = sorted({u for u in userids if u})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = User.objects.filter(wecom_userid__in=wanted[start : start + CHUNK])
        found.update(rows.values_list("wecom_userid", "pk"))
    return found


# --- external contacts ----------------------------------------------------------------------------


def _follower_values(follow: dict[str, Any], people: dict[str, int]) -> dict[str, Any]:
    mobiles = follow.get("remark_mobiles") or []
    return {
        "user_id": people.get(str(follow.get("userid") or "")),
        "remark": _cut(follow.get("remark"), 100),
        "description": _cut(follow.get("description"), 255),
        "remark_corp_name": _cut(follow.get("remark_corp_name"), 100),
        "remark_mobiles": [_cut(m, 30) for m in mobiles if m][:10]
        if isinstance(mobiles, list)
        else [],
        "added_at": _epoch(follow.get("createtime")),
    }


def _company(ext: dict[str, Any], follows: list[dict[str, Any]]) -> str:
    name = _cut(ext.get("corp_full_name") or ext.get("corp_name"), 100)
    if name:
        return name
    return next(
        (_cut(f.get("remark_corp_name"), 100) for f in follows if f.get("remark_corp_name")), ""
    )


def _customers_for(names: dict[str, int | None], now: datetime) -> dict[str, int]:
    """Customer ids by lower-cased name, creating the missing ones (owner: the given user)."""
    if not names:
        return {}
    lowered = {name.lower(): (name, owner) for name, owner in names.items()}
    rows = Customer.objects.annotate(lname=Lower("name")).filter(lname__in=list(lowered))
    found = dict(rows.values_list("lname", "pk"))
    missing = [
        Customer(name=name, owner_id=owner, created_at=now, updated_at=now)
        for key, (name, owner) in lowered.items()
        if key not in found
    ]
    if missing:
        # A concurrent sync may create the same company; the unique name decides, then re-read.
        Customer.objects.bulk_create(missing, ignore_conflicts=True)
        rows = Customer.objects.annotate(lname=Lower("name")).filter(lname__in=list(lowered))
        found = dict(rows.values_list("lname", "pk"))
    return found


def apply_contacts(
    batch: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    *,
    counts: Counts | None = None,
    now: datetime | None = None,
) -> dict[str, Contact]:
    """Write these contacts, each with its complete list of follow users (followers Andon has
    that are not in the list are removed). Returns the contacts by external_userid."""
    counts = counts if counts is not None else Counts()
    now = now or timezone.now()
    batch = [(ext, follows) for ext, follows in batch if ext.get("external_userid")]
    ids = [str(ext["external_userid"]) for ext, _follows in batch]
    people = _people(str(f.get("userid") or "") for _ext, follows in batch for f in follows)
    with transaction.atomic():
        existing = {c.external_userid: c for c in Contact.objects.filter(external_userid__in=ids)}
        new, changed = [], []
        companies: dict[str, int | None] = {}
        for ext, follows in batch:
            ext_id = str(ext["external_userid"])
            values = {
                "name": _cut(ext.get("name"), 100) or ext_id,
                "corp_name": _cut(ext.get("corp_name"), 100),
                "position": _cut(ext.get("position"), 100),
                "wecom_type": ext.get("type") if ext.get("type") in (1, 2) else None,
                "union_id": _cut(ext.get("unionid"), 64),
            }
            first_user = next(
                (people[f["userid"]] for f in follows if people.get(f.get("userid"))), None
            )
            company = _company(ext, follows)
            contact = existing.get(ext_id)
            if contact is None:
                contact = Contact(external_userid=ext_id, owner_id=first_user, created_at=now,
                                  updated_at=now, synced_at=now, **values)  # fmt: skip
                phones = [m for f in follows for m in (f.get("remark_mobiles") or []) if m]
                contact.phone = _cut(phones[0], 30) if phones else ""
                new.append(contact)
            else:
                dirty = [name for name, value in values.items() if getattr(contact, name) != value]
                if contact.owner_id is None and first_user:
                    contact.owner_id = first_user
                    dirty.append("owner_id")
                if dirty:
                    for name in dirty:
                        if name != "owner_id":
                            setattr(contact, name, values[name])
                    contact.updated_at = contact.synced_at = now
                    changed.append(contact)
            if contact.customer_id is None and company:
                companies.setdefault(company, first_user)
                contact._andon_company = company
        customer_ids = _customers_for(companies, now)
        changed_ids = {c.pk for c in changed}
        for contact in [*new, *existing.values()]:
            company = getattr(contact, "_andon_company", None)
            if company and contact.customer_id is None:
                contact.customer_id = customer_ids.get(company.lower())
                if contact.pk and contact.pk not in changed_ids:
                    contact.updated_at = now
                    changed.append(contact)
        if new:
            Contact.objects.bulk_create(new, ignore_conflicts=True)
            counts.add("contact_create", len(new))
        if changed:
            fields = [*CONTACT_FIELDS, "owner_id", "customer_id", "updated_at", "synced_at"]
            Contact.objects.bulk_update(changed, fields, batch_size=500)
            counts.add("contact_update", len(changed))
        contacts = {c.external_userid: c for c in Contact.objects.filter(external_userid__in=ids)}
        _apply_followers(batch, contacts, people, counts)
    return contacts


def _apply_followers(batch, contacts: dict[str, Contact], people, counts: Counts) -> None:
    have = {
        (f.contact_id, f.userid): f
        for f in ContactFollower.objects.filter(contact__in=list(contacts.values()))
    }
    seen: set[tuple[int, str]] = set()
    new, changed = [], []
    for ext, follows in batch:
        contact = contacts.get(str(ext["external_userid"]))
        if contact is None:
            continue
        for follow in follows:
            userid = _cut(follow.get("userid"), 64)
            if not userid or (contact.pk, userid) in seen:
                continue
            seen.add((contact.pk, userid))
            values = _follower_values(follow, people)
            row = have.get((contact.pk, userid))
            if row is None:
                new.append(ContactFollower(contact=contact, userid=userid, **values))
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                changed.append(row)
    gone = [row.pk for key, row in have.items() if key not in seen]
    if new:
        ContactFollower.objects.bulk_create(new, ignore_conflicts=True)
        counts.add("follower_create", len(new))
    if changed:
        ContactFollower.objects.bulk_update(changed, FOLLOWER_FIELDS, batch_size=500)
        counts.add("follower_update", len(changed))
    if gone:
        ContactFollower.objects.filter(pk__in=gone).delete()
        counts.add("follower_delete", len(gone))


def remove_follower(*, external_userid: str, userid: str) -> bool:
    """The member and the customer are no longer connected (either side deleted the other)."""
    deleted, _rows = ContactFollower.objects.filter(
        contact__external_userid=external_userid, userid=userid
    ).delete()
    return bool(deleted)


def sync_contact(
    external_userid: str, *, client: ExternalContactClient | None = None
) -> Contact | None:
    """Fetch one external contact from WeCom and write it; None when WeCom does not know it
    (then the followers Andon had for it are removed)."""
    own = client is None
    client = client or ExternalContactClient()
    try:
        data = client.get_external_contact(external_userid)
    except WeComError as exc:
        if not is_unknown_contact(exc):
            raise
        ContactFollower.objects.filter(contact__external_userid=external_userid).delete()
        return None
    finally:
        if own:
            client.close()
    contacts = apply_contacts([(data["external_contact"], data["follow_user"])])
    return contacts.get(external_userid)


# --- customer group chats -------------------------------------------------------------------------


def apply_chat(
    data: dict[str, Any], *, counts: Counts | None = None, now=None
) -> CustomerGroupChat:
    """Write one groupchat/get answer: the chat, its owner, members and serving agents."""
    counts = counts if counts is not None else Counts()
    now = now or timezone.now()
    chat_id = _cut(data.get("chat_id"), 64)
    members = [m for m in data.get("member_list") or [] if m.get("userid")]
    owner_userid = _cut(data.get("owner"), 64)
    people = _people([owner_userid, *(m["userid"] for m in members if m.get("type") == 1)])
    externals = [str(m["userid"]) for m in members if m.get("type") == 2]
    with transaction.atomic():
        contacts = dict(
            Contact.objects.filter(external_userid__in=externals).values_list(
                "external_userid", "pk"
            )
        )
        values = {
            "name": _cut(data.get("name"), 100) or chat_id,
            "owner_userid": owner_userid,
            "notice": str(data.get("notice") or "")[:5000],
            "dismissed_at": None,
        }
        chat, created = CustomerGroupChat.objects.select_for_update().get_or_create(
            chat_id=chat_id,
            defaults={
                **values,
                "owner_id": people.get(owner_userid),
                "created_at": now,
                "updated_at": now,
                "synced_at": now,
            },  # fmt: skip
        )
        if created:
            counts.add("chat_create")
        else:
            dirty = [name for name, value in values.items() if getattr(chat, name) != value]
            # The WeCom owner is the 群主; a change there (a transfer) moves Andon's owner too.
            if people.get(owner_userid) and chat.owner_id != people[owner_userid]:
                chat.owner_id = people[owner_userid]
                dirty.append("owner")
            if dirty or chat.synced_at is None:
                for name, value in values.items():
                    setattr(chat, name, value)
                chat.updated_at = chat.synced_at = now
                chat.save()
                counts.add("chat_update")
        if chat.customer_id is None and contacts:
            # The company most of the chat's customers belong to.
            companies = Counter(
                Contact.objects.filter(
                    pk__in=contacts.values(), customer__isnull=False
                ).values_list("customer_id", flat=True)
            )
            if companies:
                chat.customer_id = companies.most_common(1)[0][0]
                chat.save(update_fields=["customer"])
        _apply_members(chat, members, people, contacts, counts)
        agents = {
            people[m["userid"]] for m in members if m.get("type") == 1 and people.get(m["userid"])
        }
        if set(chat.agents.values_list("pk", flat=True)) != agents:
            chat.agents.set(agents)
    return chat


def _apply_members(chat, members, people, contacts, counts: Counts) -> None:
    have = {m.member_id: m for m in chat.members.all()}
    seen, new, changed = set(), [], []
    for member in members:
        member_id = _cut(member.get("userid"), 64)
        if member_id in seen:
            continue
        seen.add(member_id)
        kind = 2 if member.get("type") == 2 else 1
        values = {
            "kind": kind,
            "name": _cut(member.get("group_nickname") or member.get("name"), 100),
            "user_id": people.get(member_id) if kind == 1 else None,
            "contact_id": contacts.get(member_id) if kind == 2 else None,
            "joined_at": _epoch(member.get("join_time")),
        }
        row = have.get(member_id)
        if row is None:
            new.append(GroupChatMember(chat=chat, member_id=member_id, **values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
    gone = [row.pk for member_id, row in have.items() if member_id not in seen]
    if new:
        GroupChatMember.objects.bulk_create(new, ignore_conflicts=True)
        counts.add("chat_member_create", len(new))
    if changed:
        GroupChatMember.objects.bulk_update(changed, MEMBER_FIELDS)
        counts.add("chat_member_update", len(changed))
    if gone:
        GroupChatMember.objects.filter(pk__in=gone).delete()
        counts.add("chat_member_delete", len(gone))


def dismiss_chat(chat_id: str, *, now: datetime | None = None) -> bool:
    """WeCom dismissed the chat: the record stays (tickets point at it), marked dismissed."""
    return bool(
        CustomerGroupChat.objects.filter(chat_id=chat_id, dismissed_at__isnull=True).update(
            dismissed_at=now or timezone.now(), updated_at=now or timezone.now()
        )
    )


def sync_chat(
    chat_id: str, *, client: ExternalContactClient | None = None
) -> CustomerGroupChat | None:
    """Fetch one customer group chat and write it; None when WeCom does not know it."""
    own = client is None
    client = client or ExternalContactClient()
    try:
        data = client.get_group_chat(chat_id)
    except WeComError as exc:
        if not is_unknown_chat(exc):
            raise
        return None
    finally:
        if own:
            client.close()
    return apply_chat(data)


# --- everything ---------------------------------------------------------------------------------


def full_sync(*, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Every external contact and customer group chat of the corp, written in batches. Raises
    WeComError / WeComNotConfigured when WeCom cannot be read (what was written stays: each
    batch is complete in itself, and the next sync carries on)."""
    counts = Counts()
    now = timezone.now()
    with ExternalContactClient() as client:
        follow_users = client.follow_users()
        gathered: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for row in client.batch_by_users(follow_users):
            ext = row.get("external_contact") or {}
            ext_id = str(ext.get("external_userid") or "")
            if not ext_id:
                continue
            entry = gathered.setdefault(ext_id, (ext, []))
            if row.get("follow_info"):
                entry[1].append(row["follow_info"])
        if progress:
            progress("contacts_fetched", len(gathered))
        items = list(gathered.values())
        for start in range(0, len(items), CHUNK):
            apply_contacts(items[start : start + CHUNK], counts=counts, now=now)
            if progress:
                progress("contacts_written", min(start + CHUNK, len(items)))
        # Contacts nobody in the corp has as a customer any more keep their record, not followers.
        stale = [
            pk
            for pk, ext_id in ContactFollower.objects.values_list("pk", "contact__external_userid")
            if ext_id not in gathered
        ]
        for start in range(0, len(stale), CHUNK):
            ContactFollower.objects.filter(pk__in=stale[start : start + CHUNK]).delete()
        counts.add("follower_delete", len(stale))
        counts.values["contacts"] = len(gathered)

        chat_ids = client.list_group_chats()
        for chat_id in chat_ids:
            apply_chat(client.get_group_chat(chat_id), counts=counts, now=now)
        listed = set(chat_ids)
        gone = [
            chat_id
            for chat_id in CustomerGroupChat.objects.filter(
                dismissed_at__isnull=True, synced_at__isnull=False
            ).values_list("chat_id", flat=True)
            if chat_id not in listed
        ]
        for chat_id in gone:
            dismiss_chat(chat_id, now=now)
        counts.add("chat_dismiss", len(gone))
        counts.values["chats"] = len(chat_ids)
    return counts.as_dict()


# --- the sidebar's on-the-spot lookups (andon.customers.lookups) --------------------------------


def _asked(fetch: Callable[[str], Any], key: str):
    from andon.customers.lookups import LookupUnavailable

    try:
        return fetch(key)
    except WeComNotConfigured as exc:
        raise LookupUnavailable(_("企业微信尚未配置")) from exc
    except WeComError as exc:
        log.warning("could not look %s up in WeCom: %s", key, exc)
        raise LookupUnavailable(_("企业微信暂时无法访问（错误码 %s）") % exc.errcode) from exc


def lookup_contact(external_userid: str) -> Contact | None:
    return _asked(sync_contact, external_userid)


def lookup_chat(chat_id: str) -> CustomerGroupChat | None:
    return _asked(sync_chat, chat_id)
