"""Field templates API (字段模板): read by everyone who files tickets (to build the filing form),
written by holders of `fields.manage`. The rules live in `andon.fields.services`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.catalog.models import CatalogEntry
from andon.core.api import (
    IdField,
    PermissionByMethod,
    editable_body,
    error_responses,
    parse_id,
)
from andon.core.errors import NotFound, ValidationFailed
from andon.fields import selectors, services
from andon.fields.models import FieldDefinition, FieldType


class FieldSerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField(help_text="catalog entry ids the field applies to")
    min_value = serializers.SerializerMethodField()
    max_value = serializers.SerializerMethodField()
    default = serializers.JSONField(read_only=True, allow_null=True)
    options = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = FieldDefinition
        fields = [
            "id",
            "name",
            "key",
            "type",
            "required",
            "options",
            "help_text",
            "default",
            "min_value",
            "max_value",
            "order",
            "is_active",
            "scope",
        ]
        read_only_fields = fields

    def get_scope(self, field) -> list[int]:
        return sorted(entry.pk for entry in field.scope.all())

    def _number(self, value) -> float | int | None:
        if value is None:
            return None
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)

    def get_min_value(self, field) -> float | None:
        return self._number(field.min_value)

    def get_max_value(self, field) -> float | None:
        return self._number(field.max_value)


class FieldWriteSerializer(serializers.Serializer):
    """Documents the body; values are checked by the service, which answers per-field 400s."""

    name = serializers.CharField(required=False, help_text="mandatory on create, at most 50")
    key = serializers.CharField(
        required=False, help_text="lowercase identifier; derived from the name when omitted"
    )
    type = serializers.ChoiceField(
        choices=FieldType.choices, required=False, help_text="mandatory on create; fixed after"
    )
    required = serializers.BooleanField(required=False, help_text="mandatory on create")
    options = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="select / multiselect only"
    )
    help_text = serializers.CharField(required=False, allow_blank=True)
    default = serializers.JSONField(required=False, allow_null=True)
    min_value = serializers.FloatField(required=False, allow_null=True, help_text="number only")
    max_value = serializers.FloatField(required=False, allow_null=True, help_text="number only")
    scope = serializers.ListField(child=IdField(), required=False, help_text="catalog entry ids")
    order = serializers.IntegerField(required=False, min_value=0)


class FieldQuerySerializer(serializers.Serializer):
    scope = IdField(
        required=False,
        help_text="only fields that apply to this catalog entry (a level-1 id also matches "
        "fields scoped to its level-2 entries)",
    )
    is_active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true / false"
    )
    type = serializers.ChoiceField(choices=FieldType.choices, required=False)


class ReorderSerializer(serializers.Serializer):
    order = serializers.ListField(child=IdField(), allow_empty=False, help_text="field ids")


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("请求体应为对象"), errors={"non_field_errors": [_("应为对象")]})
    return dict(request.data)


def _detail(field_id: int) -> Response:
    field = selectors.field_list().get(pk=field_id)
    return Response(FieldSerializer(field).data)


def _field_pk(field_id) -> int:
    pk = parse_id(field_id)
    if pk is None or not FieldDefinition.objects.filter(pk=pk).exists():
        raise NotFound(_("字段不存在"))
    return pk


class FieldListView(APIView):
    """Field templates in the filing-form order."""

    parser_classes = [JSONParser]
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "fields.manage"}

    @extend_schema(
        operation_id="fields_list",
        parameters=[FieldQuerySerializer],
        responses={200: FieldSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        query = FieldQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        fields = selectors.field_list(
            scope_ids=[data["scope"]] if data.get("scope") else None,
            active=data.get("is_active"),
            type=data.get("type"),
        )
        return Response(FieldSerializer(fields, many=True).data)

    @extend_schema(
        operation_id="fields_create",
        request=FieldWriteSerializer,
        responses={201: FieldSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        field = services.create_field(actor=request.user, data=_body(request))
        response = _detail(field.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class FieldDetailView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [PermissionByMethod]
    required_perms = {"PATCH": "fields.manage", "PUT": "fields.manage"}

    @extend_schema(
        operation_id="fields_retrieve",
        responses={200: FieldSerializer, **error_responses(401, 404)},
    )
    def get(self, request, field_id):
        return _detail(_field_pk(field_id))

    @extend_schema(
        operation_id="fields_partial_update",
        request=FieldWriteSerializer,
        responses={200: FieldSerializer, **error_responses(400, 401, 403, 404)},
        description="Change any attribute but the type and the key. Values already stored on "
        "tickets are never rewritten.",
    )
    def patch(self, request, field_id):
        pk = _field_pk(field_id)
        body = editable_body(
            request.data,
            write=FieldWriteSerializer,
            read=FieldSerializer,
            current=FieldSerializer(selectors.field_list().get(pk=pk)).data,
        )
        services.update_field(actor=request.user, field_id=pk, data=body)
        return _detail(pk)

    @extend_schema(
        operation_id="fields_replace",
        request=FieldWriteSerializer,
        responses={200: FieldSerializer, **error_responses(400, 401, 403, 404)},
        description="The GET representation with your edits: read-only fields are ignored, "
        "unknown ones refused.",
    )
    def put(self, request, field_id):
        return self.patch(request, field_id)


class _ActiveView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "fields.manage"}
    active = True

    def post(self, request, field_id):
        pk = _field_pk(field_id)
        services.set_field_active(actor=request.user, field_id=pk, active=self.active)
        return _detail(pk)


class FieldRetireView(_ActiveView):
    active = False

    @extend_schema(
        operation_id="fields_retire",
        request=None,
        responses={200: FieldSerializer, **error_responses(401, 403, 404)},
        description="Hide the field from new tickets; values on existing tickets stay.",
    )
    def post(self, request, field_id):
        return super().post(request, field_id)


class FieldRestoreView(_ActiveView):
    active = True

    @extend_schema(
        operation_id="fields_restore",
        request=None,
        responses={200: FieldSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, field_id):
        return super().post(request, field_id)


class FieldReorderView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "fields.manage"}

    @extend_schema(
        operation_id="fields_reorder",
        request=ReorderSerializer,
        responses={200: FieldSerializer(many=True), **error_responses(400, 401, 403)},
        description="Set the filing-form order: the listed fields come first, in this order.",
    )
    def post(self, request):
        serializer = ReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reorder_fields(actor=request.user, field_ids=serializer.validated_data["order"])
        return Response(FieldSerializer(selectors.field_list(), many=True).data)


class CatalogEntryFieldsView(APIView):
    """The active fields of the filing form for this catalog entry, in order (a level-2 entry
    also gets the fields scoped to its level-1 entry)."""

    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="catalog_fields",
        responses={200: FieldSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, entry_id):
        pk = parse_id(entry_id)
        entry = CatalogEntry.objects.filter(pk=pk).first() if pk else None
        if entry is None:
            raise NotFound(_("服务目录不存在"))
        fields = selectors.fields_for_entry(entry).prefetch_related("scope")
        return Response(FieldSerializer(fields, many=True).data)
