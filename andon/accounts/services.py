"""Writes to roles, people and departments. Every change is audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from andon.accounts import guards, work
from andon.accounts.models import Department, Role
from andon.accounts.permissions import ALL_CODES, has_perm
from andon.audit.services import diff, record_audit
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import has_control_characters, line_error, parse_id

User = get_user_model()


def _require(actor, code: str, message: str) -> None:
    if not has_perm(actor, code):
        raise PermissionDenied(message)


def _refuse(reason: str | None) -> None:
    if reason:
        raise PermissionDenied(reason)


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def _ids(value, field: str, errors: dict) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors[field] = [_("应为 id 列表")]
        return []
    # parse_id also refuses ids beyond 64 bits, which the database cannot even compare.
    ids = [parse_id(v) for v in value]
    if None in ids:
        errors[field] = [_("应为 id 列表")]
        return []
    return ids


# --- roles ----------------------------------------------------------------------------------


def _role_snapshot(role: Role) -> dict:
    return {
        "name": role.name,
        "description": role.description,
        "permissions": sorted(role.permissions),
    }


def _clean_role(data: dict, role: Role | None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = {}
    if "name" in data or role is None:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = [_("请填写角色名称")]
        elif len(name.strip()) > 50:
            errors["name"] = [_("角色名称不能超过 50 个字符")]
        elif has_control_characters(name):
            errors["name"] = [_("不能包含换行或控制字符")]
        else:
            clash = Role.objects.filter(name__iexact=name.strip())
            if role is not None:
                clash = clash.exclude(pk=role.pk)
            if clash.exists():
                errors["name"] = [_("角色名称「%s」已存在") % name.strip()]
            cleaned["name"] = name.strip()
    if "description" in data:
        description = data.get("description") or ""
        if not isinstance(description, str) or len(description) > 200:
            errors["description"] = [_("说明不能超过 200 个字符")]
        else:
            cleaned["description"] = description.strip()
    if "permissions" in data or role is None:
        codes = data.get("permissions", [])
        if not isinstance(codes, list | tuple) or not all(isinstance(c, str) for c in codes):
            errors["permissions"] = [_("权限应为权限代码列表")]
        else:
            unknown = sorted(set(codes) - ALL_CODES)
            if unknown:
                errors["permissions"] = [_("未知的权限：%s") % "、".join(unknown)]
            cleaned["permissions"] = sorted(set(codes))
    _fail(errors)
    return cleaned


@transaction.atomic
def create_role(*, actor, data: dict) -> Role:
    _require(actor, "roles.manage", _("没有管理角色的权限"))
    cleaned = _clean_role(data, None)
    _refuse(guards.bits_refusal(actor, cleaned["permissions"]))
    role = Role.objects.create(builtin=False, **cleaned)
    record_audit(actor=actor, action="create", obj=role, changes=diff({}, _role_snapshot(role)))
    return role


def _get_role(role_id) -> Role:
    try:
        return Role.objects.select_for_update().get(pk=int(role_id))
    except (Role.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("角色不存在")) from None


@transaction.atomic
def update_role(*, actor, role_id, data: dict) -> Role:
    _require(actor, "roles.manage", _("没有管理角色的权限"))
    role = _get_role(role_id)
    if role.code == "admin":
        # The administrator role always holds every bit; only its members can change.
        raise Conflict(_("内置管理员角色不能修改，只能添加或移除成员"), code="builtin_role")
    before = _role_snapshot(role)
    cleaned = _clean_role(data, role)
    if "permissions" in cleaned:
        _refuse(guards.bits_refusal(actor, set(cleaned["permissions"]) - role.permission_codes))
    for attr, value in cleaned.items():
        setattr(role, attr, value)
    role.save()
    changes = diff(before, _role_snapshot(role))
    if changes:
        record_audit(actor=actor, action="update", obj=role, changes=changes)
    return role


@transaction.atomic
def delete_role(*, actor, role_id, replacement_id=None) -> None:
    """Delete a custom role. People holding it move to `replacement_id`; without one, a role
    that people still hold cannot be deleted."""
    _require(actor, "roles.manage", _("没有管理角色的权限"))
    role = _get_role(role_id)
    if role.builtin:
        raise Conflict(_("内置角色不能删除"), code="builtin_role")
    holders = list(role.users.all())
    replacement = None
    if replacement_id not in (None, ""):
        replacement = Role.objects.filter(pk=_int(replacement_id)).exclude(pk=role.pk).first()
        if replacement is None:
            raise ValidationFailed(
                _("替代角色不存在"), errors={"replacement": [_("替代角色不存在")]}
            )
    if holders and replacement is None:
        raise Conflict(
            _("还有 %s 人持有角色「%s」，请先选择替代角色") % (len(holders), role.name),
            code="role_in_use",
        )
    if replacement is not None:
        replacement.users.add(*holders)
    record_audit(
        actor=actor,
        action="delete",
        obj=role,
        changes={
            "name": [role.name, None],
            "moved_to": [None, replacement.name if replacement else None],
            "members": [[u.username for u in holders], None],
        },
    )
    role.delete()


@transaction.atomic
def set_role_members(*, actor, role_id, user_ids) -> Role:
    _require(actor, "roles.manage", _("没有管理角色的权限"))
    role = _get_role(role_id)
    errors: dict[str, list[str]] = {}
    ids = _ids(user_ids, "users", errors)
    _fail(errors)
    users = list(User.objects.filter(pk__in=ids))
    if len(users) != len(set(ids)):
        raise ValidationFailed(_("人员不存在"), errors={"users": [_("人员不存在")]})
    current = set(role.users.all())
    changed = current ^ set(users)
    for person in changed:
        _refuse(guards.admin_change_refusal(actor, person))
    if set(users) - current:
        _refuse(guards.bits_refusal(actor, role.permission_codes))
    before = sorted(u.username for u in current)
    if role.code == "admin" and not any(u.is_active for u in users):
        raise Conflict(_("至少要保留一名在职的管理员"), code="last_admin")
    role.users.set(users)
    after = sorted(u.username for u in users)
    if before != after:
        record_audit(actor=actor, action="members", obj=role, changes={"members": [before, after]})
    return role


# --- people -----------------------------------------------------------------------------------


def revoke_api_tokens(*, user) -> int:
    """Drop the person's API tokens: on request, when the password changes and on deactivation
    (a leaked token must not outlive the credentials it was issued for)."""
    from rest_framework.authtoken.models import Token

    deleted, _per_model = Token.objects.filter(user=user).delete()
    return deleted


def change_own_password(*, user, password: str) -> None:
    """The person's own change or e-mailed reset (Django's views validate the password)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    revoke_api_tokens(user=user)
    record_audit(actor=user, action="password", obj=user, changes={"password": ["***", "***"]})


