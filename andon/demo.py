"""Demo data: 星河科技, a mid-sized software company with an IT service desk.

`andon demo` (and `andon run` on an empty database) loads an org chart with leaders, about thirty
people in every role, queues with each dispatch rule, a two-level service catalog and about three
hundred tickets over the last ninety days. Queues, the catalog, OLA policies and every ticket step
go through the services, so the activity log, dispatch, OLA timers and notifications are real; each
step runs at its planned moment in the past on a demo clock (`demo_clock`, demo data only).

Loading is idempotent: the demo company's root department is the marker.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from andon.accounts.models import Department, Role
from andon.catalog.models import CatalogEntry
from andon.catalog.services import create_catalog_entry
from andon.core.errors import ServiceError
from andon.notifications.models import Channel as NotificationChannel
from andon.notifications.models import Notification, OutboxMessage
from andon.notifications.outbox import set_preference
from andon.ola import engine as ola_engine
from andon.ola.calendar_services import create_calendar
from andon.ola.models import BusinessCalendar, OlaTimer
from andon.ola.policy_services import save_policy
from andon.queues.models import DispatchRule, Queue, QueueMembership
from andon.queues.services import create_queue
from andon.reports import rollup as report_rollup
from andon.tickets import services
from andon.tickets.models import Channel, Priority, Status, Ticket, TicketEvent

User = get_user_model()

COMPANY = "星河科技"
EMAIL_DOMAIN = "xinghe-tech.example"
DEMO_PASSWORD = "andon-demo"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "andon-admin"
TICKET_COUNT = 300
HISTORY_DAYS = 90
EMPLOYEE_ROLE = "普通员工"

# (username, password, what to try) — printed by `andon run` and listed in README.
LOGINS = [
    (ADMIN_USERNAME, ADMIN_PASSWORD, "管理员：队列、服务目录、字段模板、权限"),
    ("zhangwei", DEMO_PASSWORD, "处理人：运维组组长，IT桌面支持队列"),
    ("liuyang", DEMO_PASSWORD, "处理人：研发组组长，应用研发队列（手动认领）"),
    ("zhoumin", DEMO_PASSWORD, "一线客服：客户群、单聊与微信客服"),
    ("liqiang", DEMO_PASSWORD, "普通员工：提交和确认工单"),
    ("chenzhiyuan", DEMO_PASSWORD, "只读观察员：总经理，看全部工单和报表"),
]


# --- the company ------------------------------------------------------------------------------

# key, name, parent key, leader usernames
DEPARTMENTS = [
    ("root", COMPANY, None, ["chenzhiyuan"]),
    ("ceo", "总经办", "root", ["linxue"]),
    ("tech", "技术部", "root", ["wangjianguo"]),
    ("ops", "运维组", "tech", ["zhangwei"]),
    ("dev", "研发组", "tech", ["liuyang"]),
    ("net", "网络组", "tech", ["zhaolei"]),
    ("cs", "客服部", "root", ["sunli"]),
    ("cs1", "一线客服组", "cs", ["zhoumin"]),
    ("admin", "行政部", "root", ["wujing"]),
    ("hr", "人力资源部", "root", ["zhenghua"]),
    ("sales", "销售部", "root", ["huanghai"]),
    ("fin", "财务部", "root", ["hefang"]),
    ("mkt", "市场部", "root", ["tangning"]),
]


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    department: str
    roles: tuple[str, ...]  # role codes; "employee" is the custom 普通员工 role
    available: bool = True


PEOPLE = [
    Person(ADMIN_USERNAME, "系统管理员", "tech", ("admin",)),
    Person("chenzhiyuan", "陈志远", "root", ("observer",)),
    Person("linxue", "林雪", "ceo", ("employee",)),
    Person("wangjianguo", "王建国", "tech", ("handler",)),
    Person("hanmei", "韩梅", "ops", ("admin", "handler")),
    Person("zhangwei", "张伟", "ops", ("handler",)),
    Person("lina", "李娜", "ops", ("handler",)),
    Person("wangqiang", "王强", "ops", ("handler",)),
    Person("liuyang", "刘洋", "dev", ("handler",)),
    Person("chenjing", "陈静", "dev", ("handler",)),
    Person("yangfan", "杨帆", "dev", ("handler",)),
    Person("guoqing", "郭庆", "dev", ("handler",)),
    Person("zhaolei", "赵磊", "net", ("handler",)),
    Person("zhoujie", "周杰", "net", ("handler",)),
    Person("wuhao", "吴昊", "net", ("handler",), available=False),  # on leave: skipped by dispatch
    Person("sunli", "孙丽", "cs", ("agent",)),
    Person("zhoumin", "周敏", "cs1", ("agent",)),
    Person("xuting", "徐婷", "cs1", ("agent",)),
    Person("majun", "马骏", "cs1", ("agent",)),
    Person("hujing", "胡静", "cs1", ("agent",)),
    Person("wujing", "吴静", "admin", ("handler",)),
    Person("gaoyan", "高燕", "admin", ("handler",)),
    Person("zhenghua", "郑华", "hr", ("employee",)),
    Person("luoxin", "罗欣", "hr", ("employee",)),
    Person("huanghai", "黄海", "sales", ("employee",)),
    Person("liqiang", "李强", "sales", ("employee",)),
    Person("zhangmin", "张敏", "sales", ("employee",)),
    Person("hefang", "何芳", "fin", ("employee",)),
    Person("xieyu", "谢雨", "fin", ("employee",)),
    Person("tangning", "唐宁", "mkt", ("employee",)),
    Person("songjia", "宋佳", "mkt", ("employee",)),
]

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


@dataclass(frozen=True)
class Issue:
    title: str
    description: str
    resolution: str


@dataclass(frozen=True)
class Leaf:
    name: str
    queue: str
    description: str
    issues: tuple[Issue, ...]
    customer_facing: bool = False


def _issues(*rows: tuple[str, str, str]) -> tuple[Issue, ...]:
    return tuple(Issue(*row) for row in rows)


CATALOG: list[tuple[str, str, list[Leaf]]] = [
    (
        "办公设备",
        "电脑、打印机、软件和外设",
        [
            Leaf(
                "电脑故障",
                "IT桌面支持",
                "开不了机、蓝屏、卡顿、硬件损坏",
                _issues(
                    (
                        "笔记本开机后黑屏",
                        "今天早上开机后屏幕一直黑屏，电源灯亮着，外接显示器也没有信号。",
                        "重置 BIOS 并更新显卡驱动后恢复正常。",
                    ),
                    (
                        "电脑运行很慢，经常卡死",
                        "打开 Excel 和浏览器就卡住，任务管理器显示内存占用 95%。",
                        "清理开机启动项，内存由 8G 升级到 16G，运行流畅。",
                    ),
                    (
                        "电脑频繁蓝屏重启",
                        "最近两天每天蓝屏两三次，报错 DRIVER_IRQL_NOT_LESS_OR_EQUAL。",
                        "网卡驱动过旧导致蓝屏，已升级驱动，观察一天未复现。",
                    ),
                    (
                        "笔记本键盘部分按键失灵",
                        "键盘 A、S、D 三个键按了没反应，外接键盘正常。",
                        "键盘排线松动，已重新安装；维修期间借用外接键盘。",
                    ),
                ),
            ),
            Leaf(
                "打印机与扫描仪",
                "IT桌面支持",
                "打印、复印、扫描",
                _issues(
                    (
                        "3 楼打印机无法连接",
                        "3 楼东侧的 HP 打印机显示脱机，整个部门都打印不了。",
                        "打印机 IP 变化导致脱机，已改为固定 IP 并在各电脑重新添加。",
                    ),
                    (
                        "打印出来有黑色竖条",
                        "财务部打印机打出来的凭证上有一条竖黑线。",
                        "更换硒鼓后打印正常。",
                    ),
                    (
                        "扫描到邮箱失败",
                        "扫描到邮件时提示“SMTP 认证失败”。",
                        "扫描账号的邮箱密码过期，已更新，扫描到邮件恢复。",
                    ),
                ),
            ),
            Leaf(
                "软件安装",
                "IT桌面支持",
                "办公软件、开发工具与授权",
                _issues(
                    (
                        "申请安装 Visio",
                        "需要画业务流程图，申请安装 Visio 专业版。",
                        "已通过软件中心推送安装正版 Visio。",
                    ),
                    (
                        "WPS 提示授权过期",
                        "打开文档提示授权已过期，只能只读。",
                        "已更换为公司批量授权并重新激活。",
                    ),
                    (
                        "需要安装 Python 数据分析环境",
                        "做销售数据分析需要 Python 3.11 和 Jupyter。",
                        "已安装 Python 3.11、Jupyter，并配置内部镜像源。",
                    ),
                ),
            ),
            Leaf(
                "显示器与外设",
                "IT桌面支持",
                "显示器、键鼠、耳机、扩展坞",
                _issues(
                    (
                        "申领第二台显示器",
                        "做设计需要双屏，申请一台 27 寸显示器。",
                        "已从库存调拨 27 寸显示器并安装好。",
                    ),
                    (
                        "耳机麦克风没有声音",
                        "开腾讯会议时对方听不到我说话，耳机换了也一样。",
                        "系统默认输入设备设置错误，已调整。",
                    ),
                    (
                        "扩展坞接显示器不亮",
                        "Type-C 扩展坞接上后显示器提示无信号。",
                        "扩展坞固件过旧，升级后正常。",
                    ),
                ),
            ),
        ],
    ),
    (
        "网络与通信",
        "上网、VPN、Wi-Fi 与会议室",
        [
            Leaf(
                "无法上网",
                "网络运维",
                "有线网络、外网访问",
                _issues(
                    (
                        "工位网口无法上网",
                        "5 楼 B 区 23 号工位网线插上后显示“未识别的网络”。",
                        "交换机端口被误关闭，已开启并划入办公 VLAN。",
                    ),
                    (
                        "整层网络时断时续",
                        "4 楼从上午十点开始网络频繁断开，视频会议一直掉线。",
                        "4 楼汇聚交换机上联光模块故障，已更换。",
                    ),
                    (
                        "访问外网网站很慢",
                        "打开外部网站要十几秒，内网系统正常。",
                        "出口带宽被大文件下载占满，已配置限速策略。",
                    ),
                ),
            ),
            Leaf(
                "VPN 远程接入",
                "网络运维",
                "开通、连接与掉线",
                _issues(
                    (
                        "VPN 连接后访问不了内网",
                        "在家连上 VPN 显示已连接，但打不开 OA 和 CRM。",
                        "VPN 客户端下发路由异常，升级客户端后恢复。",
                    ),
                    (
                        "申请开通 VPN",
                        "下周出差需要远程访问 ERP，申请开通 VPN 账号。",
                        "已开通 VPN 账号（有效期 30 天），使用说明已发邮件。",
                    ),
                    (
                        "VPN 频繁掉线",
                        "用 VPN 开会每隔几分钟就断一次。",
                        "调整 MTU 并切换到 TCP 模式后稳定。",
                    ),
                ),
            ),
            Leaf(
                "Wi-Fi 信号",
                "网络运维",
                "办公与访客无线网络",
                _issues(
                    (
                        "大会议室 Wi-Fi 信号弱",
                        "7 楼大会议室人多的时候 Wi-Fi 几乎连不上。",
                        "增加一台 AP 并调整信道，覆盖正常。",
                    ),
                    (
                        "访客 Wi-Fi 收不到验证码",
                        "客户来访连 Guest Wi-Fi 后收不到短信验证码。",
                        "短信网关余额不足，已充值并恢复认证。",
                    ),
                ),
            ),
            Leaf(
                "会议室投屏",
                "IT桌面支持",
                "投屏器、视频会议一体机",
                _issues(
                    (
                        "会议室投屏没有画面",
                        "3 号会议室的投屏器连接成功但电视黑屏。",
                        "投屏器固件升级后恢复。",
                    ),
                    (
                        "视频会议摄像头识别不到",
                        "会议室一体机找不到摄像头，下午有客户会议。",
                        "USB 延长线损坏，已更换。",
                    ),
                ),
            ),
        ],
    ),
    (
        "账号与权限",
        "邮箱、企业微信、系统权限",
        [
            Leaf(
                "邮箱账号",
                "账号权限",
                "开通、容量、收发信",
                _issues(
                    (
                        "新员工开通企业邮箱",
                        "市场部新同事下周一入职，请开通企业邮箱。",
                        "已开通邮箱，初始密码已发给部门负责人。",
                    ),
                    (
                        "邮箱空间已满",
                        "邮箱提示空间不足，收不到新邮件。",
                        "邮箱容量由 5G 扩到 20G，并指导开启自动归档。",
                    ),
                    (
                        "发给客户的邮件被退回",
                        "发给客户的邮件被退回，提示 550 spam。",
                        "发信 IP 被对方误判，已申请解封并配置 DKIM。",
                    ),
                ),
            ),
            Leaf(
                "企业微信账号",
                "账号权限",
                "登录、通讯录、部门",
                _issues(
                    (
                        "企业微信提示账号已停用",
                        "早上登录企业微信提示账号已停用，我还在职。",
                        "离职名单误操作，已恢复账号。",
                    ),
                    (
                        "调岗后企业微信部门没更新",
                        "上月已调到研发组，企业微信里还显示在客服部。",
                        "已更新部门并同步通讯录。",
                    ),
                ),
            ),
            Leaf(
                "系统权限申请",
                "账号权限",
                "CRM、ERP、共享盘等权限",
                _issues(
                    (
                        "申请 CRM 销售报表权限",
                        "需要查看华东区销售报表，部门负责人已同意。",
                        "已授予 CRM 华东区报表只读权限。",
                    ),
                    (
                        "申请共享盘财务目录权限",
                        "需要财务共享盘“月结”目录读写权限。",
                        "已加入财务月结组，重新登录后生效。",
                    ),
                    (
                        "离职人员权限回收",
                        "销售部一名同事本周五离职，请回收各系统权限。",
                        "已停用域账号、邮箱和 CRM，客户数据转给主管。",
                    ),
                ),
            ),
            Leaf(
                "密码重置",
                "账号权限",
                "域账号、ERP、邮箱密码",
                _issues(
                    (
                        "域账号被锁定",
                        "输错几次密码后电脑提示账号已锁定。",
                        "已解锁账号，提醒更新手机上保存的旧密码。",
                    ),
                    (
                        "ERP 密码忘记了",
                        "月底要做报销，ERP 密码忘了。",
                        "已重置密码并发送临时密码到企业微信。",
                    ),
                ),
            ),
        ],
    ),
    (
        "业务系统",
        "CRM、ERP、官网与数据",
        [
            Leaf(
                "CRM 系统",
                "应用研发",
                "客户、商机、报表",
                _issues(
                    (
                        "CRM 商机列表加载很慢",
                        "商机列表要转十几秒才出来，销售都在抱怨。",
                        "商机表缺少索引，添加后加载时间从 12 秒降到 1 秒。",
                    ),
                    (
                        "CRM 导出客户报 500 错误",
                        "导出超过 5000 条客户时页面报 500。",
                        "导出改为后台任务，完成后发邮件通知。",
                    ),
                    (
                        "CRM 出现重复客户",
                        "同一个客户在 CRM 里有三条记录，跟进记录分散了。",
                        "已合并重复客户，并上线按统一社会信用代码查重。",
                    ),
                ),
            ),
            Leaf(
                "ERP 系统",
                "应用研发",
                "采购、财务、报表",
                _issues(
                    (
                        "ERP 采购单无法提交",
                        "提交采购单时提示“预算科目不存在”。",
                        "新财年预算科目未同步，已补同步。",
                    ),
                    (
                        "ERP 月结报表数据不对",
                        "10 月管理费用汇总比明细多了 3 万多。",
                        "一笔冲销凭证重复过账，已修正并重跑报表。",
                    ),
                    (
                        "ERP 打印模板错位",
                        "出库单打印出来字段位置都偏了。",
                        "打印模板边距配置被改动，已恢复。",
                    ),
                ),
            ),
            Leaf(
                "官网与小程序",
                "应用研发",
                "官网内容、小程序故障",
                _issues(
                    (
                        "官网首页图片加载不出来",
                        "官网首页 banner 图片显示裂图。",
                        "对象存储防盗链配置错误，已修正。",
                    ),
                    (
                        "小程序下单页面报错",
                        "部分用户在小程序下单时提示“系统繁忙”。",
                        "优惠券服务超时，已扩容并增加降级逻辑。",
                    ),
                    (
                        "发布新品新闻稿到官网",
                        "请发布新品发布会新闻稿，文案和图片在附件里。",
                        "已发布到官网新闻栏目。",
                    ),
                ),
            ),
            Leaf(
                "数据需求",
                "应用研发",
                "取数、报表与看板",
                _issues(
                    (
                        "提取上季度订单明细",
                        "需要上季度华南区订单明细，用于复盘。",
                        "已导出明细并发到邮箱。",
                    ),
                    (
                        "新增销售日报看板",
                        "希望每天早上 9 点能看到前一天的销售日报。",
                        "已在 BI 新建销售日报看板并设置定时推送。",
                    ),
                ),
            ),
        ],
    ),
    (
        "行政后勤",
        "办公用品、会议室、工位、门禁",
        [
            Leaf(
                "办公用品",
                "行政服务",
                "领用与采购",
                _issues(
                    (
                        "申领办公用品",
                        "需要 A4 纸两箱、签字笔一盒。",
                        "已备好，请到 2 楼行政前台领取。",
                    ),
                    ("工牌丢失补办", "工牌昨天丢了，申请补办。", "新工牌已制作，旧卡已挂失。"),
                ),
            ),
            Leaf(
                "会议室与活动",
                "行政服务",
                "预订、布置与设施",
                _issues(
                    (
                        "预订季度大会会场",
                        "下周五下午季度大会，约 80 人，需要话筒和投影。",
                        "已预订 1 楼多功能厅并安排设备调试。",
                    ),
                    (
                        "会议室空调不制冷",
                        "6 号会议室空调开了半小时还是很热。",
                        "空调冷媒不足，物业已补充。",
                    ),
                ),
            ),
            Leaf(
                "工位与维修",
                "行政服务",
                "桌椅、灯具、水电",
                _issues(
                    ("工位灯管闪烁", "5 楼 A 区工位上方灯管一直闪。", "已更换灯管。"),
                    ("办公椅坏了申请更换", "椅子气压杆坏了，一坐就往下沉。", "已更换新办公椅。"),
                ),
            ),
            Leaf(
                "门禁与访客",
                "行政服务",
                "门禁卡、访客登记",
                _issues(
                    (
                        "门禁卡刷不开 4 楼",
                        "调到 4 楼工作后门禁卡刷不开 4 楼的门。",
                        "已在门禁系统增加 4 楼权限。",
                    ),
                    (
                        "客户来访登记",
                        "明天上午 10 点有 3 位客户来访，请安排登记和车位。",
                        "已登记访客并预留 2 个车位。",
                    ),
                ),
            ),
        ],
    ),
    (
        "客户问题",
        "一线客服为客户提交，升级到二三线处理",
        [
            Leaf(
                "客户无法登录",
                "应用研发",
                "客户后台、App 登录问题",
                _issues(
                    (
                        "客户反馈后台登录收不到验证码",
                        "客户：{customer}。登录后台收不到短信验证码，已试过多次。",
                        "短信通道拥堵导致验证码延迟，已切换备用通道。",
                    ),
                    (
                        "客户管理员账号被锁定",
                        "客户：{customer}。管理员账号输错密码被锁，急需登录处理订单。",
                        "已核实身份并解锁，建议客户开启二次验证。",
                    ),
                ),
                customer_facing=True,
            ),
            Leaf(
                "订单与数据异常",
                "应用研发",
                "订单状态、报表数据",
                _issues(
                    (
                        "客户订单付款后状态未更新",
                        "客户：{customer}。订单已付款，系统仍显示待支付。",
                        "支付回调丢失，已补发回调并增加每小时对账任务。",
                    ),
                    (
                        "客户报表缺少昨天的数据",
                        "客户：{customer}。运营报表里昨天的数据是空的。",
                        "夜间数据同步任务失败，已重跑并加上失败告警。",
                    ),
                ),
                customer_facing=True,
            ),
            Leaf(
                "客户网络接入",
                "网络运维",
                "专线、API 访问",
                _issues(
                    (
                        "客户专线访问接口超时",
                        "客户：{customer}。通过专线调用我们的接口大量超时。",
                        "运营商光缆中断，已切换备用线路。",
                    ),
                    (
                        "客户 API 调用被限流",
                        "客户：{customer}。调用接口频繁返回 429。",
                        "客户业务量增长，已按合同调高限流阈值。",
                    ),
                ),
                customer_facing=True,
            ),
        ],
    ),
]

CUSTOMERS = [
    "云帆物流 王经理",
    "佳禾超市 李店长",
    "德润医药 陈工",
    "锦程教育 赵老师",
    "海纳电商 刘总",
    "青禾餐饮 周经理",
    "博远制造 孙主管",
    "瑞丰银行 吴经理",
    "启明软件 郑工",
    "安和物业 冯女士",
]

HANDLER_COMMENTS = [
    "您好，工单已收到，正在处理。",
    "已远程连接查看，请保持电脑开机。",
    "初步判断是配置问题，正在进一步确认。",
    "已联系厂商工程师，预计下午上门。",
    "麻烦方便时重启一下再试试，有结果告诉我。",
    "正在处理，预计今天下班前解决。",
]
INTERNAL_COMMENTS = [
    "同类问题本周第三次了，需要排查根因。",
    "怀疑和上周交换机变更有关，已找网络组确认。",
    "这位同事上个月也报过类似问题，可参考历史工单。",
    "需要采购备件，已提采购申请。",
    "先临时绕过，周末变更窗口再彻底修复。",
    "已确认是已知问题，厂商补丁下周发布。",
]
REQUESTER_COMMENTS = [
    "好的，谢谢！",
    "我现在在开会，一点以后可以配合。",
    "还是不行，麻烦再看看。",
    "已经重启过了，问题依旧。",
    "这个比较急，影响客户演示。",
    "收到，辛苦了。",
]
NEED_INFO_NOTES = [
    "请提供报错截图和电脑资产编号（贴在机身背面）。",
    "请补充具体的工位号和联系电话。",
    "请说明问题出现的时间和操作步骤。",
    "请提供客户账号和订单号，便于查日志。",
    "请部门负责人在工单里确认审批。",
]
SUPPLEMENTS = [
    "截图已上传，资产编号 XH-NB-{n:04d}。",
    "工位号 5F-B{n:02d}，分机 8{n:03d}。",
    "今天上午 10 点左右开始的，重启后依旧。",
    "客户账号 xh{n:05d}，订单号 SO2026{n:06d}。",
    "部门负责人已同意。",
]
URGE_NOTES = [
    "比较急，麻烦尽快处理。",
    "客户在催，能否优先处理？",
    "已经等了挺久了，请帮忙看一下。",
    "影响整个部门工作，请加急。",
]
REOPEN_REASONS = [
    "问题又出现了。",
    "今天又复现了，麻烦再看看。",
    "只解决了一部分，另一台电脑还是不行。",
]
CANCEL_REASONS = [
    "问题已自行解决。",
    "提错了服务目录，已重新提交。",
    "需求取消了。",
    "重启后好了，不用处理了。",
]
CONFIRM_NOTES = ["已恢复，谢谢！", "", "确认解决。", "好的，辛苦了。"]
CLOSE_NOTES = ["已归档。", "用户确认后关闭。", ""]


# --- entry points -----------------------------------------------------------------------------


def is_loaded() -> bool:
    return Department.objects.filter(name=COMPANY, parent__isnull=True).exists()


def is_first_start() -> bool:
    """`andon run` loads the demo only into a database nobody has used yet (no accounts at all);
    the database itself remembers that the first start happened."""
    return not User.objects.exists()


def demo_logins() -> list[tuple[str, str, str]]:
    if not is_loaded():
        return []
    present = set(
        User.objects.filter(username__in=[u for u, _, _ in LOGINS]).values_list(
            "username", flat=True
        )
    )
    return [row for row in LOGINS if row[0] in present]


class DemoRefused(Exception):
    pass


@dataclass
class Summary:
    created: bool
    users: int = 0
    queues: int = 0
    catalog_entries: int = 0
    tickets: int = 0
    events: int = 0
    # Planned steps a service refused (the plan did not foresee a rule); a handful at most.
    skipped_steps: int = 0

    def __str__(self) -> str:
        if not self.created:
            return "Demo data is already loaded; nothing to do."
        return (
            f"Demo company {COMPANY}: {self.users} people, {self.queues} queues, "
            f"{self.catalog_entries} catalog entries, {self.tickets} tickets, {self.events} events."
        )


def load_demo(
    *, tickets: int = TICKET_COUNT, seed: int = 20261124, now: datetime | None = None
) -> Summary:
    """Load the demo company once. Refuses a database that already holds queues, catalog entries or
    tickets of its own: demo accounts with published passwords must never land in real data."""
    if is_loaded():
        return Summary(created=False)
    if Queue.objects.exists() or CatalogEntry.objects.exists() or Ticket.objects.exists():
        raise DemoRefused(
            "This database already has queues, catalog entries or tickets; the demo company is "
            "only loaded into an empty Andon."
        )
    with transaction.atomic():
        builder = _Builder(seed=seed, now=now or timezone.now())
        # The company was set up well before the ticket history starts.
        with demo_clock(builder.now - timedelta(days=HISTORY_DAYS + 30)):
            builder.build_company()
            _build_frontline(builder.users)
        # The last few come from customer chats, so the sidebar has a history to show.
        from_chats = min(len(CUSTOMER_TICKETS), max(0, tickets - 1))
        builder.build_tickets(tickets - from_chats)
        _file_customer_tickets(builder.users, builder.now, CUSTOMER_TICKETS[:from_chats])
        # The history's days were marked as they happened; sum them now so 报表 has numbers
        # before the worker's first minute.
        report_rollup.rebuild()
        return Summary(
            created=True,
            users=len(builder.users),
            queues=len(builder.queues),
            catalog_entries=CatalogEntry.objects.count(),
            tickets=Ticket.objects.count(),
            events=TicketEvent.objects.count(),
            skipped_steps=builder.skipped,
        )


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


def _build_frontline(users: dict[str, User]) -> None:
    """Knowledge articles and the customers 周敏 (zhoumin) serves, through their services."""
    from andon.customers import services as customer_services
    from andon.knowledge.demo_articles import load_demo_articles

    load_demo_articles(users[ADMIN_USERNAME])
    agent = users["zhoumin"]
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


def _file_customer_tickets(users: dict[str, User], now: datetime, plans) -> None:
    """A few tickets filed from the chat sidebar after the rest of the history (ticket numbers
    follow time), so the customers have a history there."""
    from andon.customers import services as customer_services
    from andon.customers.models import Contact, CustomerGroupChat

    agent = users["zhoumin"]
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
        with demo_clock(start + step * n):
            customer_services.file_ticket(
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


# --- building ---------------------------------------------------------------------------------


@dataclass
class _Step:
    kind: str
    gap_minutes: float
    at: datetime | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class _TicketPlan:
    created_at: datetime
    entry: CatalogEntry
    issue: Issue
    actor: User
    requester: User | None
    channel: str
    priority: str
    steps: list[_Step]
    target: str = ""
    ticket: Ticket | None = None
    owner: User | None = None


class _Builder:
    def __init__(self, *, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.now = now
        self.users: dict[str, User] = {}
        self.queues: dict[str, Queue] = {}
        self.leaves: list[tuple[Leaf, CatalogEntry]] = []
        self.skipped = 0

    # company, people, queues, catalog

    def build_company(self) -> None:
        departments: dict[str, Department] = {}
        for order, (key, name, parent, _leaders) in enumerate(DEPARTMENTS):
            departments[key] = Department.objects.create(
                name=name, parent=departments.get(parent) if parent else None, order=order
            )
        roles = {role.code: role for role in Role.objects.filter(code__isnull=False)}
        roles["employee"], _ = Role.objects.get_or_create(
            name=EMPLOYEE_ROLE,
            defaults={
                "description": "公司普通员工：提交、跟进和确认自己的工单，查看知识库。",
                "permissions": ["tickets.create", "knowledge.view"],
            },
        )
        # Hashing is deliberately slow; every demo account shares one published password.
        demo_hash = make_password(DEMO_PASSWORD)
        admin_hash = make_password(ADMIN_PASSWORD)
        created = []
        for index, person in enumerate(PEOPLE, start=1):
            user = User.objects.filter(username=person.username).first()
            if user is None:
                created.append(person.username)
                user = User(
                    username=person.username,
                    password=admin_hash if person.username == ADMIN_USERNAME else demo_hash,
                )
            user.display_name = user.display_name or person.name
            user.email = user.email or f"{person.username}@{EMAIL_DOMAIN}"
            user.mobile = (
                user.mobile or f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"
            )
            if (
                user.wecom_userid is None
                and not User.objects.filter(wecom_userid=person.username).exists()
            ):
                user.wecom_userid = person.username
            user.main_department = departments[person.department]
            user.is_available = person.available
            user.date_joined = self.now - timedelta(days=400 - index * 7)
            if person.username == ADMIN_USERNAME:
                user.is_staff = True
            user.save()
            user.roles.add(*(roles[code] for code in person.roles))
            self.users[person.username] = user
        # Demo addresses are made up: the people the demo creates get in-app notifications only.
        for username in created:
            for channel in (NotificationChannel.EMAIL, NotificationChannel.WECOM):
                set_preference(user=self.users[username], channel=channel, enabled=False)
        for key, _name, _parent, leaders in DEPARTMENTS:
            departments[key].leaders.set([self.users[u] for u in leaders])
        # Direct leader: the department's leader, or for a leader the parent department's leader.
        parents = {key: parent for key, _n, parent, _l in DEPARTMENTS}
        leaders_of = {key: leaders for key, _n, _p, leaders in DEPARTMENTS}
        for person in PEOPLE:
            key = person.department
            while key and person.username in leaders_of[key]:
                key = parents[key]
            if key and person.username != ADMIN_USERNAME:
                self.users[person.username].direct_leaders.set(
                    [self.users[u] for u in leaders_of[key]]
                )

        # Fresh objects: permission codes and queue ids are memoised per user instance.
        self.users = {u.username: u for u in User.objects.filter(username__in=self.users)}
        admin = self.users[ADMIN_USERNAME]
        for name, rule, description, members, enabled in QUEUES:
            queue = create_queue(
                actor=admin,
                name=name,
                description=description,
                dispatch_rule=rule,
                members=[self.users[username].pk for username in members],
            )
            if not enabled:
                Queue.objects.filter(pk=queue.pk).update(is_enabled=False)
                queue.refresh_from_db()
            self.queues[name] = queue

        for order, (name, description, leaves) in enumerate(CATALOG):
            parent = create_catalog_entry(
                actor=admin, name=name, description=description, order=order
            )
            for leaf_order, leaf in enumerate(leaves):
                entry = create_catalog_entry(
                    actor=admin,
                    name=leaf.name,
                    parent_id=parent.pk,
                    queue_id=self.queues[leaf.queue].pk,
                    description=leaf.description,
                    order=leaf_order,
                )
                self.leaves.append((leaf, entry))

        calendars = {
            "7x24": BusinessCalendar.objects.filter(is_builtin=True).order_by("id").first(),
            "office": create_calendar(actor=admin, data=OFFICE_CALENDAR),
        }
        for queue_name, (calendar, policy) in OLA_POLICIES.items():
            save_policy(
                actor=admin,
                queue=self.queues[queue_name],
                data={**policy, "calendar": calendars[calendar].pk},
            )
        # Fresh objects: permission codes and queue ids are memoised per user instance.
        self.users = {u.username: u for u in User.objects.filter(username__in=self.users)}

    # tickets

    def build_tickets(self, count: int) -> None:
        """Every step of every ticket, and every OLA step, in one chronological order: dispatch
        sees the open tickets of that moment and alerts fire when they fell due."""
        self.queue_members = {
            queue.pk: set(queue.members.values_list("username", flat=True))
            for queue in self.queues.values()
        }
        plans = [self._plan_ticket(created_at) for created_at in self._creation_times(count)]
        self._cover_every_status(plans)
        pending = [(plan.created_at, index, 0) for index, plan in enumerate(plans)]
        heapq.heapify(pending)
        while pending:
            moment, index, number = heapq.heappop(pending)
            self._run_ola_until(moment)
            plan = plans[index]
            if number == 0:
                self._create(plan)
            else:
                plan.ticket.refresh_from_db()
                self._do(plan.steps[number - 1], plan.ticket, plan.owner, plan.issue)
            if number < len(plan.steps):
                heapq.heappush(pending, (plan.steps[number].at, index, number + 1))
        self._run_ola_until(self.now)
        # History is not news: nothing of it is delivered outside Andon.
        OutboxMessage.objects.filter(
            ticket__isnull=False, state=OutboxMessage.State.PENDING
        ).delete()
        # Older notifications have been read; the last two days' are still waiting.
        Notification.objects.filter(created_at__lt=self.now - timedelta(days=2)).update(
            read_at=F("created_at") + timedelta(minutes=45)
        )

    def _creation_times(self, count: int) -> list[datetime]:
        tz = timezone.get_current_timezone()
        today = timezone.localdate(self.now)
        days = []
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - timedelta(days=back)
            weight = 1.0 if _is_workday(day) else 0.15
            days.append((day, weight * (1.0 + 0.6 * (HISTORY_DAYS - back) / HISTORY_DAYS)))
        times = []
        latest = self.now - timedelta(minutes=20)
        while len(times) < count:
            day = self.rng.choices([d for d, _ in days], weights=[w for _, w in days])[0]
            if self.rng.random() < 0.88:
                minutes = self.rng.randint(9 * 60, 18 * 60 + 30)
            else:
                minutes = self.rng.randint(7 * 60, 23 * 60)
            moment = datetime.combine(day, time(0, 0), tzinfo=tz) + timedelta(
                minutes=minutes, seconds=self.rng.randint(0, 59)
            )
            if moment < latest:
                times.append(moment)
        return sorted(times)

    def _status_for_age(self, age_days: float) -> str:
        if age_days > 14:
            table = [
                ("closed", 38),
                ("done", 42),
                ("cancelled", 7),
                ("to_confirm", 4),
                ("processing", 4),
                ("need_info", 3),
                ("pending", 2),
            ]
        elif age_days > 3:
            table = [
                ("done", 36),
                ("closed", 10),
                ("to_confirm", 18),
                ("processing", 14),
                ("need_info", 8),
                ("cancelled", 6),
                ("pending", 8),
            ]
        else:
            table = [
                ("pending", 24),
                ("processing", 28),
                ("need_info", 12),
                ("to_confirm", 18),
                ("done", 10),
                ("cancelled", 4),
                ("closed", 4),
            ]
        statuses, weights = zip(*table, strict=True)
        return self.rng.choices(statuses, weights=weights)[0]

    def _priority(self, customer_facing: bool) -> str:
        weights = [10, 30, 45, 15] if customer_facing else [4, 18, 56, 22]
        return self.rng.choices(Priority.values, weights=weights)[0]

    def _plan(self, target: str, priority: str, age_days: float) -> list[_Step]:
        rng = self.rng
        response = {"L1": (2, 20), "L2": (5, 60), "L3": (10, 240), "L4": (30, 600)}[priority]
        resolution = {"L1": (30, 240), "L2": (60, 480), "L3": (120, 1800), "L4": (240, 4300)}[
            priority
        ]

        def gap(low, high):
            # Mostly quick, sometimes slow: a long tail like real desks have.
            return low + (high - low) * rng.random() ** 2.2

        claim = _Step("claim", gap(*response))
        if target == "pending":
            steps = []
            if age_days > 0.5 and rng.random() < 0.6:
                steps.append(_Step("urge", rng.uniform(60, 600)))
            if rng.random() < 0.3:
                steps.append(_Step("requester_comment", rng.uniform(5, 120)))
            return steps
        if target == "cancelled":
            steps = [] if rng.random() < 0.5 else [claim, _Step("handler_comment", gap(5, 90))]
            return [*steps, _Step("cancel", rng.uniform(10, 600))]
        if target == "closed" and rng.random() < 0.15:
            return [_Step("close_duplicate", rng.uniform(20, 300))]

        steps = [claim]
        if rng.random() < 0.6:
            steps.append(_Step("handler_comment", gap(2, 60)))
        if rng.random() < 0.35:
            steps.append(_Step("internal_comment", gap(5, 180)))
        if rng.random() < 0.1:
            steps += [_Step("transfer", gap(20, 240)), _Step("claim", gap(*response))]
        if target == "need_info":
            steps.append(_Step("need_info", gap(10, 240)))
            return steps
        if rng.random() < 0.2:
            steps += [
                _Step("need_info", gap(10, 240)),
                _Step("supplement", gap(20, 900)),
                _Step("resume", rng.uniform(0.5, 3)),
            ]
        if rng.random() < 0.15:
            steps.append(_Step("urge", gap(60, 900)))
        if rng.random() < 0.2:
            steps.append(_Step("requester_comment", gap(10, 240)))
        if target == "processing":
            return steps
        steps.append(_Step("resolve", gap(*resolution)))
        if target == "to_confirm":
            return steps
        if rng.random() < 0.1:
            steps += [
                _Step("reopen", gap(60, 2000)),
                _Step("handler_comment", gap(10, 120)),
                _Step("resolve", gap(60, 1440)),
            ]
        steps.append(_Step("confirm", gap(20, 2400)))
        if target == "closed":
            steps.append(_Step("close", rng.uniform(600, 6000)))
        return steps

    def _plan_ticket(self, created_at: datetime, target: str | None = None) -> _TicketPlan:
        rng = self.rng
        leaf, entry = rng.choice(self.leaves)
        members = self.queue_members[entry.queue_id]
        agents = ["zhoumin", "xuting", "majun", "hujing", "sunli"]
        requester = None
        if leaf.customer_facing:
            actor = self.users[rng.choice(agents)]
            channel = rng.choice([Channel.EXTERNAL_GROUP, Channel.SINGLE_CHAT, Channel.WECHAT_KF])
        else:
            candidates = [
                p.username
                for p in PEOPLE
                if p.username not in members and p.username not in (ADMIN_USERNAME, "chenzhiyuan")
            ]
            actor = self.users[rng.choice(candidates)]
            channel = rng.choices(
                [Channel.PORTAL, Channel.EMPLOYEE, Channel.WEB, Channel.EMAIL],
                weights=[40, 35, 20, 5],
            )[0]
            if rng.random() < 0.08:
                # Filed by a service-desk handler on a caller's behalf.
                requester, actor = actor, self.users["hanmei"]
                channel = Channel.WEB
        priority = self._priority(leaf.customer_facing)
        age_days = (self.now - created_at).total_seconds() / 86400
        target = target or self._status_for_age(age_days)
        steps = self._plan(target, priority, age_days)
        # Squeeze the plan into the time between filing and a few minutes ago.
        room = (self.now - timedelta(minutes=3) - created_at).total_seconds() / 60
        total = sum(step.gap_minutes for step in steps) or 1
        scale = min(1.0, room / total)
        moment = created_at
        for step in steps:
            moment += timedelta(minutes=step.gap_minutes * scale)
            step.at = moment
        return _TicketPlan(
            created_at=created_at,
            entry=entry,
            issue=rng.choice(leaf.issues),
            actor=actor,
            requester=requester,
            channel=channel,
            priority=priority,
            steps=steps,
            target=target,
        )

    def _create(self, plan: _TicketPlan) -> None:
        with demo_clock(plan.created_at):
            plan.ticket = services.create_ticket(
                actor=plan.actor,
                requester=plan.requester,
                title=plan.issue.title,
                description=plan.issue.description.format(customer=self.rng.choice(CUSTOMERS)),
                catalog_entry_id=plan.entry.pk,
                priority=plan.priority,
                channel=plan.channel,
                created_at=plan.created_at,
            )
        plan.owner = plan.ticket.requester

    def _cover_every_status(self, plans: list[_TicketPlan], at_least: int = 2) -> None:
        """Chance decides most targets; make sure every status shows up a few times anyway, by
        re-planning tickets of the most common status (the recent ones: open work is recent)."""
        for status in Status.values:
            for _ in range(at_least - sum(plan.target == status for plan in plans)):
                common = Counter(plan.target for plan in plans).most_common(1)[0][0]
                index = max(i for i, plan in enumerate(plans) if plan.target == common)
                plans[index] = self._plan_ticket(plans[index].created_at, target=status)

    def _run_ola_until(self, moment: datetime) -> None:
        """Run the OLA steps (warnings, breaches, escalations) that fell due before `moment`, each
        at its own time, as the worker would have."""
        for _ in range(100_000):
            due = (
                OlaTimer.objects.filter(next_action_at__lte=moment)
                .order_by("next_action_at")
                .values_list("next_action_at", flat=True)
                .first()
            )
            if due is None:
                return
            with demo_clock(due):
                if not ola_engine.sweep(now=due):
                    return

    def _member(self, queue: Queue) -> User:
        usernames = list(
            QueueMembership.objects.filter(queue=queue, user__is_available=True)
            .order_by("id")
            .values_list("user__username", flat=True)
        )
        return self.users[self.rng.choice(usernames)]

    def _do(self, step: _Step, ticket: Ticket, owner: User, issue: Issue) -> None:
        rng = self.rng
        pk = ticket.pk
        handler = self.users_by_pk(ticket.assignee_id) if ticket.assignee_id else None
        kind = step.kind
        calls: dict[str, Callable] = {
            "claim": lambda: services.claim_ticket(
                ticket_id=pk, actor=handler or self._member(ticket.queue)
            ),
            "handler_comment": lambda: services.add_comment(
                ticket_id=pk, actor=handler, body=rng.choice(HANDLER_COMMENTS)
            ),
            "internal_comment": lambda: services.add_comment(
                ticket_id=pk, actor=handler, body=rng.choice(INTERNAL_COMMENTS), is_internal=True
            ),
            "requester_comment": lambda: services.add_comment(
                ticket_id=pk, actor=owner, body=rng.choice(REQUESTER_COMMENTS)
            ),
            "urge": lambda: services.urge_ticket(
                ticket_id=pk, actor=owner, note=rng.choice(URGE_NOTES)
            ),
            "transfer": lambda: services.transfer_ticket(
                ticket_id=pk,
                actor=handler,
                queue_id=self.queues[TRANSFER_TO[ticket.queue.name][0]].pk,
                note=TRANSFER_TO[ticket.queue.name][1],
            ),
            "need_info": lambda: services.request_info(
                ticket_id=pk, actor=handler, note=rng.choice(NEED_INFO_NOTES)
            ),
            "supplement": lambda: services.add_comment(
                ticket_id=pk,
                actor=owner,
                body=rng.choice(SUPPLEMENTS).format(n=rng.randint(1, 9999)),
            ),
            "resume": lambda: services.resume_ticket(
                ticket_id=pk, actor=owner, note="已补充，请继续处理。"
            ),
            "resolve": lambda: services.resolve_ticket(
                ticket_id=pk, actor=handler, resolution=issue.resolution
            ),
            "confirm": lambda: services.confirm_ticket(
                ticket_id=pk, actor=owner, note=rng.choice(CONFIRM_NOTES)
            ),
            "reopen": lambda: services.reopen_ticket(
                ticket_id=pk, actor=owner, reason=rng.choice(REOPEN_REASONS)
            ),
            "close": lambda: services.close_ticket(
                ticket_id=pk, actor=rng.choice([handler, owner]), note=rng.choice(CLOSE_NOTES)
            ),
            "close_duplicate": lambda: services.close_ticket(
                ticket_id=pk, actor=self.users["hanmei"], note="与已有工单重复，已合并处理。"
            ),
            "cancel": lambda: services.cancel_ticket(
                ticket_id=pk, actor=owner, reason=rng.choice(CANCEL_REASONS)
            ),
        }
        if (
            kind in ("handler_comment", "internal_comment", "need_info", "resolve", "transfer")
            and handler is None
        ):
            return  # nobody holds the ticket (e.g. a transfer left it in a manual pool)
        if kind == "transfer" and ticket.queue.name not in TRANSFER_TO:
            return
        try:
            with demo_clock(step.at):
                calls[kind]()
        except ServiceError:
            # The plan met a rule it did not foresee (say, a transfer landed on the requester);
            # the service refused and rolled its step back, so the ticket simply stops here.
            self.skipped += 1

    def users_by_pk(self, pk: int) -> User:
        for user in self.users.values():
            if user.pk == pk:
                return user
        raise LookupError(pk)


@contextmanager
def demo_clock(moment: datetime):
    """Make `timezone.now()` return `moment` while one demo step runs through the services.

    Demo data only, and only in the loading process: the services, the OLA engine (which derives
    business-time due dates and elapsed times from the moment of each event), notifications and
    the urge rate limit then all see the step's planned moment, so history is consistent without
    re-writing rows afterwards. Everything in Andon reads the clock through `timezone.now()`."""
    real_now = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real_now


def _is_workday(day: date) -> bool:
    try:
        import chinese_calendar

        return chinese_calendar.is_workday(day)
    except (ImportError, NotImplementedError):
        return day.weekday() < 5
