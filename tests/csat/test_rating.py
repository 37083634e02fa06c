"""CSAT: one rating per ticket by its requester, changeable for a week, from the page, the
portal, the signed e-mail link (sent through a real SMTP server) and the WeCom link."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from andon.csat import services
from andon.csat.models import Rating
from andon.notifications import outbox
from andon.notifications.models import OutboxMessage
from andon.tickets.models import EventKind, Status
from andon.wecom.signin import signed_in_url
from tests import factories
from tests.tickets.conftest import advance


@pytest.fixture
def ticket_in(handlers, entry, requester):
    def build(status):
        ticket = factories.make_ticket(actor=requester, entry=entry)
        return advance(ticket, status, handler=ticket.assignee, requester=requester)

    return build


def test_rating_a_done_ticket(ticket_in, requester, handlers):
    ticket = ticket_in(Status.DONE)
    rating = services.rate_ticket(
        ticket_id=ticket.pk, actor=requester, score="5", comment=" 很快 ", channel="web"
    )
    assert (rating.score, rating.comment, rating.handler_id, rating.queue_id) == (
        5,
        "很快",
        handlers[0].pk,
        ticket.queue_id,
    )
    event = ticket.events.get(kind=EventKind.RATED)
    assert event.after == {"score": 5, "channel": "web", "changed": False}
    assert event.note == "很快"


def test_rating_while_waiting_for_confirmation_confirms(ticket_in, requester):
    ticket = ticket_in(Status.TO_CONFIRM)
    services.rate_ticket(ticket_id=ticket.pk, actor=requester, score=4, channel="portal")
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.CONFIRMED, EventKind.RATED]


def test_one_rating_changeable_for_a_week_then_final(ticket_in, requester):
    ticket = ticket_in(Status.DONE)
    services.rate_ticket(ticket_id=ticket.pk, actor=requester, score=2, channel="web")
    services.rate_ticket(ticket_id=ticket.pk, actor=requester, score=4, channel="web")
    assert Rating.objects.get(ticket=ticket).score == 4
    assert ticket.events.filter(kind=EventKind.RATED).last().before == {"score": 2}
    Rating.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=8))
    with pytest.raises(Conflict) as caught:
        services.rate_ticket(ticket_id=ticket.pk, actor=requester, score=1, channel="web")
    assert caught.value.code == "rating_final"
    assert Rating.objects.get(ticket=ticket).score == 4
    assert Rating.objects.count() == 1


def test_only_the_requester_and_only_resolved_tickets(ticket_in, requester, handlers):
    done = ticket_in(Status.DONE)
    with pytest.raises(PermissionDenied):
        services.rate_ticket(ticket_id=done.pk, actor=handlers[0], score=5, channel="web")
    open_ticket = ticket_in(Status.PROCESSING)
    with pytest.raises(Conflict):
        services.rate_ticket(ticket_id=open_ticket.pk, actor=requester, score=5, channel="web")
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, "", None, "五", True, 4.5, "1; drop"])
def test_bad_scores_are_refused(ticket_in, requester, score):
    ticket = ticket_in(Status.TO_CONFIRM)
    with pytest.raises(ValidationFailed):
        services.rate_ticket(ticket_id=ticket.pk, actor=requester, score=score, channel="web")
    ticket.refresh_from_db()
    # Refused before anything was written: still waiting for confirmation, no rating.
    assert ticket.status == Status.TO_CONFIRM
    assert not Rating.objects.exists()


def test_too_long_a_comment_is_refused(ticket_in, requester):
    ticket = ticket_in(Status.DONE)
    with pytest.raises(ValidationFailed):
        services.rate_ticket(
            ticket_id=ticket.pk, actor=requester, score=3, comment="长" * 1001, channel="web"
        )


# --- the e-mail link ------------------------------------------------------------------------


def test_resolution_mail_carries_a_signed_link_that_rates(
    client, mail_server, handlers, entry, requester
):
    requester.email = "asker@example.com"
    requester.save(update_fields=["email"])
    ticket = factories.make_ticket(actor=requester, entry=entry)
    advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)
    message = OutboxMessage.objects.get(
        recipient=requester, channel="email", key__startswith=f"event:{_resolved(ticket).pk}:"
    )
    assert outbox.deliver(message.pk) == OutboxMessage.State.SENT
    (mail,) = [m for m in mail_server.messages if "asker@example.com" in m["To"]]
    text = mail.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/csat/r/" in word).split("：")[-1]
    path = urlsplit(link).path
    assert mail.get_body(("html",)).get_content().count(f"{path}?score=") == 5

    page = client.get(path + "?score=5")  # opened by a person or a mail scanner
    assert page.status_code == 200
    assert 'value="5" required checked' in page.content.decode()
    assert not Rating.objects.exists()  # GET never writes

    response = client.post(path, {"score": "5", "comment": "<b>谢谢</b>"})
    assert response.status_code == 200
    assert "&lt;b&gt;谢谢&lt;/b&gt;" in response.content.decode()
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.channel, rating.rater_id) == (5, "email", requester.pk)
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE


def _resolved(ticket):
    return ticket.events.get(kind=EventKind.RESOLVED)


def test_a_forged_or_foreign_link_is_refused(client, ticket_in, requester):
    ticket = ticket_in(Status.DONE)
    token = services.rating_token(ticket)
    assert client.post(f"/csat/r/{token}x/", {"score": "5"}).status_code == 400
    ticket.requester = factories.requester()  # handed to someone else since
    ticket.save(update_fields=["requester"])
    assert client.post(f"/csat/r/{token}/", {"score": "5"}).status_code == 400
    assert not Rating.objects.exists()


def test_bad_score_on_the_link_page_is_a_400_with_the_message(client, ticket_in):
    ticket = ticket_in(Status.DONE)
    response = client.post(f"/csat/r/{services.rating_token(ticket)}/", {"score": "9"})
    assert response.status_code == 400
    assert "评分应为 1 到 5 的整数" in response.content.decode()


# --- WeCom ----------------------------------------------------------------------------------


def test_wecom_card_opens_the_rating_through_the_signed_in_link(
    settings, handlers, entry, requester
):
    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET = "ww1", "1", "s"
    requester.wecom_userid = "zhangsan"
    requester.save(update_fields=["wecom_userid"])
    ticket = factories.make_ticket(actor=requester, entry=entry)
    advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)
    message = OutboxMessage.objects.get(
        recipient=requester, channel="wecom", key__startswith=f"event:{_resolved(ticket).pk}:"
    )
    assert message.url.endswith(f"/tickets/{ticket.pk}/?rate=wecom#csat")
    signed = urlsplit(signed_in_url(message.url))
    assert parse_qs(signed.query)["next"][0].startswith(f"/tickets/{ticket.pk}/")


def test_the_desk_page_form_rates_and_marks_wecom(client, ticket_in, requester):
    ticket = ticket_in(Status.TO_CONFIRM)
    client.force_login(requester)
    page = client.get(f"/tickets/{ticket.pk}/?rate=wecom")
    assert 'data-testid="csat-form"' in page.content.decode()
    assert 'name="via" value="wecom"' in page.content.decode()
    response = client.post(f"/csat/tickets/{ticket.pk}/", {"score": "3", "via": "wecom"})
    assert response.status_code == 302
    assert Rating.objects.get(ticket=ticket).channel == "wecom"


def test_the_desk_page_refuses_a_bad_score_with_400(client, ticket_in, requester):
    ticket = ticket_in(Status.DONE)
    client.force_login(requester)
    response = client.post(f"/csat/tickets/{ticket.pk}/", {"score": "0"})
    assert response.status_code == 400
    assert "评分应为 1 到 5 的整数" in response.content.decode()
    assert not settings.DEBUG