USER_TEXT_FIELDS = {
    "display_name": 100,
    "mobile": 30,
}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _user_snapshot(user) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "mobile": user.mobile,
        "wecom_userid": user.wecom_userid,
        "main_department": user.main_department_id,
        "direct_leaders": sorted(user.direct_leaders.values_list("pk", flat=True))
        if user.pk
        else [],
        "roles": sorted(user.roles.values_list("pk", flat=True)) if user.pk else [],
        "is_active": user.is_active,
        "is_available": user.is_available,
    }


def _clean_user(data: dict, user) -> tuple[dict, dict]:
    """Return (field values, relations) or raise ValidationFailed with every problem at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    relations: dict = {}
    if user is None or "username" in data:
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            errors["username"] = [_("请填写账号")]
        else:
            username = username.strip()
            field = User._meta.get_field("username")
            try:
                field.run_validators(username)
            except DjangoValidationError as exc:
                errors["username"] = list(exc.messages)
            clash = User.objects.filter(username__iexact=username)
            if user is not None:
                clash = clash.exclude(pk=user.pk)
            if clash.exists():
                errors["username"] = [_("账号「%s」已存在") % username]
            cleaned["username"] = username
    for field, limit in USER_TEXT_FIELDS.items():
        if field in data:
            value = data[field] if data[field] is not None else ""
            if not isinstance(value, str) or len(value.strip()) > limit:
                errors[field] = [_("不能超过 %s 个字符") % limit]
            elif has_control_characters(value):
                errors[field] = [_("不能包含换行或控制字符")]
            else:
                cleaned[field] = value.strip()
    if "email" in data:
        email = (data["email"] or "").strip() if isinstance(data["email"], str | None) else None
        if email is None:
            errors["email"] = [_("邮箱格式不正确")]
        else:
            if email:
                try:
                    validate_email(email)
                except DjangoValidationError:
                    errors["email"] = [_("邮箱格式不正确")]
            cleaned["email"] = email
    if "wecom_userid" in data:
        wecom = data["wecom_userid"]
        wecom = (wecom or "").strip() if isinstance(wecom, str | None) else None
        if wecom is None or len(wecom) > 64:
            errors["wecom_userid"] = [_("企业微信账号格式不正确")]
        else:
            clash = User.objects.filter(wecom_userid=wecom) if wecom else User.objects.none()
            if user is not None:
                clash = clash.exclude(pk=user.pk)
            if clash.exists():
                errors["wecom_userid"] = [_("企业微信账号已被他人使用")]
            cleaned["wecom_userid"] = wecom or None
    if "main_department" in data:
        value = data["main_department"]
        if value in (None, ""):
            cleaned["main_department"] = None
        else:
            department = Department.objects.filter(pk=_int(value)).first()
            if department is None:
                errors["main_department"] = [_("部门不存在")]
            cleaned["main_department"] = department
    for flag in ("is_active", "is_available"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors[flag] = [_("应为 true 或 false")]
            else:
                cleaned[flag] = data[flag]
    if "direct_leaders" in data:
        ids = _ids(data["direct_leaders"], "direct_leaders", errors)
        leaders = list(User.objects.filter(pk__in=ids))
        if len(leaders) != len(set(ids)):
            errors["direct_leaders"] = [_("直属上级不存在")]
        elif user is not None and user.pk in ids:
            errors["direct_leaders"] = [_("不能把本人设为直属上级")]
        relations["direct_leaders"] = leaders
    if "roles" in data:
        ids = _ids(data["roles"], "roles", errors)
        roles = list(Role.objects.filter(pk__in=ids))
        if len(roles) != len(set(ids)):
            errors["roles"] = [_("角色不存在")]
        relations["roles"] = roles
    if data.get("password"):
        password = data["password"]
        if not isinstance(password, str):
            errors["password"] = [_("密码应为字符串")]
            _fail(errors)
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
        cleaned["password"] = password
    _fail(errors)
    return cleaned, relations


def _apply_user(user, cleaned: dict, relations: dict) -> None:
    password = cleaned.pop("password", None)
    for attr, value in cleaned.items():
        setattr(user, attr, value)
    if password:
        user.set_password(password)
    elif user.pk is None:
        user.set_unusable_password()
    user.save()
    for relation, objects in relations.items():
        getattr(user, relation).set(objects)


@transaction.atomic
def create_user(*, actor, data: dict):
    _require(actor, "people.manage", _("没有管理人员的权限"))
    cleaned, relations = _clean_user(data, None)
    if "roles" in relations:
        _refuse(guards.grant_refusal(actor, before=[], after=relations["roles"]))
    user = User()
    _apply_user(user, cleaned, relations)
    snapshot = _user_snapshot(user)
    record_audit(actor=actor, action="create", obj=user, changes=diff({}, snapshot))
    return user


def _guard_admin_removal(user, cleaned: dict, relations: dict) -> None:
    is_admin = user.roles.filter(code="admin").exists()
    if not is_admin or not user.is_active:
        return
    loses_admin = "roles" in relations and not any(r.code == "admin" for r in relations["roles"])
    if (loses_admin or cleaned.get("is_active") is False) and guards.active_admin_count(
        (user.pk,)
    ) == 0:
        raise Conflict(_("至少要保留一名在职的管理员"), code="last_admin")


@transaction.atomic
def update_user(*, actor, user_id, data: dict):
    _require(actor, "people.manage", _("没有管理人员的权限"))
    user = User.objects.select_for_update().filter(pk=_int(user_id)).first()
    if user is None:
        raise NotFound(_("人员不存在"))
    _refuse(guards.admin_change_refusal(actor, user))
    if data.get("is_active") is False and user.is_active:
        raise Conflict(_("请使用停用操作，以便处理其名下的工单"), code="use_deactivate")
    before = _user_snapshot(user)
    cleaned, relations = _clean_user(data, user)
    if "roles" in relations:
        _refuse(guards.grant_refusal(actor, before=user.roles.all(), after=relations["roles"]))
    _guard_admin_removal(user, cleaned, relations)
    _apply_user(user, cleaned, relations)
    changes = diff(before, _user_snapshot(user))
    if "password" in data and data["password"]:
        changes["password"] = ["***", "***"]
        revoke_api_tokens(user=user)
    if changes:
        record_audit(actor=actor, action="update", obj=user, changes=changes)
    return user


# --- departments ------------------------------------------------------------------------------


def _department_snapshot(department: Department) -> dict:
    return {
        "name": department.name,
        "parent": department.parent_id,
        "order": department.order,
        "leaders": sorted(department.leaders.values_list("pk", flat=True)) if department.pk else [],
    }


def _clean_department(data: dict, department: Department | None) -> tuple[dict, list | None]:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if department is None or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = [_("请填写部门名称")]
        elif len(name.strip()) > 100:
            errors["name"] = [_("部门名称不能超过 100 个字符")]
        elif problem := line_error(name.strip(), _("部门名称")):
            errors["name"] = [problem]
        else:
            cleaned["name"] = name.strip()
    if "parent" in data:
        value = data["parent"]
        parent = None
        if value not in (None, ""):
            parent = Department.objects.filter(pk=_int(value)).first()
            if parent is None:
                errors["parent"] = [_("上级部门不存在")]
            elif department is not None and _is_descendant_or_self(parent, department):
                errors["parent"] = [_("不能把部门移到它自己或下级部门之下")]
        cleaned["parent"] = parent
    if "order" in data:
        order = data["order"]
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            errors["order"] = [_("排序应为非负整数")]
        else:
            cleaned["order"] = order
    leaders = None
    if "leaders" in data:
        ids = _ids(data["leaders"], "leaders", errors)
        leaders = list(User.objects.filter(pk__in=ids))
        if len(leaders) != len(set(ids)):
            errors["leaders"] = [_("负责人不存在")]
    _fail(errors)
    return cleaned, leaders


def _is_descendant_or_self(candidate: Department, department: Department) -> bool:
    node, seen = candidate, set()
    while node is not None and node.pk not in seen:
        if node.pk == department.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


@transaction.atomic
def create_department(*, actor, data: dict) -> Department:
    _require(actor, "people.manage", _("没有管理组织架构的权限"))
    cleaned, leaders = _clean_department(data, None)
    department = Department.objects.create(**cleaned)
    if leaders:
        department.leaders.set(leaders)
    record_audit(
        actor=actor,
        action="create",
        obj=department,
        changes=diff({}, _department_snapshot(department)),
    )
    return department


@transaction.atomic
def update_department(*, actor, department_id, data: dict) -> Department:
    _require(actor, "people.manage", _("没有管理组织架构的权限"))
    department = Department.objects.select_for_update().filter(pk=_int(department_id)).first()
    if department is None:
        raise NotFound(_("部门不存在"))
    before = _department_snapshot(department)
    cleaned, leaders = _clean_department(data, department)
    for attr, value in cleaned.items():
        setattr(department, attr, value)
    department.save()
    if leaders is not None:
        department.leaders.set(leaders)
    changes = diff(before, _department_snapshot(department))
    if changes:
        record_audit(actor=actor, action="update", obj=department, changes=changes)
    return department


@transaction.atomic
def delete_department(*, actor, department_id) -> None:
    _require(actor, "people.manage", _("没有管理组织架构的权限"))
    department = Department.objects.select_for_update().filter(pk=_int(department_id)).first()
    if department is None:
        raise NotFound(_("部门不存在"))
    if department.children.exists():
        raise Conflict(_("部门「%s」还有下级部门，不能删除") % department.name, code="in_use")
    if department.members.exists():
        raise Conflict(_("部门「%s」还有成员，不能删除") % department.name, code="in_use")
    record_audit(
        actor=actor,
        action="delete",
        obj=department,
        changes=diff(_department_snapshot(department), {}),
    )
    department.delete()


# --- deactivation -----------------------------------------------------------------------------


@transaction.atomic
def deactivate_user(*, actor, user_id, successor_id=None):
    """停用: the account can no longer sign in or receive tickets (dispatch skips inactive
    people, so queue memberships stay for a later reactivation). Unfinished tickets the person
    owns must go somewhere first: each is handed to `successor_id` as it is (one event per
    ticket); without a successor a person who owns such tickets cannot be deactivated. The
    tickets come through the `accounts.work` port, which the tickets app registers into."""
    _require(actor, "people.manage", _("没有管理人员的权限"))
    user = User.objects.select_for_update().filter(pk=_int(user_id)).first()
    if user is None:
        raise NotFound(_("人员不存在"))
    if not user.is_active:
        raise Conflict(_("「%s」已经停用") % user.name, code="already_inactive")
    if user.pk == getattr(actor, "pk", None):
        raise Conflict(_("不能停用自己的账号"), code="self_deactivation")
    _refuse(guards.admin_change_refusal(actor, user))
    if user.roles.filter(code="admin").exists() and guards.active_admin_count((user.pk,)) == 0:
        raise Conflict(_("至少要保留一名在职的管理员"), code="last_admin")
    open_count = work.unfinished_count(user)
    successor = None
    if successor_id not in (None, ""):
        successor = User.objects.filter(pk=_int(successor_id), is_active=True).first()
        if successor is None or successor.pk == user.pk:
            message = _("接手人不存在、已停用或就是本人")
            raise ValidationFailed(message, errors={"successor": [message]})
    if open_count and successor is None:
        message = _("「%(name)s」名下还有 %(count)s 张未完成的工单，请选择接手人") % {
            "name": user.name,
            "count": open_count,
        }
        raise Conflict(message, code="has_open_tickets", errors={"successor": [message]})
    note = _("%(name)s 已停用，工单交给 %(successor)s") % {
        "name": user.name,
        "successor": successor.name if successor else "",
    }
    handed_over = (
        work.hand_over(actor=actor, user=user, successor=successor, note=note) if open_count else 0
    )
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoke_api_tokens(user=user)
    changes = {"is_active": [True, False]}
    if handed_over:
        changes["successor"] = [None, successor.username]
        changes["handed_over_tickets"] = [None, handed_over]
    record_audit(actor=actor, action="deactivate", obj=user, changes=changes)
    return user


@transaction.atomic
def reactivate_user(*, actor, user_id):
    _require(actor, "people.manage", _("没有管理人员的权限"))
    user = User.objects.select_for_update().filter(pk=_int(user_id)).first()
    if user is None:
        raise NotFound(_("人员不存在"))
    if user.is_active:
        raise Conflict(_("「%s」没有停用") % user.name, code="already_active")
    _refuse(guards.admin_change_refusal(actor, user))
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_audit(actor=actor, action="reactivate", obj=user, changes={"is_active": [False, True]})
    return user
