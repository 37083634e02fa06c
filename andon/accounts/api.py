"""Accounts API: token log-in, the caller's profile, people and the org chart."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import importing, selectors, services
from andon.accounts.models import Department, ImportJob, Role
from andon.core.api import (
    DepartmentRefSerializer,
    EmailOrBlankField,
    IdField,
    PermissionByMethod,
    QueueRefSerializer,
    UserRefSerializer,
    editable_body,
    error_responses,
    parse_id,
)
from andon.core.errors import NotFound, ValidationFailed
from andon.core.throttling import PerUserThrottle, PostByAccountThrottle, PostByAddressThrottle
from andon.queues.models import Queue

# --- token log-in ---------------------------------------------------------------------------


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


# --- people and departments -----------------------------------------------------------------

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
DEPARTMENT_FIELDS = ("name", "parent", "order", "leaders")


def _body(request, fields, *, read=None, current=None, references=()) -> dict:
    """The request's JSON object, reduced to the fields a service accepts; the service
    validates every value. Anything but an object is a 400. With `read` (a detail view's
    PATCH/PUT) the GET representation may come back as is (andon.core.api.editable_body)."""
    if read is not None:
        return editable_body(
            request.data, write=fields, read=read, current=current, references=references
        )
    data = request.data
    if not hasattr(data, "keys"):
        raise ValidationFailed(
            _("请求体应为 JSON 对象"), errors={"non_field_errors": [_("请求体应为 JSON 对象")]}
        )
    unknown = sorted(set(data.keys()) - set(fields))
    if unknown:
        message = _("不支持的字段：%s") % "、".join(unknown)
        raise ValidationFailed(message, errors={key: [_("不支持的字段")] for key in unknown})
    return {key: data[key] for key in fields if key in data}


def _user_body(request, **round_trip) -> dict:
    data = _body(request, USER_FIELDS, **round_trip)
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


class DepartmentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    parent = IdField(required=False, allow_null=True)
    order = serializers.IntegerField(required=False, min_value=0)
    leaders = serializers.ListField(child=IdField(), required=False)


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
        responses={201: UserDetailSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        user = _call_user_service(
            services.create_user, actor=request.user, data=_user_body(request)
        )
        return Response(_user_detail(user.pk), status=status.HTTP_201_CREATED)


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
    required_perms = {"GET": "people.view", "POST": "people.manage"}

    @extend_schema(
        operation_id="departments_create",
        request=DepartmentWriteSerializer,
        responses={201: DepartmentSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        department = services.create_department(
            actor=request.user, data=_body(request, DEPARTMENT_FIELDS)
        )
        return Response(_department_detail(department.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="departments_list",
        responses={200: DepartmentSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(DepartmentSerializer(selectors.department_tree(), many=True).data)


def _department_detail(department_id) -> dict:
    department = next((d for d in selectors.department_tree() if d.pk == department_id), None)
    if department is None:
        raise NotFound(_("部门不存在"))
    return DepartmentSerializer(department).data


def _path_id(value, message) -> int:
    pk = parse_id(value)
    if pk is None:
        raise NotFound(message)
    return pk


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
        return Response(_user_detail(_path_id(user_id, _("人员不存在"))))

    @extend_schema(
        operation_id="users_partial_update",
        request=UserWriteSerializer(partial=True),
        responses={200: UserDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, user_id):
        pk = _path_id(user_id, _("人员不存在"))
        body = _user_body(
            request,
            read=UserDetailSerializer,
            current=_user_detail(pk),
            references=("department", "direct_leaders", "roles"),
        )
        user = _call_user_service(services.update_user, actor=request.user, user_id=pk, data=body)
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
        pk = _path_id(user_id, _("人员不存在"))
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
        pk = _path_id(user_id, _("人员不存在"))
        services.reactivate_user(actor=request.user, user_id=pk)
        return Response(_user_detail(pk))


class DepartmentDetailView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {
        "GET": "people.view",
        "PATCH": "people.manage",
        "DELETE": "people.manage",
    }

    @extend_schema(
        operation_id="departments_retrieve",
        responses={200: DepartmentSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, department_id):
        return Response(_department_detail(_path_id(department_id, _("部门不存在"))))

    @extend_schema(
        operation_id="departments_partial_update",
        request=DepartmentWriteSerializer(partial=True),
        responses={200: DepartmentSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, department_id):
        department = services.update_department(
            actor=request.user,
            department_id=_path_id(department_id, _("部门不存在")),
            data=_body(request, DEPARTMENT_FIELDS),
        )
        return Response(_department_detail(department.pk))

    @extend_schema(
        operation_id="departments_destroy",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, department_id):
        services.delete_department(
            actor=request.user, department_id=_path_id(department_id, _("部门不存在"))
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- roles and permissions -------------------------------------------------------------------

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
        role = services.create_role(actor=request.user, data=_body(request, ROLE_FIELDS))
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
        return Response(_role_detail(_path_id(role_id, _("角色不存在"))))

    @extend_schema(
        operation_id="roles_partial_update",
        request=RoleWriteSerializer(partial=True),
        responses={200: RoleDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, role_id):
        pk = _path_id(role_id, _("角色不存在"))
        body = _body(request, ROLE_FIELDS, read=RoleDetailSerializer, current=_role_detail(pk))
        role = services.update_role(actor=request.user, role_id=pk, data=body)
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
            role_id=_path_id(role_id, _("角色不存在")),
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
        pk = _path_id(role_id, _("角色不存在"))
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


# --- import and export -----------------------------------------------------------------------


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    data = serializers.DictField(child=serializers.CharField(allow_blank=True))
    errors = serializers.DictField(child=serializers.CharField())
    action = serializers.ChoiceField(choices=["create", "update"])


class ImportJobSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="people or departments")
    percent = serializers.IntegerField(read_only=True)
    rows = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "state",
            "file_name",
            "total",
            "processed",
            "percent",
            "created_count",
            "updated_count",
            "skipped_count",
            "error",
            "created_at",
            "finished_at",
            "rows",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportRowSerializer(many=True, allow_null=True))
    def get_rows(self, job):
        return job.rows if self.context.get("rows") else None


class ImportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    file = serializers.FileField(help_text="CSV (UTF-8 or GBK) or XLSX, at most 5 MB")


def _own_job(request, job_id) -> ImportJob:
    job = ImportJob.objects.filter(
        pk=_path_id(job_id, _("导入任务不存在")), created_by=request.user
    ).first()
    if job is None:
        raise NotFound(_("导入任务不存在"))
    return job


class ImportCreateView(APIView):
    """Upload a file: every row is parsed and validated, nothing changes yet. The answer is the
    preview (`rows` with per-row `errors`); confirm it to apply the valid rows."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "people.manage"}

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: ImportJobSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = ImportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = importing.start_import(
            actor=request.user,
            kind=serializer.validated_data["kind"],
            upload=serializer.validated_data["file"],
        )
        return Response(
            ImportJobSerializer(job, context={"rows": True}).data, status=status.HTTP_201_CREATED
        )


