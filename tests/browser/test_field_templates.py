"""Field templates in a real browser: the admin builds a template for a level-2 entry in the
dialog, reorders it, previews it; then a ticket is filed at /tickets/new/ with the fields
appearing as soon as the entry is chosen and validated by the server."""

import re

import pytest
from playwright.sync_api import expect

from andon.fields.models import FieldDefinition
from andon.tickets.models import Ticket
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    queue = factories.QueueFactory(name="桌面运维")
    factories.add_members(queue, factories.handler(username="zhangwei"))
    parent = factories.CatalogEntryFactory(name="IT 服务")
    entry = factories.CatalogEntryFactory(name="打印机", parent=parent, queue=queue)
    factories.admin(username="boss")
    return {"parent": parent, "entry": entry}


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/tickets/"))


def add_field(page, *, name, type_label, required, scope_label, extra=None):
    page.click("[data-testid=field-new]")
    dialog = page.locator("#field-dialog")
    expect(dialog.locator("[data-testid=field-form]")).to_be_visible()
    dialog.locator("#id_field_name").fill(name)
    dialog.locator("#id_field_type").select_option(label=type_label)
    dialog.locator(f"input[name=required][value={'true' if required else 'false'}]").check()
    dialog.get_by_label(scope_label, exact=True).check()
    if extra:
        extra(dialog)
    # A saved field reloads the page (HX-Redirect). Wait for its load event: a click on 添加字段
    # before htmx has started follows the plain link to the full-page form instead of the dialog.
    with page.expect_navigation(wait_until="load"):
        dialog.locator("[data-testid=field-save]").click()
    expect(page.locator("[data-testid=field-list]")).to_contain_text(name)
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 375])
def test_admin_builds_a_template_and_a_ticket_is_filed_with_it(new_page, desk, width):
    page = new_page(width)
    log_in(page, "boss")
    page.goto("/config/fields/")

    def options(dialog):
        editor = dialog.locator("[data-testid=options-editor]")
        editor.locator("input[name=options]").first.fill("高")
        editor.locator("[data-testid=option-add]").click()
        editor.locator("input[name=options]").nth(1).fill("低")

    add_field(
        page, name="严重程度", type_label="单选", required=True, scope_label="打印机", extra=options
    )

    def limits(dialog):
        dialog.locator("#id_field_min").fill("1")
        dialog.locator("#id_field_max").fill("100")

    add_field(
        page, name="影响人数", type_label="数字", required=False, scope_label="打印机", extra=limits
    )
    # Invalid input stays in the dialog with the message next to the field.
    page.click("[data-testid=field-new]")
    expect(page.locator("#field-dialog [data-testid=field-form]")).to_be_visible()
    page.locator("#field-dialog [data-testid=field-save]").click()
    expect(page.locator("#field-dialog")).to_contain_text("请填写字段名称")
    page.locator("#field-dialog .btn-close").click()
    expect(page.locator("#field-dialog")).to_be_hidden()

    severity = FieldDefinition.objects.get(name="严重程度")
    impact = FieldDefinition.objects.get(name="影响人数")
    assert severity.options == ["高", "低"] and impact.max_value == 100

    # Reorder with the keyboard-accessible button: 影响人数 first.
    items = page.locator("[data-testid=field-list] > li")
    items.nth(1).locator("[data-testid=move-up]").click()
    expect(items.first).to_contain_text("影响人数")
    # And back again by dragging (HTML5 drag and drop): 严重程度 first.
    with page.expect_response(re.compile(r"/config/fields/reorder/$")) as saved:
        handle = items.nth(1).locator("[data-testid=drag-handle]")
        handle.drag_to(items.first, target_position={"x": 5, "y": 2})
    assert saved.value.status == 204
    page.wait_for_load_state()
    expect(items.first).to_contain_text("严重程度")
    assert list(FieldDefinition.objects.values_list("name", flat=True)) == ["严重程度", "影响人数"]

    # The preview shows the filing form of the entry (once the reordered list has settled).
    page.wait_for_load_state("networkidle")
    page.select_option("#preview-entry", label="IT 服务 / 打印机")
    preview = page.locator("[data-testid=preview-fields]")
    expect(preview).to_contain_text("严重程度")
    expect(preview).to_contain_text("影响人数")

    # File a ticket: the fields appear once the level-2 entry is chosen.
    page.goto("/tickets/new/")
    expect(page.locator("[data-custom-field]")).to_have_count(0)
    page.select_option("#id_catalog_parent", label="IT 服务")
    page.select_option("#id_catalog_entry", label="打印机")
    fields = page.locator("#custom-fields-slot [data-custom-field]")
    expect(fields).to_have_count(2)
    expect(fields.first).to_contain_text("严重程度")
    page.fill("#id_title", "打印机卡纸")
    page.fill(f"#id_cf_{impact.key}", "12")
    page.click("[data-testid=submit-ticket]")
    expect(page.locator(f"[data-field-error={severity.key}]")).to_have_text("严重程度为必填项")
    assert not Ticket.objects.exists()

    page.select_option(f"#id_cf_{severity.key}", "高")
    expect(page.locator(f"#id_cf_{impact.key}")).to_have_value("12")
    page.click("[data-testid=submit-ticket]")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    expect(page.locator(f"[data-field-value={severity.key}]")).to_have_text("高")
    expect(page.locator(f"[data-field-value={impact.key}]")).to_have_text("12")
    assert Ticket.objects.get().custom_fields == {severity.key: "高", impact.key: 12}
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width
