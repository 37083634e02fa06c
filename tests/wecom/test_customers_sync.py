"""Customers from WeCom: external contacts and customer group chats synced into andon.customers,
in full (`andon wecom sync`) and from the callbacks, against the local WeCom server."""

from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from andon.accounts.models import User
from andon.customers.models import (
    Contact,
    ContactFollower,
    Customer,
    CustomerGroupChat,
    GroupChatMember,
)
from andon.wecom import contacts_sync, orgsync
from andon.wecom.external_client import ExternalContactClient
from andon.wecom.models import CallbackEvent, SyncRun
from tests import factories
from tests.wecom_external import external_userid
from tests.wecom_server import encrypted_callback

pytestmark = pytest.mark.django_db

ALICE = external_userid(1)  # a WeCom user at 星河制造
BOB = external_userid(2)  # a WeChat user, 李四 noted his company
CAROL = external_userid(3)


@pytest.fixture
def tenant(wecom_server):
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    directory = wecom_server.external
    directory.add_contact(ALICE, "陈爱丽", followers=["wangwu", "lisi"], remark="星河-陈经理",
                          corp_name="星河制造", type=2, position="采购经理")  # fmt: skip
    directory.add_contact(BOB, "Bob", followers=["lisi"], remark="Bob 老客户",
                          remark_corp_name="蓝鲸物流", remark_mobiles=["13800000002"])  # fmt: skip
    directory.add_chat("wrChat001", "星河制造服务群", owner="wangwu", members=["lisi"],
                       externals=[ALICE])  # fmt: skip
    return wecom_server


def test_the_client_reads_lists_and_one_contact(tenant):
    with ExternalContactClient() as client:
        assert sorted(client.list_external_contacts("lisi")) == sorted([ALICE, BOB])
        data = client.get_external_contact(ALICE)
    assert data["external_contact"]["corp_name"] == "星河制造"
    assert [f["userid"] for f in data["follow_user"]] == ["wangwu", "lisi"]


def test_a_full_sync_writes_contacts_followers_customers_and_chats(tenant):
    counts = contacts_sync.full_sync()
    assert counts["contacts"] == 2 and counts["chats"] == 1
    alice = Contact.objects.get(external_userid=ALICE)
    wangwu, lisi = User.objects.get(wecom_userid="wangwu"), User.objects.get(wecom_userid="lisi")
    assert (alice.name, alice.corp_name, alice.position, alice.wecom_type) == (
        "陈爱丽", "星河制造", "采购经理", 2,
    )  # fmt: skip
    assert alice.customer.name == "星河制造" and alice.owner == wangwu
    followers = {f.userid: (f.user, f.remark) for f in alice.followers.all()}
    assert followers == {"wangwu": (wangwu, "星河-陈经理"), "lisi": (lisi, "星河-陈经理")}
    bob = Contact.objects.get(external_userid=BOB)
    # A WeChat user has no corp name; the member's 备注企业名称 names the company.
    assert bob.customer.name == "蓝鲸物流" and bob.phone == "13800000002"
    chat = CustomerGroupChat.objects.get(chat_id="wrChat001")
    assert chat.name == "星河制造服务群" and chat.owner == wangwu
    assert chat.customer == alice.customer  # from the customers in it
    assert set(chat.agents.all()) == {wangwu, lisi}
    members = {m.member_id: (m.kind, m.user, m.contact) for m in chat.members.all()}
    assert members == {
        "wangwu": (1, wangwu, None),
        "lisi": (1, lisi, None),
        ALICE: (2, None, alice),
    }


def test_a_second_sync_with_nothing_changed_writes_nothing(tenant):
    contacts_sync.full_sync()
    stamp = Contact.objects.get(external_userid=ALICE).updated_at
    counts = contacts_sync.full_sync()
    assert {k: v for k, v in counts.items() if k not in ("contacts", "chats")} == {}
    assert Contact.objects.get(external_userid=ALICE).updated_at == stamp


def test_changes_in_wecom_reach_andon_on_the_next_sync(tenant):
    contacts_sync.full_sync()
    directory = tenant.external
    directory.follow(ALICE, "wangwu", remark="陈总")
    directory.unfollow(ALICE, "lisi")
    directory.dismiss_chat("wrChat001")
    directory.add_chat("wrChat002", "蓝鲸物流群", owner="lisi", externals=[BOB])
    counts = contacts_sync.full_sync()
    alice = Contact.objects.get(external_userid=ALICE)
    assert [(f.userid, f.remark) for f in alice.followers.all()] == [("wangwu", "陈总")]
    assert CustomerGroupChat.objects.get(chat_id="wrChat001").dismissed_at is not None
    assert CustomerGroupChat.objects.get(chat_id="wrChat002").customer.name == "蓝鲸物流"
    assert counts["chat_dismiss"] == 1 and counts["follower_delete"] == 1


def test_what_people_decided_in_andon_stays(tenant):
    other = Customer.objects.create(name="手工客户", created_at=timezone.now(),
                                    updated_at=timezone.now())  # fmt: skip
    handler = factories.handler()
    contacts_sync.full_sync()
    Contact.objects.filter(external_userid=ALICE).update(customer=other, owner=handler)
    contacts_sync.full_sync()
    alice = Contact.objects.get(external_userid=ALICE)
    assert alice.customer == other and alice.owner == handler


