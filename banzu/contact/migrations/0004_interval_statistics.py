"""interval statistics, service-rule exceptions, recording retention (CT-12, CT-16, CT-17)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contact", "0003_cti")]

    operations: list = []
