"""Ticket search API: GET /api/v1/tickets/search/?q=… — the caller's visible tickets whose
text holds every word, newest first, each with an escaped, marked title and snippet. The list
endpoint's `q=` filter uses the same engine without the highlights."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import PermissionByMethod, error_responses
from andon.core.errors import ValidationFailed
from andon.tickets.models import Priority, Status
from andon.tickets.selectors import visible_tickets
from andon.ticketsearch.search import highlights, match_condition

MAX_LIMIT = 50


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200)
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_LIMIT)
    before = serializers.IntegerField(
        required=False, min_value=1, help_text="only tickets older than this id (next page)"
    )


class TicketSearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    title_html = serializers.CharField(help_text="escaped; the matched words in <mark>")
    snippet_html = serializers.CharField(allow_null=True)
    matched_in = serializers.CharField(help_text="where the snippet comes from")


class TicketSearchResultSerializer(serializers.Serializer):
    results = TicketSearchHitSerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class TicketSearchView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="tickets_search",
        parameters=[SearchQuerySerializer],
        responses={200: TicketSearchResultSerializer, **error_responses(400, 401)},
    )
    def get(self, request):
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        condition = match_condition(request.user, data["q"])
        if condition is None:
            raise ValidationFailed(
                _("搜索词里没有可搜索的文字"), errors={"q": [_("请输入要搜索的词")]}
            )
        qs = visible_tickets(request.user).filter(condition)
        if data.get("before"):
            qs = qs.filter(pk__lt=data["before"])
        rows = list(qs.order_by("-id")[: data["limit"] + 1])
        more = len(rows) > data["limit"]
        rows = rows[: data["limit"]]
        marks = highlights(request.user, rows, data["q"])
        results = [
            {
                "id": t.pk,
                "number": t.number,
                "title": t.title,
                "status": t.status,
                "priority": t.priority,
                "title_html": str(marks[t.pk].title),
                "snippet_html": str(marks[t.pk].snippet) if marks[t.pk].snippet else None,
                "matched_in": marks[t.pk].where,
            }
            for t in rows
        ]
        return Response({"results": results, "next_before": rows[-1].pk if more else None})
