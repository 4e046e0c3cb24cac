from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "banzu.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from banzu.core import memo
        from banzu.org.models import Centre

        memo.watch(Centre)  # its time zone
