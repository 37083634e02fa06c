"""Accounts API: token log-in, the caller's profile, people and the org chart."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import selectors
from andon.accounts.models import Department, Role
from andon.core.api import (
    DepartmentRefSerializer,
    PermissionByMethod,
    QueueRefSerializer,
    UserRefSerializer,
    error_responses,
)
from andon.core.errors import ValidationFailed
from andon.queues.models import Queue

# --- token log-in ---------------------------------------------------------------------------


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class AuthTokenView(APIView):
    """POST trades a username and password for the caller's API token; DELETE revokes the token
    the request was made with (the next POST issues a new one)."""

    def get_authenticators(self):
        # Logging in must not depend on (or be blocked by) whatever credentials came along.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if getattr(self.request, "method", None) == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        request=LoginSerializer,
        responses={200: TokenSerializer, **error_responses(400)},
        auth=[],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            message = _("用户名或密码不正确")
            raise ValidationFailed(
                message, code="invalid_credentials", errors={"non_field_errors": [message]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- me -------------------------------------------------------------------------------------


class RoleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "code", "name"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    mobile = serializers.CharField()
    is_available = serializers.BooleanField()
    department = DepartmentRefSerializer(source="main_department", allow_null=True)
    roles = RoleRefSerializer(many=True, source="roles.all")
    permissions = serializers.SerializerMethodField()
    queues = serializers.SerializerMethodField()

    def get_permissions(self, user) -> list[str]:
        return sorted(user.permission_codes)

    @extend_schema_field(QueueRefSerializer(many=True))
    def get_queues(self, user) -> list[dict]:
        queues = Queue.objects.filter(memberships__user=user).order_by("id")
        return QueueRefSerializer(queues, many=True).data


class MeView(APIView):
    @extend_schema(
        operation_id="me_retrieve", responses={200: MeSerializer, **error_responses(401)}
    )
    def get(self, request):
        user = request.user
        # One roles query serves both the role list and the permission codes.
        prefetch_related_objects([user], "roles")
        return Response(MeSerializer(user).data)


# --- people and departments -----------------------------------------------------------------


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    mobile = serializers.CharField(read_only=True)
    department = DepartmentRefSerializer(source="main_department", allow_null=True, read_only=True)
    is_available = serializers.BooleanField(read_only=True)


class UserListView(generics.ListAPIView):
    """Active people (needs `people.view`)."""

    serializer_class = UserSerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.view"}
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


class DepartmentSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", allow_null=True, read_only=True)
    depth = serializers.IntegerField(read_only=True)
    leaders = UserRefSerializer(many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "parent", "depth", "order", "leaders"]
        read_only_fields = fields


class DepartmentListView(APIView):
    """The org chart as a flat list in tree order: each department follows its parent, `depth`
    says how deep it sits (0 for a root). Needs `people.view`."""

    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.view"}

    @extend_schema(
        operation_id="departments_list",
        responses={200: DepartmentSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(DepartmentSerializer(selectors.department_tree(), many=True).data)
