"""Customers with several numbers, a type and personal data (CT-18).

Every existing customer's phone becomes their primary number; a phone already held by another
customer of the centre stays on ``Customer.phone`` only, to be merged by hand.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def _normalise(raw: str) -> str:
    # Same normalisation as contact.customers.normalise_number, frozen here.
    text = "".join(raw.split()).replace("-", "")
    return text


def copy_phones(apps, schema_editor):
    Customer = apps.get_model("contact", "Customer")
    CustomerNumber = apps.get_model("contact", "CustomerNumber")
    taken: set[tuple[int, str]] = set()
    rows = []
    for customer_id, centre_id, phone in (
        Customer.objects.exclude(phone="").order_by("pk").values_list("pk", "centre_id", "phone")
    ):
        number = _normalise(phone)
        if not number or (centre_id, number) in taken:
            continue
        taken.add((centre_id, number))
        rows.append(CustomerNumber(centre_id=centre_id, customer_id=customer_id, number=number, primary=True))
    CustomerNumber.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0005_ivr_customers"),
        ("org", "0003_seed_executive_posts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="address",
            field=models.CharField(blank=True, max_length=200, verbose_name="address"),
        ),
        migrations.AddField(
            model_name="customer",
            name="email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="email"),
        ),
        migrations.AddField(
            model_name="customer",
            name="id_number",
            field=models.CharField(
                blank=True,
                help_text="Resident ID card number for a person, unified social credit code for a company.",
                max_length=30,
                verbose_name="ID card or credit code",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="kind",
            field=models.CharField(
                choices=[("person", "Person"), ("company", "Company")],
                default="person",
                max_length=10,
                verbose_name="customer type",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_from",
                to="contact.customer",
                verbose_name="merged into",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="notes",
            field=models.TextField(blank=True, verbose_name="notes"),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="address",
            field=models.CharField(blank=True, max_length=200, verbose_name="address"),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="email"),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="id_number",
            field=models.CharField(
                blank=True,
                help_text="Resident ID card number for a person, unified social credit code for a company.",
                max_length=30,
                verbose_name="ID card or credit code",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="kind",
            field=models.CharField(
                choices=[("person", "Person"), ("company", "Company")],
                default="person",
                max_length=10,
                verbose_name="customer type",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="contact.customer",
                verbose_name="merged into",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="notes",
            field=models.TextField(blank=True, verbose_name="notes"),
        ),
        migrations.CreateModel(
            name="HistoricalCustomerNumber",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("number", models.CharField(max_length=30, verbose_name="phone number")),
                (
                    "label",
                    models.CharField(
                        choices=[("mobile", "Mobile"), ("landline", "Landline"), ("work", "Work"), ("other", "Other")],
                        default="mobile",
                        max_length=10,
                        verbose_name="number type",
                    ),
                ),
                ("primary", models.BooleanField(default=False, verbose_name="primary number")),
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
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="contact.customer",
                        verbose_name="customer",
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
                "verbose_name": "historical customer number",
                "verbose_name_plural": "historical customer numbers",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="CustomerNumber",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=30, verbose_name="phone number")),
                (
                    "label",
                    models.CharField(
                        choices=[("mobile", "Mobile"), ("landline", "Landline"), ("work", "Work"), ("other", "Other")],
                        default="mobile",
                        max_length=10,
                        verbose_name="number type",
                    ),
                ),
                ("primary", models.BooleanField(default=False, verbose_name="primary number")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
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
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="numbers",
                        to="contact.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "customer number",
                "verbose_name_plural": "customer numbers",
                "ordering": ["-primary", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("centre", "number"), name="customer_number_unique_per_centre"),
                    models.UniqueConstraint(
                        condition=models.Q(("primary", True)), fields=("customer",), name="customer_number_one_primary"
                    ),
                ],
            },
        ),
        migrations.RunPython(copy_phones, migrations.RunPython.noop),
    ]
