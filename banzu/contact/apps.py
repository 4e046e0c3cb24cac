from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "banzu.contact"
    label = "contact"
    verbose_name = _("Contacts and routing")

    def ready(self) -> None:
        # The CTI module subscribes to contact events to push offers to switches; workers that
        # never load the URLs (Huey) make offers too.
        from banzu.contact import cti  # noqa: F401
        from banzu.contact.models import Channel, Queue, QueueHours, QueueSkill, Switch
        from banzu.core import memo

        memo.watch(Channel, Queue, QueueHours, QueueSkill, Switch)
