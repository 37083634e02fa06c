"""Import people or departments from CSV/XLSX (preview, then confirm) and export them in the
same columns. Imports write the org chart, so they are refused while an integration owns it."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts import importing
from andon.accounts.api.common import path_id
from andon.accounts.models import ImportJob
from andon.core.api import PermissionByMethod, error_responses
from andon.core.errors import NotFound


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
        pk=path_id(job_id, _("导入任务不存在")), created_by=request.user
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
        responses={201: ImportJobSerializer, **error_responses(400, 401, 403, 409)},
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
