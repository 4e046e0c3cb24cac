"""CTI switch tokens and the event log (CT-1)."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0002_seed_channels"),
        ("org", "0003_seed_executive_posts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="contactevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("offered", "Offered"),
                    ("offer_expired", "Offer not answered"),
                    ("answered", "Answered"),
                    ("held", "Put on hold"),
                    ("retrieved", "Retrieved"),
                    ("ended", "Conversation ended"),
                    ("closed", "After-call work finished"),
                    ("abandoned", "Abandoned"),
                    ("callback_requested", "Callback requested"),
                    ("ringing", "Ringing"),
                    ("transferred", "Transferred"),
                    ("conferenced", "Three-party call"),
                    ("consulted", "Consult"),
                    ("recording_available", "Recording available"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="HistoricalSwitch",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("code", models.CharField(db_index=True, max_length=30, verbose_name="code")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "token_prefix",
                    models.CharField(
                        editable=False,
                        help_text="The start of the token, to recognise it.",
                        max_length=12,
                        verbose_name="token prefix",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("created_at", models.DateTimeField(blank=True, editable=False, verbose_name="created at")),
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
            ],
            options={
                "verbose_name": "historical telephone switch",
                "verbose_name_plural": "historical telephone switches",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="Switch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=30, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("token_hash", models.CharField(editable=False, max_length=64, unique=True, verbose_name="token hash")),
                (
                    "token_prefix",
                    models.CharField(
                        editable=False,
                        help_text="The start of the token, to recognise it.",
                        max_length=12,
                        verbose_name="token prefix",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "centre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="switches",
                        to="org.centre",
                        verbose_name="centre",
                    ),
                ),
            ],
            options={
                "verbose_name": "telephone switch",
                "verbose_name_plural": "telephone switches",
                "ordering": ["centre", "code"],
            },
        ),
        migrations.CreateModel(
            name="CtiEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.CharField(max_length=100, verbose_name="event id")),
                ("kind", models.CharField(max_length=30, verbose_name="type")),
                ("call_id", models.CharField(blank=True, max_length=100, verbose_name="switch call id")),
                ("digest", models.CharField(max_length=64, verbose_name="body hash")),
                ("outcome", models.CharField(blank=True, max_length=30, verbose_name="outcome")),
                ("at", models.DateTimeField(verbose_name="at")),
                ("received_at", models.DateTimeField(verbose_name="received at")),
                (
                    "contact",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="cti_events",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "switch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="contact.switch",
                        verbose_name="switch",
                    ),
                ),
            ],
            options={
                "verbose_name": "switch event",
                "verbose_name_plural": "switch events",
                "ordering": ["switch", "received_at", "pk"],
                "indexes": [models.Index(fields=["switch", "call_id"], name="contact_cti_switch__4754c2_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("switch", "event_id"), name="cti_event_id_once_per_switch")
                ],
            },
        ),
        migrations.CreateModel(
            name="CtiCall",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("call_id", models.CharField(max_length=100, verbose_name="switch call id")),
                ("legs", models.PositiveSmallIntegerField(default=1, verbose_name="legs")),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="cti_calls",
                        to="contact.contact",
                        verbose_name="current leg",
                    ),
                ),
                (
                    "switch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="calls",
                        to="contact.switch",
                        verbose_name="switch",
                    ),
                ),
            ],
            options={
                "verbose_name": "switch call",
                "verbose_name_plural": "switch calls",
                "ordering": ["switch", "call_id"],
                "constraints": [
                    models.UniqueConstraint(fields=("switch", "call_id"), name="cti_call_id_once_per_switch")
                ],
            },
        ),
    ]
