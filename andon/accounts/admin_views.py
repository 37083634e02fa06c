"""Configuration pages for roles (权限管理) and people and the org chart (组织架构).

Thin: reads come from selectors, writes from services, and a service error is shown on the form
that caused it."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from andon.accounts import forms, importing, selectors, services
from andon.accounts.chart import CHART_FIELDS, chart_lock_reason
from andon.accounts.models import Department, ImportJob, Role
from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.core.validation import parse_id
from andon.tickets.forms import apply_service_errors

User = get_user_model()

PEOPLE_PAGE_SIZE = 50


def require_perm(code: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_perm(request.user, code):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def chart_writable(view):
    """Refuses changes to the org chart while an integration owns it (see accounts.chart)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        reason = chart_lock_reason()
        if reason and request.method == "POST":
            messages.error(request, reason)
            return redirect(request.path)
        return view(request, *args, **kwargs)

    return wrapped


def _get(model, pk, **filters):
    obj = model.objects.filter(pk=pk, **filters).first()
    if obj is None:
        raise Http404
    return obj


# --- roles ------------------------------------------------------------------------------------


@require_perm("roles.manage")
@require_http_methods(["GET", "POST"])
def role_list(request):
    form = forms.RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role = services.create_role(actor=request.user, data=form.service_data())
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("已创建角色「%s」") % role.name)
            return redirect("config:role", pk=role.pk)
    return render(
        request,
        "config/roles/list.html",
        {
            "roles": selectors.role_list(),
            "form": form,
            "groups": selectors.permission_groups(),
            "show_create": request.method == "POST",
        },
    )


def _role_page(request, role: Role, *, form=None, member_form=None, delete_form=None, status=200):
    members = list(selectors.role_members(role))
    member_ids = {u.pk for u in members}
    candidates = [(v, label) for v, label in forms.people_choices() if int(v) not in member_ids]
    form = form or forms.RoleForm(
        initial={
            "name": role.name,
            "description": role.description,
            "permissions": sorted(role.permission_codes),
        }
    )
    checked = set(form["permissions"].value() or [])
    groups = selectors.permission_groups()
    for group in groups:
        for permission in group["permissions"]:
            permission["checked"] = permission["code"] in checked
    return render(
        request,
        "config/roles/detail.html",
        {
            "role": role,
            "locked": role.code == "admin",
            "form": form,
            "groups": groups,
            "members": members,
            "member_form": member_form or forms.MemberForm(choices=candidates),
            "delete_form": delete_form or forms.RoleDeleteForm(role=role),
        },
        status=status,
    )


@require_perm("roles.manage")
@require_http_methods(["GET", "POST"])
def role_detail(request, pk):
    role = _get(Role, pk)
    if request.method == "GET":
        return _role_page(request, role)
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        try:
            services.update_role(actor=request.user, role_id=role.pk, data=form.service_data())
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("角色已保存"))
            return redirect("config:role", pk=role.pk)
    return _role_page(request, role, form=form, status=400)


@require_perm("roles.manage")
@require_POST
def role_members(request, pk):
    role = _get(Role, pk)
    current = list(role.users.values_list("pk", flat=True))
    user_id = parse_id(request.POST.get("user"))
    if request.POST.get("action") == "remove":
        wanted = [uid for uid in current if uid != user_id]
    else:
        if user_id is None:
            form = forms.MemberForm(request.POST, choices=forms.people_choices())
            form.add_error("user", _("请选择人员"))
            return _role_page(request, role, member_form=form, status=400)
        wanted = [*current, user_id]
    try:
        services.set_role_members(actor=request.user, role_id=role.pk, user_ids=wanted)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("成员已更新"))
    return redirect("config:role", pk=role.pk)


@require_perm("roles.manage")
@require_POST
def role_delete(request, pk):
    role = _get(Role, pk)
    form = forms.RoleDeleteForm(request.POST, role=role)
    if form.is_valid():
        try:
            services.delete_role(
                actor=request.user,
                role_id=role.pk,
                replacement_id=form.cleaned_data["replacement"] or None,
            )
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("已删除角色「%s」") % role.name)
            return redirect("config:roles")
    return _role_page(request, role, delete_form=form, status=400)


# --- people -----------------------------------------------------------------------------------


