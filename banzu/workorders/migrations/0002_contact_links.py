"""Work orders linked to contacts and cited knowledge-base versions (WO-1, KB-1)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_work_orders_custom_fields_duty_notifications")]

    operations: list = []
