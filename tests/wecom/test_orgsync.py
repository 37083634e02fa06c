"""The org chart sync against the local WeCom server: real HTTP, real database."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from andon.accounts.models import Department, User
from andon.audit.models import AuditEntry
from andon.tickets.models import Ticket
from andon.wecom import orgsync
from andon.wecom.models import SyncRun, WeComSettings
from tests import factories

pytestmark = pytest.mark.django_db


def sync(*, dry_run=False, by=None):
    run = SyncRun.objects.create(dry_run=dry_run, created_at=timezone.now(), requested_by=by)
    return orgsync.run_sync(run.pk)


def chart():
    """(department tree, people) as comparable data."""
    departments = {
        d.wecom_id: (
            d.name,
            d.parent.wecom_id if d.parent else None,
            sorted(d.leaders.values_list("wecom_userid", flat=True)),
        )
        for d in Department.objects.filter(wecom_id__isnull=False).select_related("parent")
    }
    people = {
        u.wecom_userid: (
            u.display_name,
            u.main_department.wecom_id if u.main_department else None,
            sorted(u.direct_leaders.values_list("wecom_userid", flat=True)),
            u.is_active,
        )
        for u in User.objects.filter(wecom_userid__isnull=False)
    }
    return departments, people


def test_a_first_sync_builds_the_chart(wecom_server):
    run = sync()
    assert run.state == SyncRun.State.DONE, run.error
    departments, people = chart()
    assert departments == {
        1: ("安灯科技", None, ["boss"]),
        2: ("技术支持部", 1, ["zhangsan"]),
        3: ("一线客服组", 2, ["lisi"]),
        4: ("研发部", 1, []),
    }
    assert people["lisi"] == ("李四", 3, ["zhangsan"], True)
    assert people["wangwu"] == ("王五", 3, ["lisi"], True)
    assert people["boss"] == ("王总", 1, [], True)
    assert run.summary["counts"]["person_create"] == 5
    assert run.summary["counts"]["department_create"] == 4
    assert run.percent == 100
    # New people sign in with WeCom only.
    assert not User.objects.get(wecom_userid="wangwu").has_usable_password()
    assert AuditEntry.objects.filter(action="wecom_sync").count() == 1


def test_a_second_sync_changes_nothing(wecom_server):
    sync()
    before = chart()
    run = sync()
    assert run.summary["counts"] == {}
    assert chart() == before


def test_moves_renames_and_leaders_follow_wecom(wecom_server):
    sync()
    wecom_server.set_user("wangwu", department=[4], direct_leader=["zhaoliu"], name="王五五")
    wecom_server.departments[3]["name"] = "研发中心"
    wecom_server.departments[3]["department_leader"] = ["zhaoliu"]
    run = sync()
    departments, people = chart()
    assert people["wangwu"] == ("王五五", 4, ["zhaoliu"], True)
    assert departments[4] == ("研发中心", 1, ["zhaoliu"])
    counts = run.summary["counts"]
    assert counts["person_update"] == 1 and counts["department_update"] == 1


def test_a_person_who_left_is_deactivated_and_their_tickets_go_to_their_leader(wecom_server, queue):
    sync()
    wangwu = User.objects.get(wecom_userid="wangwu")
    wangwu.roles.add(factories.role("handler"))
    factories.add_members(queue, wangwu)
    entry = factories.catalog_leaf(queue)
    ticket = factories.make_ticket(actor=factories.requester(), entry=entry)
    ticket.refresh_from_db()
    assert ticket.assignee_id == wangwu.pk

    wecom_server.remove_user("wangwu")
    run = sync()
    wangwu.refresh_from_db()
    ticket.refresh_from_db()
    assert not wangwu.is_active
    assert ticket.assignee.wecom_userid == "lisi"  # the direct leader takes over
    assert run.summary["counts"]["person_deactivate"] == 1
    assert Ticket.objects.filter(pk=ticket.pk).exists()  # history stays
    assert User.objects.filter(pk=wangwu.pk).exists()


def test_a_disabled_member_is_deactivated(wecom_server):
    sync()
    wecom_server.set_user("zhaoliu", status=2)
    sync()
    assert not User.objects.get(wecom_userid="zhaoliu").is_active


def test_a_dry_run_shows_the_diff_and_changes_nothing(wecom_server):
    run = sync(dry_run=True)
    assert run.state == SyncRun.State.DONE
    assert run.summary["counts"]["person_create"] == 5
    assert {c["name"] for c in run.summary["changes"] if c["action"] == "create"} >= {
        "王五",
        "一线客服组",
    }
    assert not User.objects.filter(wecom_userid__isnull=False).exists()
    assert not Department.objects.filter(wecom_id__isnull=False).exists()


def test_a_sync_that_fails_half_way_changes_nothing(wecom_server):
    sync()
    before = chart()
    wecom_server.set_user("wangwu", department=[4])
    wecom_server.remove_user("zhaoliu")
    # Departments and members are read; the last call (the visible range) fails.
    wecom_server.inject_error("/cgi-bin/agent/get", 48002, "api forbidden")
    run = sync()
    assert run.state == SyncRun.State.FAILED
    assert "agent/get" in run.error and "api forbidden" in run.error
    assert chart() == before


def test_a_sync_that_fails_on_a_department_changes_nothing(wecom_server):
    wecom_server.inject_error("/cgi-bin/user/list", 60003, "department not found")
    run = sync()
    assert run.state == SyncRun.State.FAILED
    assert not User.objects.filter(wecom_userid__isnull=False).exists()
    assert not Department.objects.filter(wecom_id__isnull=False).exists()


def test_rate_limits_and_expired_tokens_are_ridden_out(wecom_server):
    wecom_server.rate_limit(times=2, errcode=45009, path="/cgi-bin/user/list")
    run = sync()
    assert run.state == SyncRun.State.DONE, run.error
    wecom_server.expire_tokens()
    wecom_server.set_user("boss", name="王董")
    run = sync()
    assert run.state == SyncRun.State.DONE, run.error
    assert User.objects.get(wecom_userid="boss").display_name == "王董"


def test_every_page_of_members_is_read(wecom_server):
    wecom_server.page_size = 2
    for n in range(7):
        wecom_server.set_user(f"extra{n}", department=[4], name=f"新人{n}")
    sync()
    assert User.objects.filter(main_department__wecom_id=4).count() == 8
    pages = [
        c for c in wecom_server.calls_to("/cgi-bin/user/list") if c.params["department_id"] == "4"
    ]
    assert len(pages) == 4 and [c.params.get("cursor") for c in pages] == [None, "2", "4", "6"]


def test_the_visible_range_is_synced(wecom_server):
    wecom_server.visible_parties = [3]
    wecom_server.visible_users = ["zhaoliu"]
    wecom_server.tags = {7: {"users": ["boss"], "parties": []}}
    wecom_server.visible_tags = [7]
    sync()
    flags = dict(
        User.objects.filter(wecom_userid__isnull=False).values_list("wecom_userid", "wecom_visible")
    )
    assert flags == {"boss": True, "zhangsan": False, "lisi": True, "wangwu": True, "zhaoliu": True}
    assert WeComSettings.objects.get().visible_range["departments"] == [3]


def test_existing_people_are_linked_by_username(wecom_server):
    mine = factories.handler(username="wangwu", display_name="旧名字")
    sync()
    mine.refresh_from_db()
    assert mine.wecom_userid == "wangwu" and mine.display_name == "王五"
    assert mine.has_usable_password()  # an existing password stays


def test_the_command_runs_a_dry_run_and_a_sync(wecom_server, capsys):
    call_command("wecom", "sync", "--dry-run")
    out = capsys.readouterr().out
    assert "would change" in out and "person create: 王五" in out
    assert not User.objects.filter(wecom_userid="wangwu").exists()
    call_command("wecom", "sync")
    assert "changed" in capsys.readouterr().out
    assert User.objects.filter(wecom_userid="wangwu").exists()


def test_the_command_says_why_a_sync_failed(wecom_server):
    wecom_server.inject_error("/cgi-bin/department/list", 60011, "no privilege to access")
    with pytest.raises(CommandError, match="nothing was changed.*no privilege"):
        call_command("wecom", "sync")


def test_without_configuration_the_sync_fails_in_words(db, settings):
    settings.WECOM_CORP_ID = settings.WECOM_SECRET = ""
    run = sync()
    assert run.state == SyncRun.State.FAILED
    assert "尚未配置" in run.error
