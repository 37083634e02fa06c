"""Changing a contact's e-mail address revokes what the old address gave: the portal session
ends, unused sign-in links stop working, and the old address is told (over real SMTP)."""

import pytest
from django.test import Client
from django.urls import reverse

from andon.customers import services as customer_services
from andon.portal.models import PortalAccount
from tests import factories
from tests.api.conftest import client_for
from tests.portal.test_portal import link_from, sign_in_by_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return factories.requester()


@pytest.fixture
def contact(agent):
    customer = customer_services.create_customer(actor=agent, name="华东物流")
    return customer_services.create_contact(
        actor=agent, name="王经理", email="wang@example.com", customer=customer.pk
    )


def test_new_address_ends_sessions_and_links_and_tells_the_old_one(
    client, contact, agent, mail_server, django_capture_on_commit_callbacks
):
    sign_in_by_mail(client, mail_server)
    assert client.get(reverse("portal:index")).wsgi_request.user.is_authenticated
    # A second link, requested but never used (e.g. from a mailbox someone else reads).
    other_browser = Client()
    other_browser.post(reverse("portal:request_link"), {"email": "wang@example.com"})
    unused = link_from(mail_server.messages[-1])
    mail_server.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).patch(
            f"/api/v1/contacts/{contact.pk}/", {"email": "Wang.New@example.org"}, format="json"
        )
    assert response.status_code == 200, response.content

    # The signed-in portal session is over ...
    page = client.get(reverse("portal:index"))
    assert not page.wsgi_request.user.is_authenticated
    # ... the unused link is dead ...
    assert other_browser.post(unused).status_code == 404
    # ... the portal user carries the new address ...
    account = PortalAccount.objects.select_related("user").get(contact=contact)
    assert account.user.email == "wang.new@example.org"
    # ... and the old address was told, without the full new address.
    assert len(mail_server.messages) == 1
    notice = mail_server.messages[0]
    assert notice["X-Envelope-To"] == "wang@example.com"
    assert str(notice["Subject"]) == "您的联系邮箱已更改"
    text = notice.get_body(("plain",)).get_content()
    assert "w***@example.org" in text and "wang.new@example.org" not in text.lower()
    # The new address signs in as usual.
    fresh = Client()
    fresh.post(reverse("portal:request_link"), {"email": "wang.new@example.org"})
    assert fresh.post(link_from(mail_server.messages[-1])).status_code == 302


def test_other_edits_keep_the_session(
    client, contact, agent, mail_server, django_capture_on_commit_callbacks
):
    sign_in_by_mail(client, mail_server)
    mail_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(agent).patch(
            f"/api/v1/contacts/{contact.pk}/",
            {"phone": "13800000000", "email": "WANG@example.com"},  # same address, other case
            format="json",
        )
    assert client.get(reverse("portal:index")).wsgi_request.user.is_authenticated
    assert mail_server.messages == []
