"""Saved views API: list / create, read / edit / delete, the counts on every tab and the
caller's default view. Thin: the values are cleaned by `savedviews.forms` (the same rules as the
web dialog), the rules live in `savedviews.services`."""

from __future__ import annotations

from django import forms
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import IdField, PermissionByMethod, UserRefSerializer, error_responses
from andon.savedviews import services
from andon.savedviews.forms import DEFAULT_COLUMNS, TABS, clean_columns, clean_filters
from andon.savedviews.models import NAME_MAX
from andon.savedviews.ordering import DEFAULT_SORT, SORTS
from andon.savedviews.selectors import default_view_id, get_visible_view, visible_views
from andon.savedviews.views.listing import COUNT_CAP, view_counts
from andon.tickets.views.listing import _tabs_for, tab_counts


class SavedViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=NAME_MAX)
    shared = serializers.BooleanField(required=False, default=False)
    tab = serializers.ChoiceField(choices=TABS, required=False, default="all")
    filters = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="the ticket list's filters as its query string carries them, e.g. "
        '{"status": "pending,processing", "priority": "L1", "q": "打印机"}',
    )
    columns = serializers.ListField(
        child=serializers.CharField(), required=False, default=list(DEFAULT_COLUMNS)
    )
    sort = serializers.ChoiceField(choices=list(SORTS), required=False, default=DEFAULT_SORT)
    owner = UserRefSerializer(read_only=True)
    is_default = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_is_default(self, view) -> bool:
        return view.pk == self.context.get("default_id")

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("请填写名称")
        return value

    def validate_filters(self, value):
        try:
            return clean_filters(value)
        except forms.ValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_columns(self, value):
        try:
            return clean_columns(value)
        except forms.ValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class SavedViewCreateSerializer(SavedViewSerializer):
    make_default = serializers.BooleanField(required=False, default=False, write_only=True)


def _out(request, view, *, code=status.HTTP_200_OK):
    context = {"default_id": default_view_id(request.user)}
    return Response(SavedViewSerializer(view, context=context).data, status=code)


class SavedViewListView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="views_list",
        responses={200: SavedViewSerializer(many=True), **error_responses(401)},
        description="The caller's own views and the shared ones.",
    )
    def get(self, request):
        views = list(visible_views(request.user).order_by("-shared", "name", "id"))
        context = {"default_id": default_view_id(request.user)}
        return Response(SavedViewSerializer(views, many=True, context=context).data)

    @extend_schema(
        operation_id="views_create",
        request=SavedViewCreateSerializer,
        responses={201: SavedViewSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        body = SavedViewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        view = services.create_view(actor=request.user, **data)
        return _out(request, view, code=status.HTTP_201_CREATED)


class SavedViewDetailView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="views_retrieve",
        responses={200: SavedViewSerializer, **error_responses(401, 404)},
    )
    def get(self, request, view_id):
        return _out(request, get_visible_view(request.user, view_id))

    @extend_schema(
        operation_id="views_partial_update",
        request=SavedViewSerializer,
        responses={200: SavedViewSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, view_id):
        view = get_visible_view(request.user, view_id)
        body = SavedViewSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k in services.EDITABLE}
        view = services.update_view(actor=request.user, view_id=view.pk, **changes)
        return _out(request, view)

    @extend_schema(
        operation_id="views_destroy", responses={204: None, **error_responses(401, 403, 404)}
    )
    def delete(self, request, view_id):
        services.delete_view(actor=request.user, view_id=view_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CountsSerializer(serializers.Serializer):
    tabs = serializers.DictField(child=serializers.IntegerField())
    views = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=f"tickets per view id; a count above {COUNT_CAP} is reported as {COUNT_CAP + 1}",
    )


class SavedViewCountsView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="views_counts",
        responses={200: CountsSerializer, **error_responses(401)},
    )
    def get(self, request):
        user = request.user
        views = list(visible_views(user))
        counts = view_counts(user, views)
        tabs = tab_counts(user, [t.key for t in _tabs_for(user)])
        return Response({"tabs": tabs, "views": {str(k): v for k, v in counts.items()}})


class DefaultViewSerializer(serializers.Serializer):
    view = IdField(allow_null=True)


class DefaultViewView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="views_default_retrieve",
        responses={200: DefaultViewSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response({"view": default_view_id(request.user)})

    @extend_schema(
        operation_id="views_default_update",
        request=DefaultViewSerializer,
        responses={200: DefaultViewSerializer, **error_responses(400, 401, 404)},
        description="`view: null` goes back to the built-in tabs.",
    )
    def put(self, request):
        body = DefaultViewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.set_default_view(actor=request.user, view_id=body.validated_data["view"])
        return Response({"view": default_view_id(request.user)})
