"""The customer directory gets its own bit, `customers.view`. Until now anyone who could file a
ticket (`tickets.create`) or see the organisation (`people.view`) could read every customer
contact. The built-in 一线客服 and 处理人 roles get the bit; of the custom roles, those that
handle tickets or manage people (the frontline and the desk's admins) keep their access, while
roles that only file tickets or only view the org chart lose it."""

from django.db import migrations

BIT = "customers.view"
BUILTIN_WITH_BIT = ("agent", "handler")
CUSTOM_ROLES_KEEPING_ACCESS = ("tickets.handle", "people.manage")


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        permissions = list(role.permissions or [])
        if BIT in permissions or role.code == "admin":  # the admin role holds every bit
            continue
        if (role.builtin and role.code in BUILTIN_WITH_BIT) or (
            not role.builtin and any(code in permissions for code in CUSTOM_ROLES_KEEPING_ACCESS)
        ):
            role.permissions = sorted({*permissions, BIT})
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        if BIT in (role.permissions or []):
            role.permissions = [code for code in role.permissions if code != BIT]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_wecom_visible")]
    operations = [migrations.RunPython(grant, revoke)]