def test_the_sync_pages_through_many_contacts(tenant):
    for n in range(10, 260):
        tenant.external.add_contact(external_userid(n), f"客户{n}", followers=["zhaoliu"])
    counts = contacts_sync.full_sync()
    assert counts["contacts"] == 252
    assert Contact.objects.filter(followers__userid="zhaoliu").count() == 250
    assert tenant.call_count("/cgi-bin/externalcontact/batch/get_by_user") >= 3


def test_the_command_syncs_customers_after_the_org_chart(tenant, capsys):
    call_command("wecom", "sync")
    out = capsys.readouterr().out
    assert "customers: " in out and "contact_create 2" in out
    assert Contact.objects.filter(external_userid__in=[ALICE, BOB]).count() == 2
    call_command("wecom", "sync", "--skip-customers")
    assert "customers:" not in capsys.readouterr().out


def test_the_command_reports_a_refusal_and_keeps_what_was_there(tenant):
    contacts_sync.full_sync()
    tenant.inject_error("/cgi-bin/externalcontact/get_follow_user_list", 48002, "api forbidden")
    with pytest.raises(CommandError, match="48002"):
        call_command("wecom", "sync", "--customers-only")
    assert Contact.objects.filter(external_userid=ALICE).exists()


# --- callbacks ------------------------------------------------------------------------------------

URL = "/wecom/callback/"


def deliver(client, xml, capture):
    params, body = encrypted_callback(xml)
    with capture(execute=True):
        response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 200, response.content
    event = CallbackEvent.objects.order_by("-id").first()
    assert event.state == CallbackEvent.State.DONE, event.last_error
    return event


@pytest.mark.urls("tests.wecom.urls")
def test_callbacks_add_edit_and_part_contacts(client, tenant, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    tenant.external.add_contact(CAROL, "Carol", followers=["wangwu"], remark="新客户")
    event = deliver(client, tenant.external_contact_xml("add_external_contact", "wangwu", CAROL),
                    capture)  # fmt: skip
    assert event.object_key == f"external_contact:{CAROL}"
    carol = Contact.objects.get(external_userid=CAROL)
    assert carol.owner.wecom_userid == "wangwu"
    assert [(f.userid, f.remark) for f in carol.followers.all()] == [("wangwu", "新客户")]

    tenant.external.follow(CAROL, "wangwu", remark="Carol（VIP）")
    deliver(client, tenant.external_contact_xml("edit_external_contact", "wangwu", CAROL), capture)
    assert carol.followers.get().remark == "Carol（VIP）"

    tenant.external.unfollow(CAROL, "wangwu")
    deliver(client, tenant.external_contact_xml("del_follow_user", "wangwu", CAROL), capture)
    assert not ContactFollower.objects.filter(contact=carol).exists()
    assert Contact.objects.filter(pk=carol.pk).exists()  # the record stays for its tickets


@pytest.mark.urls("tests.wecom.urls")
def test_a_contact_wecom_no_longer_knows_is_not_written(
    client, tenant, django_capture_on_commit_callbacks
):
    deliver(client, tenant.external_contact_xml("add_external_contact", "wangwu", CAROL),
            django_capture_on_commit_callbacks)  # fmt: skip
    assert not Contact.objects.filter(external_userid=CAROL).exists()


@pytest.mark.urls("tests.wecom.urls")
def test_callbacks_follow_a_chat(client, tenant, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    contacts_sync.full_sync()
    tenant.external.add_chat("wrChat001", "星河制造服务群（新）", owner="lisi",
                             externals=[ALICE, BOB])  # fmt: skip
    deliver(client, tenant.external_chat_xml("update", "wrChat001", "add_member"), capture)
    chat = CustomerGroupChat.objects.get(chat_id="wrChat001")
    assert chat.name == "星河制造服务群（新）" and chat.owner.wecom_userid == "lisi"
    assert set(chat.members.values_list("member_id", flat=True)) == {"lisi", ALICE, BOB}
    assert list(chat.agents.values_list("wecom_userid", flat=True)) == ["lisi"]

    tenant.external.dismiss_chat("wrChat001")
    deliver(client, tenant.external_chat_xml("dismiss", "wrChat001"), capture)
    chat.refresh_from_db()
    assert chat.dismissed_at is not None and GroupChatMember.objects.filter(chat=chat).exists()


@pytest.mark.urls("tests.wecom.urls")
def test_a_wecom_failure_during_a_callback_is_retried(
    client, tenant, django_capture_on_commit_callbacks
):
    tenant.inject_error("/cgi-bin/externalcontact/get", -1, "system busy")
    params, body = encrypted_callback(
        tenant.external_contact_xml("add_external_contact", "wangwu", ALICE)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    event = CallbackEvent.objects.get()
    assert event.state == CallbackEvent.State.PENDING and "-1" in event.last_error
    assert not Contact.objects.filter(external_userid=ALICE).exists()
