"""ORG-3: the position ladder with its side posts, and the star-title ladder."""

from django.db import migrations

POSITIONS = [
    # code, name, track, rank
    ("agent", "客服代表", "ladder", 10),
    ("senior_agent", "高级客服代表", "ladder", 20),
    ("team_leader", "组长", "ladder", 30),
    ("supervisor", "主管", "ladder", 40),
    ("manager", "客服经理", "ladder", 50),
    ("director", "客服总监", "ladder", 60),
    ("assistant", "客服助理", "side", 15),
    ("qa_inspector", "质检员", "side", 25),
    ("trainer", "培训师", "side", 25),
    ("shift_lead", "值班长", "side", 35),
]
STAR_TITLES = [
    ("star_1", "一星客服", 1),
    ("star_2", "二星客服", 2),
    ("star_3", "三星客服", 3),
    ("star_4", "四星客服", 4),
    ("star_5", "五星客服", 5),
]


def seed(apps, schema_editor):
    Position = apps.get_model("org", "Position")
    StarTitle = apps.get_model("org", "StarTitle")
    for code, name, track, rank in POSITIONS:
        Position.objects.get_or_create(code=code, defaults={"name": name, "track": track, "rank": rank})
    for code, name, rank in STAR_TITLES:
        StarTitle.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})


def unseed(apps, schema_editor):
    apps.get_model("org", "Position").objects.filter(code__in=[row[0] for row in POSITIONS]).delete()
    apps.get_model("org", "StarTitle").objects.filter(code__in=[row[0] for row in STAR_TITLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
