"""CTI switch tokens and the event log (CT-1)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contact", "0002_seed_channels")]

    operations: list = []
