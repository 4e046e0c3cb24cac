from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "banzu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app declares its policy keys in policies.py and its actions and scope paths in
        # permissions.py; importing them registers them with core.policies and core.scoping.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("policies")
        autodiscover_modules("permissions")

        from banzu.core import memo
        from banzu.core.models import PolicyValue

        memo.watch(PolicyValue)
