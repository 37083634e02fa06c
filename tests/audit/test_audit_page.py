"""The audit page and its selector."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from andon.accounts import services
from andon.audit import selectors
from andon.audit.models import AuditEntry
from tests import factories
from tests.web.helpers import login


@pytest.fixture
def admin(db):
    return factories.admin(username="boss", display_name="老板")


@pytest.mark.parametrize("role_code", ["agent", "handler", "observer", None])
def test_only_role_managers_see_the_audit(client, db, role_code):
    user = factories.UserFactory(role_codes=[role_code] if role_code else [])
    login(client, user)
    assert client.get(reverse("config:audit")).status_code == 403


def test_audit_page_shows_who_what_and_before_after(client, admin):
    role = services.create_role(actor=admin, data={"name": "值班长", "permissions": []})
    services.update_role(
        actor=admin, role_id=role.pk, data={"name": "夜班长", "permissions": ["reports.view"]}
    )
    login(client, admin)
    html = client.get(reverse("config:audit")).content.decode()
    assert "老板" in html and "修改" in html and "新建" in html
    assert '值班长</span> → <span class="fw-medium">夜班长' in html
    table = html[html.index('id="audit-table"') :]
    assert table.index("修改") < table.index("新建")  # newest first


def test_audit_filters_and_pagination(client, admin):
    other = factories.admin(display_name="副手")
    services.create_department(actor=admin, data={"name": "技术部"})
    services.create_role(actor=other, data={"name": "临时", "permissions": []})
    old = AuditEntry.objects.create(
        actor=admin,
        created_at=timezone.now() - timedelta(days=10),
        action="update",
        object_type="queues.queue",
        object_repr="旧队列",
        changes={"name": ["a", "b"]},
    )
    login(client, admin)
    url = reverse("config:audit")
    by_actor = client.get(url, {"actor": other.pk}).content.decode()
    assert "临时" in by_actor and "技术部" not in by_actor
    by_type = client.get(url, {"object_type": "accounts.department"}).content.decode()
    assert "技术部" in by_type and "临时" not in by_type
    today = timezone.localdate().isoformat()
    recent = client.get(url, {"since": today}).content.decode()
    assert "旧队列" not in recent and "技术部" in recent
    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert "旧队列" in client.get(url, {"until": until}).content.decode()
    bad = client.get(url, {"since": today, "until": until}).content.decode()
    assert "结束日期不能早于开始日期" in bad
    assert old.pk in [e.pk for e in selectors.audit_entries(action="update")]


def test_audit_page_queries_do_not_grow(client, admin, django_assert_max_num_queries):
    for index in range(60):
        AuditEntry.objects.create(
            actor=admin,
            created_at=timezone.now(),
            action="update",
            object_type="accounts.role",
            object_repr=f"角色{index}",
            changes={"permissions": [["a"], ["a", "b"]]},
        )
    login(client, admin)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("config:audit"))
    html = response.content.decode()
    assert "第 1 / 2 页" in html and "角色59" in html and "角色0<" not in html
    assert "角色0<" in client.get(reverse("config:audit"), {"page": 2}).content.decode()
