"""People: the list, one person, create and PATCH, deactivate (handing over their tickets) and
reactivate. While an integration owns the org chart (accounts.chart), the fields it syncs and
the person's being active are refused with 409 `chart_owned_elsewhere`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import selectors, services
from andon.accounts.api.auth import RoleRefSerializer
from andon.accounts.api.common import body, path_id
from andon.accounts.chart import refuse_chart_change
from andon.core.api import (
    DepartmentRefSerializer,
    EmailOrBlankField,
    IdField,
    PermissionByMethod,
    UserRefSerializer,
    error_responses,
)
from andon.core.errors import NotFound, ValidationFailed

USER_FIELDS = (
    "username",
    "display_name",
    "email",
    "mobile",
    "wecom_userid",
    "department",
    "direct_leaders",
    "roles",
    "is_available",
    "password",
)
# The API's names of the fields an org chart owner syncs (accounts.chart.CHART_FIELDS).
CHART_OWNED_FIELDS = ("username", "display_name", "wecom_userid", "department", "direct_leaders")


def _chart_changes(data: dict, current: dict | None) -> list[str]:
    """The chart-owned fields `data` would change (all it names, for a new person), so that a
    GET representation sent back unchanged is not refused."""
    if current is None:
        return [field for field in CHART_OWNED_FIELDS if field in data]
    now = {
        "username": current["username"],
        "display_name": current["display_name"],
        "wecom_userid": current["wecom_userid"],
        "department": (current["department"] or {}).get("id"),
        "direct_leaders": sorted(leader["id"] for leader in current["direct_leaders"]),
    }
    sent = dict(data)
    if isinstance(sent.get("direct_leaders"), list):
        sent["direct_leaders"] = sorted(sent["direct_leaders"], key=str)
    return [f for f in CHART_OWNED_FIELDS if f in sent and sent[f] != now[f]]


def _user_body(request, **round_trip) -> dict:
    data = body(request, USER_FIELDS, **round_trip)
    refuse_chart_change(_chart_changes(data, round_trip.get("current")))
    if "department" in data:
        data["main_department"] = data.pop("department")
    return data


def _call_user_service(service, **kwargs):
    """The API says `department` where the service says `main_department`."""
    try:
        return service(**kwargs)
    except ValidationFailed as exc:
        if "main_department" in exc.errors:
            exc.errors["department"] = exc.errors.pop("main_department")
        raise


class UserWriteSerializer(serializers.Serializer):
    """Shape of a person for create (username required) and PATCH (any subset)."""

    username = serializers.CharField(help_text="account; unique, case-insensitive")
    display_name = serializers.CharField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    mobile = serializers.CharField(required=False, allow_blank=True)
    wecom_userid = serializers.CharField(required=False, allow_null=True)
    department = IdField(required=False, allow_null=True, help_text="main department id")
    direct_leaders = serializers.ListField(child=IdField(), required=False)
    roles = serializers.ListField(child=IdField(), required=False)
    is_available = serializers.BooleanField(required=False)
    password = serializers.CharField(required=False, write_only=True)


class UserDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    email = EmailOrBlankField(read_only=True)
    mobile = serializers.CharField(read_only=True)
    wecom_userid = serializers.CharField(read_only=True, allow_null=True)
    department = DepartmentRefSerializer(source="main_department", allow_null=True, read_only=True)
    direct_leaders = UserRefSerializer(many=True, read_only=True, source="direct_leaders.all")
    roles = RoleRefSerializer(many=True, read_only=True, source="roles.all")
    is_active = serializers.BooleanField(read_only=True)
    is_available = serializers.BooleanField(read_only=True)
    open_tickets = serializers.IntegerField(
        read_only=True,
        help_text="unfinished tickets this person owns (a deactivation hands them over)",
    )


def _user_detail(user_id) -> dict:
    user = selectors.person_detail(user_id)
    if user is None:
        raise NotFound(_("人员不存在"))
    user.open_tickets = selectors.unfinished_ticket_count(user)
    return UserDetailSerializer(user).data


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = EmailOrBlankField(read_only=True)
    mobile = serializers.CharField(read_only=True)
    department = DepartmentRefSerializer(source="main_department", allow_null=True, read_only=True)
    is_available = serializers.BooleanField(read_only=True)


class UserListView(generics.ListAPIView):
    """Active people (needs `people.view`); POST creates a person (`people.manage`)."""

    serializer_class = UserSerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.view", "POST": "people.manage"}
    filter_backends: list = []

    @extend_schema(
        operation_id="users_list",
        responses={200: UserSerializer(many=True), **error_responses(400, 401, 403)},
        parameters=[
            OpenApiParameter("q", str, description="text in the name, account, e-mail or mobile")
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        q = self.request.query_params.get("q", "")
        if len(q) > 100:
            raise ValidationFailed(_("搜索词太长"), errors={"q": [_("不能超过 100 个字符")]})
        return selectors.user_list(q=q)

    @extend_schema(
        operation_id="users_create",
        request=UserWriteSerializer,
        responses={201: UserDetailSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        refuse_chart_change()  # a new person is a change to the chart
        user = _call_user_service(
            services.create_user, actor=request.user, data=_user_body(request)
        )
        return Response(_user_detail(user.pk), status=status.HTTP_201_CREATED)


class UserDetailView(APIView):
    """One person with roles, leaders and how many unfinished tickets they own. PATCH changes
    any subset of the fields (`people.manage`); deactivating has its own endpoint."""

    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.view", "PATCH": "people.manage", "PUT": "people.manage"}

    @extend_schema(
        operation_id="users_retrieve",
        responses={200: UserDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, user_id):
        return Response(_user_detail(path_id(user_id, _("人员不存在"))))

    @extend_schema(
        operation_id="users_partial_update",
        request=UserWriteSerializer(partial=True),
        responses={200: UserDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, user_id):
        pk = path_id(user_id, _("人员不存在"))
        data = _user_body(
            request,
            read=UserDetailSerializer,
            current=_user_detail(pk),
            references=("department", "direct_leaders", "roles"),
        )
        user = _call_user_service(services.update_user, actor=request.user, user_id=pk, data=data)
        return Response(_user_detail(user.pk))

    @extend_schema(
        operation_id="users_update",
        request=UserWriteSerializer(partial=True),
        responses={200: UserDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="The GET representation with your edits (read-only fields are ignored).",
    )
    def put(self, request, user_id):
        return self.patch(request, user_id)


class DeactivateSerializer(serializers.Serializer):
    successor = IdField(
        required=False,
        allow_null=True,
        help_text="who takes over the person's unfinished tickets (needed when there are any)",
    )


class UserDeactivateView(APIView):
    """停用. A person who owns unfinished tickets needs a `successor`, who receives each of them
    as it is (409 `has_open_tickets` otherwise)."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "people.manage"}

    @extend_schema(
        operation_id="users_deactivate",
        request=DeactivateSerializer,
        responses={200: UserDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, user_id):
        pk = path_id(user_id, _("人员不存在"))
        refuse_chart_change()
        serializer = DeactivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.deactivate_user(
            actor=request.user,
            user_id=pk,
            successor_id=serializer.validated_data.get("successor"),
        )
        return Response(_user_detail(pk))


class UserReactivateView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "people.manage"}

    @extend_schema(
        operation_id="users_reactivate",
        request=None,
        responses={200: UserDetailSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, user_id):
        pk = path_id(user_id, _("人员不存在"))
        refuse_chart_change()
        services.reactivate_user(actor=request.user, user_id=pk)
        return Response(_user_detail(pk))
