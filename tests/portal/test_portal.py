import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from andon.core.errors import ServiceError
from andon.customers import services as customer_services
from andon.customers.models import TicketOrigin
from andon.portal.models import MagicLink, PortalAccount
from andon.tickets import services as ticket_services
from andon.tickets.models import Channel, EventKind, Status, Ticket
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    agent = factories.requester()
    customer = customer_services.create_customer(actor=agent, name="华东物流")
    return customer_services.create_contact(
        actor=agent, name="王经理", email="wang@example.com", customer=customer.pk
    )


def link_from(message) -> str:
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+/portal/magic/\S+/", body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def sign_in_by_mail(client, mail_server, email="wang@example.com"):
    r = client.post(reverse("portal:request_link"), {"email": email})
    assert r.status_code == 200 and "link-sent" in r.content.decode()
    assert len(mail_server.messages) == 1
    message = mail_server.messages[0]
    assert message["X-Envelope-To"] == email
    path = link_from(message)
    assert client.get(path).status_code == 200  # confirmation page; does not use the link
    r = client.post(path)
    assert r.status_code == 302 and r.url == reverse("portal:index")
    return path


def test_magic_link_signs_contact_in_once(client, contact, mail_server):
    path = sign_in_by_mail(client, mail_server)
    account = PortalAccount.objects.select_related("user").get(contact=contact)
    user = account.user
    assert user.username == f"contact-{contact.pk}" and not user.has_usable_password()
    assert not user.roles.exists()
    assert client.get(reverse("portal:index")).status_code == 200
    # single use: a second visit (even from another browser) fails
    other = client.__class__()
    assert other.post(path).status_code == 404
    assert MagicLink.objects.get().used_at is not None
    # stored hashed, never in clear
    assert path.split("/")[-2] not in MagicLink.objects.get().token_hash


def test_unknown_email_gets_same_answer_and_no_mail(client, mail_server, contact):
    r = client.post(reverse("portal:request_link"), {"email": "nobody@example.com"})
    assert r.status_code == 200 and "link-sent" in r.content.decode()
    assert mail_server.messages == []
    r = client.post(reverse("portal:request_link"), {"email": "bad"})
    assert r.status_code == 400


def test_expired_link_refused(client, contact, mail_server):
    client.post(reverse("portal:request_link"), {"email": "wang@example.com"})
    path = link_from(mail_server.messages[0])
    MagicLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not PortalAccount.objects.exists()


def test_link_requests_are_limited(client, contact, mail_server, settings):
    settings.ANDON_MAGIC_LINK_MAX_PER_15_MINUTES = 2
    for _ in range(2):
        client.post(reverse("portal:request_link"), {"email": "wang@example.com"})
    r = client.post(reverse("portal:request_link"), {"email": "wang@example.com"})
    assert r.status_code == 400 and len(mail_server.messages) == 2


def test_contact_files_follows_and_confirms(client, contact, mail_server, entry, handlers):
    sign_in_by_mail(client, mail_server)
    r = client.post(reverse("portal:new"), {"catalog_entry": entry.pk, "title": "发票开错了"})
    assert r.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PORTAL and ticket.requester.portal_account.contact == contact
    origin = TicketOrigin.objects.get(ticket=ticket)
    assert origin.contact == contact and origin.customer_id == contact.customer_id
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "发票开错了" in page
    r = client.post(reverse("portal:action", args=[ticket.pk, "comment"]), {"note": "补充截图"})
    assert r.status_code == 302
    assert ticket.comments.get().is_internal is False
    client.post(reverse("portal:action", args=[ticket.pk, "urge"]))
    ticket.refresh_from_db()
    assert ticket.urge_count == 1
    handler = ticket.assignee
    ticket_services.add_comment(
        ticket_id=ticket.pk, actor=handler, body="内部备注", is_internal=True
    )
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "内部备注" not in page
    ticket_services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="已重开发票")
    client.post(reverse("portal:action", args=[ticket.pk, "reopen"]), {"note": "还是不对"})
    ticket.refresh_from_db()
    assert ticket.status == Status.PROCESSING
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="改好了")
    client.post(reverse("portal:action", args=[ticket.pk, "confirm"]))
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
    assert ticket.events.filter(kind=EventKind.CONFIRMED).exists()