def _flag(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


@require_perm("people.manage")
def people_list(request):
    q = request.GET.get("q", "")[:100]
    department_id = parse_id(request.GET.get("department"))
    role_id = parse_id(request.GET.get("role"))
    active_value = request.GET.get("active", "1")
    people = selectors.people_directory(
        q=q, department_id=department_id, role_id=role_id, active=_flag(active_value)
    )
    page = Paginator(people, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "config/people/list.html",
        {
            "page": page,
            "q": q,
            "department_id": department_id,
            "role_id": role_id,
            "active": active_value,
            "departments": forms.department_choices(blank_label=_("全部部门")),
            "roles": Role.objects.order_by("-builtin", "id"),
            "tab": "people",
        },
    )


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
@chart_writable
def person_create(request):
    form = forms.PersonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                person = services.create_user(actor=request.user, data=form.service_data())
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已添加「%s」") % person.name)
                return redirect("config:people")
    return render(
        request, "config/people/form.html", {"form": form, "tab": "people"}, status=status
    )


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = selectors.person_detail(pk)
    if person is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = forms.PersonForm(
            request.POST,
            # Disabled (chart-owned) fields keep the person's values whatever the browser sends.
            initial=forms.PersonForm.initial_for(person),
            person=person,
            chart_locked=bool(chart_lock_reason()),
        )
        status = 400
        if form.is_valid():
            try:
                data = form.service_data()
                if chart_lock_reason():  # the chart's own fields come from the integration
                    data = {k: v for k, v in data.items() if k not in CHART_FIELDS}
                services.update_user(actor=request.user, user_id=person.pk, data=data)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已保存「%s」") % person.name)
                return redirect("config:person", pk=person.pk)
    else:
        form = forms.PersonForm(
            initial=forms.PersonForm.initial_for(person),
            person=person,
            chart_locked=bool(chart_lock_reason()),
        )
    return render(
        request,
        "config/people/form.html",
        {
            "form": form,
            "person": person,
            "open_tickets": selectors.unfinished_ticket_count(person),
            "tab": "people",
        },
        status=status,
    )


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
@chart_writable
def person_deactivate(request, pk):
    person = _get(User, pk)
    form = forms.DeactivateForm(request.POST or None, person=person)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.deactivate_user(
                actor=request.user,
                user_id=person.pk,
                successor_id=form.cleaned_data["successor"] or None,
            )
        except ServiceError as error:
            apply_service_errors(form, error)
            status = 409 if error.status_code == 409 else 400
        else:
            messages.success(request, _("已停用「%s」") % person.name)
            return redirect("config:person", pk=person.pk)
    return render(
        request,
        "config/people/deactivate.html",
        {
            "person": person,
            "form": form,
            "open_tickets": selectors.unfinished_ticket_count(person),
            "tab": "people",
        },
        status=status,
    )


@require_perm("people.manage")
@require_POST
@chart_writable
def person_reactivate(request, pk):
    person = _get(User, pk)
    try:
        services.reactivate_user(actor=request.user, user_id=person.pk)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("已重新启用「%s」") % person.name)
    return redirect("config:person", pk=person.pk)


# --- departments ------------------------------------------------------------------------------


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
@chart_writable
def department_list(request):
    form = forms.DepartmentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                department = services.create_department(
                    actor=request.user, data=form.service_data()
                )
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已添加部门「%s」") % department.name)
                return redirect("config:departments")
    tree = selectors.department_tree()
    counts = dict(
        User.objects.filter(is_active=True, main_department__isnull=False)
        .values_list("main_department")
        .annotate(n=Count("id"))
    )
    for department in tree:
        department.member_count = counts.get(department.pk, 0)
    return render(
        request,
        "config/people/departments.html",
        {"tree": tree, "form": form, "tab": "departments"},
        status=status,
    )


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
@chart_writable
def department_edit(request, pk):
    department = _get(Department, pk)
    status = 200
    if request.method == "POST":
        form = forms.DepartmentForm(request.POST, department=department)
        status = 400
        if form.is_valid():
            try:
                services.update_department(
                    actor=request.user, department_id=department.pk, data=form.service_data()
                )
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("部门已保存"))
                return redirect("config:departments")
    else:
        form = forms.DepartmentForm(
            initial={
                "name": department.name,
                "parent": str(department.parent_id or ""),
                "order": department.order,
                "leaders": [str(u.pk) for u in department.leaders.all()],
            },
            department=department,
        )
    return render(
        request,
        "config/people/department_form.html",
        {"form": form, "department": department, "tab": "departments"},
        status=status,
    )


@require_perm("people.manage")
@require_POST
@chart_writable
def department_delete(request, pk):
    department = _get(Department, pk)
    try:
        services.delete_department(actor=request.user, department_id=department.pk)
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("已删除部门「%s」") % department.name)
    return redirect("config:departments")


# --- import and export ------------------------------------------------------------------------


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
@chart_writable
def import_start(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                job = importing.start_import(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                )
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                return redirect("config:import_job", pk=job.pk)
    recent = ImportJob.objects.filter(created_by=request.user).defer("rows")[:10]
    return render(
        request,
        "config/people/import.html",
        {"form": form, "recent": recent, "tab": "import"},
        status=status,
    )


def _own_job(request, pk) -> ImportJob:
    return _get(ImportJob, pk, created_by=request.user)


def _job_context(job: ImportJob) -> dict:
    columns = list(
        importing.PEOPLE_COLUMNS
        if job.kind == ImportJob.Kind.PEOPLE
        else importing.DEPARTMENT_COLUMNS
    )
    titles = {
        key: names[0]
        for key, names in {**importing.PEOPLE_COLUMNS, **importing.DEPARTMENT_COLUMNS}.items()
    }
    used = [c for c in columns if any(c in row["data"] for row in job.rows)]
    rows = [
        {
            "line": row["line"],
            "action": row["action"],
            "errors": row["errors"],
            "cells": [(row["data"].get(c, ""), row["errors"].get(c)) for c in used],
        }
        for row in job.rows
    ]
    return {
        "job": job,
        "columns": [titles[c] for c in used],
        "rows": rows,
        "valid_count": job.total - job.skipped_count,
        "tab": "import",
    }


@require_perm("people.manage")
@require_http_methods(["GET", "POST"])
def import_job(request, pk):
    job = _own_job(request, pk)
    if request.method == "POST":
        try:
            importing.confirm_import(actor=request.user, job_id=job.pk)
        except ServiceError as error:
            messages.error(request, error.detail)
        return redirect("config:import_job", pk=job.pk)
    return render(request, "config/people/import_job.html", _job_context(job))


@require_perm("people.manage")
def import_progress(request, pk):
    """The progress bar's htmx poll: re-renders itself until the job is done or failed."""
    job = ImportJob.objects.filter(pk=pk, created_by=request.user).defer("rows").first()
    if job is None:
        raise Http404
    return render(request, "config/people/_import_progress.html", {"job": job})
