from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "banzu.workorders"
    label = "workorders"
    verbose_name = _("Work orders")
