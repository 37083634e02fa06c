"""配置 › 字段模板 pages: permissions, the dialog form, retire/restore, reorder, preview."""

import json

import pytest
from django.urls import reverse

from andon.fields import services
from andon.fields.models import FieldDefinition
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def make(admin, entry, name, **data):
    payload = {"name": name, "type": "text", "required": False, "scope": [entry.pk]}
    payload.update(data)
    return services.create_field(actor=admin, data=payload)


@pytest.mark.parametrize(
    "url_name", ["config:fields", "config:field_create", "config:field_reorder"]
)
def test_pages_need_fields_manage(client, url_name):
    login(client, factories.handler())
    method = client.post if url_name == "config:field_reorder" else client.get
    assert method(reverse(url_name)).status_code == 403
    client.logout()
    assert method(reverse(url_name)).status_code == 302  # to the login page


def test_index_lists_in_order_with_constant_queries(
    client, admin_user, entry, django_assert_max_num_queries
):
    for n in range(3):
        make(admin_user, entry, f"字段{n}")
    login(client, admin_user)
    client.get(reverse("config:fields"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("config:fields"))
    for n in range(3, 15):
        make(admin_user, entry, f"字段{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("config:fields")).content.decode()
    assert html.index("字段0") < html.index("字段1") < html.index("字段14")


def test_scope_filter_is_tree_aware(client, admin_user, entry, queue):
    other = factories.catalog_leaf(queue, name="扫描仪")
    make(admin_user, entry, "叶子字段")
    make(admin_user, entry, "一级字段", scope=[entry.parent_id])
    make(admin_user, other, "别处字段", scope=[other.pk])
    login(client, admin_user)
    html = client.get(reverse("config:fields"), {"scope": entry.pk}).content.decode()
    assert "叶子字段" in html and "一级字段" in html and "别处字段" not in html


def test_dialog_creates_and_shows_errors_in_place(client, admin_user, entry):
    login(client, admin_user)
    url = reverse("config:field_create")
    assert 'data-testid="field-form"' in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    response = client.post(
        url, {"name": "", "type": "select", "scope": [entry.pk]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#field-dialog-content"
    html = response.content.decode()
    assert (
        "请填写字段名称" in html
        and "请选择是否必填" in html
        and "选择类字段至少需要一个选项" in html
    )
    response = client.post(
        url,
        {
            "name": "严重程度",
            "type": "select",
            "required": "true",
            "options": ["高", "", "低"],
            "default": "低",
            "scope": [entry.pk],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("config:fields")
    field = FieldDefinition.objects.get()
    assert (field.options, field.required, field.default) == (["高", "低"], True, "低")


def test_edit_keeps_type_and_retire_restore(client, admin_user, entry):
    field = make(admin_user, entry, "影响人数", type="number")
    login(client, admin_user)
    url = reverse("config:field_edit", args=[field.pk])
    assert "影响人数" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "影响人数",
            "type": "text",
            "required": "false",
            "min_value": "1",
            "max_value": "100",
            "scope": [entry.pk],
        },
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.type, field.min_value, field.max_value) == ("number", 1, 100)
    client.post(reverse("config:field_retire", args=[field.pk]))
    field.refresh_from_db()
    assert field.is_active is False
    assert 'data-testid="retired-fields"' in client.get(reverse("config:fields")).content.decode()
    client.post(reverse("config:field_restore", args=[field.pk]))
    field.refresh_from_db()
    assert field.is_active is True


def test_reorder_by_form_and_by_json(client, admin_user, entry):
    a, b, c = (make(admin_user, entry, n) for n in ("甲", "乙", "丙"))
    login(client, admin_user)
    url = reverse("config:field_reorder")
    assert client.post(url, {"order": [b.pk, a.pk, c.pk]}).status_code == 302
    assert list(FieldDefinition.objects.values_list("pk", flat=True)) == [b.pk, a.pk, c.pk]
    response = client.post(
        url, json.dumps({"order": [c.pk, b.pk, a.pk]}), content_type="application/json"
    )
    assert response.status_code == 204
    assert list(FieldDefinition.objects.values_list("pk", flat=True)) == [c.pk, b.pk, a.pk]
    bad = client.post(url, json.dumps({"order": [999]}), content_type="application/json")
    assert bad.status_code == 400


def test_preview_renders_the_filing_fields(client, admin_user, entry):
    make(admin_user, entry, "资产编号", required=True)
    login(client, admin_user)
    html = client.get(
        reverse("config:field_filing_form"), {"entry": entry.pk, "preview": "1"}
    ).content.decode()
    assert 'data-testid="preview-fields"' in html and "资产编号" in html
