"""CSAT API: a ticket's rating (`/api/v1/tickets/{id}/rating/`: GET, PUT by the requester) and
the CSAT report (`/api/v1/reports/csat/`, scoped and filtered like the other reports)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import error_responses
from andon.csat import selectors, services
from andon.csat.models import RatingChannel
from andon.reports.api import FILTER_PARAMETERS, ReportView
from andon.tickets.selectors import get_visible_ticket


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TicketRatingSerializer(serializers.Serializer):
    rating = RatingSerializer(allow_null=True)
    may_rate = serializers.BooleanField(help_text="you may rate (or still change) it now")
    changeable_until = serializers.DateTimeField(allow_null=True)


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        max_length=services.COMMENT_MAX, required=False, allow_blank=True, default=""
    )


def _rating_body(user, ticket) -> dict:
    panel = selectors.rating_panel(user, ticket)
    rating = panel["rating"]
    # The comment is the requester's words to the desk: the staff side and the requester read it.
    shown = rating is not None and (panel["staff"] or user.pk == ticket.requester_id)
    return {
        "rating": RatingSerializer(rating).data if shown else None,
        "may_rate": panel["may_rate"],
        "changeable_until": panel["changeable_until"] if shown else None,
    }


class TicketRatingView(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="tickets_rating_retrieve",
        responses={200: TicketRatingSerializer, **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = get_visible_ticket(request.user, ticket_id)
        return Response(TicketRatingSerializer(_rating_body(request.user, ticket)).data)

    @extend_schema(
        operation_id="tickets_rating_update",
        request=RateSerializer,
        responses={200: TicketRatingSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Rate the ticket 1–5 (the requester, once it is resolved). Rating a ticket "
        "waiting for confirmation confirms it. The rating can be changed for a few days "
        "(`changeable_until`), then it is final (409).",
    )
    def put(self, request, ticket_id):
        ticket = get_visible_ticket(request.user, ticket_id)
        body = RateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.rate_ticket(
            ticket_id=ticket.pk,
            actor=request.user,
            channel=RatingChannel.API,
            **body.validated_data,
        )
        ticket = get_visible_ticket(request.user, ticket.pk)
        return Response(TicketRatingSerializer(_rating_body(request.user, ticket)).data)


class CsatRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    satisfied = serializers.IntegerField(help_text="ratings of 4 or 5")
    satisfied_rate = serializers.FloatField(allow_null=True)


class CsatSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    satisfied = serializers.IntegerField()
    satisfied_rate = serializers.FloatField(allow_null=True)
    distribution = serializers.DictField(child=serializers.IntegerField())


class CsatCommentSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    score = serializers.IntegerField()
    comment = serializers.CharField()
    rater = serializers.CharField()
    handler = serializers.CharField()
    queue = serializers.CharField()
    created_at = serializers.DateTimeField()


class CsatReportSerializer(serializers.Serializer):
    summary = CsatSummarySerializer()
    by_queue = CsatRowSerializer(many=True)
    by_handler = CsatRowSerializer(many=True)
    by_catalog = CsatRowSerializer(many=True)
    comments = CsatCommentSerializer(many=True)


class CsatReportView(ReportView):
    @extend_schema(
        operation_id="reports_csat",
        description="Satisfaction ratings given in the range: overall, by queue, by handler "
        "(who handled the ticket when it was rated), by catalog entry, and the latest comments.",
        parameters=FILTER_PARAMETERS,
        responses={200: CsatReportSerializer, **error_responses(400, 401, 403)},
        tags=["reports"],
    )
    def get(self, request):
        return super().get(request)

    def report(self, scope, form):
        return CsatReportSerializer(selectors.csat_report(scope, form.filters())).data
