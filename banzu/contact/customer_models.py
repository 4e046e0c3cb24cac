"""Customers' telephone numbers (CT-18). Imported at the end of ``contact.models``.

A number belongs to one customer of a centre, so that a caller's number finds one record (CT-11
screen pop, VIP routing). Numbers are stored normalised (``customers.normalise_number``); the customer's
primary number is mirrored in ``Customer.phone`` for the callers that read one number.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from banzu.contact.models import Customer
from banzu.org.models import Centre

__all__ = ["CustomerNumber"]


class CustomerNumber(models.Model):
    class Label(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")
        WORK = "work", pgettext_lazy("phone number type", "Work")
        OTHER = "other", _("Other")

    # The centre is the customer's, repeated so that the database keeps a number unique per centre.
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="numbers", verbose_name=_("customer"))
    number = models.CharField(_("phone number"), max_length=30)
    label = models.CharField(_("number type"), max_length=10, choices=Label.choices, default=Label.MOBILE)
    primary = models.BooleanField(_("primary number"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-primary", "pk"]
        verbose_name = _("customer number")
        verbose_name_plural = _("customer numbers")
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="customer_number_unique_per_centre"),
            models.UniqueConstraint(fields=["customer"], condition=Q(primary=True), name="customer_number_one_primary"),
        ]

    def __str__(self) -> str:
        return self.number
