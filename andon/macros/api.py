"""Canned replies API: one's own and one's queues' replies (read), personal ones written by their
owner, shared ones by queue managers; a ticket's replies rendered for it; and applying one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import PermissionByMethod, QueueRefSerializer, editable_body, error_responses
from andon.macros import selectors, services
from andon.macros.models import BODY_MAX, NAME_MAX, Macro, MacroStep
from andon.tickets import selectors as ticket_selectors
from andon.tickets.api import detail_response
from andon.tickets.models import Priority


class MacroSerializer(serializers.ModelSerializer):
    queue = QueueRefSerializer(read_only=True, allow_null=True)
    shared = serializers.BooleanField(source="is_shared", read_only=True)
    # Declared so the schema says "" (no change) is a value: a read-only model field drops blank.
    step = serializers.ChoiceField(choices=MacroStep.choices, allow_blank=True, read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "body",
            "shared",
            "queue",
            "is_internal",
            "step",
            "priority",
            "tags",
            "updated_at",
        ]
        read_only_fields = fields


class MacroWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX * 2, trim_whitespace=False)
    body = serializers.CharField(max_length=BODY_MAX + 100, allow_blank=True, required=False)
    queue = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="share with this queue"
    )
    is_internal = serializers.BooleanField(required=False)
    step = serializers.ChoiceField(choices=MacroStep.choices, required=False, allow_blank=True)
    priority = serializers.ChoiceField(
        choices=[("", "-"), *Priority.choices], required=False, allow_blank=True
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=120), required=False)


class RenderedMacroSerializer(MacroSerializer):
    rendered = serializers.CharField(read_only=True, help_text="the body for this ticket")

    class Meta(MacroSerializer.Meta):
        fields = [*MacroSerializer.Meta.fields, "rendered"]
        read_only_fields = fields


class ApplySerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False, allow_blank=True, max_length=20_000, help_text="edited reply"
    )
    is_internal = serializers.BooleanField(required=False, allow_null=True, default=None)


class WritesMacros(PermissionByMethod):
    def may_use(self, request, view, method: str) -> bool:
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            return services.may_have_macros(request.user) or selectors.manages_shared(request.user)
        return super().may_use(request, view, method)


class MacroListView(APIView):
    permission_classes = [WritesMacros]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="macros_list",
        responses={200: MacroSerializer(many=True), **error_responses(401)},
        description="Own replies and those shared with the caller's queues; `?q=` searches.",
    )
    def get(self, request):
        macros = selectors.search(request.user, request.query_params.get("q", ""))[:500]
        return Response(MacroSerializer(macros, many=True).data)

    @extend_schema(
        operation_id="macros_create",
        request=MacroWriteSerializer,
        responses={201: MacroSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        body = MacroWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        macro = services.create_macro(actor=request.user, **body.validated_data)
        return Response(MacroSerializer(macro).data, status=status.HTTP_201_CREATED)


class MacroDetailView(APIView):
    permission_classes = [WritesMacros]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="macros_retrieve",
        responses={200: MacroSerializer, **error_responses(401, 404)},
    )
    def get(self, request, macro_id):
        return Response(MacroSerializer(selectors.get_visible_macro(request.user, macro_id)).data)

    @extend_schema(
        operation_id="macros_partial_update",
        request=MacroWriteSerializer,
        responses={200: MacroSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, macro_id):
        current = MacroSerializer(selectors.get_visible_macro(request.user, macro_id)).data
        data = editable_body(
            request.data,
            write=MacroWriteSerializer,
            read=MacroSerializer,
            references=("queue",),
            current=current,
        )
        body = MacroWriteSerializer(data=data, partial=True)
        body.is_valid(raise_exception=True)
        macro = services.update_macro(actor=request.user, macro_id=macro_id, **body.validated_data)
        return Response(MacroSerializer(macro).data)

    @extend_schema(
        operation_id="macros_destroy", responses={204: None, **error_responses(401, 403, 404)}
    )
    def delete(self, request, macro_id):
        services.delete_macro(actor=request.user, macro_id=macro_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketMacrosView(APIView):
    @extend_schema(
        operation_id="tickets_macros_list",
        responses={200: RenderedMacroSerializer(many=True), **error_responses(401, 404)},
        description="The caller's replies with their placeholders filled in for this ticket.",
    )
    def get(self, request, ticket_id):
        ticket = ticket_selectors.get_visible_ticket(request.user, ticket_id)
        macros = list(selectors.search(request.user, request.query_params.get("q", ""))[:200])
        for macro in macros:
            macro.rendered = services.render_for(macro, ticket=ticket, actor=request.user)
        return Response(RenderedMacroSerializer(macros, many=True).data)


class ApplyMacroView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_macros_apply",
        request=ApplySerializer,
        responses={200: None, **error_responses(400, 401, 403, 404, 409)},
        description="Posts the reply and makes the macro's changes, all or nothing; answers "
        "the updated ticket.",
    )
    def post(self, request, ticket_id, macro_id):
        ticket = ticket_selectors.get_visible_ticket(request.user, ticket_id)
        body = ApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.apply_macro(
            actor=request.user,
            ticket_id=ticket.pk,
            macro_id=macro_id,
            body=body.validated_data.get("body"),
            is_internal=body.validated_data.get("is_internal"),
        )
        return detail_response(request, ticket.pk, after_action=True)