def test_contact_sees_only_own_tickets_and_not_the_desk_create(client, contact, mail_server, entry):
    other = factories.requester()
    theirs = factories.make_ticket(actor=other, entry=entry)
    sign_in_by_mail(client, mail_server)
    assert client.get(reverse("portal:ticket", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:action", args=[theirs.pk, "urge"])).status_code == 404
    # The desk is fenced off: pages send the contact back to the portal, the API refuses.
    response = client.get(reverse("tickets:create"))
    assert (response.status_code, response["Location"]) == (302, reverse("portal:index"))
    assert client.get(reverse("tickets:list")).status_code == 302
    api = client.get("/api/v1/tickets/")
    assert api.status_code == 403 and api.json()["code"] == "permission_denied"
    user = PortalAccount.objects.get().user
    # the role-less contact may file only through the portal channel
    with pytest.raises(ServiceError):
        ticket_services.create_ticket(actor=user, title="x", catalog_entry_id=entry.pk)


def test_portal_form_errors(client, requester, entry):
    login(client, requester)
    r = client.post(reverse("portal:new"), {"title": ""})
    assert r.status_code == 400
    assert not Ticket.objects.exists()


def test_employee_uses_portal_with_desk_account(client, requester, entry, handlers):
    assert client.get(reverse("portal:index")).status_code == 200  # sign-in choices
    login(client, requester)
    r = client.get(reverse("portal:new") + f"?entry={entry.pk}")
    assert r.status_code == 200 and r.context["entry"] == entry
    client.post(reverse("portal:new"), {"catalog_entry": entry.pk, "title": "电脑蓝屏"})
    ticket = Ticket.objects.get()
    assert ticket.requester == requester and ticket.channel == Channel.PORTAL
    assert not TicketOrigin.objects.exists()


def test_custom_fields_rendered_and_validated(client, requester, entry, handlers):
    from andon.fields.models import FieldDefinition

    field = FieldDefinition.objects.create(
        name="订单号", key="order_no", type="text", required=True
    )
    field.scope.add(entry)
    login(client, requester)
    page = client.get(reverse("portal:new") + f"?entry={entry.pk}").content.decode()
    assert 'name="cf_order_no"' in page
    r = client.post(reverse("portal:new"), {"catalog_entry": entry.pk, "title": "退款"})
    assert r.status_code == 400 and not Ticket.objects.exists()
    r = client.post(
        reverse("portal:new"),
        {"catalog_entry": entry.pk, "title": "退款", "cf_order_no": "SO-1"},
    )
    assert r.status_code == 302
    assert Ticket.objects.get().custom_fields == {"order_no": "SO-1"}


def test_qr_code_admin_only(client, requester, entry):
    login(client, requester)
    assert client.get(reverse("portal:qr")).status_code == 403
    login(client, factories.admin())
    r = client.get(reverse("portal:qr"), {"entry": entry.pk})
    assert r.status_code == 200 and "<svg" in r.content.decode()
    assert f"entry={entry.pk}" in r.context["url"]
    png = client.get(reverse("portal:qr_image", args=["png"]), {"entry": entry.pk})
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = client.get(reverse("portal:qr_image", args=["svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get("/portal/qr.gif").status_code == 404


def test_success_messages_speak_the_visitors_language(client, requester, entry, handlers):
    """The messages are built at import; each request must still get its own language."""
    from django.conf import settings

    login(client, requester)
    client.post(reverse("portal:new"), {"catalog_entry": entry.pk, "title": "电脑蓝屏"})
    ticket = Ticket.objects.get()
    url = reverse("portal:action", args=[ticket.pk, "comment"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post(url, {"note": "screenshot attached"}, follow=True).content.decode()
    assert "Comment posted" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.post(url, {"note": "补充截图"}, follow=True).content.decode()
    assert "评论已发表" in page
