"""The local WeCom server pushes encrypted change_external_contact / change_external_chat
callbacks to a running Andon over HTTP; the worker path applies them."""

import time

import pytest
from django.utils import timezone

from andon.customers.models import Contact, CustomerGroupChat
from andon.wecom import orgsync
from andon.wecom.models import CallbackEvent, SyncRun
from tests.wecom_external import external_userid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk(wecom_server, live_server):
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    return f"{live_server.url}/wecom/callback/"


def wait_for(check, seconds=5.0):
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_pushed_contact_and_chat_callbacks_are_applied(wecom_server, desk):
    ext = external_userid(5)
    wecom_server.external.add_contact(ext, "推送客户", followers=["wangwu"], remark="推送")
    response = wecom_server.push_callback(
        desk, wecom_server.external_contact_xml("add_external_contact", "wangwu", ext)
    )
    assert response.status_code == 200 and response.text == "success"
    assert wait_for(lambda: Contact.objects.filter(external_userid=ext).exists())
    assert Contact.objects.get(external_userid=ext).followers.get().remark == "推送"

    wecom_server.external.add_chat("wrPush", "推送群", owner="wangwu", externals=[ext])
    response = wecom_server.push_callback(desk, wecom_server.external_chat_xml("create", "wrPush"))
    assert response.status_code == 200
    assert wait_for(lambda: CustomerGroupChat.objects.filter(chat_id="wrPush").exists())
    chat = CustomerGroupChat.objects.get(chat_id="wrPush")
    assert chat.members.get(kind=2).contact.external_userid == ext
    assert wait_for(
        lambda: not CallbackEvent.objects.exclude(state=CallbackEvent.State.DONE).exists()
    )


def test_a_contact_callback_with_a_foreign_signature_is_refused(wecom_server, desk):
    xml = wecom_server.external_contact_xml("add_external_contact", "wangwu", external_userid(6))
    response = wecom_server.push_callback(desk, xml, token="NotOurToken")
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()
