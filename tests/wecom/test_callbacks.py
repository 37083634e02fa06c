"""The callback pipeline: every stored event processed exactly once, in order per object, with
retries, dead events and purging; change_contact applied to the org chart."""

import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from andon.accounts.models import Department, User
from andon.wecom import handlers, orgsync, services
from andon.wecom.models import CallbackEvent, SyncRun
from tests import factories
from tests.wecom_server import contact_event_xml, encrypted_callback

pytestmark = [pytest.mark.urls("tests.wecom.urls"), pytest.mark.django_db]

URL = "/wecom/callback/"
FLAKY = {"failures_left": 0, "fail_only": "a", "seen": []}


@handlers.register(event="andon_test_flaky", object_key=lambda p: f"test:{p.get('Obj')}")
def _flaky(event):
    FLAKY["seen"].append(event.payload.get("Seq"))
    if FLAKY["failures_left"] and event.payload.get("Obj") == FLAKY["fail_only"]:
        FLAKY["failures_left"] -= 1
        raise RuntimeError("the handler is not ready yet")


@pytest.fixture(autouse=True)
def _reset_flaky():
    FLAKY.update(failures_left=0, fail_only="a", seen=[])


def flaky_xml(obj: str, seq: int) -> str:
    return (
        "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[andon_test_flaky]]></Event>"
        f"<Obj>{obj}</Obj><Seq>{seq}</Seq><CreateTime>{int(time.time())}</CreateTime></xml>"
    )


def deliver(client, xml, capture):
    params, body = encrypted_callback(xml)
    with capture(execute=True):
        response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 200, response.content
    return response


@pytest.fixture
def synced(wecom_server):
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    return wecom_server


def test_a_department_move_is_applied_on_arrival(
    client, synced, django_capture_on_commit_callbacks
):
    synced.set_user("wangwu", department=[4], direct_leader=["zhaoliu"])
    deliver(
        client, synced.user_change_xml("update_user", "wangwu"), django_capture_on_commit_callbacks
    )
    wangwu = User.objects.get(wecom_userid="wangwu")
    assert wangwu.main_department.wecom_id == 4
    assert list(wangwu.direct_leaders.values_list("wecom_userid", flat=True)) == ["zhaoliu"]
    event = CallbackEvent.objects.get()
    assert event.state == CallbackEvent.State.DONE and event.attempts == 1


def test_create_and_delete_user(client, synced, django_capture_on_commit_callbacks):
    synced.set_user("newbie", name="新同事", department=[3], direct_leader=["lisi"])
    deliver(
        client, synced.user_change_xml("create_user", "newbie"), django_capture_on_commit_callbacks
    )
    newbie = User.objects.get(wecom_userid="newbie")
    assert (newbie.display_name, newbie.main_department.wecom_id, newbie.is_active) == (
        "新同事",
        3,
        True,
    )
    assert newbie.wecom_visible is True  # department 1's subtree is the visible range

    deliver(
        client,
        contact_event_xml(synced.corp_id, "delete_user", UserID="newbie"),
        django_capture_on_commit_callbacks,
    )
    newbie.refresh_from_db()
    assert not newbie.is_active and newbie.wecom_visible is False


