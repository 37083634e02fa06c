"""Roles with their permission codes, a role's members, and the permission catalogue."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import selectors, services
from andon.accounts.api.common import body, path_id
from andon.core.api import IdField, PermissionByMethod, UserRefSerializer, error_responses, parse_id
from andon.core.errors import NotFound, ValidationFailed

ROLE_FIELDS = ("name", "description", "permissions")


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    builtin = serializers.BooleanField(read_only=True)
    editable = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)

    def get_editable(self, role) -> bool:
        return role.code != "admin"

    def get_permissions(self, role) -> list[str]:
        return sorted(role.permission_codes)


class RoleDetailSerializer(RoleSerializer):
    members = UserRefSerializer(many=True, read_only=True)


class RoleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    permissions = serializers.ListField(
        child=serializers.CharField(), help_text="permission codes, see GET /api/v1/permissions/"
    )


class RoleMembersSerializer(serializers.Serializer):
    users = serializers.ListField(child=IdField(), allow_empty=True)


def _role_detail(role_id) -> dict:
    role = selectors.role_list().filter(pk=role_id).first()
    if role is None:
        raise NotFound(_("角色不存在"))
    role.members = list(selectors.role_members(role))
    return RoleDetailSerializer(role).data


class RoleListView(APIView):
    """Roles with their permission codes; the built-in 管理员 role always holds every code and
    cannot be edited (`editable` false)."""

    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.view", "POST": "roles.manage"}

    @extend_schema(
        operation_id="roles_list",
        responses={200: RoleSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(RoleSerializer(selectors.role_list(), many=True).data)

    @extend_schema(
        operation_id="roles_create",
        request=RoleWriteSerializer,
        responses={201: RoleDetailSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        role = services.create_role(actor=request.user, data=body(request, ROLE_FIELDS))
        return Response(_role_detail(role.pk), status=status.HTTP_201_CREATED)


class RoleDetailView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {
        "GET": "people.view",
        "PATCH": "roles.manage",
        "PUT": "roles.manage",
        "DELETE": "roles.manage",
    }

    @extend_schema(
        operation_id="roles_retrieve",
        responses={200: RoleDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, role_id):
        return Response(_role_detail(path_id(role_id, _("角色不存在"))))

    @extend_schema(
        operation_id="roles_partial_update",
        request=RoleWriteSerializer(partial=True),
        responses={200: RoleDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, role_id):
        pk = path_id(role_id, _("角色不存在"))
        data = body(request, ROLE_FIELDS, read=RoleDetailSerializer, current=_role_detail(pk))
        role = services.update_role(actor=request.user, role_id=pk, data=data)
        return Response(_role_detail(role.pk))

    @extend_schema(
        operation_id="roles_update",
        request=RoleWriteSerializer(partial=True),
        responses={200: RoleDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="The GET representation with your edits (read-only fields are ignored).",
    )
    def put(self, request, role_id):
        return self.patch(request, role_id)

    @extend_schema(
        operation_id="roles_destroy",
        parameters=[
            OpenApiParameter(
                "replacement", int, description="role that the deleted role's members move to"
            )
        ],
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    )
    def delete(self, request, role_id):
        replacement = request.query_params.get("replacement")
        if replacement not in (None, "") and parse_id(replacement) is None:
            raise ValidationFailed(
                _("替代角色不存在"), errors={"replacement": [_("替代角色不存在")]}
            )
        services.delete_role(
            actor=request.user,
            role_id=path_id(role_id, _("角色不存在")),
            replacement_id=parse_id(replacement) if replacement else None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleMembersView(APIView):
    """Replace the role's members with `users` (the admin role keeps at least one active
    member)."""

    permission_classes = [PermissionByMethod]
    required_perms = {"PUT": "roles.manage"}

    @extend_schema(
        operation_id="roles_members_update",
        request=RoleMembersSerializer,
        responses={200: RoleDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def put(self, request, role_id):
        pk = path_id(role_id, _("角色不存在"))
        serializer = RoleMembersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.set_role_members(
            actor=request.user, role_id=pk, user_ids=serializer.validated_data["users"]
        )
        return Response(_role_detail(pk))


class PermissionItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class PermissionGroupSerializer(serializers.Serializer):
    area = serializers.CharField()
    label = serializers.CharField()
    permissions = PermissionItemSerializer(many=True)


class PermissionListView(APIView):
    """Every permission code, grouped by area, with labels in the caller's language."""

    @extend_schema(
        operation_id="permissions_list",
        responses={200: PermissionGroupSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        return Response(selectors.permission_groups())
