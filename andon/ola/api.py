"""OLA API: business calendars and their exception dates, a queue's OLA policy (read, replace,
apply to open tickets), the recommended thresholds (read, adopt) and a ticket's timers.

Thin: validation and writes live in calendar_services / policy_services, reads in selectors.
Calendars, policies and recommendations need `queues.manage` to change; a ticket's timers are
visible to whoever can see the ticket (404 otherwise)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import PermissionByMethod, error_responses, parse_id
from andon.core.errors import NotFound, ValidationFailed
from andon.ola import calendar_services, policy_services, selectors
from andon.ola.recommend import recommend
from andon.queues.models import Queue
from andon.tickets.selectors import get_visible_ticket

RUNNING_TIMERS_NOTE = (
    "修改策略不会改写进行中的计时（它们保留开始时的策略快照）；"
    "如需改写，请调用「应用到未完成工单」。"
)
MAX_DAYS = 3650

# --- serializers (responses) -------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CalendarExceptionSerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="holiday or workday")
    note = serializers.CharField(read_only=True)


class CalendarSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    time_zone = serializers.CharField(read_only=True)
    weekly_windows = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        read_only=True,
        help_text='{"mon": [["09:00", "12:00"], ["13:30", "18:00"]], …, "sun": []}',
    )
    follows_china_holidays = serializers.BooleanField(read_only=True)
    manual_holiday_years = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    is_builtin = serializers.BooleanField(read_only=True)
    exceptions = CalendarExceptionSerializer(source="exceptions.all", many=True, read_only=True)
    warnings = serializers.SerializerMethodField(
        help_text="years (this one and the next) with no holiday data: weekends are used"
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_warnings(self, obj) -> list[str]:
        return selectors.warnings_for(obj)


class CalendarWriteSerializer(serializers.Serializer):
    """Documentation of the body; the values are checked by calendar_services."""

    name = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    time_zone = serializers.CharField(required=False)
    weekly_windows = serializers.JSONField(required=False)
    follows_china_holidays = serializers.BooleanField(required=False)
    manual_holiday_years = serializers.ListField(child=serializers.IntegerField(), required=False)


class ExceptionWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField(help_text="holiday or workday")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class MinutesSerializer(serializers.Serializer):
    L1 = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815
    L2 = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815
    L3 = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815
    L4 = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815


class PolicySerializer(serializers.Serializer):
    queue = RefSerializer(read_only=True)
    configured = serializers.BooleanField(read_only=True, help_text="false: defaults, not saved")
    calendar = RefSerializer(read_only=True)
    response_minutes = MinutesSerializer(read_only=True)
    resolution_minutes = MinutesSerializer(read_only=True)
    urge_threshold = serializers.IntegerField(read_only=True, allow_null=True)
    warn_at_percent = serializers.IntegerField(read_only=True)
    escalation_interval_minutes = serializers.IntegerField(read_only=True)
    max_level = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    calendar_warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    note = serializers.CharField(read_only=True)


class PolicyWriteSerializer(serializers.Serializer):
    calendar = serializers.IntegerField(required=False)
    response_minutes = MinutesSerializer(required=False)
    resolution_minutes = MinutesSerializer(required=False)
    urge_threshold = serializers.IntegerField(required=False, allow_null=True)
    warn_at_percent = serializers.IntegerField(required=False)
    escalation_interval_minutes = serializers.IntegerField(required=False)
    max_level = serializers.IntegerField(required=False)


class ProposalSerializer(serializers.Serializer):
    priority = serializers.CharField()
    samples = serializers.IntegerField()
    percentile_seconds = serializers.IntegerField(allow_null=True)
    proposed_minutes = serializers.IntegerField(allow_null=True)
    would_breach = serializers.IntegerField(allow_null=True)
    current_minutes = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class UrgeProposalSerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    percentile = serializers.IntegerField()
    percentile_value = serializers.IntegerField()
    proposed = serializers.IntegerField()
    would_breach = serializers.IntegerField()
    current = serializers.IntegerField(allow_null=True)


class RecommendationSerializer(serializers.Serializer):
    queue = serializers.IntegerField()
    days = serializers.IntegerField()
    percentile = serializers.IntegerField()
    calendar = RefSerializer()
    tickets = serializers.IntegerField(help_text="resolved tickets in the window")
    response = ProposalSerializer(many=True)
    resolution = ProposalSerializer(many=True)
    urge = UrgeProposalSerializer(allow_null=True)
    reason = serializers.CharField()


class TimerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.CharField(help_text="response, resolution or urge")
    queue = RefSerializer()
    state = serializers.CharField(help_text="running, paused, met, breached, stopped")
    display_state = serializers.CharField(help_text="state, or `warning` once warned")
    active = serializers.BooleanField()
    paused = serializers.BooleanField()
    target_seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    warn_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.IntegerField(
        allow_null=True, help_text="business seconds left now (0 once due)"
    )
    overdue_seconds = serializers.IntegerField(
        allow_null=True, help_text="business seconds past the due time (breached timers)"
    )
    ticking = serializers.BooleanField(help_text="the clock runs at this moment")
    level = serializers.IntegerField(help_text="-1 none, 0 warned, 1 breached, 2+ escalated")
    max_level = serializers.IntegerField()
    next_action_at = serializers.DateTimeField(allow_null=True)
    next_step = serializers.CharField(allow_null=True, help_text="warning, breach or escalation")
    next_escalation_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    stopped_reason = serializers.CharField()


class TicketOlaSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="the ticket's queue has an OLA policy")
    now = serializers.DateTimeField()
    timers = TimerSerializer(many=True)


# --- helpers -------------------------------------------------------------------------------------


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("请求体应为 JSON 对象"))
    return dict(request.data)


def _calendar_or_404(calendar_id):
    calendar = selectors.calendar_or_none(parse_id(calendar_id))
    if calendar is None:
        raise NotFound(_("工作日历不存在"))
    return calendar


def _queue_or_404(queue_id) -> Queue:
    pk = parse_id(queue_id)
    queue = Queue.objects.filter(pk=pk).first() if pk else None
    if queue is None:
        raise NotFound(_("队列不存在"))
    return queue


def _days(value) -> int:
    if value in (None, ""):
        return 90
    days = parse_id(value)
    if days is None or days > MAX_DAYS:
        raise ValidationFailed(
            _("days 应为 1 到 %s 之间的整数") % MAX_DAYS,
            errors={"days": [_("应为 1 到 %s 之间的整数") % MAX_DAYS]},
        )
    return days


def policy_data(queue) -> dict:
    policy = policy_services.get_or_default_policy(queue)
    return {
        "queue": {"id": queue.pk, "name": queue.name},
        "configured": policy.pk is not None,
        "calendar": {"id": policy.calendar.pk, "name": policy.calendar.name}
        if policy.calendar_id
        else None,
        "response_minutes": policy.response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "urge_threshold": policy.urge_threshold,
        "warn_at_percent": policy.warn_at_percent,
        "escalation_interval_minutes": policy.escalation_interval_minutes,
        "max_level": policy.max_level,
        "updated_at": policy.updated_at,
        "calendar_warnings": selectors.warnings_for(policy.calendar) if policy.calendar_id else [],
        "note": RUNNING_TIMERS_NOTE,
    }


MANAGE = "queues.manage"
ALL_MANAGE = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), MANAGE)

# --- calendars -----------------------------------------------------------------------------------


class CalendarListView(APIView):
    """工作日历: list and create."""

    permission_classes = [PermissionByMethod]
    required_perms = ALL_MANAGE

    @extend_schema(
        operation_id="calendars_list",
        responses={200: CalendarSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        calendars = list(selectors.calendars_with_exceptions())
        return Response(CalendarSerializer(calendars, many=True).data)

    @extend_schema(
        operation_id="calendars_create",
        request=CalendarWriteSerializer,
        responses={201: CalendarSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        calendar = calendar_services.create_calendar(actor=request.user, data=_body(request))
        calendar = _calendar_or_404(calendar.pk)
        return Response(CalendarSerializer(calendar).data, status=status.HTTP_201_CREATED)


class CalendarDetailView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = ALL_MANAGE

    @extend_schema(
        operation_id="calendars_retrieve",
        responses={200: CalendarSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, calendar_id):
        return Response(CalendarSerializer(_calendar_or_404(calendar_id)).data)

    @extend_schema(
        operation_id="calendars_partial_update",
        request=CalendarWriteSerializer,
        responses={200: CalendarSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, calendar_id):
        calendar = _calendar_or_404(calendar_id)
        calendar_services.update_calendar(
            actor=request.user, calendar_id=calendar.pk, data=_body(request)
        )
        return Response(CalendarSerializer(_calendar_or_404(calendar.pk)).data)

    @extend_schema(
        operation_id="calendars_destroy",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, calendar_id):
        calendar = _calendar_or_404(calendar_id)
        calendar_services.delete_calendar(actor=request.user, calendar_id=calendar.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarExceptionsView(APIView):
    """Exception dates: POST sets one (replacing the date's entry), DELETE removes the one for
    `date` (in the body or the query string)."""

    permission_classes = [PermissionByMethod]
    required_perms = ALL_MANAGE

    @extend_schema(
        operation_id="calendars_exceptions_set",
        request=ExceptionWriteSerializer,
        responses={200: CalendarSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, calendar_id):
        calendar = _calendar_or_404(calendar_id)
        data = _body(request)
        calendar_services.set_calendar_exception(
            actor=request.user,
            calendar_id=calendar.pk,
            date=data.get("date"),
            kind=data.get("kind"),
            note=data.get("note", ""),
        )
        return Response(CalendarSerializer(_calendar_or_404(calendar.pk)).data)

    @extend_schema(
        operation_id="calendars_exceptions_remove",
        parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD")],
        responses={200: CalendarSerializer, **error_responses(400, 401, 403, 404)},
    )
    def delete(self, request, calendar_id):
        calendar = _calendar_or_404(calendar_id)
        date = request.query_params.get("date")
        if date is None and isinstance(request.data, dict):
            date = request.data.get("date")
        removed = calendar_services.remove_calendar_exception(
            actor=request.user, calendar_id=calendar.pk, date=date
        )
        if not removed:
            raise NotFound(_("该日期没有例外设置"))
        return Response(CalendarSerializer(_calendar_or_404(calendar.pk)).data)


# --- policies ------------------------------------------------------------------------------------


class QueuePolicyView(APIView):
    """A queue's OLA policy. Without a saved policy GET shows the defaults (`configured`
    false). PUT creates or replaces it; running timers keep their snapshot."""

    permission_classes = [PermissionByMethod]
    required_perms = {"PUT": MANAGE}

    @extend_schema(
        operation_id="queues_ola_policy_retrieve",
        responses={200: PolicySerializer, **error_responses(401, 404)},
    )
    def get(self, request, queue_id):
        return Response(PolicySerializer(policy_data(_queue_or_404(queue_id))).data)

    @extend_schema(
        operation_id="queues_ola_policy_update",
        request=PolicyWriteSerializer,
        responses={200: PolicySerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        data = _body(request)
        unknown = sorted(set(data) - set(PolicyWriteSerializer().fields))
        if unknown:
            raise ValidationFailed(
                _("未知字段：%s") % ", ".join(unknown),
                errors={k: [_("未知字段")] for k in unknown},
            )
        policy_services.save_policy(actor=request.user, queue=queue, data=data)
        return Response(PolicySerializer(policy_data(queue)).data)


class QueuePolicyApplyView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": MANAGE}

    @extend_schema(
        operation_id="queues_ola_policy_apply",
        request=None,
        responses={
            200: inline_serializer("PolicyApplied", {"timers": serializers.IntegerField()}),
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        changed = policy_services.apply_policy_to_open_tickets(actor=request.user, queue=queue)
        return Response({"timers": changed})


class QueueRecommendationView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": MANAGE}

    @extend_schema(
        operation_id="queues_ola_recommendation",
        parameters=[OpenApiParameter("days", int, description="history window, default 90")],
        responses={200: RecommendationSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        result = recommend(queue=queue, days=_days(request.query_params.get("days")))
        return Response(RecommendationSerializer(result).data)


class QueueRecommendationAdoptView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": MANAGE}

    @extend_schema(
        operation_id="queues_ola_recommendation_adopt",
        request=inline_serializer(
            "AdoptRequest", {"days": serializers.IntegerField(required=False)}
        ),
        responses={200: PolicySerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        days = _days(request.data.get("days") if isinstance(request.data, dict) else None)
        policy_services.adopt_recommendation(actor=request.user, queue=queue, days=days)
        return Response(PolicySerializer(policy_data(queue)).data)


# --- a ticket's timers ---------------------------------------------------------------------------


class TicketOlaView(APIView):
    """The ticket's OLA timers (all queues it went through), with remaining business time now."""

    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="tickets_ola",
        responses={200: TicketOlaSerializer, **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = get_visible_ticket(request.user, ticket_id)
        data = selectors.ticket_ola(ticket)
        data["timers"] = selectors.ticket_timers(ticket, now=data["now"])
        return Response(TicketOlaSerializer(data).data)
