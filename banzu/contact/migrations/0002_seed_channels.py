"""Seed the two channels of the first release (CT-1 voice, CT-2 web chat)."""

from django.db import migrations

CHANNELS = [
    # code, name, kind, several contacts at once
    ("voice", "电话", "voice", False),
    ("chat", "在线会话", "chat", True),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("contact", "Channel")
    for code, name, kind, multi in CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "multi_contact": multi})


def unseed(apps, schema_editor):
    # Only channels no contact or queue uses yet; PROTECT keeps the others.
    Channel = apps.get_model("contact", "Channel")
    Channel.objects.filter(code__in=[row[0] for row in CHANNELS], queues__isnull=True, contacts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("contact", "0001_contacts_queues_agent_states")]

    operations = [migrations.RunPython(seed, unseed)]
