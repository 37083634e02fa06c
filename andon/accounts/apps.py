from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "andon.accounts"
    label = "accounts"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from andon.accounts import importing, tasks
        from andon.accounts.models import Role, User
        from andon.core import config_cache

        importing.use_import_task(tasks.run_import_task)

        # Permission codes are cached (config_cache.ROLES). Roles are granted from many places
        # (people services, imports, WeCom sync, createadmin, the demo), and a grant or revoke
        # must apply at once, so every write of a role or of the user-role table invalidates,
        # not only the services.
        def roles_changed(**kwargs):
            config_cache.bump(config_cache.ROLES)

        m2m_changed.connect(
            roles_changed, sender=User.roles.through, dispatch_uid="roles-m2m", weak=False
        )
        post_save.connect(roles_changed, sender=Role, dispatch_uid="roles-save", weak=False)
        post_delete.connect(roles_changed, sender=Role, dispatch_uid="roles-delete", weak=False)

        # API tokens are authenticated from the same cache (accounts.authentication): revoking
        # or rotating a token and deactivating or changing its person invalidate it.
        from rest_framework.authtoken.models import Token

        from andon.accounts.authentication import people_changed

        for model in (Token, User):
            name = model.__name__.lower()
            post_save.connect(
                people_changed, sender=model, dispatch_uid=f"people-{name}-save", weak=False
            )
            post_delete.connect(
                people_changed, sender=model, dispatch_uid=f"people-{name}-delete", weak=False
            )
