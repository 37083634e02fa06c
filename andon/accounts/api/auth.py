"""Token log-in (trade a password for the API token, list and revoke it) and the caller's own
profile."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import services
from andon.accounts.models import Role
from andon.core.api import (
    DepartmentRefSerializer,
    EmailOrBlankField,
    PermissionByMethod,
    QueueRefSerializer,
    error_responses,
)
from andon.core.errors import ValidationFailed
from andon.core.throttling import PerUserThrottle, PostByAccountThrottle, PostByAddressThrottle
from andon.queues.models import Queue


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenInfoSerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text="the token's first characters, to recognise it")
    created = serializers.DateTimeField()


class AuthTokenView(APIView):
    """POST trades a username and password for the caller's API token (throttled per address
    and per account; repeated wrong passwords lock both for a while: 429 with Retry-After);
    GET lists the caller's tokens without their secret; DELETE revokes them (the next POST
    issues a new one). Tokens are also revoked when the password changes or the account is
    deactivated."""

    throttle_classes = [PerUserThrottle, PostByAddressThrottle, PostByAccountThrottle]
    throttle_scope_address = "token_address"
    throttle_scope_account = "token_account"

    def get_authenticators(self):
        # Logging in must not depend on (or be blocked by) whatever credentials came along.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if getattr(self.request, "method", None) == "POST":
            return [AllowAny()]
        return [PermissionByMethod()]

    @extend_schema(
        operation_id="auth_token_create",
        request=LoginSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
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
        operation_id="auth_token_list",
        responses={200: TokenInfoSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        tokens = Token.objects.filter(user=request.user)
        return Response(
            TokenInfoSerializer(
                [{"prefix": t.key[:6], "created": t.created} for t in tokens], many=True
            ).data
        )

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request):
        services.revoke_api_tokens(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "code", "name"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = EmailOrBlankField()
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
