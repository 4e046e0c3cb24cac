"""Factories for contacts and queues; parents stay consistent (queue, customer and contact in one centre)."""

from __future__ import annotations

import importlib

import factory

from banzu.contact.models import Channel, Customer, Queue, QueueSkill
from banzu.org.tests.factories import DepartmentFactory


def channel(code: str = "voice") -> Channel:
    """The seeded channels: "voice" (one contact at a time) and "chat" (several).

    Seeded again when a transactional test flushed the migration's rows.
    """
    seed = importlib.import_module("banzu.contact.migrations.0002_seed_channels")
    row = next(row for row in seed.CHANNELS if row[0] == code)
    found, _created = Channel.objects.get_or_create(
        code=code, defaults={"name": row[1], "kind": row[2], "multi_contact": row[3]}
    )
    return found


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue

    department = factory.SubFactory(DepartmentFactory)
    centre = factory.SelfAttribute("department.centre")
    code = factory.Sequence(lambda n: f"Q{n:03d}")
    name = factory.Sequence(lambda n: f"队列{n}")
    channel = factory.LazyFunction(channel)


class QueueSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueSkill

    queue = factory.SubFactory(QueueFactory)
    skill = None
    min_level = 1


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    centre = factory.SubFactory("banzu.org.tests.factories.CentreFactory")
    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @factory.post_generation
    def primary_number(obj, create, extracted, **kwargs):
        """`phone` is also the customer's primary number, as contact.customers keeps it."""
        if create and obj.phone:
            from banzu.contact.models import CustomerNumber

            CustomerNumber.objects.create(centre_id=obj.centre_id, customer=obj, number=obj.phone, primary=True)


def fuzz_seed(org) -> None:
    """Customers for the API fuzzer (CT-18): two of the fixture's centre, one of another centre."""
    from banzu.contact.models import CustomerNumber
    from banzu.org.tests.factories import CentreFactory

    vip = CustomerFactory(centre=org.centre, name="王小明", phone="13912345678", vip_level=2, tags=["老客户"])
    CustomerNumber.objects.create(centre=org.centre, customer=vip, number="01088886666", label="landline")
    CustomerFactory(centre=org.centre, name="华信商贸有限公司", kind="company", phone="01066668888")
    CustomerFactory(centre=CentreFactory(code="FZ", name="外地中心"), name="外地客户", phone="13912345678")
