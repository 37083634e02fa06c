"""配置 › 企业微信: settings (secrets encrypted, never shown back), connection test in words, the
sync button with its progress and diff, the chart pages read-only when WeCom owns the chart."""

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from andon.accounts.models import Department, User
from andon.audit.models import AuditEntry
from andon.wecom import config as wecom_config
from andon.wecom.models import CallbackEvent, SyncRun, WeComSettings
from tests import factories
from tests.web.helpers import login

pytestmark = [pytest.mark.urls("tests.wecom.urls"), pytest.mark.django_db]

URL = "/config/wecom/"


@pytest.fixture
def admin_client(client):
    return login(client, factories.admin())


@pytest.fixture
def db_only(settings):
    """Nothing WeCom in the environment: everything comes from the page."""
    settings.ANDON_SECRETS_KEY = Fernet.generate_key().decode()
    for name in (
        "CORP_ID",
        "AGENT_ID",
        "SECRET",
        "CONTACTS_SECRET",
        "CALLBACK_TOKEN",
        "CALLBACK_AES_KEY",
    ):
        setattr(settings, f"WECOM_{name}", "")
    return settings


@pytest.mark.parametrize("method", ["get", "head", "options", "post"])
def test_only_integration_managers_may_open_it(client, method):
    login(client, factories.handler())
    # OPTIONS is not one of the page's methods: refused before the permission is looked at.
    assert getattr(client, method)(URL).status_code == (405 if method == "options" else 403)
    client.logout()
    assert getattr(client, method)(URL).status_code in (302, 405)


def test_secrets_are_stored_encrypted_and_never_shown(admin_client, db_only):
    response = admin_client.post(
        URL, {"corp_id": "wwcorp", "agent_id": "1000009", "secret": "s3cr3t-value"}
    )
    assert response.status_code == 302
    row = WeComSettings.objects.get()
    assert row.secret_encrypted and "s3cr3t-value" not in row.secret_encrypted
    config = wecom_config.current()
    assert (config.corp_id, config.agent_id, config.secret) == ("wwcorp", "1000009", "s3cr3t-value")
    assert config.source("secret") == "db" and "s3cr3t" not in repr(config)
    html = admin_client.get(URL).content.decode()
    assert "s3cr3t-value" not in html and "已设置（本页）" in html
    audit = AuditEntry.objects.filter(object_type="wecom.wecomsettings").get()
    assert "s3cr3t" not in str(audit.changes) and audit.changes["secret"][1] == "***"
    # An empty field keeps the stored secret; the checkbox clears it.
    admin_client.post(URL, {"corp_id": "wwcorp", "agent_id": "1000009", "secret": ""})
    assert wecom_config.current().secret == "s3cr3t-value"
    admin_client.post(URL, {"corp_id": "wwcorp", "agent_id": "1000009", "clear_secret": "on"})
    assert wecom_config.current().secret == ""


def test_a_changed_key_makes_stored_secrets_unusable_not_an_error(admin_client, db_only, settings):
    admin_client.post(URL, {"corp_id": "wwcorp", "agent_id": "1", "secret": "abc"})
    settings.ANDON_SECRETS_KEY = Fernet.generate_key().decode()
    assert wecom_config.current().secret == ""


def test_without_a_secrets_key_a_secret_is_refused_in_words(admin_client, db_only, settings):
    settings.ANDON_SECRETS_KEY = ""
    response = admin_client.post(URL, {"corp_id": "wwcorp", "agent_id": "1", "secret": "abc"})
    assert response.status_code == 400
    assert "ANDON_SECRETS_KEY" in response.content.decode()
    assert not WeComSettings.objects.exists()


