"""API of ticket links and merging, under /api/v1/tickets/{id}/: `links/` (GET the links as this
ticket reads them, POST a new one), `links/{link_id}/` (DELETE), `merge/` (POST: merge this
ticket, a duplicate, into another). Thin: the services decide, errors keep the API's shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import error_responses
from andon.tickets import selectors
from andon.tickets.services import links as link_services

PARSERS = [JSONParser, FormParser]


class LinkedTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField(allow_null=True, help_text="null when you may not see it")
    status = serializers.CharField(allow_null=True, help_text="null when you may not see it")


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    relation = serializers.ChoiceField(
        choices=["parent", "child", "related", "duplicate_of", "duplicated_by"],
        help_text="what the other ticket is to this one",
    )
    ticket = LinkedTicketSerializer()
    created_at = serializers.DateTimeField()


class ChildrenSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    finished = serializers.IntegerField(help_text="done, closed or cancelled")
    by_status = serializers.DictField(child=serializers.IntegerField())


class LinksSerializer(serializers.Serializer):
    links = LinkSerializer(many=True)
    children = ChildrenSerializer()


class LinkCreateSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=40, help_text="the other ticket: 1042 or AD-1042")
    relation = serializers.ChoiceField(choices=list(link_services.RELATIONS))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TicketMergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=40, help_text="the original: 1042 or AD-1042")
    note = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")


def links_body(user, ticket) -> dict:
    rows = selectors.ticket_links(user, ticket)
    return {
        "links": [
            {
                "id": row["id"],
                "relation": row["relation"],
                "ticket": {
                    "id": row["ticket"].pk,
                    "number": row["ticket"].number,
                    "title": row["ticket"].title if row["visible"] else None,
                    "status": row["ticket"].status if row["visible"] else None,
                },
                "created_at": row["created_at"],
            }
            for row in rows
        ],
        "children": selectors.children_states(rows),
    }


class TicketLinksView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        operation_id="tickets_links_list",
        responses={200: LinksSerializer, **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        return Response(LinksSerializer(links_body(request.user, ticket)).data)

    @extend_schema(
        operation_id="tickets_links_create",
        request=LinkCreateSerializer,
        responses={201: LinksSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Link another ticket: `parent` (it is this ticket's parent), `child`, "
        "`related` or `duplicate_of`. No self-links, one parent per ticket, no cycles.",
    )
    def post(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        body = LinkCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        link_services.link_tickets(
            ticket_id=ticket.pk,
            actor=request.user,
            other=data["ticket"],
            relation=data["relation"],
            note=data["note"],
        )
        return Response(
            LinksSerializer(links_body(request.user, ticket)).data, status=status.HTTP_201_CREATED
        )


class TicketLinkView(APIView):
    @extend_schema(
        operation_id="tickets_links_destroy",
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    )
    def delete(self, request, ticket_id, link_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        link_services.unlink_tickets(ticket_id=ticket.pk, actor=request.user, link_id=link_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketMergeView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        operation_id="tickets_merge",
        request=TicketMergeSerializer,
        responses={200: LinksSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Merge this ticket (a duplicate) into `into`: comments, files and followers "
        "move there and this ticket is closed with a pointer to it, all at once or not at all.",
    )
    def post(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        body = TicketMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link_services.merge_ticket(ticket_id=ticket.pk, actor=request.user, **body.validated_data)
        ticket = selectors.get_visible_ticket(request.user, ticket.pk)
        return Response(LinksSerializer(links_body(request.user, ticket)).data)
