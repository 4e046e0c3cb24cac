"""WO-1: the contact a work order records; KB-1, WO-5: the article version an answer cites;
callback notices in the notification list."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0001_contacts_queues_agent_states"),
        ("knowledge", "0002_search_index_and_version_guard"),
        ("workorders", "0002_contact_links"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("urgent_work_order", "Urgent work order"),
                    ("work_order_assigned", "Work order assigned to you"),
                    ("staff_data_request", "Request for staff data"),
                    ("work_order_overdue", "Work order overdue"),
                    ("callback", "Callback"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="historicalworkorder",
            name="answer_article_version",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="knowledge.articleversion",
                verbose_name="cited article version",
            ),
        ),
        migrations.AddField(
            model_name="historicalworkorder",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="contact.contact",
                verbose_name="contact",
            ),
        ),
        migrations.AddField(
            model_name="workorder",
            name="answer_article_version",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="knowledge.articleversion",
                verbose_name="cited article version",
            ),
        ),
        migrations.AddField(
            model_name="workorder",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="work_orders",
                to="contact.contact",
                verbose_name="contact",
            ),
        ),
    ]