def test_bad_values_are_refused_in_words(admin_client, db_only):
    response = admin_client.post(URL, {"agent_id": "abc", "callback_aes_key": "short"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "AgentId 是数字" in html and "43 个字符" in html


def test_environment_values_win_and_cannot_be_edited(
    admin_client, wecom_server, django_assert_max_num_queries
):
    for n in range(3):  # dead events and sync runs on the page: no query per row
        SyncRun.objects.create(created_at=timezone.now(), requested_by=factories.admin())
        CallbackEvent.objects.create(
            received_at=timezone.now(),
            dedupe_key=f"k{n}",
            state=CallbackEvent.State.DEAD,
            last_error="boom",
            object_key=f"user:u{n}",
        )
    with django_assert_max_num_queries(12):
        html = admin_client.get(URL).content.decode()
    assert "已设置（环境变量）" in html and wecom_server.secret not in html
    admin_client.post(URL, {"corp_id": "wwother"})
    assert wecom_config.current().corp_id == wecom_server.corp_id
    assert 'value="http://127.0.0.1:8000/wecom/callback/"' in html


def test_the_connection_test_reports_each_call_in_words(admin_client, wecom_server):
    html = admin_client.post(f"{URL}test/").content.decode()
    assert 'data-api="gettoken" data-ok="1"' in html and "有效期 7200 秒" in html
    assert 'data-api="agent/get" data-ok="1"' in html and "可见范围：0 个成员、1 个部门" in html
    wecom_server.secret = "rotated"  # the secret in Andon is now wrong
    html = admin_client.post(f"{URL}test/").content.decode()
    assert 'data-api="gettoken" data-ok="0"' in html and "Secret 不正确（40001）" in html


def test_the_connection_test_when_wecom_cannot_be_reached(admin_client, wecom_server):
    wecom_server.stop()
    html = admin_client.post(f"{URL}test/").content.decode()
    assert 'data-ok="0"' in html and "连不上企业微信" in html


def test_the_sync_button_runs_in_the_worker_and_shows_the_diff(
    admin_client, wecom_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{URL}sync/", {"dry_run": "1"})
    run = SyncRun.objects.get()
    assert response["Location"] == f"{URL}sync/{run.pk}/"
    page = admin_client.get(response["Location"]).content.decode()
    assert 'data-state="done"' in page and "person_create 5" in page and "王五" in page
    assert not User.objects.filter(wecom_userid="wangwu").exists()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"{URL}sync/")
    assert User.objects.filter(wecom_userid="wangwu").exists()
    assert SyncRun.objects.latest("id").requested_by.is_superuser is False


def test_a_running_sync_is_polled_by_htmx(admin_client, wecom_server):
    run = SyncRun.objects.create(
        created_at=timezone.now(), state=SyncRun.State.FETCHING, total=10, processed=4
    )
    html = admin_client.get(f"{URL}sync/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" in html and "40%" in html and "<html" not in html


def test_chart_pages_are_read_only_when_wecom_owns_the_chart(admin_client, db_only):
    WeComSettings.objects.create(wecom_owns_org_chart=True)
    page = admin_client.get("/config/org/departments/").content.decode()
    assert 'data-testid="chart-read-only"' in page
    response = admin_client.post("/config/org/departments/", {"name": "私建部门", "order": 0})
    assert response.status_code == 302
    assert not Department.objects.filter(name="私建部门").exists()
    follow = admin_client.get(response["Location"]).content.decode()
    assert "组织架构以企业微信为准" in follow

    WeComSettings.objects.update(wecom_owns_org_chart=False)
    admin_client.post("/config/org/departments/", {"name": "私建部门", "order": 0})
    assert Department.objects.filter(name="私建部门").exists()


def test_person_page_shows_chart_fields_read_only_when_wecom_owns_the_chart(admin_client, db_only):
    WeComSettings.objects.create(wecom_owns_org_chart=True)
    person = factories.UserFactory(username="wangfang", display_name="王芳", mobile="")
    url = f"/config/org/people/{person.pk}/"
    page = admin_client.get(url).content.decode()
    assert 'data-testid="chart-read-only"' in page and "组织架构以企业微信为准" in page
    assert 'name="username"' in page and "disabled" in page.split('name="username"')[1][:200]
    response = admin_client.post(
        url, {"username": "hijack", "display_name": "改名", "mobile": "13800000000"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert (person.username, person.display_name, person.mobile) == (
        "wangfang",
        "王芳",
        "13800000000",
    )
    page = admin_client.get("/config/org/people/").content.decode()
    assert 'data-testid="chart-read-only"' in page