def test_party_events(client, synced, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    deliver(
        client,
        contact_event_xml(
            synced.corp_id, "create_party", Id="9", Name="安全组", ParentId="2", Order="5"
        ),
        capture,
    )
    dept = Department.objects.get(wecom_id=9)
    assert (dept.name, dept.parent.wecom_id) == ("安全组", 2)
    deliver(
        client,
        contact_event_xml(synced.corp_id, "update_party", Id="9", Name="安全中心", ParentId="1"),
        capture,
    )
    dept.refresh_from_db()
    assert (dept.name, dept.parent.wecom_id) == ("安全中心", 1)
    deliver(client, contact_event_xml(synced.corp_id, "delete_party", Id="9"), capture)
    assert not Department.objects.filter(wecom_id=9).exists()


def test_each_event_is_processed_exactly_once(
    client, callback_settings, django_capture_on_commit_callbacks
):
    deliver(client, flaky_xml("a", 1), django_capture_on_commit_callbacks)
    assert FLAKY["seen"] == ["1"]
    # A second task for the same object, a sweep, a re-delivery: nothing runs twice.
    assert services.process_callbacks(object_key="test:a") == 0
    assert services.sweep_callbacks() == 0
    deliver(
        client, flaky_xml("a", 1).replace("", ""), django_capture_on_commit_callbacks
    ) if False else None
    assert FLAKY["seen"] == ["1"]


def test_a_failing_event_is_retried_with_backoff_and_holds_back_the_next_one(
    client, callback_settings, django_capture_on_commit_callbacks
):
    FLAKY["failures_left"] = 2
    deliver(client, flaky_xml("a", 1), django_capture_on_commit_callbacks)
    deliver(client, flaky_xml("a", 2), django_capture_on_commit_callbacks)
    deliver(
        client, flaky_xml("b", 3), django_capture_on_commit_callbacks
    )  # another object: not held
    first = CallbackEvent.objects.get(payload__Seq="1")
    assert first.state == CallbackEvent.State.PENDING and first.attempts == 1
    assert "not ready yet" in first.last_error
    assert first.next_attempt_at > timezone.now() + timedelta(seconds=5)
    assert CallbackEvent.objects.get(payload__Seq="2").state == CallbackEvent.State.PENDING
    assert CallbackEvent.objects.get(payload__Seq="3").state == CallbackEvent.State.DONE

    later = timezone.now() + timedelta(hours=2)
    services.sweep_callbacks(now=later)  # fails a second time
    services.sweep_callbacks(now=later + timedelta(hours=2))
    assert FLAKY["seen"] == ["1", "3", "1", "1", "2"]  # 2 only after 1 succeeded
    assert set(CallbackEvent.objects.values_list("state", flat=True)) == {CallbackEvent.State.DONE}


def test_an_event_that_keeps_failing_dies_and_can_be_retried(
    client, callback_settings, django_capture_on_commit_callbacks
):
    FLAKY["failures_left"] = services.MAX_ATTEMPTS
    deliver(client, flaky_xml("a", 1), django_capture_on_commit_callbacks)
    now = timezone.now()
    for _step in range(services.MAX_ATTEMPTS):
        now += timedelta(hours=2)
        services.sweep_callbacks(now=now)
    event = CallbackEvent.objects.get()
    assert event.state == CallbackEvent.State.DEAD
    assert event.attempts == services.MAX_ATTEMPTS

    admin = factories.admin()
    client.force_login(admin)
    page = client.get("/config/wecom/", HTTP_HOST="testserver")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-event="{event.pk}"' in html and "the handler is not ready yet" in html

    FLAKY["failures_left"] = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/config/wecom/callbacks/{event.pk}/retry/")
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == CallbackEvent.State.DONE


def test_events_nobody_handles_are_marked_ignored(
    client, callback_settings, django_capture_on_commit_callbacks
):
    xml = (
        "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event>"
        "<FromUserName>u1</FromUserName></xml>"
    )
    deliver(client, xml, django_capture_on_commit_callbacks)
    assert CallbackEvent.objects.get().state == CallbackEvent.State.IGNORED


def test_purging_keeps_the_dedupe_key(
    client, callback_settings, django_capture_on_commit_callbacks
):
    xml = flaky_xml("a", 1)
    deliver(client, xml, django_capture_on_commit_callbacks)
    assert services.purge_processed_callbacks(older_than=timedelta(days=30)) == 0
    later = timezone.now() + timedelta(days=31)
    assert services.purge_processed_callbacks(older_than=timedelta(days=30), now=later) == 1
    event = CallbackEvent.objects.get()
    assert event.payload == {} and event.purged_at is not None
    deliver(client, xml, django_capture_on_commit_callbacks)  # a very late re-delivery
    assert CallbackEvent.objects.count() == 1 and FLAKY["seen"] == ["1"]


def test_a_refused_deactivation_is_retried_then_dead_with_the_reason(
    client, synced, django_capture_on_commit_callbacks
):
    boss = User.objects.get(wecom_userid="boss")
    boss.roles.add(factories.role("admin"))  # the only administrator
    deliver(
        client,
        contact_event_xml(synced.corp_id, "delete_user", UserID="boss"),
        django_capture_on_commit_callbacks,
    )
    event = CallbackEvent.objects.get()
    assert event.state == CallbackEvent.State.PENDING
    assert "管理员" in event.last_error
    boss.refresh_from_db()
    assert boss.is_active
