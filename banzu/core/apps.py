from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "banzu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app declares its policy keys in its own policies.py; importing them registers them.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("policies")