class ImportDetailView(APIView):
    """The job's state and progress (`processed` of `total`, `percent`); `?rows=1` adds the
    preview rows."""

    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.manage"}

    @extend_schema(
        operation_id="imports_retrieve",
        parameters=[OpenApiParameter("rows", bool, description="include the parsed rows")],
        responses={200: ImportJobSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, job_id):
        job = _own_job(request, job_id)
        with_rows = request.query_params.get("rows", "") in ("1", "true", "yes")
        return Response(ImportJobSerializer(job, context={"rows": with_rows}).data)


class ImportConfirmView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "people.manage"}

    @extend_schema(
        operation_id="imports_confirm",
        request=None,
        responses={202: ImportJobSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, job_id):
        job = _own_job(request, job_id)
        importing.confirm_import(actor=request.user, job_id=job.pk)
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


EXPORT_FILE_NAMES = {"people": "people", "departments": "departments"}


class ExportView(APIView):
    """The whole table as CSV (UTF-8 with BOM, opens in Excel) or XLSX, in the import's columns
    so an export can be edited and imported back."""

    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "people.manage"}
    kind = "people"
    fmt = "csv"

    @extend_schema(
        responses={
            (200, "text/csv"): bytes,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): bytes,
            **error_responses(401, 403),
        },
    )
    def get(self, request):
        rows = importing.people_rows() if self.kind == "people" else importing.department_rows()
        content, content_type = importing.export_table(rows, self.fmt)
        response = HttpResponse(content, content_type=content_type)
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f'attachment; filename="{EXPORT_FILE_NAMES[self.kind]}-{stamp}.{self.fmt}"'
        )
        return response
