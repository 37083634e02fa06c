"""Forms of the people, org chart and roles pages. They only shape input; the services validate
it, and their per-field errors are put back on these forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from andon.accounts import selectors
from andon.accounts.chart import CHART_FIELDS
from andon.accounts.models import ImportJob, Role
from andon.accounts.permissions import PERMISSIONS

User = get_user_model()


def department_choices(blank_label=None, exclude_id=None) -> list[tuple[str, str]]:
    choices = [("", blank_label or _("（无）"))]
    for department in selectors.department_tree():
        if department.pk == exclude_id:
            continue
        choices.append((str(department.pk), "　" * department.depth + department.name))
    return choices


def people_choices(*, exclude_id=None) -> list[tuple[str, str]]:
    users = (
        User.objects.filter(is_active=True)
        .order_by("id")
        .only("pk", "username", "display_name", "first_name", "last_name")
    )
    return [(str(u.pk), f"{u.name}（{u.username}）") for u in users if u.pk != exclude_id]


def role_choices() -> list[tuple[str, str]]:
    return [(str(r.pk), r.name) for r in Role.objects.order_by("-builtin", "id")]


def _ids(values) -> list[int]:
    return [int(v) for v in values or []]


class RoleForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50)
    description = forms.CharField(
        label=_("说明"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    permissions = forms.MultipleChoiceField(
        label=_("权限"),
        required=False,
        choices=[(p.code, p.label) for p in PERMISSIONS],
        widget=forms.CheckboxSelectMultiple,
    )

    def service_data(self) -> dict:
        return {
            "name": self.cleaned_data["name"],
            "description": self.cleaned_data["description"],
            "permissions": list(self.cleaned_data["permissions"]),
        }


class RoleDeleteForm(forms.Form):
    replacement = forms.ChoiceField(label=_("成员改为角色"), required=False)

    def __init__(self, *args, role: Role, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].choices = [("", _("（不转移）"))] + [
            (value, label) for value, label in role_choices() if value != str(role.pk)
        ]


class MemberForm(forms.Form):
    user = forms.ChoiceField(label=_("人员"))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("选择人员"))] + choices


class PersonForm(forms.Form):
    username = forms.CharField(label=_("账号"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    mobile = forms.CharField(label=_("手机"), max_length=30, required=False)
    wecom_userid = forms.CharField(label=_("企业微信账号"), max_length=64, required=False)
    main_department = forms.ChoiceField(label=_("主部门"), required=False)
    direct_leaders = forms.MultipleChoiceField(
        label=_("直属上级"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    roles = forms.MultipleChoiceField(
        label=_("角色"), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_available = forms.BooleanField(label=_("可接单"), required=False, initial=True)
    password = forms.CharField(
        label=_("密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("留空则不修改；新建时留空表示只能通过企业微信登录"),
    )

    def __init__(self, *args, person=None, chart_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        if chart_locked:
            # The chart's owner (WeCom) sets these; the page shows them greyed out and says why.
            for name in CHART_FIELDS:
                self.fields[name].disabled = True
        self.fields["main_department"].choices = department_choices()
        self.fields["direct_leaders"].choices = people_choices(
            exclude_id=person.pk if person else None
        )
        self.fields["roles"].choices = role_choices()

    @classmethod
    def initial_for(cls, person) -> dict:
        return {
            "username": person.username,
            "display_name": person.display_name,
            "email": person.email,
            "mobile": person.mobile,
            "wecom_userid": person.wecom_userid or "",
            "main_department": str(person.main_department_id or ""),
            "direct_leaders": [str(u.pk) for u in person.direct_leaders.all()],
            "roles": [str(r.pk) for r in person.roles.all()],
            "is_available": person.is_available,
        }

    def service_data(self) -> dict:
        data = self.cleaned_data
        result = {
            "username": data["username"],
            "display_name": data["display_name"],
            "email": data["email"],
            "mobile": data["mobile"],
            "wecom_userid": data["wecom_userid"] or None,
            "main_department": int(data["main_department"]) if data["main_department"] else None,
            "direct_leaders": _ids(data["direct_leaders"]),
            "roles": _ids(data["roles"]),
            "is_available": data["is_available"],
        }
        if data["password"]:
            result["password"] = data["password"]
        return result


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    parent = forms.ChoiceField(label=_("上级部门"), required=False)
    order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)
    leaders = forms.MultipleChoiceField(
        label=_("负责人"), required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = department_choices(
            blank_label=_("（顶级部门）"), exclude_id=department.pk if department else None
        )
        self.fields["leaders"].choices = people_choices()

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "parent": int(data["parent"]) if data["parent"] else None,
            "order": data["order"] or 0,
            "leaders": _ids(data["leaders"]),
        }


class DeactivateForm(forms.Form):
    successor = forms.ChoiceField(label=_("工单交给"), required=False)

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].choices = [("", _("选择接手人"))] + people_choices(
            exclude_id=person.pk
        )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("导入内容"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("文件"),
        help_text=_("CSV（UTF-8 或 GBK）或 XLSX，最大 5 MB；第一行为列名"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
