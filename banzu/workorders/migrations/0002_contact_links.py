"""Work orders linked to contacts and cited knowledge-base versions (WO-1, KB-1); the overdue
sweep's record of what it escalated."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_work_orders_custom_fields_duty_notifications")]

    operations: list = [
        migrations.AddField(
            model_name="workorder",
            name="escalated_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="escalated deadline"),
        ),
        migrations.AddField(
            model_name="workorder",
            name="escalated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="escalated at"),
        ),
        migrations.AddField(
            model_name="historicalworkorder",
            name="escalated_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="escalated deadline"),
        ),
        migrations.AddField(
            model_name="historicalworkorder",
            name="escalated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="escalated at"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("urgent_work_order", "Urgent work order"),
                    ("work_order_assigned", "Work order assigned to you"),
                    ("staff_data_request", "Request for staff data"),
                    ("work_order_overdue", "Work order overdue"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
    ]
