"""IVR menus and customer numbers (CT-4, CT-18)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contact", "0004_interval_statistics")]

    operations: list = []
