"""The demo company's org chart: departments with their leaders, and about thirty people in every
role, each with the shared demo password."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from andon.accounts.models import Department, Role
from andon.notifications.models import Channel as NotificationChannel
from andon.notifications.outbox import set_preference

User = get_user_model()

COMPANY = "星河科技"
EMAIL_DOMAIN = "xinghe-tech.example"
DEMO_PASSWORD = "andon-demo"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "andon-admin"
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


def build_people(*, rng: random.Random, now: datetime) -> dict[str, User]:
    """Departments, people, roles and leaders; `now` is the day the company was set up (people
    joined before it). Returns fresh user objects by username (permission codes and queue ids are
    memoised per instance, so the roles must be in place before anyone reads them)."""
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
    users: dict[str, User] = {}
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
        user.mobile = user.mobile or f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        if (
            user.wecom_userid is None
            and not User.objects.filter(wecom_userid=person.username).exists()
        ):
            user.wecom_userid = person.username
        user.main_department = departments[person.department]
        user.is_available = person.available
        # Joined between about nine and two months before the company started using Andon.
        user.date_joined = now - timedelta(days=280 - index * 7)
        if person.username == ADMIN_USERNAME:
            user.is_staff = True
        user.save()
        user.roles.add(*(roles[code] for code in person.roles))
        users[person.username] = user
    # Demo addresses are made up: the people the demo creates get in-app notifications only.
    for username in created:
        for channel in (NotificationChannel.EMAIL, NotificationChannel.WECOM):
            set_preference(user=users[username], channel=channel, enabled=False)
    for key, _name, _parent, leaders in DEPARTMENTS:
        departments[key].leaders.set([users[u] for u in leaders])
    # Direct leader: the department's leader, or for a leader the parent department's leader.
    parents = {key: parent for key, _n, parent, _l in DEPARTMENTS}
    leaders_of = {key: leaders for key, _n, _p, leaders in DEPARTMENTS}
    for person in PEOPLE:
        key = person.department
        while key and person.username in leaders_of[key]:
            key = parents[key]
        if key and person.username != ADMIN_USERNAME:
            users[person.username].direct_leaders.set([users[u] for u in leaders_of[key]])
    return fresh_users(users)


def fresh_users(users: dict[str, User]) -> dict[str, User]:
    """The same people, re-read: roles and queues changed since these objects memoised them."""
    return {u.username: u for u in User.objects.filter(username__in=users)}
