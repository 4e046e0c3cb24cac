"""IVR menus and customer numbers (CT-4, CT-18)."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0004_interval_statistics"),
        ("org", "0003_seed_executive_posts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IvrNode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(blank=True, max_length=1, verbose_name="key")),
                ("label", models.CharField(max_length=50, verbose_name="name")),
                ("prompt", models.CharField(blank=True, max_length=500, verbose_name="prompt text")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("menu", "Sub-menu"),
                            ("queue", "Queue"),
                            ("self_service", "Self-service answer"),
                            ("message", "Leave a message"),
                        ],
                        default="menu",
                        max_length=20,
                        verbose_name="leads to",
                    ),
                ),
                ("answer", models.TextField(blank=True, verbose_name="self-service answer")),
                ("category", models.CharField(blank=True, max_length=20, verbose_name="work-order category")),
                ("common_question", models.BooleanField(default=False, verbose_name="common question")),
                (
                    "centre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="org.centre",
                        verbose_name="centre",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="children",
                        to="contact.ivrnode",
                        verbose_name="menu",
                    ),
                ),
                (
                    "queue",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contact.queue",
                        verbose_name="queue",
                    ),
                ),
            ],
            options={
                "verbose_name": "IVR menu item",
                "verbose_name_plural": "IVR menu items",
                "ordering": ["centre", "parent_id", "key"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalIvrNode",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("key", models.CharField(blank=True, max_length=1, verbose_name="key")),
                ("label", models.CharField(max_length=50, verbose_name="name")),
                ("prompt", models.CharField(blank=True, max_length=500, verbose_name="prompt text")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("menu", "Sub-menu"),
                            ("queue", "Queue"),
                            ("self_service", "Self-service answer"),
                            ("message", "Leave a message"),
                        ],
                        default="menu",
                        max_length=20,
                        verbose_name="leads to",
                    ),
                ),
                ("answer", models.TextField(blank=True, verbose_name="self-service answer")),
                ("category", models.CharField(blank=True, max_length=20, verbose_name="work-order category")),
                ("common_question", models.BooleanField(default=False, verbose_name="common question")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "centre",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="org.centre",
                        verbose_name="centre",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "queue",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="contact.queue",
                        verbose_name="queue",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="contact.ivrnode",
                        verbose_name="menu",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical IVR menu item",
                "verbose_name_plural": "historical IVR menu items",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddConstraint(
            model_name="ivrnode",
            constraint=models.UniqueConstraint(
                condition=models.Q(("parent__isnull", True)), fields=("centre",), name="ivr_one_root_per_centre"
            ),
        ),
        migrations.AddConstraint(
            model_name="ivrnode",
            constraint=models.UniqueConstraint(fields=("parent", "key"), name="ivr_key_once_per_menu"),
        ),
        migrations.AddConstraint(
            model_name="ivrnode",
            constraint=models.CheckConstraint(
                condition=models.Q(("parent", models.F("pk")), _negated=True), name="ivr_node_not_its_own_menu"
            ),
        ),
        migrations.AddConstraint(
            model_name="ivrnode",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("action", "queue"), _negated=True), ("queue__isnull", False), _connector="OR"
                ),
                name="ivr_queue_choice_names_a_queue",
            ),
        ),
    ]
