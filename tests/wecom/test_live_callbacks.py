"""The local WeCom server pushes encrypted callbacks to a running Andon over HTTP, as WeCom does."""

import time

import pytest
from django.utils import timezone

from andon.accounts.models import User
from andon.wecom import orgsync
from andon.wecom.models import CallbackEvent, SyncRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk(wecom_server, live_server):
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    return f"{live_server.url}/wecom/callback/"


def test_a_department_move_is_applied_within_two_seconds(wecom_server, desk):
    wecom_server.set_user("wangwu", department=[4], direct_leader=["zhaoliu"])
    started = time.monotonic()
    response = wecom_server.push_callback(
        desk, wecom_server.user_change_xml("update_user", "wangwu")
    )
    assert response.status_code == 200 and response.text == "success"
    while time.monotonic() - started < 2:
        if User.objects.get(wecom_userid="wangwu").main_department.wecom_id == 4:
            break
        time.sleep(0.05)
    assert User.objects.get(wecom_userid="wangwu").main_department.wecom_id == 4
    assert time.monotonic() - started < 2
    assert CallbackEvent.objects.get().state == CallbackEvent.State.DONE


def test_a_callback_signed_with_another_token_is_refused(wecom_server, desk):
    xml = wecom_server.user_change_xml("delete_user", "wangwu")
    response = wecom_server.push_callback(desk, xml, token="NotOurToken")
    assert response.status_code == 403 and "invalid msg_signature" in response.text
    assert not CallbackEvent.objects.exists()
    assert User.objects.get(wecom_userid="wangwu").is_active


def test_a_replayed_old_callback_is_refused(wecom_server, desk):
    xml = wecom_server.user_change_xml("delete_user", "wangwu")
    response = wecom_server.push_callback(desk, xml, timestamp=int(time.time()) - 3600)
    assert response.status_code == 403 and "stale timestamp" in response.text
    assert User.objects.get(wecom_userid="wangwu").is_active
