"""The API of the people around a ticket: collaborators (卷入), watching (关注) and copies (抄送).
Thin, like `andon.tickets.api`: reads start from `get_visible_ticket`, writes are service calls.
It lives with the web views because a copy can be made from a customer contact, which only an
adapter may look up (customers sit above tickets)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import IdField, QueueRefSerializer, UserRefSerializer, error_responses
from andon.core.errors import ValidationFailed
from andon.customers.selectors import contact_list
from andon.tickets import selectors, services
from andon.tickets.models import CarbonCopy, Collaborator

PARSERS = [JSONParser, FormParser]


class CollaboratorSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True, allow_null=True)
    queue = QueueRefSerializer(read_only=True, allow_null=True)
    added_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Collaborator
        fields = ["id", "user", "queue", "added_by", "created_at"]
        read_only_fields = fields


class CollaboratorCreateSerializer(serializers.Serializer):
    """One of `user` or `queue`."""

    user = IdField(required=False, allow_null=True)
    queue = IdField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class CarbonCopySerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True, allow_null=True)
    added_by = UserRefSerializer(read_only=True, allow_null=True)
    # Empty for a copy to a user or contact: not an e-mail format in the schema.
    email = serializers.CharField(read_only=True)

    class Meta:
        model = CarbonCopy
        fields = ["id", "user", "name", "email", "contact_id", "added_by", "created_at"]
        read_only_fields = fields


class CarbonCopyCreateSerializer(serializers.Serializer):
    """One of `user`, `contact` (a customer contact with an e-mail address) or `email`."""

    user = IdField(required=False, allow_null=True)
    contact = IdField(required=False, allow_null=True)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class WatchingSerializer(serializers.Serializer):
    watching = serializers.BooleanField()
    watchers = serializers.IntegerField()


def _body(request, ticket, serializer_class) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def contact_copy(user, contact_id) -> dict:
    """A customer contact the caller may read, as the address a copy is made of."""
    contact = contact_list(user=user).filter(pk=contact_id).first()
    if contact is None:
        raise ValidationFailed(_("联系人不存在"), errors={"contact": [_("联系人不存在")]})
    if not contact.email:
        message = _("联系人「%s」没有邮箱，不能抄送") % contact.name
        raise ValidationFailed(message, errors={"contact": [message]})
    return {"email": contact.email, "name": contact.name, "contact_id": contact.pk}


class TicketCollaboratorsView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        operation_id="tickets_collaborators_list",
        responses={200: CollaboratorSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        rows = selectors.ticket_collaborators(ticket)
        return Response(CollaboratorSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="tickets_collaborators_create",
        request=CollaboratorCreateSerializer,
        responses={201: CollaboratorSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="The handler pulls a person or a whole queue into the ticket (卷入).",
    )
    def post(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        data = _body(request, ticket, CollaboratorCreateSerializer)
        collaborator = services.add_collaborator(
            ticket_id=ticket.pk,
            actor=request.user,
            user_id=data.get("user"),
            queue_id=data.get("queue"),
            note=data["note"],
        )
        return Response(CollaboratorSerializer(collaborator).data, status=status.HTTP_201_CREATED)


class TicketCollaboratorView(APIView):
    @extend_schema(
        operation_id="tickets_collaborators_destroy",
        responses={204: None, **error_responses(401, 403, 404)},
        description="The handler removes a collaborator; a collaborator removes themselves "
        "(leaves the ticket).",
    )
    def delete(self, request, ticket_id, collaborator_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        services.remove_collaborator(
            ticket_id=ticket.pk, actor=request.user, collaborator_id=collaborator_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketWatchView(APIView):
    def _answer(self, request, ticket):
        watching, watchers = selectors.watch_state(request.user, ticket)
        body = {"watching": watching, "watchers": watchers}
        return Response(WatchingSerializer(body).data)

    @extend_schema(
        operation_id="tickets_watch_retrieve",
        responses={200: WatchingSerializer, **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        return self._answer(request, selectors.get_visible_ticket(request.user, ticket_id))

    @extend_schema(
        operation_id="tickets_watch_update",
        request=None,
        responses={200: WatchingSerializer, **error_responses(401, 404)},
        description="Follow the ticket (anyone who may see it); following twice is harmless.",
    )
    def put(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        services.watch_ticket(ticket_id=ticket.pk, actor=request.user)
        return self._answer(request, ticket)

    @extend_schema(
        operation_id="tickets_watch_destroy",
        responses={200: WatchingSerializer, **error_responses(401, 404)},
        description="Unfollow the ticket.",
    )
    def delete(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        services.unwatch_ticket(ticket_id=ticket.pk, actor=request.user)
        return self._answer(request, ticket)


class TicketCarbonCopiesView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        operation_id="tickets_cc_list",
        responses={200: CarbonCopySerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        rows = selectors.ticket_carbon_copies(ticket)
        return Response(CarbonCopySerializer(rows, many=True).data)

    @extend_schema(
        operation_id="tickets_cc_create",
        request=CarbonCopyCreateSerializer,
        responses={201: CarbonCopySerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Copy a colleague of the requester (抄送): a user, a customer contact "
        "(by its e-mail address) or an e-mail address. They hear of public updates only.",
    )
    def post(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        data = _body(request, ticket, CarbonCopyCreateSerializer)
        given = [k for k in ("user", "contact", "email") if data.get(k) not in (None, "")]
        if len(given) != 1:
            message = _("用户、联系人和邮箱请只填一个")
            raise ValidationFailed(message, errors={"email": [message]})
        kwargs = {"user_id": data.get("user"), "email": data["email"], "name": data["name"]}
        if data.get("contact"):
            # Refuse a contact the caller may not read before anything else.
            kwargs = {"user_id": None, **contact_copy(request.user, data["contact"])}
        copy = services.add_carbon_copy(ticket_id=ticket.pk, actor=request.user, **kwargs)
        return Response(CarbonCopySerializer(copy).data, status=status.HTTP_201_CREATED)


class TicketCarbonCopyView(APIView):
    @extend_schema(
        operation_id="tickets_cc_destroy",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, ticket_id, cc_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        services.remove_carbon_copy(ticket_id=ticket.pk, actor=request.user, cc_id=cc_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
