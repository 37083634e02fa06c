"""The org chart's departments: the tree, one department, create, PATCH and delete. Every
department field is the chart's, so while an integration owns it (accounts.chart) writes are
refused with 409 `chart_owned_elsewhere`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import selectors, services
from andon.accounts.api.common import body, path_id
from andon.accounts.chart import refuse_chart_change
from andon.accounts.models import Department
from andon.core.api import IdField, PermissionByMethod, UserRefSerializer, error_responses
from andon.core.errors import NotFound

DEPARTMENT_FIELDS = ("name", "parent", "order", "leaders")


class DepartmentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    parent = IdField(required=False, allow_null=True)
    order = serializers.IntegerField(required=False, min_value=0)
    leaders = serializers.ListField(child=IdField(), required=False)


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
        responses={201: DepartmentSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        refuse_chart_change()
        department = services.create_department(
            actor=request.user, data=body(request, DEPARTMENT_FIELDS)
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
        return Response(_department_detail(path_id(department_id, _("部门不存在"))))

    @extend_schema(
        operation_id="departments_partial_update",
        request=DepartmentWriteSerializer(partial=True),
        responses={200: DepartmentSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, department_id):
        refuse_chart_change()
        department = services.update_department(
            actor=request.user,
            department_id=path_id(department_id, _("部门不存在")),
            data=body(request, DEPARTMENT_FIELDS),
        )
        return Response(_department_detail(department.pk))

    @extend_schema(
        operation_id="departments_destroy",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, department_id):
        refuse_chart_change()
        services.delete_department(
            actor=request.user, department_id=path_id(department_id, _("部门不存在"))
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
