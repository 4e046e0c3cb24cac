"""ORG-3, ORG-6: posts above the customer-service ladder and the HR and administrator posts."""

from django.db import migrations

POSITIONS = [
    # code, name, track, rank
    ("hr_specialist", "人事专员", "side", 25),
    ("administrator", "系统管理员", "side", 25),
    ("general_manager", "总经理", "ladder", 70),
    ("chairman", "董事长", "ladder", 80),
]


def seed(apps, schema_editor):
    Position = apps.get_model("org", "Position")
    for code, name, track, rank in POSITIONS:
        Position.objects.get_or_create(code=code, defaults={"name": name, "track": track, "rank": rank})


def unseed(apps, schema_editor):
    apps.get_model("org", "Position").objects.filter(code__in=[row[0] for row in POSITIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0002_seed_ladders")]
    operations = [migrations.RunPython(seed, unseed)]
