"""API of auto-confirm / auto-close: a ticket's countdown and a queue's periods."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import error_responses
from andon.core.errors import NotFound
from andon.followup import selectors, services
from andon.followup.models import MAX_CLOSE_DAYS, MAX_CONFIRM_DAYS
from andon.queues.models import Queue
from andon.tickets.selectors import get_visible_ticket


class CountdownSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["confirm", "close"])
    stage_display = serializers.CharField()
    due_at = serializers.DateTimeField()
    seconds_left = serializers.IntegerField()
    remind_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)


class TicketFollowUpSerializer(serializers.Serializer):
    countdown = CountdownSerializer(allow_null=True)


class PeriodsSerializer(serializers.Serializer):
    confirm_after_working_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_CONFIRM_DAYS,
        required=False,
        help_text="working days on the queue's OLA calendar; 0 turns auto-confirm off",
    )
    close_after_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_CLOSE_DAYS,
        required=False,
        help_text="calendar days after done; 0 turns auto-close off",
    )


class TicketFollowUpView(APIView):
    @extend_schema(
        operation_id="tickets_follow_up",
        responses={200: TicketFollowUpSerializer, **error_responses(401, 404)},
        description="When the ticket will be confirmed (待确认) or closed (已完成) by the system.",
    )
    def get(self, request, ticket_id):
        ticket = get_visible_ticket(request.user, ticket_id)
        return Response({"countdown": selectors.countdown(ticket)})


def _queue(queue_id) -> Queue:
    queue = Queue.objects.filter(pk=queue_id).first()
    if queue is None:
        raise NotFound(_("队列不存在"))
    return queue


class QueueFollowUpView(APIView):
    parser_classes = [JSONParser, FormParser]
    required_perms = {"PUT": "queues.manage", "PATCH": "queues.manage"}

    @extend_schema(
        operation_id="queues_follow_up_retrieve",
        responses={200: PeriodsSerializer, **error_responses(401, 404)},
    )
    def get(self, request, queue_id):
        return Response(selectors.queue_periods(_queue(queue_id)))

    @extend_schema(
        operation_id="queues_follow_up_update",
        request=PeriodsSerializer,
        responses={200: PeriodsSerializer, **error_responses(400, 401, 403, 404)},
        description="Set the queue's periods. Running countdowns keep their times; new ones use "
        "the new periods.",
    )
    def put(self, request, queue_id):
        queue = _queue(queue_id)
        body = PeriodsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.save_queue_periods(actor=request.user, queue=queue, data=body.validated_data)
        return Response(selectors.queue_periods(queue))

    @extend_schema(
        operation_id="queues_follow_up_partial_update",
        request=PeriodsSerializer,
        responses={200: PeriodsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, queue_id):
        return self.put(request, queue_id)
