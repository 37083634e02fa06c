"""The demo's queues (one per dispatch rule and more), the office calendar and the OLA policies."""

from __future__ import annotations

from andon.ola.calendar_services import create_calendar
from andon.ola.models import BusinessCalendar
from andon.ola.policy_services import save_policy
from andon.queues.models import DispatchRule, Queue
from andon.queues.services import create_queue

# name, rule, description, member usernames (in dispatch order), enabled
QUEUES = [
    (
        "IT桌面支持",
        DispatchRule.ROUND_ROBIN,
        "电脑、打印机、软件安装、会议室设备等桌面 IT 支持。",
        ["wangqiang", "lina", "zhangwei"],
        True,
    ),
    (
        "网络运维",
        DispatchRule.LEAST_LOADED,
        "办公网络、VPN、Wi-Fi、客户专线与机房网络。",
        ["zhaolei", "zhoujie", "wuhao"],
        True,
    ),
    (
        "应用研发",
        DispatchRule.MANUAL,
        "CRM、ERP、官网与小程序等业务系统的故障和需求，成员自行认领。",
        ["liuyang", "chenjing", "yangfan", "guoqing"],
        True,
    ),
    (
        "账号权限",
        DispatchRule.ROUND_ROBIN,
        "邮箱、企业微信、域账号与各业务系统的账号和权限。",
        ["hanmei", "lina"],
        True,
    ),
    (
        "行政服务",
        DispatchRule.LEAST_LOADED,
        "办公用品、会议室、工位维修、门禁与访客。",
        ["wujing", "gaoyan"],
        True,
    ),
    (
        "旧OA系统支持",
        DispatchRule.ROUND_ROBIN,
        "旧 OA 已于今年下线，队列停用，仅保留历史。",
        ["guoqing"],
        False,
    ),
]

OFFICE_CALENDAR = {
    "name": "星河科技工作日",
    "description": "周一至周五 9:00–12:00、13:30–18:00，遵循法定节假日与调休",
    "time_zone": "Asia/Shanghai",
    "weekly_windows": {
        day: [["09:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "follows_china_holidays": True,
}

# queue: (calendar, policy). 行政服务 has none yet: its history is there for 一键采纳.
OLA_POLICIES = {
    "IT桌面支持": ("office", {
        "response_minutes": {"L1": 15, "L2": 30, "L3": 120, "L4": 480},
        "resolution_minutes": {"L1": 240, "L2": 480, "L3": 1440, "L4": 2880},
        "urge_threshold": 3, "warn_at_percent": 80, "escalation_interval_minutes": 60,
        "max_level": 3,
    }),
    "网络运维": ("7x24", {
        "response_minutes": {"L1": 10, "L2": 30, "L3": 60, "L4": 240},
        "resolution_minutes": {"L1": 120, "L2": 360, "L3": 960, "L4": 2880},
        "urge_threshold": 2, "warn_at_percent": 75, "escalation_interval_minutes": 30,
        "max_level": 4,
    }),
    "应用研发": ("office", {
        "response_minutes": {"L1": 30, "L2": 60, "L3": 240, "L4": 960},
        "resolution_minutes": {"L1": 480, "L2": 960, "L3": 2880, "L4": 4800},
        "urge_threshold": 3, "warn_at_percent": 80, "escalation_interval_minutes": 120,
        "max_level": 3,
    }),
    "账号权限": ("office", {
        "response_minutes": {"L1": 15, "L2": 30, "L3": 60, "L4": 240},
        "resolution_minutes": {"L1": 120, "L2": 240, "L3": 480, "L4": 1440},
        "urge_threshold": 3, "warn_at_percent": 80, "escalation_interval_minutes": 60,
        "max_level": 3,
    }),
}  # fmt: skip

# Where a handler sends a ticket that turns out to belong elsewhere.
TRANSFER_TO = {
    "IT桌面支持": ("网络运维", "排查后确认是网络问题，转网络运维处理。"),
    "网络运维": ("IT桌面支持", "网络链路正常，是终端配置问题，转桌面支持。"),
    "应用研发": ("网络运维", "应用日志显示连接超时，请网络组排查链路。"),
    "账号权限": ("应用研发", "账号正常，是系统权限配置缺陷，转应用研发修复。"),
    "行政服务": ("IT桌面支持", "涉及会议室电子设备，转 IT 桌面支持。"),
}


def build_queues(*, admin, users: dict) -> dict[str, Queue]:
    queues = {}
    for name, rule, description, members, enabled in QUEUES:
        queue = create_queue(
            actor=admin,
            name=name,
            description=description,
            dispatch_rule=rule,
            members=[users[username].pk for username in members],
        )
        if not enabled:
            Queue.objects.filter(pk=queue.pk).update(is_enabled=False)
            queue.refresh_from_db()
        queues[name] = queue
    return queues


def build_ola(*, admin, queues: dict[str, Queue]) -> None:
    calendars = {
        "7x24": BusinessCalendar.objects.filter(is_builtin=True).order_by("id").first(),
        "office": create_calendar(actor=admin, data=OFFICE_CALENDAR),
    }
    for queue_name, (calendar, policy) in OLA_POLICIES.items():
        save_policy(
            actor=admin,
            queue=queues[queue_name],
            data={**policy, "calendar": calendars[calendar].pk},
        )
