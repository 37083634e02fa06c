"""Reports API: the numbers of the 报表 page, scoped to what the caller may see (`reports.view`).

Every endpoint takes the same query parameters: `from`, `to` (local dates, both included, at most
366 days; default the last 30 days), `queue`, `catalog_entry` (a level-1 entry covers its
level-2 entries), `priority`, `handler`, `channel`. Bad values give a 400 with per-field errors.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import PermissionByMethod, error_responses
from andon.reports import selectors
from andon.reports.forms import MAX_HOURS, read_filters
from andon.reports.scope import report_scope
from andon.tickets.models import Channel, Priority

FILTER_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="first day (local), default 29 days ago"
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="last day (local, included), default today"
    ),
    OpenApiParameter("queue", OpenApiTypes.INT, description="queue id (within the caller's scope)"),
    OpenApiParameter("catalog_entry", OpenApiTypes.INT, description="catalog entry id"),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=Priority.values),
    OpenApiParameter("handler", OpenApiTypes.INT, description="assignee's user id"),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
]

RATE = {"allow_null": True, "help_text": "0..1, null when nothing was decided"}
SECONDS = {"allow_null": True, "help_text": "business seconds, null without data"}


class SummarySerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField()  # a Python keyword, so set by name
    to = serializers.DateField()
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="when the daily roll-up these counts come from was last refreshed (each "
        "minute by the worker); percentiles read the raw timers",
    )
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    backlog = serializers.IntegerField(help_text="open at the end of the range")
    urges = serializers.IntegerField()
    reopened = serializers.IntegerField()
    reopen_rate = serializers.FloatField(**RATE)
    response_met = serializers.IntegerField()
    response_breached = serializers.IntegerField()
    response_met_rate = serializers.FloatField(**RATE)
    resolution_met = serializers.IntegerField()
    resolution_breached = serializers.IntegerField()
    resolution_met_rate = serializers.FloatField(**RATE)
    mean_response_seconds = serializers.FloatField(**SECONDS)
    p50_response_seconds = serializers.FloatField(**SECONDS)
    p90_response_seconds = serializers.FloatField(**SECONDS)
    mean_resolution_seconds = serializers.FloatField(**SECONDS)
    p50_resolution_seconds = serializers.FloatField(**SECONDS)
    p90_resolution_seconds = serializers.FloatField(**SECONDS)


class SeriesDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    backlog = serializers.IntegerField()
    urges = serializers.IntegerField()
    reopened = serializers.IntegerField()


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="queue id, priority or user id")
    name = serializers.CharField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    reopened = serializers.IntegerField()
    reopen_rate = serializers.FloatField(**RATE)
    urges = serializers.IntegerField()
    backlog = serializers.IntegerField()
    response_met = serializers.IntegerField()
    response_breached = serializers.IntegerField()
    response_met_rate = serializers.FloatField(**RATE)
    resolution_met = serializers.IntegerField()
    resolution_breached = serializers.IntegerField()
    resolution_met_rate = serializers.FloatField(**RATE)
    mean_response_seconds = serializers.FloatField(**SECONDS)
    mean_resolution_seconds = serializers.FloatField(**SECONDS)


class TopCatalogSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    urges = serializers.IntegerField()
    share = serializers.FloatField(**RATE)


class AtRiskTimerSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    priority = serializers.CharField()
    status = serializers.CharField()
    assignee = serializers.CharField()
    queue = serializers.CharField()
    metric = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)


class AtRiskSerializer(serializers.Serializer):
    hours = serializers.IntegerField()
    due_soon = serializers.IntegerField(help_text="tickets with a target due within `hours`")
    breached = serializers.IntegerField(
        help_text="tickets with a breached live target, as of the roll-up's last refresh"
    )
    due_soon_list = AtRiskTimerSerializer(many=True)
    breached_list = AtRiskTimerSerializer(many=True)


class ReportView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "reports.view"}

    def report(self, scope, form):
        raise NotImplementedError

    def get(self, request):
        scope = report_scope(request.user)
        form = read_filters(request.query_params, scope=scope)
        return Response(self.report(scope, form))


def _documented(serializer, operation_id: str, description: str, extra=()):
    return extend_schema(
        operation_id=operation_id,
        description=description,
        parameters=[*FILTER_PARAMETERS, *extra],
        responses={200: serializer, **error_responses(400, 401, 403)},
        tags=["reports"],
    )


class SummaryView(ReportView):
    @_documented(SummarySerializer, "reports_summary", "Headline numbers of the range.")
    def get(self, request):
        return super().get(request)

    def report(self, scope, form):
        return SummarySerializer(selectors.summary(scope, form.filters())).data


class SeriesView(ReportView):
    @_documented(
        SeriesDaySerializer(many=True),
        "reports_series",
        "Per day: created, resolved, backlog at the end of the day, urges, reopened.",
    )
    def get(self, request):
        return super().get(request)

    def report(self, scope, form):
        return selectors.series(scope, form.filters())


class BreakdownView(ReportView):
    by = ""

    def report(self, scope, form):
        return BreakdownRowSerializer(
            selectors.breakdown(scope, form.filters(), self.by), many=True
        ).data


class ByQueueView(BreakdownView):
    by = "queue"

    @_documented(BreakdownRowSerializer(many=True), "reports_by_queue", "Numbers per queue.")
    def get(self, request):
        return super().get(request)


class ByPriorityView(BreakdownView):
    by = "priority"

    @_documented(BreakdownRowSerializer(many=True), "reports_by_priority", "Numbers per priority.")
    def get(self, request):
        return super().get(request)


class ByHandlerView(BreakdownView):
    by = "handler"

    @_documented(
        BreakdownRowSerializer(many=True),
        "reports_by_handler",
        "Workload and results per handler (the current assignee).",
    )
    def get(self, request):
        return super().get(request)


class TopCatalogView(ReportView):
    @_documented(
        TopCatalogSerializer(many=True),
        "reports_top_catalog",
        "The catalog entries most tickets were filed under.",
        extra=[OpenApiParameter("limit", OpenApiTypes.INT, description="1..50, default 10")],
    )
    def get(self, request):
        return super().get(request)

    def report(self, scope, form):
        limit = serializers.IntegerField(min_value=1, max_value=50, required=False)
        raw = self.request.query_params.get("limit")
        try:
            value = limit.run_validation(raw) if raw not in (None, "") else 10
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"limit": exc.detail}) from exc
        return selectors.top_catalog(scope, form.filters(), limit=value)


class AtRiskView(ReportView):
    @_documented(
        AtRiskSerializer,
        "reports_at_risk",
        "Tickets whose response or resolution target is due within `hours`, and those breached "
        "now (live, the date range is ignored).",
        extra=[
            OpenApiParameter("hours", OpenApiTypes.INT, description=f"1..{MAX_HOURS}, default 4")
        ],
    )
    def get(self, request):
        return super().get(request)

    def report(self, scope, form):
        return AtRiskSerializer(
            selectors.at_risk(scope, form.filters(), hours=form.at_risk_hours)
        ).data
