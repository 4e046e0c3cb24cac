"""CT-18 customer services through their transactions; CT-11 screen pop and enqueue look-up by number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from banzu.contact import customers, selectors
from banzu.contact.models import Contact, Customer, CustomerNumber
from banzu.contact.tests.factories import CustomerFactory, QueueFactory, channel
from banzu.core.errors import NotAllowed, OutOfScope
from banzu.core.models import PolicyValue
from banzu.org.tests.factories import CentreFactory

pytestmark = pytest.mark.django_db


def codes(caught) -> dict[str, list[str]]:
    return {field: [error.code for error in found] for field, found in caught.value.error_dict.items()}


@pytest.fixture
def sup(org):
    return org.people["supervisor"].user


def make(user, name="王小明", numbers=("13912345678",), **values):
    rows = [{"number": n, "label": "mobile"} for n in numbers]
    return customers.create_customer(user=user, values={"name": name, **values}, numbers=rows)


def contact_for(org, customer, persona="agent", minutes_ago=30, number="13912345678"):
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return Contact.objects.create(
        centre=org.centre,
        channel=channel("voice"),
        queue=QueueFactory(department=org.department),
        agent=org.people[persona] if persona else None,
        customer=customer,
        caller_number=number,
        external_id=f"SW-{Contact.objects.count() + 1}",
        arrived_at=started,
        answered_at=started + timedelta(seconds=10),
        ended_at=started + timedelta(minutes=3),
        status=Contact.Status.ENDED,
    )


# --- create and change --------------------------------------------------------------------------------


def test_create_keeps_numbers_normalised_with_the_first_as_primary_mirrored_in_phone(org, sup):
    customer = make(sup, numbers=("139-1234-5678", "010 88886666"), kind="person", tags=["老客户", " 老客户 "])
    rows = list(customer.numbers.order_by("pk").values_list("number", "primary"))
    assert rows == [("13912345678", True), ("01088886666", False)]
    assert customer.phone == "13912345678"
    assert customer.centre_id == org.centre.pk
    assert customer.tags == ["老客户"]
    assert customer.history.count() >= 1
    assert CustomerNumber.history.filter(customer_id=customer.pk, history_type="+").count() == 2


def test_a_customer_needs_a_name_or_a_number(sup):
    with pytest.raises(ValidationError) as caught:
        make(sup, name="", numbers=())
    assert codes(caught) == {"name": ["name_or_number"]}
    assert make(sup, name="", numbers=("13800000000",)).name == ""


@pytest.mark.parametrize(
    ("numbers", "field", "code"),
    [
        (("139abc",), "numbers[0].number", "number_format"),
        (("13912345678", "12"), "numbers[1].number", "number_length"),
        (("13912345678", "139-1234-5678"), "numbers[1].number", "number_twice"),
    ],
)
def test_bad_numbers_name_the_row_and_the_rule(sup, numbers, field, code):
    with pytest.raises(ValidationError) as caught:
        make(sup, numbers=numbers)
    assert codes(caught) == {field: [code]}
    assert not Customer.objects.exists()


def test_two_primary_numbers_are_refused(sup):
    rows = [{"number": "13912345678", "primary": True}, {"number": "13812345678", "primary": True}]
    with pytest.raises(ValidationError) as caught:
        customers.create_customer(user=sup, values={"name": "甲"}, numbers=rows)
    assert codes(caught) == {"numbers": ["primary_twice"]}


def test_a_number_of_another_customer_is_refused_naming_that_customer(org, sup):
    first = make(sup, name="王小明", numbers=("13912345678",))
    with pytest.raises(ValidationError) as caught:
        make(sup, name="李四", numbers=("13800000000", "139-1234-5678"))
    assert codes(caught) == {"numbers[1].number": ["number_taken"]}
    message = caught.value.error_dict["numbers[1].number"][0].message
    assert "王小明" in message and f"#{first.pk}" in message and "13912345678" in message
    assert Customer.objects.count() == 1


def test_the_duplicate_message_is_masked_for_a_reader_who_may_not_see_personal_data(org, sup):
    make(sup, name="王小明", numbers=("13912345678",))
    taken = CustomerNumber.objects.get()
    message = customers._duplicate(org.people["agent"].user, 0, taken).error_dict["numbers[0].number"][0].message
    assert "王*明" in message and "139****5678" in message and "王小明" not in message


def test_the_same_number_is_free_in_another_centre(org, sup):
    CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"), phone="13912345678")
    assert make(sup).phone == "13912345678"


def test_update_replaces_the_numbers_keeping_unchanged_rows_and_moving_the_primary(sup):
    customer = make(sup, numbers=("13912345678", "01088886666"))
    kept = customer.numbers.get(number="01088886666")
    rows = [{"number": "01088886666", "label": "landline", "primary": True}, {"number": "13700000000"}]
    customers.update_customer(user=sup, customer_id=customer.pk, values={"name": "王小明"}, numbers=rows)
    customer.refresh_from_db()
    assert customer.phone == "01088886666"
    assert set(customer.numbers.values_list("number", flat=True)) == {"01088886666", "13700000000"}
    kept.refresh_from_db()
    assert kept.primary and kept.label == "landline"
    assert CustomerNumber.history.filter(number="13912345678", history_type="-").exists()


def test_add_and_remove_a_number(sup):
    customer = make(sup)
    customers.add_number(user=sup, customer_id=customer.pk, number="010-88886666", label="work", primary=True)
    customer.refresh_from_db()
    assert customer.phone == "01088886666"
    customers.remove_number(user=sup, customer_id=customer.pk, number="01088886666")
    customer.refresh_from_db()
    assert customer.phone == "13912345678"
    assert list(customer.numbers.values_list("number", "primary")) == [("13912345678", True)]
    with pytest.raises(ValidationError) as caught:
        customers.remove_number(user=sup, customer_id=customer.pk, number="000")
    assert codes(caught) == {"number": ["no_such_number"]}


def test_vip_level_is_bounded_by_the_centre_policy(org, sup):
    customer = make(sup)
    customers.set_vip(user=sup, customer_id=customer.pk, level=5)
    with pytest.raises(ValidationError) as caught:
        customers.set_vip(user=sup, customer_id=customer.pk, level=6)
    assert codes(caught) == {"vip_level": ["vip_level_range"]}
    PolicyValue.objects.create(centre=org.centre, key="contact.customer_max_vip_level", value=2)
    with pytest.raises(ValidationError):
        customers.set_vip(user=sup, customer_id=customer.pk, level=3)
    customer.refresh_from_db()
    assert customer.vip_level == 5


def test_tags_are_cleaned_and_bounded(sup):
    customer = make(sup)
    assert customers.set_tags(user=sup, customer_id=customer.pk, tags=["投诉", " 投诉", "VIP"]).tags == ["投诉", "VIP"]
    with pytest.raises(ValidationError) as caught:
        customers.set_tags(user=sup, customer_id=customer.pk, tags=["长" * 21])
    assert codes(caught) == {"tags": ["tag_length"]}


def test_personal_fields_are_checked(sup):
    with pytest.raises(ValidationError) as caught:
        make(sup, email="not-an-email")
    assert codes(caught) == {"email": ["email_format"]}
    with pytest.raises(ValidationError) as caught:
        make(sup, id_number="110-101")
    assert codes(caught) == {"id_number": ["id_number_format"]}
    assert make(sup, id_number="11010119900101123x").id_number == "11010119900101123X"


@pytest.mark.parametrize("persona", ["agent", "qa", "trainer", "hr"])
def test_roles_without_the_edit_action_cannot_write(org, sup, persona):
    customer = make(sup)
    user = org.people[persona].user
    with pytest.raises(NotAllowed):
        make(user, numbers=("13800000000",))
    with pytest.raises(NotAllowed):
        customers.set_tags(user=user, customer_id=customer.pk, tags=["x"])


def test_another_centres_customer_is_out_of_scope(sup):
    stranger = CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"))
    with pytest.raises(OutOfScope):
        customers.set_vip(user=sup, customer_id=stranger.pk, level=1)


# --- merge --------------------------------------------------------------------------------------------


def test_merge_moves_numbers_contacts_and_work_orders_and_keeps_the_source_with_history(org, sup):
    from banzu.workorders import services as wo_services

    target = make(sup, name="王小明", numbers=("13912345678",), tags=["老客户"], vip_level=1)
    source = make(sup, name="王晓明", numbers=("13800000000",), tags=["投诉"], vip_level=3, email="w@example.cn")
    call = contact_for(org, source, number="13800000000")
    order = wo_services.create_work_order(
        user=org.people["agent"].user,
        category="suggestion",
        location="人民路10号",
        summary="建议延长开放时间",
        now=timezone.now(),
        contact_id=call.pk,
    )
    merged = customers.merge_customers(user=sup, target_id=target.pk, source_id=source.pk)
    source.refresh_from_db()
    call.refresh_from_db()
    assert call.customer_id == target.pk
    assert source.merged_into_id == target.pk and source.phone == "" and not source.numbers.exists()
    assert set(merged.numbers.values_list("number", "primary")) == {("13912345678", True), ("13800000000", False)}
    assert merged.tags == ["老客户", "投诉"] and merged.vip_level == 3 and merged.email == "w@example.cn"
    assert source.history.first().history_change_reason == f"merged into #{target.pk}"
    _, orders = selectors.customer_history(merged, None, 10)
    assert [o.pk for o in orders] == [order.pk]
    # The number of the folded record now finds the kept one.
    assert selectors.find_customer(org.centre.pk, "13800000000") == target


def test_merge_is_refused_for_the_same_record_an_already_merged_one_and_without_the_action(org, sup):
    a, b, c = make(sup, "甲", ("13900000001",)), make(sup, "乙", ("13900000002",)), make(sup, "丙", ("13900000003",))
    with pytest.raises(ValidationError) as caught:
        customers.merge_customers(user=sup, target_id=a.pk, source_id=a.pk)
    assert codes(caught) == {"source": ["same_customer"]}
    customers.merge_customers(user=sup, target_id=a.pk, source_id=b.pk)
    with pytest.raises(ValidationError) as caught:
        customers.merge_customers(user=sup, target_id=c.pk, source_id=b.pk)
    assert codes(caught) == {"source": ["customer_merged"]}
    with pytest.raises(NotAllowed):
        customers.merge_customers(user=org.people["team_leader"].user, target_id=a.pk, source_id=c.pk)


# --- look-up by number: enqueue (CT-5) and screen pop (CT-11) -----------------------------------------


def test_an_incoming_call_finds_the_customer_by_any_of_their_numbers(floor, sup):
    customer = make(sup, numbers=("13912345678", "010-88886666"), vip_level=2)
    contact = floor.call(seconds=0, caller_number="01088886666", external_id="c-1")
    assert contact.customer_id == customer.pk and contact.customer_priority == 2
    unknown = floor.call(seconds=1, caller_number="13000000000", external_id="c-2")
    assert unknown.customer_id is None


def test_the_screen_pop_shows_what_the_reader_may_see_masked_for_agents(org, sup):
    customer = make(sup, numbers=("13912345678",))
    own = contact_for(org, customer, "agent", minutes_ago=10)
    contact_for(org, customer, "other_agent", minutes_ago=20)
    agent_card = selectors.customer_for_number(org.centre, "139-1234-5678", org.people["agent"].user)
    assert agent_card["customer"] == customer and agent_card["full"] is False
    assert [c.pk for c in agent_card["contacts"]] == [own.pk]
    sup_card = selectors.customer_for_number(org.centre, "13912345678", sup)
    assert sup_card["full"] is True and len(sup_card["contacts"]) == 2
    assert selectors.customer_for_number(org.centre, "13000000000", sup) is None
    assert selectors.customer_for_number(CentreFactory(code="SH", name="上海中心"), "13912345678", sup) is None


def test_recent_items_follow_the_policy(org, sup):
    customer = make(sup)
    for minutes in (10, 20, 30):
        contact_for(org, customer, "agent", minutes_ago=minutes)
    PolicyValue.objects.create(centre=org.centre, key="contact.customer_recent_items", value=2)
    assert len(selectors.customer_card(customer, sup)["contacts"]) == 2


# --- search ---------------------------------------------------------------------------------------------


def test_search_by_name_by_whole_or_partial_number_vip_and_tag(org, sup):
    wang = make(sup, "王小明", ("13912345678", "01088886666"), vip_level=1, tags=["老客户"])
    li = make(sup, "李四", ("13812345678",), tags=["投诉"])
    make(sup, "王五", ("13700000000",))
    CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"), name="王外", phone="13912345678")

    def found(**kwargs):
        return [c.pk for c in selectors.search_customers(sup, **kwargs)]

    assert set(found(q="王")) == {wang.pk, Customer.objects.get(name="王五").pk}
    assert found(q="8888") == [wang.pk]
    assert set(found(number="12345678")) == {wang.pk, li.pk}
    assert found(q="13812345678") == [li.pk]
    assert found(q="567") == []  # below the minimum digits it is a name, and no name has it
    assert found(vip=True) == [wang.pk]
    assert found(tag="投诉") == [li.pk]
    assert found(tag="投") == []
    assert found(number="王") == []


def test_an_exact_number_comes_before_partial_matches(org, sup):
    partial = make(sup, "甲", ("013912345678",), vip_level=3)
    exact = make(sup, "乙", ("13912345678",))
    assert [c.pk for c in selectors.search_customers(sup, q="13912345678")] == [exact.pk, partial.pk]


def test_merged_records_are_not_listed(sup):
    a, b = make(sup, "甲", ("13900000001",)), make(sup, "乙", ("13900000002",))
    customers.merge_customers(user=sup, target_id=a.pk, source_id=b.pk)
    assert [c.pk for c in selectors.search_customers(sup)] == [a.pk]


# --- data migration ---------------------------------------------------------------------------------------


def test_the_data_migration_gives_every_phone_a_primary_number_once_per_centre(org):
    import importlib

    migration = importlib.import_module("banzu.contact.migrations.0006_customer_numbers")
    first = Customer.objects.create(centre=org.centre, name="甲", phone="139-1234-5678")
    twin = Customer.objects.create(centre=org.centre, name="乙", phone="13912345678")
    Customer.objects.create(centre=org.centre, name="丙", phone="")
    migration.copy_phones(django_apps, None)
    assert list(CustomerNumber.objects.values_list("customer_id", "number", "primary")) == [
        (first.pk, "13912345678", True)
    ]
    assert not twin.numbers.exists()


# --- demo data --------------------------------------------------------------------------------------------


def test_demo_customers_have_numbers_and_are_made_once(org):
    from banzu.org.demo import DEMO_CUSTOMERS, ensure_demo_customers

    assert ensure_demo_customers(org.centre) == DEMO_CUSTOMERS
    assert ensure_demo_customers(org.centre) == 0
    made = Customer.objects.filter(centre=org.centre)
    assert made.count() == DEMO_CUSTOMERS
    assert not made.filter(numbers__isnull=True).exists()
    assert made.filter(kind=Customer.Kind.COMPANY).exists() and made.filter(vip_level__gt=0).exists()
    for customer in made.prefetch_related("numbers"):
        assert customer.phone == next(n.number for n in customer.numbers.all() if n.primary)
    assert selectors.find_customer(org.centre.pk, made.first().phone) == made.first()
