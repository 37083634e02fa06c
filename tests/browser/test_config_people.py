"""An administrator imports people from a CSV in the browser (preview with a bad row → confirm →
progress to 100 %), then deactivates someone who owns a ticket by choosing a successor."""

import pytest
from playwright.sync_api import expect

from andon.accounts.models import User
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "账号,姓名,邮箱,部门,角色\n"
    "zhoujie,周杰,zhoujie@example.com,总部/技术部,处理人\n"
    "wuyu,吴宇,not-an-email,总部,处理人\n"
    "zhengli,郑丽,zhengli@example.com,总部/技术部,处理人\n"
)


@pytest.fixture
def desk(transactional_db):
    admin = factories.admin(username="boss", display_name="老板")
    queue = factories.QueueFactory(name="桌面运维")
    leaving = factories.handler(username="leaving", display_name="将离职")
    factories.add_members(queue, leaving)
    entry = factories.catalog_leaf(queue, name="打印机")
    requester = factories.requester(username="wangfang")
    ticket = factories.make_ticket(actor=requester, entry=entry)
    assert ticket.assignee == leaving
    return {"admin": admin, "leaving": leaving, "ticket": ticket}


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_url("**/tickets/**")


@pytest.mark.parametrize("width", [1280, 375])
def test_import_then_deactivate_with_a_successor(new_page, desk, width):
    page = new_page(width)
    log_in(page, "boss")
    page.goto("/config/")
    page.get_by_role("link", name="人员与组织").click()
    page.get_by_role("link", name="导入", exact=True).click()
    page.get_by_label("人员").check()
    page.set_input_files(
        "#id_file",
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8")}],
    )
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-summary")).to_contain_text("2 行可以导入，1 行有错误")
    bad_rows = page.locator("#import-preview tr.row-error")
    expect(bad_rows).to_have_count(1)
    expect(bad_rows).to_contain_text("邮箱格式不正确")
    assert not User.objects.filter(username="zhoujie").exists()
    page.locator("#confirm-import").click()
    expect(page.locator("#import-percent")).to_have_text("100 %")
    expect(page.locator("#import-done")).to_contain_text("新建 2")
    assert set(
        User.objects.filter(username__in=["zhoujie", "zhengli", "wuyu"]).values_list(
            "username", flat=True
        )
    ) == {"zhoujie", "zhengli"}

    page.get_by_role("link", name="人员", exact=True).click()
    page.fill("#people-q", "将离职")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="将离职").click()
    page.get_by_role("link", name="停用").click()
    expect(page.locator("#open-ticket-warning")).to_contain_text("1 张未完成的工单")
    page.select_option("#id_successor", label="周杰（zhoujie）")
    page.get_by_role("button", name="确认停用").click()
    expect(page.get_by_role("button", name="重新启用")).to_be_visible()
    if width == 375:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, scroll_width
    desk["ticket"].refresh_from_db()
    assert desk["ticket"].assignee.username == "zhoujie"
    desk["leaving"].refresh_from_db()
    assert desk["leaving"].is_active is False
    assert page.js_errors == [] and page.external_requests == []
