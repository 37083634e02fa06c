"""The customers 周敏 (zhoumin) serves from the chat sidebar, with their contacts and group chats,
and the few tickets filed from those chats at the end of the history."""

from __future__ import annotations

from datetime import datetime, timedelta

from andon.catalog.models import CatalogEntry
from andon.customers import services as customer_services
from andon.customers.models import Contact, CustomerGroupChat
from andon.demo import ticket_steps
from andon.tickets.models import Ticket

AGENT = "zhoumin"

# Customers the frontline serves: (company, contacts as (name, phone, e-mail, external user id),
# group chat id and name).
CUSTOMERS = (
    (
        "华瑞物流",
        (
            ("王建国", "13900001001", "wangjg@huarui-logistics.example", "wmDemoHuarui01"),
            ("孙丽", "13900001002", "sunli@huarui-logistics.example", "wmDemoHuarui02"),
        ),
        ("wrDemoChatHuarui", "华瑞物流 × 星河科技 服务群"),
    ),
    (
        "东方医药",
        (("赵敏", "13900002001", "zhaomin@dfyy.example", "wmDemoDfyy01"),),
        ("wrDemoChatDfyy", "东方医药 IT 支持群"),
    ),
    (
        "启明教育",
        (("钱进", "13900003001", "qianjin@qiming-edu.example", "wmDemoQiming01"),),
        None,
    ),
)


# Tickets 周敏 filed from customer chats, the newest of the history: (contact external id or None,
# group chat id or None, catalog entry name, title, description, priority).
CUSTOMER_TICKETS = (
    (
        "wmDemoHuarui01",
        None,
        "VPN 远程接入",
        "客户远程 VPN 频繁掉线",
        "华瑞物流调度员在家办公时 VPN 每半小时断一次。",
        "L2",
    ),
    (
        None,
        "wrDemoChatHuarui",
        "VPN 远程接入",
        "客户群反馈 VPN 证书即将过期",
        "群里有三位客户收到证书过期提醒。",
        "L3",
    ),
    (
        None,
        "wrDemoChatDfyy",
        None,
        "客户无法登录对账系统",
        "东方医药财务反馈对账系统一直提示密码错误。",
        "L2",
    ),
)


def build_customers(*, users: dict) -> None:
    agent = users[AGENT]
    for company, contacts, chat in CUSTOMERS:
        customer = customer_services.create_customer(actor=agent, name=company, owner=agent.pk)
        for name, phone, email, external_userid in contacts:
            customer_services.create_contact(
                actor=agent,
                name=name,
                phone=phone,
                email=email,
                external_userid=external_userid,
                customer=customer.pk,
                owner=agent.pk,
            )
        if chat:
            customer_services.create_group_chat(
                actor=agent,
                chat_id=chat[0],
                name=chat[1],
                customer=customer.pk,
                owner=agent.pk,
                agents=[agent.pk],
            )


def file_customer_tickets(*, users: dict, now: datetime, plans) -> None:
    """A few tickets filed from the chat sidebar after the rest of the history (ticket numbers
    follow time), so the customers have a history there."""
    agent = users[AGENT]
    usable = CatalogEntry.objects.filter(
        parent__isnull=False, is_retired=False, queue__is_enabled=True
    ).order_by("id")
    latest = Ticket.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    start = max(latest or now - timedelta(hours=6), now - timedelta(hours=6))
    step = (now - start) / (len(plans) + 1)
    for n, plan in enumerate(plans, start=1):
        external_userid, chat_id, entry_name, title, description, priority = plan
        entry = usable.filter(name=entry_name).first() if entry_name else None
        entry = entry or usable.first()
        contact = Contact.objects.filter(external_userid=external_userid).first()
        chat = CustomerGroupChat.objects.filter(chat_id=chat_id).first()
        customer = contact.customer if contact else chat.customer
        ticket_steps.take_step(
            customer_services.file_ticket,
            now=start + step * n,
            actor=agent,
            title=title,
            description=description,
            catalog_entry_id=entry.pk,
            priority=priority,
            channel="external_group" if chat else "single_chat",
            customer_id=customer.pk,
            contact_id=contact.pk if contact else None,
            group_chat_id=chat.pk if chat else None,
        )
