"""Test data in one place. Factories build through the models; tickets go through the service so
their events and dispatch are real."""

import factory
from django.contrib.auth import get_user_model

from andon.accounts.models import Department, Role
from andon.catalog.models import CatalogEntry, normalize_name
from andon.core import config_cache
from andon.queues.models import DispatchRule, Queue, QueueMembership

User = get_user_model()


def role(code: str) -> Role:
    return Role.objects.get(code=code)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def role_codes(self, create, extracted, **kwargs):
        if extracted:
            self.roles.add(*Role.objects.filter(code__in=extracted))
        self.save()


def handler(**kwargs):
    return UserFactory(role_codes=["handler"], **kwargs)


def requester(**kwargs):
    return UserFactory(role_codes=["agent"], **kwargs)


def admin(**kwargs):
    return UserFactory(role_codes=["admin"], **kwargs)


def observer(**kwargs):
    return UserFactory(role_codes=["observer"], **kwargs)


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"队列{n}")
    dispatch_rule = DispatchRule.ROUND_ROBIN


def add_members(queue: Queue, *users) -> None:
    for user in users:
        QueueMembership.objects.create(queue=queue, user=user)
    config_cache.bump(config_cache.QUEUES)  # made behind the services' back, like their writes


class CatalogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogEntry

    name = factory.Sequence(lambda n: f"目录{n}")
    name_key = factory.LazyAttribute(lambda o: normalize_name(o.name))


def catalog_leaf(queue: Queue | None, name: str | None = None) -> CatalogEntry:
    parent = CatalogEntryFactory()
    kwargs = {"parent": parent, "queue": queue}
    if name:
        kwargs["name"] = name
    return CatalogEntryFactory(**kwargs)


def make_ticket(*, actor, entry, **kwargs):
    from andon.tickets.services import create_ticket

    kwargs.setdefault("title", "打印机无法连接")
    return create_ticket(actor=actor, catalog_entry_id=entry.pk, **kwargs)


def fan_out_pending() -> int:
    """What the worker does after a commit (`andon.tickets.tasks.fanout_task`), for every ticket
    with pending events. A test in a rolled-back transaction never commits, so `on_commit` never
    queues the task; tests that read the search index or the roll-up run it here."""
    from andon.tickets.events import fan_out
    from andon.tickets.models import TicketEvent

    ticket_ids = set(
        TicketEvent.objects.filter(fanout_pending=True).values_list("ticket_id", flat=True)
    )
    return sum(fan_out(ticket_id=ticket_id) for ticket_id in sorted(ticket_ids))


def ensure_builtin_roles() -> None:
    """Recreate the built-in roles the data migration made. Tests on `transactional_db` need
    this: the flush after each such test empties every table, migration data included."""
    from andon.accounts.permissions import BUILTIN_ROLES

    for code, (name, codes) in BUILTIN_ROLES.items():
        permissions = [] if code == "admin" else sorted(codes)
        Role.objects.update_or_create(
            code=code, defaults={"name": str(name), "builtin": True, "permissions": permissions}
        )


def ensure_builtin_calendar() -> None:
    """The built-in 7×24 calendar the OLA data migration made (gone after a transactional
    test's flush, like the roles)."""
    import importlib

    from django.apps import apps

    importlib.import_module("andon.ola.migrations.0002_builtin_7x24_calendar").create_7x24(
        apps, None
    )


def upload(name: str = "screenshot.png", content: bytes = b"\x89PNG\r\n\x1a\n0000", **kwargs):
    """An in-memory uploaded file, as a form or the API would hand it to a service."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, **kwargs)


def custom_field(entry, key: str, *, name: str | None = None, type: str = "text", **kwargs):
    """A field template (字段模板) scoped to `entry`, so tickets filed under it may carry `key`."""
    from andon.fields.models import FieldDefinition

    kwargs.setdefault("required", False)
    field = FieldDefinition.objects.create(name=name or key, key=key, type=type, **kwargs)
    field.scope.add(entry)
    config_cache.bump(config_cache.FIELDS)  # made behind the services' back, like their writes
    return field
