from django.db import migrations

BUILTIN = {
    "admin": ("管理员", []),
    "agent": ("一线客服", ["tickets.create", "people.view", "knowledge.view", "reports.view"]),
    "handler": (
        "处理人",
        ["tickets.create", "tickets.handle", "people.view", "knowledge.view", "reports.view"],
    ),
    "observer": (
        "只读观察员",
        ["tickets.view_all", "people.view", "knowledge.view", "reports.view"],
    ),
}


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, (name, permissions) in BUILTIN.items():
        # The admin role's bits are implied (all of them), so nothing is stored for it.
        Role.objects.update_or_create(
            code=code, defaults={"name": name, "builtin": True, "permissions": permissions}
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
