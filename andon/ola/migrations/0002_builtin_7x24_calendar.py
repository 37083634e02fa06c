from django.conf import settings
from django.db import migrations

ROUND_THE_CLOCK = "7×24"


def create_7x24(apps, schema_editor):
    BusinessCalendar = apps.get_model("ola", "BusinessCalendar")
    if BusinessCalendar.objects.filter(is_builtin=True, name=ROUND_THE_CLOCK).exists():
        return
    BusinessCalendar.objects.create(
        name=ROUND_THE_CLOCK,
        description="全天候：每天 00:00–24:00，不放节假日",
        # The zone only decides which local day an admin exception applies to.
        time_zone=getattr(settings, "TIME_ZONE", None) or "Asia/Shanghai",
        weekly_windows={
            day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        follows_china_holidays=False,
        manual_holiday_years=[],
        is_builtin=True,
    )


class Migration(migrations.Migration):
    dependencies = [("ola", "0001_initial")]
    operations = [migrations.RunPython(create_7x24, migrations.RunPython.noop)]
