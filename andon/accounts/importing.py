"""Import and export of people and departments (CSV or XLSX).

An import is two steps: `start_import` parses the file and validates every row against the
database and the other rows (the preview, with per-row errors); `confirm_import` queues it and the
worker applies the valid rows in chunks (`run_import`), updating progress on the job row. People
are matched by account (账号): existing accounts are updated, new ones created.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts import guards
from andon.accounts.chart import refuse_chart_change
from andon.accounts.models import Department, ImportJob, Role
from andon.accounts.permissions import has_perm
from andon.audit.services import record_audit
from andon.core.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed

User = get_user_model()

MAX_ROWS = 20_000
MAX_COLUMNS = 50
MAX_BYTES = 5 * 1024 * 1024
# An XLSX is a zip of XML: a few kilobytes can inflate to gigabytes, so the parts' declared
# sizes are checked before anything is parsed.
MAX_XLSX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
CHUNK = 100
SEPARATORS = (",", "，", "、", ";", "；")

# Column headers, Chinese first; English accepted too. Order is the export order.
PEOPLE_COLUMNS = {
    "username": ("账号", "username"),
    "display_name": ("姓名", "display_name"),
    "email": ("邮箱", "email"),
    "mobile": ("手机", "mobile"),
    "wecom_userid": ("企业微信账号", "wecom_userid"),
    "department": ("部门", "department"),
    "direct_leaders": ("直属上级", "direct_leaders"),
    "roles": ("角色", "roles"),
    "is_active": ("在职", "is_active"),
    "is_available": ("可接单", "is_available"),
}
DEPARTMENT_COLUMNS = {
    "path": ("部门", "department"),
    "leaders": ("负责人", "leaders"),
}
COLUMNS = {ImportJob.Kind.PEOPLE: PEOPLE_COLUMNS, ImportJob.Kind.DEPARTMENTS: DEPARTMENT_COLUMNS}
YES = {"是", "y", "yes", "true", "1", "在职", "可"}
NO = {"否", "n", "no", "false", "0", "离职", "不可"}


# --- reading files --------------------------------------------------------------------------


def _read_table(upload) -> list[list[str]]:
    name = (upload.name or "").lower()
    if upload.size > MAX_BYTES:
        raise ValidationFailed(_("文件不能超过 5 MB"), errors={"file": [_("文件不能超过 5 MB")]})
    raw = upload.read()
    if name.endswith(".xlsx"):
        return _read_xlsx(raw)
    if name.endswith(".csv"):
        return _read_csv(raw)
    raise ValidationFailed(
        _("请上传 CSV 或 XLSX 文件"), errors={"file": [_("请上传 CSV 或 XLSX 文件")]}
    )


def _read_csv(raw: bytes) -> list[list[str]]:
    # Excel on Chinese Windows saves CSV as GBK; everything else is UTF-8 (maybe with BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(_("无法识别文件编码"), errors={"file": [_("无法识别文件编码")]})
    return list(csv.reader(io.StringIO(text)))


def _file_error(message) -> ValidationFailed:
    return ValidationFailed(message, errors={"file": [message]})


def _read_xlsx(raw: bytes) -> list[list[str]]:
    """The first sheet's cells. The sheet's declared dimension is ignored (it may claim a million
    rows, or lie small); rows and columns are capped as they are read, and the zip's parts are
    size-checked first. openpyxl parses through defusedxml when it is installed (it is)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _file_error(_("文件已损坏或不是 XLSX")) from None
    if inflated > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _file_error(_("XLSX 解压后超过 %s MB") % (MAX_XLSX_UNCOMPRESSED_BYTES // 2**20))
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        raise _file_error(_("文件已损坏或不是 XLSX")) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read what is there, not what the file declares
        rows = []
        # One column past the cap is read to notice a too-wide sheet; nothing beyond is.
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            if len(rows) > MAX_ROWS:  # the header plus MAX_ROWS rows
                raise _file_error(_("一次最多导入 %s 行") % MAX_ROWS)
            cells = ["" if cell is None else str(cell).strip() for cell in row]
            if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
                raise _file_error(_("最多 %s 列") % MAX_COLUMNS)
            rows.append(cells[:MAX_COLUMNS])
    except ValidationFailed:
        raise
    except Exception:
        raise _file_error(_("文件已损坏或不是 XLSX")) from None
    finally:
        workbook.close()
    return rows


def parse_rows(kind: str, table: list[list[str]]) -> list[dict]:
    columns = COLUMNS[kind]
    if not table:
        raise ValidationFailed(_("文件是空的"), errors={"file": [_("文件是空的")]})
    header = [cell.strip().lower() for cell in table[0]]
    positions = {}
    for key, names in columns.items():
        for index, title in enumerate(header):
            if title in {n.lower() for n in names}:
                positions[key] = index
    required = "username" if kind == ImportJob.Kind.PEOPLE else "path"
    if required not in positions:
        title = columns[required][0]
        message = _("缺少「%s」列") % title
        raise ValidationFailed(message, errors={"file": [message]})
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any((cell or "").strip() for cell in cells):
            continue
        data = {
            key: (cells[index].strip() if index < len(cells) and cells[index] else "")
            for key, index in positions.items()
        }
        rows.append({"line": line, "data": data})
    if len(rows) > MAX_ROWS:
        message = _("一次最多导入 %s 行") % MAX_ROWS
        raise ValidationFailed(message, errors={"file": [message]})
    return rows


def _split(value: str) -> list[str]:
    for sep in SEPARATORS[1:]:
        value = value.replace(sep, SEPARATORS[0])
    return [part.strip() for part in value.split(",") if part.strip()]


def _flag(value: str, field: str, errors: dict):
    if value == "":
        return None
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    errors[field] = _("应为「是」或「否」")
    return None


# --- validating rows --------------------------------------------------------------------------


def _department_paths() -> dict[str, Department]:
    departments = list(Department.objects.all())
    by_id = {d.pk: d for d in departments}
    paths = {}
    for department in departments:
        parts, node, seen = [], department, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            parts.append(node.name)
            node = by_id.get(node.parent_id)
        paths["/".join(reversed(parts))] = department
    return paths


def _normalise_path(path: str) -> str:
    return "/".join(part.strip() for part in path.replace("\\", "/").split("/") if part.strip())


def validate_people_rows(rows: list[dict], *, actor=None) -> list[dict]:
    existing = {u.username.lower(): u for u in User.objects.all()}
    wecom_owner = {u.wecom_userid: u.username.lower() for u in existing.values() if u.wecom_userid}
    role_names = {r.name.lower(): r for r in Role.objects.all()}
    in_file = {r["data"].get("username", "").lower() for r in rows}
    seen: set[str] = set()
    for row in rows:
        data, errors = row["data"], {}
        username = data.get("username", "")
        key = username.lower()
        if not username:
            errors["username"] = _("账号必填")
        else:
            try:
                User._meta.get_field("username").run_validators(username)
            except DjangoValidationError as exc:
                errors["username"] = " ".join(exc.messages)
            if key in seen:
                errors["username"] = _("文件中重复的账号")
            seen.add(key)
        if data.get("email"):
            try:
                validate_email(data["email"])
            except DjangoValidationError:
                errors["email"] = _("邮箱格式不正确")
        for field, limit in (("display_name", 100), ("mobile", 30), ("wecom_userid", 64)):
            if len(data.get(field, "")) > limit:
                errors[field] = _("不能超过 %s 个字符") % limit
        wecom = data.get("wecom_userid")
        if wecom and wecom_owner.get(wecom, key) != key:
            errors["wecom_userid"] = _("企业微信账号已被他人使用")
        for leader in _split(data.get("direct_leaders", "")):
            if leader.lower() not in existing and leader.lower() not in in_file:
                errors["direct_leaders"] = _("直属上级「%s」不存在") % leader
            elif leader.lower() == key:
                errors["direct_leaders"] = _("不能把本人设为直属上级")
        for name in _split(data.get("roles", "")):
            if name.lower() not in role_names:
                errors["roles"] = _("角色「%s」不存在") % name
        for flag in ("is_active", "is_available"):
            _flag(data.get(flag, ""), flag, errors)
        if actor is not None and not errors:
            errors.update(_guard_errors(actor, existing.get(key), data, role_names))
        row["errors"] = errors
        row["action"] = "update" if key in existing else "create"
    return rows


def _guard_errors(actor, user, data: dict, role_names: dict) -> dict:
    """What the services' guards would refuse for this row (shown in the preview; applying the
    row runs the same guards again, through the same services)."""
    errors = {}
    if user is not None:
        reason = guards.admin_change_refusal(actor, user)
        if reason:
            return {"username": reason}
    if data.get("roles"):
        after = [role_names[n.lower()] for n in _split(data["roles"])]
        before = list(user.roles.all()) if user is not None else []
        reason = guards.grant_refusal(actor, before=before, after=after)
        if reason:
            errors["roles"] = reason
    if user is not None and user.is_active and _flag(data.get("is_active", ""), "", {}) is False:
        refusal = guards.deactivation_refusal(actor, user, has_successor=False)
        if refusal:
            errors["is_active"] = refusal[1]
    return errors


def validate_department_rows(rows: list[dict]) -> list[dict]:
    usernames = {u.lower() for u in User.objects.values_list("username", flat=True)}
    paths = _department_paths()
    seen: set[str] = set()
    for row in rows:
        data, errors = row["data"], {}
        path = _normalise_path(data.get("path", ""))
        data["path"] = path
        if not path:
            errors["path"] = _("部门必填")
        elif any(len(part) > 100 for part in path.split("/")):
            errors["path"] = _("部门名称不能超过 100 个字符")
        elif path in seen:
            errors["path"] = _("文件中重复的部门")
        seen.add(path)
        for leader in _split(data.get("leaders", "")):
            if leader.lower() not in usernames:
                errors["leaders"] = _("负责人「%s」不存在") % leader
        row["errors"] = errors
        row["action"] = "update" if path in paths else "create"
    return rows


# --- the job ----------------------------------------------------------------------------------


def _require(actor) -> None:
    if not has_perm(actor, "people.manage"):
        raise PermissionDenied(_("没有管理人员与组织的权限"))


def start_import(*, actor, kind: str, upload) -> ImportJob:
    """Parse and validate the file; return a job in the preview state. Nothing is changed yet.
    Parsing runs outside any transaction (a big sheet must not hold the database's write lock);
    only the job row is written."""
    _require(actor)
    if kind not in ImportJob.Kind.values:
        raise ValidationFailed(_("导入类型不正确"), errors={"kind": [_("导入类型不正确")]})
    # Every import writes departments, names or leaders, which an external owner syncs.
    refuse_chart_change()
    rows = parse_rows(kind, _read_table(upload))
    if kind == ImportJob.Kind.PEOPLE:
        rows = validate_people_rows(rows, actor=actor)
    else:
        rows = validate_department_rows(rows)
    return ImportJob.objects.create(
        kind=kind,
        file_name=Path(upload.name or "").name[:255],
        created_by=actor,
        created_at=timezone.now(),
        rows=rows,
        total=len(rows),
        skipped_count=sum(1 for r in rows if r["errors"]),
    )


def confirm_import(*, actor, job_id) -> ImportJob:
    """Queue the previewed job; the worker applies the valid rows (invalid ones are skipped)."""
    _require(actor)
    refuse_chart_change()  # the chart may have gone to an integration since the preview
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id, created_by=actor).first()
        if job is None:
            raise NotFound(_("导入任务不存在"))
        if job.state != ImportJob.State.PREVIEW:
            raise Conflict(_("该导入已确认过"), code="already_confirmed")
        job.state = ImportJob.State.QUEUED
        job.save(update_fields=["state"])
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


_import_task = None


def use_import_task(task) -> None:
    """The port to the worker: AccountsConfig.ready() hands over the Huey task that calls
    `run_import` (the tasks module imports this one, so this one does not import it)."""
    global _import_task
    _import_task = task


def _enqueue(job_id: int) -> None:
    if _import_task is not None:
        _import_task(job_id)


def run_import(job_id: int) -> ImportJob:
    """Apply a queued job chunk by chunk. Safe to run again after a crash: rows are applied by
    account/path (idempotent) and `processed` says where to continue."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.state not in (ImportJob.State.QUEUED, ImportJob.State.RUNNING):
            return job
        job.state = ImportJob.State.RUNNING
        job.save(update_fields=["state"])
    apply_row = _apply_person if job.kind == ImportJob.Kind.PEOPLE else _apply_department
    try:
        while job.processed < job.total:
            chunk = job.rows[job.processed : job.processed + CHUNK]
            with transaction.atomic():
                for row in chunk:
                    if row["errors"]:
                        continue
                    try:
                        created = apply_row(row["data"], job.created_by)
                    except ServiceError as refused:
                        # The services' guards have the last word (state may have moved since
                        # the preview): the row is skipped with their reason.
                        row["errors"] = {"username": refused.detail}
                        job.skipped_count += 1
                        continue
                    if created:
                        job.created_count += 1
                    else:
                        job.updated_count += 1
                if job.kind == ImportJob.Kind.PEOPLE:
                    # Leaders may appear later in the file than the people who report to them.
                    for row in chunk:
                        if not row["errors"]:
                            _link_leaders(row["data"], job.created_by)
                job.processed += len(chunk)
                job.rows[job.processed - len(chunk) : job.processed] = chunk
                job.save(
                    update_fields=[
                        "processed",
                        "created_count",
                        "updated_count",
                        "skipped_count",
                        "rows",
                    ]
                )
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        job.state = ImportJob.State.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "finished_at"])
        record_audit(
            actor=job.created_by,
            action="import",
            obj=job,
            changes={
                "created": [None, job.created_count],
                "updated": [None, job.updated_count],
                "skipped": [None, job.skipped_count],
            },
        )
    return job


def _ensure_department(path: str) -> Department | None:
    parent = None
    for name in [p for p in path.split("/") if p]:
        parent, _created = Department.objects.get_or_create(name=name, parent=parent)
    return parent


def _apply_person(data: dict, actor) -> bool:
    """One row, through the same services (and guards) as the pages and the API."""
    from andon.accounts import services

    user = User.objects.filter(username__iexact=data["username"]).first()
    fields: dict = {k: data[k] for k in ("display_name", "email", "mobile") if data.get(k)}
    if data.get("wecom_userid"):
        fields["wecom_userid"] = data["wecom_userid"]
    if data.get("department"):
        department = _ensure_department(_normalise_path(data["department"]))
        fields["main_department"] = department.pk if department else None
    flags = {flag: _flag(data.get(flag, ""), flag, {}) for flag in ("is_active", "is_available")}
    if flags["is_available"] is not None:
        fields["is_available"] = flags["is_available"]
    names = {n.lower() for n in _split(data.get("roles", ""))}
    if names:
        fields["roles"] = [r.pk for r in Role.objects.all() if r.name.lower() in names]
    if user is None:
        if flags["is_active"] is not None:
            fields["is_active"] = flags["is_active"]
        services.create_user(actor=actor, data={"username": data["username"], **fields})
        return True
    if fields:
        services.update_user(actor=actor, user_id=user.pk, data=fields)
    if flags["is_active"] is False and user.is_active:
        services.deactivate_user(actor=actor, user_id=user.pk)
    elif flags["is_active"] is True and not user.is_active:
        services.reactivate_user(actor=actor, user_id=user.pk)
    return False


def _link_leaders(data: dict, actor) -> None:
    from andon.accounts import services

    names = _split(data.get("direct_leaders", ""))
    if not names:
        return
    user = User.objects.get(username__iexact=data["username"])
    leaders = [u.pk for u in _users_named(names)]
    services.update_user(actor=actor, user_id=user.pk, data={"direct_leaders": leaders})


def _apply_department(data: dict, actor) -> bool:
    existed = data["path"] in _department_paths()
    department = _ensure_department(data["path"])
    names = _split(data.get("leaders", ""))
    if names and department is not None:
        department.leaders.set(_users_named(names))
    return not existed


def _users_named(usernames: list[str]):
    condition = Q()
    for name in usernames:
        condition |= Q(username__iexact=name)
    return User.objects.filter(condition)


# --- export -----------------------------------------------------------------------------------


def people_rows() -> Iterable[list[str]]:
    paths = {d.pk: path for path, d in _department_paths().items()}
    yield [names[0] for names in PEOPLE_COLUMNS.values()]
    users = User.objects.order_by("id").prefetch_related("direct_leaders", "roles")
    for user in users:
        yield [
            user.username,
            user.display_name,
            user.email,
            user.mobile,
            user.wecom_userid or "",
            paths.get(user.main_department_id, ""),
            ",".join(u.username for u in user.direct_leaders.all()),
            ",".join(r.name for r in user.roles.all()),
            "是" if user.is_active else "否",
            "是" if user.is_available else "否",
        ]


def department_rows() -> Iterable[list[str]]:
    yield [names[0] for names in DEPARTMENT_COLUMNS.values()]
    departments = {d.pk: d for d in Department.objects.prefetch_related("leaders")}
    for path, department in sorted(_department_paths().items()):
        leaders = departments[department.pk].leaders.all()
        yield [path, ",".join(u.username for u in leaders)]


def export_table(rows: Iterable[list[str]], fmt: str) -> tuple[bytes, str]:
    """Return (content, content type) for CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return (
            buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
