"""Service catalog API: the two-level catalog (read by everyone who files tickets) and creating
entries (`catalog.manage`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.catalog import selectors, services
from andon.catalog.models import CatalogEntry
from andon.core.api import (
    IdField,
    PermissionByMethod,
    editable_body,
    error_responses,
    parse_id,
)
from andon.core.errors import NotFound


class CatalogParentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CatalogQueueSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    is_enabled = serializers.BooleanField(read_only=True)


class CatalogEntrySerializer(serializers.ModelSerializer):
    level = serializers.IntegerField(read_only=True)
    parent = CatalogParentSerializer(read_only=True, allow_null=True)
    queue = CatalogQueueSerializer(read_only=True, allow_null=True)
    has_usable_queue = serializers.SerializerMethodField(
        help_text="level 2 only: bound to an existing, enabled queue (tickets can be dispatched)"
    )

    class Meta:
        model = CatalogEntry
        fields = [
            "id",
            "name",
            "level",
            "parent",
            "queue",
            "has_usable_queue",
            "description",
            "order",
            "is_retired",
        ]
        read_only_fields = fields

    def get_has_usable_queue(self, entry) -> bool:
        return selectors.has_usable_queue(entry)


class CatalogQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=[1, 2], required=False, help_text="1 or 2")
    parent = IdField(required=False, help_text="only the level-2 entries under this level-1 id")
    is_retired = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true / false"
    )


class CatalogEntryCreateSerializer(serializers.Serializer):
    """Shape only; the catalog rules live in `catalog.services.create_catalog_entry`."""

    name = serializers.CharField(trim_whitespace=False)
    parent = IdField(
        required=False, allow_null=True, default=None, help_text="null (or absent) for level 1"
    )
    queue = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the dispatch queue; required for level 2, not allowed for level 1",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    order = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2_147_483_647
    )


class CatalogListView(APIView):
    """The catalog as a flat list in tree order: each level-1 entry followed by its level-2
    entries. `parent` is null for level 1; a level-2 entry names the queue it dispatches to."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "catalog.manage"}

    @extend_schema(
        operation_id="catalog_list",
        parameters=[CatalogQuerySerializer],
        responses={200: CatalogEntrySerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        query = CatalogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = selectors.catalog_entries(
            level=query.validated_data.get("level"),
            parent_id=query.validated_data.get("parent"),
            retired=query.validated_data.get("is_retired"),
        )
        return Response(CatalogEntrySerializer(entries, many=True).data)

    @extend_schema(
        operation_id="catalog_create",
        request=CatalogEntryCreateSerializer,
        responses={201: CatalogEntrySerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = CatalogEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.create_catalog_entry(
            actor=request.user,
            name=data["name"],
            parent_id=data["parent"],
            queue_id=data["queue"],
            description=data["description"],
            order=data["order"],
        )
        entry = CatalogEntry.objects.select_related("parent", "queue").get(pk=entry.pk)
        return Response(CatalogEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class CatalogEntryUpdateSerializer(serializers.Serializer):
    """Shape only; the rules live in `catalog.services.update_catalog_entry`."""

    name = serializers.CharField(required=False, trim_whitespace=False)
    description = serializers.CharField(required=False, allow_blank=True)
    queue = IdField(
        required=False,
        allow_null=True,
        help_text="level 2 only: the dispatch queue for tickets filed from now on",
    )
    order = serializers.IntegerField(required=False, min_value=0, max_value=2_147_483_647)
    is_retired = serializers.BooleanField(
        required=False, help_text="retired entries stay on old tickets but cannot be chosen"
    )


def _entry_response(pk: int) -> dict:
    entry = CatalogEntry.objects.select_related("parent", "queue").get(pk=pk)
    return CatalogEntrySerializer(entry).data


class CatalogDetailView(APIView):
    """One catalog entry; PATCH renames, rebinds, repositions or retires it."""

    permission_classes = [PermissionByMethod]
    required_perms = {"PATCH": "catalog.manage", "PUT": "catalog.manage"}

    def _pk(self, entry_id) -> int:
        pk = parse_id(entry_id)
        if pk is None or not CatalogEntry.objects.filter(pk=pk).exists():
            raise NotFound(_("服务目录不存在"))
        return pk

    @extend_schema(
        operation_id="catalog_retrieve",
        responses={200: CatalogEntrySerializer, **error_responses(401, 404)},
    )
    def get(self, request, entry_id):
        return Response(_entry_response(self._pk(entry_id)))

    @extend_schema(
        operation_id="catalog_update",
        request=CatalogEntryUpdateSerializer,
        responses={200: CatalogEntrySerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, entry_id):
        pk = self._pk(entry_id)
        body = editable_body(
            request.data,
            write=CatalogEntryUpdateSerializer,
            read=CatalogEntrySerializer,
            current=_entry_response(pk),
        )
        serializer = CatalogEntryUpdateSerializer(data=body, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "queue" in data:
            data["queue_id"] = data.pop("queue")
        services.update_catalog_entry(actor=request.user, entry_id=pk, **data)
        return Response(_entry_response(pk))

    @extend_schema(
        operation_id="catalog_replace",
        request=CatalogEntryUpdateSerializer,
        responses={200: CatalogEntrySerializer, **error_responses(400, 401, 403, 404)},
        description="The GET representation with your edits: read-only fields are ignored, "
        "unknown ones refused.",
    )
    def put(self, request, entry_id):
        return self.patch(request, entry_id)


class CatalogReorderSerializer(serializers.Serializer):
    parent = IdField(allow_null=True, help_text="the level-1 id, or null for the level-1 entries")
    order = serializers.ListField(
        child=IdField(), allow_empty=False, help_text="every sibling's id, in the new order"
    )


class CatalogReorderView(APIView):
    """Put siblings in a new order: the level-1 entries (`parent` null) or the level-2 entries
    under one level-1 entry. `order` must list all of them exactly once."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "catalog.manage"}

    @extend_schema(
        operation_id="catalog_reorder",
        request=CatalogReorderSerializer,
        responses={200: CatalogEntrySerializer(many=True), **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = CatalogReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entries = services.reorder_catalog(
            actor=request.user, parent_id=data["parent"], order=data["order"]
        )
        ordered = CatalogEntry.objects.select_related("parent", "queue").in_bulk(
            [e.pk for e in entries]
        )
        return Response(CatalogEntrySerializer([ordered[e.pk] for e in entries], many=True).data)
