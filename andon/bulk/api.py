"""Bulk actions API: POST a job (ticket ids, or a list filter as the ticket list takes it), GET
its progress and outcomes. Up to 50 tickets the answer is the finished job (201); more are run
by the worker (202) and polled."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.bulk import selectors, services
from andon.bulk.models import BulkAction, BulkJob, JobState
from andon.core.api import IdField, PermissionByMethod, error_responses
from andon.core.errors import ValidationFailed
from andon.tickets.filters import TicketFilter
from andon.tickets.selectors import visible_tickets


class BulkJobCreateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BulkAction.choices)
    tickets = serializers.ListField(
        child=IdField(), required=False, max_length=services.MAX_TICKETS, help_text="ticket ids"
    )
    filter = serializers.DictField(
        required=False,
        help_text="instead of `tickets`: every visible ticket matching these list filters "
        "(the query parameters of GET /api/v1/tickets/)",
    )
    queue = IdField(required=False, allow_null=True, help_text="transfer: target queue")
    assignee = IdField(required=False, allow_null=True, help_text="transfer: target person")
    priority = serializers.CharField(required=False, help_text="priority: L1…L4")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, help_text="tag: names"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.NOTE_MAX)


class BulkItemSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    number = serializers.CharField()
    ok = serializers.BooleanField()
    reason = serializers.CharField()


class BulkJobSerializer(serializers.ModelSerializer):
    processed = serializers.IntegerField(read_only=True)
    outcomes = serializers.SerializerMethodField()

    class Meta:
        model = BulkJob
        fields = [
            "id",
            "action",
            "params",
            "state",
            "total",
            "processed",
            "done_count",
            "refused_count",
            "created_at",
            "started_at",
            "finished_at",
            "outcomes",
        ]
        read_only_fields = fields

    def get_outcomes(self, job) -> BulkItemSerializer(many=True):
        return services.outcome_rows(job)


def _ids_from_filter(request, data: dict) -> list[int]:
    filterset = TicketFilter(data=data, queryset=visible_tickets(request.user), request=request)
    if not filterset.is_valid():
        errors = {f"filter.{k}": [str(m) for m in v] for k, v in filterset.form.errors.items()}
        raise ValidationFailed(_("筛选条件不正确"), errors=errors)
    ids = list(
        filterset.qs.order_by("-id").values_list("pk", flat=True)[: services.MAX_TICKETS + 1]
    )
    if len(ids) > services.MAX_TICKETS:
        message = _("一次最多批量处理 %s 个工单，请缩小筛选范围") % services.MAX_TICKETS
        raise ValidationFailed(message, errors={"filter": [message]})
    return ids


class MayBulk(PermissionByMethod):
    def may_use(self, request, view, method: str) -> bool:
        if method == "POST":
            return services.may_bulk(request.user)
        return super().may_use(request, view, method)


class BulkJobListView(APIView):
    permission_classes = [MayBulk]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bulk_jobs_create",
        request=BulkJobCreateSerializer,
        responses={
            201: BulkJobSerializer,
            202: BulkJobSerializer,
            **error_responses(400, 401, 403),
        },
        description="Runs one action on many tickets, each checked and changed on its own.",
    )
    def post(self, request):
        body = BulkJobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "tickets" in data and "filter" in data:
            raise ValidationFailed(
                _("请只给出 tickets 或 filter 之一"), errors={"filter": [_("与 tickets 二选一")]}
            )
        if "filter" in data:
            ids = _ids_from_filter(request, data["filter"])
        else:
            ids = data.get("tickets", [])
        params = {
            k: data[k] for k in ("queue", "assignee", "priority", "tags", "note") if k in data
        }
        job = services.start_job(
            actor=request.user, action=data["action"], ticket_ids=ids, params=params
        )
        code = (
            status.HTTP_201_CREATED if job.state == JobState.FINISHED else status.HTTP_202_ACCEPTED
        )
        return Response(BulkJobSerializer(job).data, status=code)


class BulkJobDetailView(APIView):
    @extend_schema(
        operation_id="bulk_jobs_retrieve",
        responses={200: BulkJobSerializer, **error_responses(401, 404)},
        description="The caller's own job: progress, then each ticket's outcome.",
    )
    def get(self, request, job_id):
        return Response(BulkJobSerializer(selectors.get_own_job(request.user, job_id)).data)
