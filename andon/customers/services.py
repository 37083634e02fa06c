"""Every write to customers, contacts and group chats, and filing a ticket from a chat.

Rules: frontline people (`tickets.create` or `people.view`) create records, which they then own
unless they name another owner; the owner or an admin (`people.manage`) edits and deletes them.
Each change is audited. Filing a ticket is `tickets.services.create_ticket` with a `chat` origin
(`andon.customers.origins` checks it and stores its `TicketOrigin`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import diff, record_audit
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import parse_id, single_line
from andon.customers import selectors
from andon.customers.models import Contact, Customer, CustomerGroupChat
from andon.tickets import services as ticket_services
from andon.tickets.models import UNFINISHED_STATUSES, Channel, Ticket

User = get_user_model()
log = logging.getLogger(__name__)


# --- helpers -------------------------------------------------------------------------------


def _refuse_while_tickets_unfinished(kind: str, name: str, **origin) -> None:
    """A customer, contact or chat that unfinished tickets came from stays: deleting it would cut
    those tickets off from whom they are for while someone still works on them."""
    lookup = {f"origin__{key}": value for key, value in origin.items()}
    count = Ticket.objects.filter(status__in=UNFINISHED_STATUSES, **lookup).count()
    if count:
        raise Conflict(
            _("%(kind)s「%(name)s」还有 %(count)s 张未完成的工单，等它们完成或关闭后再删除")
            % {"kind": kind, "name": name, "count": count},
            code="in_use",
        )


def _require_reader(actor) -> None:
    if not getattr(actor, "is_active", False) or not selectors.can_read(actor):
        raise PermissionDenied(_("没有管理客户的权限"))


def _require_creator(actor) -> None:
    """Frontline agents and admins add records; read-only observers do not."""
    _require_reader(actor)
    if not (has_perm(actor, "tickets.create") or selectors.is_admin(actor)):
        raise PermissionDenied(_("没有新建客户资料的权限"))


def _require_writer(actor, obj) -> None:
    _require_reader(actor)
    if not selectors.can_write(actor, obj):
        raise PermissionDenied(_("只有负责人或管理员可以修改"))


def _text(value, field, *, label, max_length, required=False, multiline=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("%s格式不正确") % label, errors={field: [_("应为文本")]})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("请填写%s") % label, errors={field: [_("此项必填")]})
    if len(value) > max_length:
        message = _("%(label)s不能超过 %(max)s 个字符") % {"label": label, "max": max_length}
        raise ValidationFailed(message, errors={field: [message]})
    if not multiline:
        single_line(value, field, label=label)
    return value


def _user(value, field, *, label) -> User | None:
    if value in (None, ""):
        return None
    pk = parse_id(value)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        message = _("%s不存在或已停用") % label
        raise ValidationFailed(message, errors={field: [message]})
    return user


def _object(model, value, field, *, label):
    if value in (None, ""):
        return None
    pk = parse_id(value)
    obj = model.objects.filter(pk=pk).first() if pk else None
    if obj is None:
        message = _("%s不存在") % label
        raise ValidationFailed(message, errors={field: [message]})
    return obj


def _collect(checks: dict) -> dict:
    """Run each field's check and report every failing field at once."""
    cleaned, errors = {}, {}
    for key, check in checks.items():
        try:
            cleaned[key] = check()
        except ValidationFailed as exc:
            errors.update(exc.errors or {key: [exc.detail]})
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned


def _customer_ref(value) -> Customer | None:
    return _object(Customer, value, "customer", label=_("客户"))


def _snapshot(obj, fields) -> dict:
    out = {}
    for name in fields:
        value = getattr(obj, name + "_id", None) if name in _FK_FIELDS else getattr(obj, name)
        out[name] = value
    return out


_FK_FIELDS = {"owner", "customer"}


def _get(model, obj_id, label):
    pk = parse_id(obj_id)
    obj = model.objects.select_for_update().filter(pk=pk).first() if pk else None
    if obj is None:
        raise NotFound(_("%s不存在") % label)
    return obj


