import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from andon.accounts.models import Role


class Command(BaseCommand):
    help = (
        "Create or update an administrator without prompts: a superuser holding the built-in "
        "管理员 role. The password comes from --password or $ANDON_ADMIN_PASSWORD."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--password",
            default=os.environ.get("ANDON_ADMIN_PASSWORD"),
            help="the new password (default: $ANDON_ADMIN_PASSWORD, which stays out of ps output)",
        )
        parser.add_argument("--email", default=None)
        parser.add_argument("--display-name", default=None)

    @transaction.atomic
    def handle(self, *args, username, password, email, display_name, **options):
        username = username.strip()
        if not username:
            raise CommandError("--username must not be empty.")
        if not password:
            raise CommandError("Give --password or set ANDON_ADMIN_PASSWORD.")
        try:
            role = Role.objects.get(code="admin")
        except Role.DoesNotExist:
            raise CommandError("The 管理员 role is missing; run `andon migrate` first.") from None
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username)
        if email is not None:
            user.email = email
        if display_name is not None:
            user.display_name = display_name
        # The same rules as every password change (AUTH_PASSWORD_VALIDATORS), checked against
        # this account's name and address; an administrator's password matters most.
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            reasons = "\n".join(f"  - {message}" for message in exc.messages)
            raise CommandError(f"The password was refused:\n{reasons}") from None
        user.set_password(password)
        user.is_superuser = True
        user.is_staff = True
        user.is_active = True
        user.save()
        user.roles.add(role)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} administrator {username!r}."))
