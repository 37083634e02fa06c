"""可见范围: alerts and notifications skip people outside the WeCom app's visible range, the OLA
policy page names them, and a department move changes who the next escalation reaches."""

from datetime import timedelta

from andon.accounts.models import Department, User
from andon.notifications.models import Notification
from andon.ola import engine
from andon.tickets import services as ticket_services
from andon.wecom import orgsync
from tests import factories
from tests.ola.test_engine import T0, alerted, org, policy, run_due, ticket  # noqa: F401
from tests.web.helpers import login


def climb(ticket):  # noqa: F811
    for minutes in (48, 60, 90, 120, 150):
        run_due(T0 + timedelta(minutes=minutes))
    return alerted("ola_escalated")


def test_escalation_skips_people_outside_the_visible_range(ticket, org):  # noqa: F811
    User.objects.filter(pk=org["ops_lead"].pk).update(wecom_visible=False)
    User.objects.filter(pk__in=[org["mentor"].pk, org["cto"].pk]).update(wecom_visible=True)
    assert climb(ticket)[:2] == [["直属上级"], ["技术总监"]]
    assert not Notification.objects.filter(recipient=org["ops_lead"]).exists()


def test_unknown_visibility_filters_nobody(ticket, org):  # noqa: F811
    assert climb(ticket)[:3] == [["直属上级"], ["运维组长"], ["技术总监"]]


def test_ticket_notifications_skip_people_outside_it(ticket, org):  # noqa: F811
    worker = org["worker"]
    ticket.refresh_from_db()
    assert ticket.assignee_id == worker.pk
    User.objects.filter(pk=worker.pk).update(wecom_visible=False)
    ticket_services.add_comment(ticket_id=ticket.pk, actor=ticket.requester, body="看一下")
    assert not Notification.objects.filter(recipient=worker, kind="commented").exists()
    User.objects.filter(pk=worker.pk).update(wecom_visible=True)
    ticket_services.add_comment(ticket_id=ticket.pk, actor=ticket.requester, body="再看一下")
    assert Notification.objects.filter(recipient=worker, kind="commented").count() == 1


def test_the_policy_page_names_who_would_be_skipped(client, org, policy):  # noqa: F811
    User.objects.filter(pk=org["ops_lead"].pk).update(wecom_visible=False)
    login(client, factories.admin())
    html = client.get(f"/config/ola/queues/{org['queue'].pk}/").content.decode()
    assert 'data-testid="outside-visible-range"' in html and "运维组长" in html
    User.objects.filter(pk=org["ops_lead"].pk).update(wecom_visible=True)
    html = client.get(f"/config/ola/queues/{org['queue'].pk}/").content.decode()
    assert "outside-visible-range" not in html


def test_a_department_move_changes_the_next_escalation(org):  # noqa: F811
    ops = Department.objects.get(name="运维组")
    other = Department.objects.create(name="网络组", wecom_id=30)
    net_lead = factories.handler(display_name="网络组长", wecom_userid="netlead")
    other.leaders.add(net_lead)
    Department.objects.filter(pk=ops.pk).update(wecom_id=20)
    worker = org["worker"]
    User.objects.filter(pk=worker.pk).update(wecom_userid="worker")
    before = [
        [u.display_name for u in g]
        for g in engine.escalation_groups([User.objects.get(pk=worker.pk)])
    ]
    assert before[1] == ["运维组长"]
    orgsync.apply_member(
        member={"userid": "worker", "department": [30]}, actor=orgsync.system_actor()
    )
    after = [
        [u.display_name for u in g]
        for g in engine.escalation_groups([User.objects.get(pk=worker.pk)])
    ]
    assert after[1] == ["网络组长"]