def _save_unique(obj, field: str, message: str) -> None:
    """Save; a concurrent duplicate caught by the database is reported like the pre-check."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationFailed(message, errors={field: [message]}) from exc


# --- customers -----------------------------------------------------------------------------

CUSTOMER_FIELDS = ("name", "owner", "note")


def _customer_checks(data: dict, *, instance: Customer | None) -> dict:
    checks = {}
    if "name" in data:

        def name():
            value = _text(data["name"], "name", label=_("客户名称"), max_length=100, required=True)
            clash = Customer.objects.filter(name__iexact=value)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                raise ValidationFailed(_("客户名称已存在"), errors={"name": [_("客户名称已存在")]})
            return value

        checks["name"] = name
    if "owner" in data:
        checks["owner"] = lambda: _user(data["owner"], "owner", label=_("负责人"))
    if "note" in data:
        checks["note"] = lambda: _text(
            data["note"], "note", label=_("备注"), max_length=2000, multiline=True
        )
    return _collect(checks)


@transaction.atomic
def create_customer(*, actor, name, owner=None, note: str = "") -> Customer:
    _require_creator(actor)
    data = _customer_checks({"name": name, "owner": owner, "note": note}, instance=None)
    now = timezone.now()
    customer = Customer(
        name=data["name"],
        owner=data["owner"] or actor,
        note=data["note"],
        created_at=now,
        updated_at=now,
    )
    _save_unique(customer, "name", _("客户名称已存在"))
    record_audit(
        actor=actor,
        action="customer.create",
        obj=customer,
        changes=diff({}, _snapshot(customer, CUSTOMER_FIELDS)),
    )
    return customer


@transaction.atomic
def update_customer(*, actor, customer_id, **changes) -> Customer:
    customer = _get(Customer, customer_id, _("客户"))
    _require_writer(actor, customer)
    _refuse_unknown(changes, CUSTOMER_FIELDS)
    data = _customer_checks(changes, instance=customer)
    before = _snapshot(customer, CUSTOMER_FIELDS)
    for key, value in data.items():
        setattr(customer, key, value)
    customer.updated_at = timezone.now()
    _save_unique(customer, "name", _("客户名称已存在"))
    record_audit(
        actor=actor,
        action="customer.update",
        obj=customer,
        changes=diff(before, _snapshot(customer, CUSTOMER_FIELDS)),
    )
    return customer


@transaction.atomic
def delete_customer(*, actor, customer_id) -> None:
    customer = _get(Customer, customer_id, _("客户"))
    _require_writer(actor, customer)
    _refuse_while_tickets_unfinished(_("客户"), customer.name, customer=customer)
    record_audit(actor=actor, action="customer.delete", obj=customer)
    customer.delete()


def _refuse_unknown(changes: dict, allowed) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段"), errors={k: [_("不能修改")] for k in sorted(unknown)}
        )


# --- contacts ------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "phone", "email", "external_userid", "union_id", "customer", "owner")


def _contact_checks(data: dict, *, instance: Contact | None) -> dict:
    checks = {}
    if "name" in data:
        checks["name"] = lambda: _text(
            data["name"], "name", label=_("姓名"), max_length=100, required=True
        )
    if "phone" in data:
        checks["phone"] = lambda: _text(data["phone"], "phone", label=_("电话"), max_length=30)
    if "email" in data:

        def email():
            value = _text(data["email"], "email", label=_("邮箱"), max_length=254).lower()
            if value:
                try:
                    validate_email(value)
                except DjangoValidationError as exc:
                    message = _("邮箱格式不正确")
                    raise ValidationFailed(message, errors={"email": [message]}) from exc
            return value

        checks["email"] = email
    if "external_userid" in data:

        def external_userid():
            value = _text(
                data["external_userid"], "external_userid", label=_("外部联系人 ID"), max_length=64
            )
            if not value:
                return None
            clash = Contact.objects.filter(external_userid=value)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                message = _("该外部联系人 ID 已属于另一位联系人")
                raise ValidationFailed(message, errors={"external_userid": [message]})
            return value

        checks["external_userid"] = external_userid
    if "union_id" in data:
        checks["union_id"] = lambda: _text(
            data["union_id"], "union_id", label="UnionID", max_length=64
        )
    if "customer" in data:
        checks["customer"] = lambda: _customer_ref(data["customer"])
    if "owner" in data:
        checks["owner"] = lambda: _user(data["owner"], "owner", label=_("负责人"))
    return _collect(checks)


@transaction.atomic
def create_contact(
    *,
    actor,
    name,
    phone: str = "",
    email: str = "",
    external_userid=None,
    union_id: str = "",
    customer=None,
    owner=None,
) -> Contact:
    _require_creator(actor)
    data = _contact_checks(
        {
            "name": name,
            "phone": phone,
            "email": email,
            "external_userid": external_userid,
            "union_id": union_id,
            "customer": customer,
            "owner": owner,
        },
        instance=None,
    )
    now = timezone.now()
    contact = Contact(**{**data, "owner": data["owner"] or actor}, created_at=now, updated_at=now)
    _save_unique(contact, "external_userid", _("该外部联系人 ID 已属于另一位联系人"))
    record_audit(
        actor=actor,
        action="contact.create",
        obj=contact,
        changes=diff({}, _snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


@transaction.atomic
def update_contact(*, actor, contact_id, **changes) -> Contact:
    contact = _get(Contact, contact_id, _("联系人"))
    _require_writer(actor, contact)
    _refuse_unknown(changes, CONTACT_FIELDS)
    data = _contact_checks(changes, instance=contact)
    before = _snapshot(contact, CONTACT_FIELDS)
    old_email = contact.email
    for key, value in data.items():
        setattr(contact, key, value)
    contact.updated_at = timezone.now()
    _save_unique(contact, "external_userid", _("该外部联系人 ID 已属于另一位联系人"))
    if (contact.email or "").lower() != (old_email or "").lower():
        _email_changed(contact, old_email)
    record_audit(
        actor=actor,
        action="contact.update",
        obj=contact,
        changes=diff(before, _snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


# Called with (contact, old e-mail) in the transaction that changed a contact's address; the
# portal registers here (it sits above this app) to revoke sign-ins made for the old address.
CONTACT_EMAIL_CHANGED: list[Callable[[Contact, str], None]] = []


def _email_changed(contact: Contact, old_email: str) -> None:
    for hook in CONTACT_EMAIL_CHANGED:
        hook(contact, old_email)
    if old_email:
        # The old address hears about it (after commit: a rolled-back change sends nothing), so
        # a takeover of the contact's portal access through its address cannot go unnoticed.
        name, new_email = contact.name, contact.email
        transaction.on_commit(lambda: _tell_old_address(name, old_email, new_email))


def _mask(email: str) -> str:
    local, _at, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else _("（已清除）")


def _tell_old_address(name: str, old_email: str, new_email: str) -> None:
    from django.conf import settings
    from django.core.mail import send_mail

    body = _(
        "%(name)s，您好：\n\n"
        "您在服务台登记的联系邮箱已由 %(old)s 改为 %(new)s。用旧邮箱申请的服务门户登录链接和"
        "已登录的会话都已失效。\n\n如果这不是您本人或您的服务人员所做的修改，请尽快联系我们。"
    ) % {"name": name, "old": old_email, "new": _mask(new_email)}
    try:
        send_mail(_("您的联系邮箱已更改"), body, settings.DEFAULT_FROM_EMAIL, [old_email])
    except OSError:  # the change stands; a mail server that is down must not undo it
        log.warning("could not tell %s about the contact's new e-mail address", old_email)


@transaction.atomic
def delete_contact(*, actor, contact_id) -> None:
    contact = _get(Contact, contact_id, _("联系人"))
    _require_writer(actor, contact)
    _refuse_while_tickets_unfinished(_("联系人"), contact.name, contact=contact)
    record_audit(actor=actor, action="contact.delete", obj=contact)
    contact.delete()


# --- group chats ---------------------------------------------------------------------------

CHAT_FIELDS = ("chat_id", "name", "customer", "owner", "agents")


def _chat_checks(data: dict, *, instance: CustomerGroupChat | None) -> dict:
    checks = {}
    if "chat_id" in data:

        def chat_id():
            value = _text(
                data["chat_id"], "chat_id", label=_("客户群 ID"), max_length=64, required=True
            )
            clash = CustomerGroupChat.objects.filter(chat_id=value)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                message = _("客户群 ID 已存在")
                raise ValidationFailed(message, errors={"chat_id": [message]})
            return value

        checks["chat_id"] = chat_id
    if "name" in data:
        checks["name"] = lambda: _text(
            data["name"], "name", label=_("群名称"), max_length=100, required=True
        )
    if "customer" in data:
        checks["customer"] = lambda: _customer_ref(data["customer"])
    if "owner" in data:
        checks["owner"] = lambda: _user(data["owner"], "owner", label=_("负责人"))
    if "agents" in data:

        def agents():
            values = data["agents"] or []
            if not isinstance(values, list | tuple):
                raise ValidationFailed(_("服务人员格式不正确"), errors={"agents": [_("应为列表")]})
            ids = [parse_id(v) for v in values]
            if None in ids:
                raise ValidationFailed(_("服务人员不存在"), errors={"agents": [_("人员不存在")]})
            found = list(User.objects.filter(pk__in=ids, is_active=True))
            if len(found) != len(set(ids)):
                message = _("服务人员不存在或已停用")
                raise ValidationFailed(message, errors={"agents": [message]})
            return found

        checks["agents"] = agents
    return _collect(checks)


def _chat_snapshot(chat) -> dict:
    out = _snapshot(chat, ("chat_id", "name", "customer", "owner"))
    out["agents"] = sorted(chat.agents.values_list("pk", flat=True)) if chat.pk else []
    return out


@transaction.atomic
def create_group_chat(
    *, actor, chat_id, name, customer=None, owner=None, agents=()
) -> CustomerGroupChat:
    _require_creator(actor)
    data = _chat_checks(
        {
            "chat_id": chat_id,
            "name": name,
            "customer": customer,
            "owner": owner,
            "agents": list(agents or []),
        },
        instance=None,
    )
    now = timezone.now()
    chat = CustomerGroupChat(
        chat_id=data["chat_id"],
        name=data["name"],
        customer=data["customer"],
        owner=data["owner"] or actor,
        created_at=now,
        updated_at=now,
    )
    _save_unique(chat, "chat_id", _("客户群 ID 已存在"))
    chat.agents.set(data["agents"])
    record_audit(
        actor=actor, action="group_chat.create", obj=chat, changes=diff({}, _chat_snapshot(chat))
    )
    return chat


@transaction.atomic
def update_group_chat(*, actor, group_chat_id, **changes) -> CustomerGroupChat:
    chat = _get(CustomerGroupChat, group_chat_id, _("客户群"))
    _require_writer(actor, chat)
    _refuse_unknown(changes, CHAT_FIELDS)
    data = _chat_checks(changes, instance=chat)
    before = _chat_snapshot(chat)
    agents = data.pop("agents", None)
    for key, value in data.items():
        setattr(chat, key, value)
    chat.updated_at = timezone.now()
    _save_unique(chat, "chat_id", _("客户群 ID 已存在"))
    if agents is not None:
        chat.agents.set(agents)
    record_audit(
        actor=actor,
        action="group_chat.update",
        obj=chat,
        changes=diff(before, _chat_snapshot(chat)),
    )
    return chat


@transaction.atomic
def delete_group_chat(*, actor, group_chat_id) -> None:
    chat = _get(CustomerGroupChat, group_chat_id, _("客户群"))
    _require_writer(actor, chat)
    _refuse_while_tickets_unfinished(_("客户群"), chat.name, group_chat=chat)
    record_audit(actor=actor, action="group_chat.delete", obj=chat)
    chat.delete()


# --- filing a ticket from a chat -----------------------------------------------------------


def file_ticket(
    *,
    actor,
    title,
    catalog_entry_id,
    description: str = "",
    priority: str | None = None,
    channel: str = Channel.SINGLE_CHAT,
    customer_id=None,
    contact_id=None,
    group_chat_id=None,
    external_userid: str = "",
    chat_id: str = "",
    custom_fields: dict | None = None,
    requester=None,
    now: datetime | None = None,
) -> Ticket:
    """File a ticket for a customer from a chat (the agent is the requester unless another is
    given). An adapter: `create_ticket` checks everything, the chat origin included
    (`andon.customers.origins`), and writes the ticket and its `TicketOrigin` together."""
    return ticket_services.create_ticket(
        actor=actor,
        title=title,
        catalog_entry_id=catalog_entry_id,
        description=description,
        priority=priority,
        channel=channel,
        custom_fields=custom_fields,
        requester=requester,
        origin={
            "kind": "chat",
            "customer": customer_id,
            "contact": contact_id,
            "group_chat": group_chat_id,
            "external_userid": external_userid,
            "chat_id": chat_id,
        },
        now=now,
    )
