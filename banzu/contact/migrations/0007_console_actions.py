"""Other agents on a call and agent messages (CT-10); new contact event kinds."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0006_customer_numbers"),
        ("org", "0003_seed_executive_posts"),
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
                    ("dialed", "Dialled out"),
                    ("dial_failed", "Not reached"),
                    ("joined", "Agent joined"),
                    ("left", "Agent left"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="AgentMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "audience",
                    models.CharField(
                        choices=[("employee", "One person"), ("team", "A team"), ("on_duty", "Everyone on duty")],
                        max_length=10,
                        verbose_name="sent to",
                    ),
                ),
                ("text", models.TextField(verbose_name="message")),
                ("sent_at", models.DateTimeField(verbose_name="sent at")),
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
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "sender",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="agent_messages_sent",
                        to="org.employee",
                        verbose_name="sender",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="org.team",
                        verbose_name="team",
                    ),
                ),
            ],
            options={
                "verbose_name": "agent message",
                "verbose_name_plural": "agent messages",
                "ordering": ["-sent_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="AgentMessageRecipient",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recipients",
                        to="contact.agentmessage",
                        verbose_name="message",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="agent_messages_received",
                        to="org.employee",
                        verbose_name="recipient",
                    ),
                ),
            ],
            options={
                "verbose_name": "message recipient",
                "verbose_name_plural": "message recipients",
                "ordering": ["-message__sent_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="CallParty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("called", "Called agent"),
                            ("consulted", "Consulted agent"),
                            ("conferenced", "Three-party call"),
                        ],
                        max_length=12,
                        verbose_name="role on the call",
                    ),
                ),
                ("started_at", models.DateTimeField(verbose_name="started at")),
                ("answered_at", models.DateTimeField(blank=True, null=True, verbose_name="answered at")),
                ("ended_at", models.DateTimeField(blank=True, null=True, verbose_name="ended at")),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="call_legs",
                        to="org.employee",
                        verbose_name="agent",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parties",
                        to="contact.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            options={
                "verbose_name": "call party",
                "verbose_name_plural": "call parties",
                "ordering": ["contact", "started_at", "pk"],
            },
        ),
        migrations.AddIndex(
            model_name="agentmessage",
            index=models.Index(fields=["sender", "sent_at"], name="contact_age_sender__3b5924_idx"),
        ),
        migrations.AddIndex(
            model_name="agentmessagerecipient",
            index=models.Index(fields=["recipient", "read_at"], name="contact_age_recipie_c04b74_idx"),
        ),
        migrations.AddConstraint(
            model_name="agentmessagerecipient",
            constraint=models.UniqueConstraint(fields=("message", "recipient"), name="agent_message_recipient_once"),
        ),
        migrations.AddConstraint(
            model_name="callparty",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ended_at__isnull", True)), fields=("agent",), name="one_open_leg_per_agent"
            ),
        ),
    ]
