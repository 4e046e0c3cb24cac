"""interval statistics, service-rule exceptions, recording retention (CT-12, CT-16, CT-17)."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0003_cti"),
        ("org", "0003_seed_executive_posts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalRecording",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("recording", "Recording"), ("transcript", "Transcript")],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                ("ref", models.CharField(max_length=500, verbose_name="location")),
                ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                ("purged_at", models.DateTimeField(blank=True, null=True, verbose_name="purged at")),
                (
                    "purged_retention_months",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="retention applied (months)"),
                ),
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
                    "contact",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
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
                "verbose_name": "historical recording",
                "verbose_name_plural": "historical recordings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="QueueInterval",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("minutes", models.PositiveSmallIntegerField(verbose_name="interval length (minutes)")),
                ("start", models.DateTimeField(verbose_name="interval start")),
                ("offered", models.PositiveIntegerField(default=0, verbose_name="offered")),
                ("answered", models.PositiveIntegerField(default=0, verbose_name="answered")),
                ("abandoned", models.PositiveIntegerField(default=0, verbose_name="abandoned")),
                (
                    "answered_within_threshold",
                    models.PositiveIntegerField(default=0, verbose_name="answered within the threshold"),
                ),
                ("handled", models.PositiveIntegerField(default=0, verbose_name="after-call work finished")),
                ("wait_seconds", models.BigIntegerField(default=0, verbose_name="wait of answered contacts (seconds)")),
                (
                    "abandoned_wait_seconds",
                    models.BigIntegerField(default=0, verbose_name="wait of abandoned contacts (seconds)"),
                ),
                ("talk_seconds", models.BigIntegerField(default=0, verbose_name="talk time (seconds)")),
                ("hold_seconds", models.BigIntegerField(default=0, verbose_name="hold time (seconds)")),
                ("acw_seconds", models.BigIntegerField(default=0, verbose_name="after-call work (seconds)")),
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
                    "queue",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intervals",
                        to="contact.queue",
                        verbose_name="queue",
                    ),
                ),
            ],
            options={
                "verbose_name": "queue interval statistics",
                "verbose_name_plural": "queue interval statistics",
                "ordering": ["queue", "minutes", "start"],
            },
        ),
        migrations.CreateModel(
            name="Recording",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("recording", "Recording"), ("transcript", "Transcript")],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                ("ref", models.CharField(max_length=500, verbose_name="location")),
                ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                ("purged_at", models.DateTimeField(blank=True, null=True, verbose_name="purged at")),
                (
                    "purged_retention_months",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="retention applied (months)"),
                ),
                (
                    "centre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="org.centre",
                        verbose_name="centre",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="recordings",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
            ],
            options={
                "verbose_name": "recording",
                "verbose_name_plural": "recordings",
                "ordering": ["-recorded_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ServiceException",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("long_hold", "Hold too long"),
                            ("no_courtesy_message", "Waiting without a courtesy message"),
                            ("unattended", "Call left unattended"),
                            ("long_common_question", "Common question handled too long"),
                        ],
                        max_length=30,
                        verbose_name="rule",
                    ),
                ),
                ("seconds", models.PositiveIntegerField(verbose_name="observed (seconds)")),
                ("limit_seconds", models.PositiveIntegerField(verbose_name="limit (seconds)")),
                ("detected_at", models.DateTimeField(verbose_name="detected at")),
                (
                    "agent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="org.employee",
                        verbose_name="agent",
                    ),
                ),
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
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="service_exceptions",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            options={
                "verbose_name": "service-rule exception",
                "verbose_name_plural": "service-rule exceptions",
                "ordering": ["-detected_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="AgentInterval",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("minutes", models.PositiveSmallIntegerField(verbose_name="interval length (minutes)")),
                ("start", models.DateTimeField(verbose_name="interval start")),
                ("answered", models.PositiveIntegerField(default=0, verbose_name="answered")),
                ("handled", models.PositiveIntegerField(default=0, verbose_name="after-call work finished")),
                ("talk_seconds", models.BigIntegerField(default=0, verbose_name="talk time (seconds)")),
                ("hold_seconds", models.BigIntegerField(default=0, verbose_name="hold time (seconds)")),
                ("acw_seconds", models.BigIntegerField(default=0, verbose_name="after-call work (seconds)")),
                ("ready_seconds", models.BigIntegerField(default=0, verbose_name="ready (seconds)")),
                ("ringing_seconds", models.BigIntegerField(default=0, verbose_name="ringing (seconds)")),
                ("busy_seconds", models.BigIntegerField(default=0, verbose_name="busy (seconds)")),
                ("hold_state_seconds", models.BigIntegerField(default=0, verbose_name="on hold (seconds)")),
                ("acw_state_seconds", models.BigIntegerField(default=0, verbose_name="in after-call work (seconds)")),
                ("away_seconds", models.BigIntegerField(default=0, verbose_name="away (seconds)")),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="org.employee",
                        verbose_name="agent",
                    ),
                ),
                (
                    "centre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="org.centre",
                        verbose_name="centre",
                    ),
                ),
            ],
            options={
                "verbose_name": "agent interval statistics",
                "verbose_name_plural": "agent interval statistics",
                "ordering": ["agent", "minutes", "start"],
                "indexes": [models.Index(fields=["centre", "minutes", "start"], name="contact_age_centre__b86f6b_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("agent", "minutes", "start"), name="agent_interval_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="CourtesyMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(verbose_name="at")),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="courtesy_messages",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            options={
                "verbose_name": "courtesy message",
                "verbose_name_plural": "courtesy messages",
                "ordering": ["contact", "at"],
                "indexes": [models.Index(fields=["contact", "at"], name="contact_cou_contact_7f3c62_idx")],
            },
        ),
        migrations.AddIndex(
            model_name="queueinterval",
            index=models.Index(fields=["centre", "minutes", "start"], name="contact_que_centre__b97d6e_idx"),
        ),
        migrations.AddConstraint(
            model_name="queueinterval",
            constraint=models.UniqueConstraint(fields=("queue", "minutes", "start"), name="queue_interval_once"),
        ),
        migrations.AddIndex(
            model_name="recording",
            index=models.Index(fields=["centre", "purged_at", "recorded_at"], name="contact_rec_centre__f2f380_idx"),
        ),
        migrations.AddConstraint(
            model_name="recording",
            constraint=models.UniqueConstraint(fields=("contact", "kind", "ref"), name="recording_ref_once"),
        ),
        migrations.AddConstraint(
            model_name="recording",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("purged_at__isnull", True), ("purged_retention_months__isnull", True)),
                    models.Q(("purged_at__isnull", False), ("purged_retention_months__isnull", False)),
                    _connector="OR",
                ),
                name="recording_purge_records_when_and_policy",
            ),
        ),
        migrations.AddIndex(
            model_name="serviceexception",
            index=models.Index(fields=["centre", "detected_at"], name="contact_ser_centre__aee068_idx"),
        ),
        migrations.AddIndex(
            model_name="serviceexception",
            index=models.Index(fields=["agent", "detected_at"], name="contact_ser_agent_i_44388b_idx"),
        ),
        migrations.AddConstraint(
            model_name="serviceexception",
            constraint=models.UniqueConstraint(
                fields=("contact", "kind"), name="service_exception_once_per_contact_and_rule"
            ),
        ),
    ]
