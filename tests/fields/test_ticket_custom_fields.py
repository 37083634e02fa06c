"""Custom fields on tickets: the service validates them against the entry's templates, the filing
page renders and re-renders them, and editing a template never rewrites stored values."""

import pytest
from django.urls import reverse

from andon.core.errors import ValidationFailed
from andon.fields import services as field_services
from andon.tickets import services
from andon.tickets.models import Attachment, Ticket
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(admin_user, entry):
    severity = field_services.create_field(
        actor=admin_user,
        data={
            "name": "严重程度",
            "key": "severity",
            "type": "select",
            "required": True,
            "options": ["高", "中", "低"],
            "scope": [entry.parent_id],
        },
    )
    impact = field_services.create_field(
        actor=admin_user,
        data={
            "name": "影响人数",
            "key": "impact",
            "type": "number",
            "required": False,
            "min_value": 1,
            "max_value": 100,
            "scope": [entry.pk],
        },
    )
    return severity, impact


def file(requester, entry, **custom):
    return services.create_ticket(
        actor=requester, title="打印机卡纸", catalog_entry_id=entry.pk, custom_fields=custom
    )


def test_valid_values_are_cleaned_and_stored(handlers, requester, entry, template):
    ticket = file(requester, entry, severity="高", impact="7")
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"severity": "高", "impact": 7}
    assert ticket.events.first().after["custom_fields"] == {"severity": "高", "impact": 7}


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({}, {"custom_fields.severity": ["严重程度为必填项"]}),
        ({"severity": "高", "impact": 0}, {"custom_fields.impact": ["影响人数：不能小于 1"]}),
        ({"severity": "紧急"}, {"custom_fields.severity": ["严重程度：请选择给定的选项"]}),
        ({"severity": "高", "color": "red"}, {"custom_fields.color": ["该服务目录没有此字段"]}),
    ],
)
def test_invalid_missing_and_unknown_values_are_refused(
    handlers, requester, entry, template, values, errors
):
    with pytest.raises(ValidationFailed) as exc:
        file(requester, entry, **values)
    assert exc.value.errors == errors
    assert not Ticket.objects.exists()


def test_fields_of_another_entry_do_not_apply(handlers, requester, entry, template, queue):
    other = factories.catalog_leaf(queue, name="扫描仪")
    with pytest.raises(ValidationFailed) as exc:
        file(requester, other, impact=3)
    assert exc.value.errors == {"custom_fields.impact": ["该服务目录没有此字段"]}


def test_attachment_field_stores_files_as_ticket_attachments(
    handlers, requester, entry, admin_user
):
    field_services.create_field(
        actor=admin_user,
        data={
            "name": "截图",
            "key": "shots",
            "type": "attachment",
            "required": True,
            "scope": [entry.pk],
        },
    )
    with pytest.raises(ValidationFailed) as exc:
        file(requester, entry)
    assert list(exc.value.errors) == ["custom_fields.shots"]
    ticket = file(requester, entry, shots=[factories.upload("a.png"), factories.upload("b.png")])
    ticket.refresh_from_db()
    stored = list(Attachment.objects.filter(ticket=ticket).order_by("pk"))
    assert ticket.custom_fields == {"shots": [a.pk for a in stored]}
    assert [a.original_name for a in stored] == ["a.png", "b.png"]


def test_editing_a_template_leaves_old_values_intact(
    handlers, requester, entry, template, admin_user
):
    severity, impact = template
    ticket = file(requester, entry, severity="中", impact=80)
    field_services.update_field(
        actor=admin_user,
        field_id=severity.pk,
        data={"options": ["高", "低"], "name": "级别"},
    )
    field_services.update_field(actor=admin_user, field_id=impact.pk, data={"max_value": 10})
    field_services.set_field_active(actor=admin_user, field_id=impact.pk, active=False)
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"severity": "中", "impact": 80}

    # An unrelated edit keeps them too; only the keys being changed are validated.
    services.update_ticket(ticket_id=ticket.pk, actor=handlers[0], title="打印机卡纸（三楼）")
    with pytest.raises(ValidationFailed) as exc:
        services.update_ticket(ticket_id=ticket.pk, actor=handlers[0], custom_fields={"impact": 5})
    assert exc.value.errors == {"custom_fields.impact": ["该服务目录没有此字段"]}
    services.update_ticket(ticket_id=ticket.pk, actor=handlers[0], custom_fields={"severity": "低"})
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"severity": "低", "impact": 80}
    with pytest.raises(ValidationFailed):
        services.update_ticket(
            ticket_id=ticket.pk, actor=handlers[0], custom_fields={"severity": ""}
        )


def test_ticket_page_shows_values_with_names_even_after_retiring(
    client, handlers, requester, entry, template, admin_user
):
    severity, impact = template
    ticket = file(requester, entry, severity="高", impact=42)
    field_services.set_field_active(actor=admin_user, field_id=impact.pk, active=False)
    login(client, requester)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-field-value="severity">高<' in html
    assert 'data-field-value="impact">42<' in html
    assert "严重程度" in html and "影响人数" in html and "已停用" in html


# --- the web filing form ------------------------------------------------------------------


def test_fragment_renders_the_entrys_fields_in_order(client, requester, entry, template):
    login(client, requester)
    url = reverse("config:field_filing_form")
    html = client.get(url, {"entry": entry.pk}).content.decode()
    assert html.index('name="custom_fields.severity"') < html.index('name="custom_fields.impact"')
    assert 'min="1"' in html and 'max="100"' in html
    assert client.get(url, {"entry": entry.parent_id}).content.strip() == b""
    assert client.get(url, {"entry": "x"}).status_code == 200
    nobody = factories.UserFactory()
    login(client, nobody)
    assert client.get(url, {"entry": entry.pk}).status_code == 403


def test_web_form_shows_field_errors_then_files(client, handlers, requester, entry, template):
    login(client, requester)
    url = reverse("tickets:create")
    data = {
        "catalog_parent": entry.parent_id,
        "catalog_entry": entry.pk,
        "title": "打印机卡纸",
        "priority": "L3",
        "custom_fields.impact": "500",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field-error="severity">严重程度为必填项<' in html
    assert 'data-field-error="impact">影响人数：不能大于 100<' in html
    assert 'value="500"' in html  # what was typed is kept
    assert not Ticket.objects.exists()

    data.update({"custom_fields.severity": "中", "custom_fields.impact": "12"})
    response = client.post(url, data)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.custom_fields == {"severity": "中", "impact": 12}
    html = client.get(response["Location"]).content.decode()
    assert 'data-field-value="severity">中<' in html


def test_web_list_filters_by_custom_field(client, handlers, requester, entry, template):
    first = file(requester, entry, severity="高")
    second = file(requester, entry, severity="低")
    login(client, requester)
    html = client.get(reverse("tickets:list"), {"tab": "created", "cf_severity": "低"}).content
    html = html.decode()
    assert second.number in html and first.number not in html
