"""WO-1: a work order records its contact, and answered contacts without one are listed as
exceptions; KB-1, WO-5: an answer cites the exact knowledge article version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from banzu.contact.models import Contact
from banzu.contact.tests.factories import CustomerFactory, QueueFactory, channel
from banzu.knowledge import services as knowledge_services
from banzu.knowledge.tests.factories import article
from banzu.workorders import selectors, services
from banzu.workorders.models import AnswerBasis, WorkOrder

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def call(org, now):
    """call(persona, ended=minutes ago or None for a live call, answered=True): a voice contact."""

    def make(persona: str = "agent", *, ended: float | None = 30, answered: bool = True, **fields):
        agent = org.people[persona] if persona else None
        started = now - timedelta(minutes=(ended or 0) + 5)
        values = {
            "centre": org.centre,
            "channel": channel("voice"),
            "queue": QueueFactory(department=org.department),
            "agent": agent,
            "caller_number": "13912345678",
            "external_id": f"SW-{Contact.objects.count() + 1}",
            "arrived_at": started,
            "answered_at": started + timedelta(seconds=20) if answered else None,
            "status": Contact.Status.CONNECTED,
        }
        if ended is not None:
            values.update(status=Contact.Status.ENDED if answered else Contact.Status.ABANDONED)
            values["ended_at"] = now - timedelta(minutes=ended)
        values.update(fields)
        return Contact.objects.create(**values)

    return make


def errors(caught) -> dict[str, list[str]]:
    return {field: [error.code for error in found] for field, found in caught.value.error_dict.items()}


# --- a work order records its contact ----------------------------------------------------------------------


def test_a_work_order_for_a_contact_takes_its_end_time_caller_customer_and_call_id(org, create, call, now):
    customer = CustomerFactory(centre=org.centre, name="赵敏", phone="13912345678")
    contact = call(ended=3, customer=customer)

    order = create(contact_id=contact.pk, caller_number="")

    assert order.contact == contact
    assert order.contact_ended_at == contact.ended_at
    assert order.completion_due_at == contact.ended_at + timedelta(minutes=15)
    assert (order.caller_number, order.customer_name, order.contact_ref) == ("13912345678", "赵敏", contact.external_id)


def test_what_the_agent_typed_wins_over_the_contacts_data(org, create, call):
    order = create(contact_id=call().pk, caller_number="010-12345678", customer_name="钱多多")
    assert (order.caller_number, order.customer_name) == ("01012345678", "钱多多")


@pytest.mark.parametrize(
    "which",
    ["missing", "beyond_64_bits", "someone_elses", "live"],
    ids=["no such contact", "an id no database holds", "another team's contact", "still connected"],
)
def test_a_contact_that_cannot_be_recorded_is_refused_on_the_contact_field(org, create, call, which):
    contact_id = {
        "missing": lambda: 999999,
        "beyond_64_bits": lambda: 2**63,
        "someone_elses": lambda: call("other_agent").pk,
        "live": lambda: call(ended=None).pk,
    }[which]()
    before = WorkOrder.objects.count()

    with pytest.raises(ValidationError) as caught:
        create(contact_id=contact_id)

    assert errors(caught) == {"contact": ["contact_live" if which == "live" else "unknown_contact"]}
    assert WorkOrder.objects.count() == before


# --- the exception list ------------------------------------------------------------------------------------


def test_answered_contacts_past_their_completion_time_without_a_work_order_are_exceptions(org, create, call, now):
    late = call(ended=30)
    recent = call(ended=5)  # still inside its 15 minutes
    call(ended=40, answered=False)  # abandoned: nothing to record
    recorded = call(ended=50)
    create(contact_id=recorded.pk)

    listed = list(selectors.contacts_without_work_order(org.people["agent"].user, now=now))

    assert listed == [late]
    assert recent not in listed


def test_the_exception_list_follows_the_contacts_scope(org, call, now):
    mine, theirs = call("agent"), call("other_agent")

    def listed(persona):
        return set(selectors.contacts_without_work_order(org.people[persona].user, now=now))

    assert listed("agent") == {mine}
    assert listed("team_leader") == {mine}
    assert listed("other_team_leader") == {theirs}
    assert listed("manager") == {mine, theirs}


def test_the_completion_minutes_policy_decides_when_a_contact_becomes_an_exception(org, call, now):
    from banzu.core import services as core_services

    contact = call(ended=20)
    assert list(selectors.contacts_without_work_order(org.people["agent"].user, now=now)) == [contact]
    core_services.set_policy(
        user=org.people["admin"].user, key="workorders.completion_minutes", centre=org.centre, value=30, reason="试行"
    )
    assert list(selectors.contacts_without_work_order(org.people["agent"].user, now=now)) == []


def test_the_exception_page_lists_the_contact_masked_and_offers_to_record_it(org, call, page_as, now):
    contact = call(ended=60)

    as_agent = page_as("agent").get("/workorders/contacts-without-work-order/")
    as_leader = page_as("team_leader").get("/workorders/contacts-without-work-order/")

    assert as_agent.status_code == 200
    assert f"/workorders/new/?contact={contact.pk}" in as_agent.content.decode()
    assert "13912345678" not in as_agent.content.decode()  # agents see customer numbers masked
    assert "13912345678" in as_leader.content.decode()


def test_the_exception_page_says_so_when_nothing_is_missing(org, page_as):
    response = page_as("agent").get("/workorders/contacts-without-work-order/")
    assert "Every answered contact has its work order." in response.content.decode()


def test_recording_from_the_form_links_the_contact(org, call, page_as):
    contact = call(ended=60)
    client = page_as("agent")

    form = client.get(f"/workorders/new/?contact={contact.pk}&category=suggestion")
    response = client.post(
        "/workorders/new/",
        {"category": "suggestion", "location": "人民路10号", "summary": "建议", "contact": contact.pk},
    )

    assert f'value="{contact.pk}"' in form.content.decode()
    assert response.status_code == 302
    assert WorkOrder.objects.get().contact == contact


def test_the_api_records_the_contact(org, call, api_as):
    contact = call(ended=60)
    response = api_as("agent").post(
        "/api/v1/work-orders/",
        {"category": "suggestion", "location": "人民路10号", "summary": "建议", "contact_id": contact.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["contact"] == contact.pk


# --- citing a knowledge article version ----------------------------------------------------------------


def consultation(**fields):
    return {
        "category": "consultation",
        "consultation_mode": "direct_answer",
        "answer": "可在电子税务局开具。",
        **fields,
    }


def test_an_answer_cites_the_article_version_and_names_it(org, create):
    kb = article(org, title="增值税发票开具流程")
    version = kb.current_version

    order = create(**consultation(answer_article_version_id=version.pk))

    assert order.answer_article_version == version
    assert order.answer_basis_kind == AnswerBasis.KNOWLEDGE_ARTICLE
    assert order.answer_basis == "增值税发票开具流程 (version 1)"


def test_the_citation_stays_on_the_version_after_the_article_changes(org, create):
    kb = article(org, title="增值税发票开具流程")
    order = create(**consultation(answer_article_version_id=kb.current_version_id))

    knowledge_services.revise_article(
        user=org.people["trainer"].user,
        article=kb,
        title="发票开具流程（新）",
        body="新版正文",
        change_note="更新",
        category=None,
        tags=[],
        valid_from=None,
        valid_until=None,
    )

    order.refresh_from_db()
    assert order.answer_article_version.number == 1
    assert order.answer_article_version.title == "增值税发票开具流程"


def test_citing_a_version_requires_the_knowledge_article_basis(org, create):
    kb = article(org)
    with pytest.raises(ValidationError) as caught:
        create(**consultation(answer_article_version_id=kb.current_version_id, answer_basis_kind="law"))
    assert errors(caught) == {"answer_basis_kind": ["citation_kind"]}


def test_a_version_the_agent_cannot_read_is_refused(org, create):
    hidden = article(org, title="VIP专线说明", persona="manager", department=org.other_department)
    with pytest.raises(ValidationError) as caught:
        create(**consultation(answer_article_version_id=hidden.current_version_id))
    assert errors(caught) == {"answer_article_version": ["unknown_version"]}


def test_changing_the_basis_away_from_an_article_drops_the_citation(org, create, now):
    kb = article(org)
    order = create(**consultation(answer_article_version_id=kb.current_version_id))

    services.update_work_order(
        user=org.people["agent"].user,
        work_order_id=order.pk,
        changes={"answer_basis_kind": "law", "answer_basis": "《发票管理办法》第十九条"},
        now=now,
    )

    order.refresh_from_db()
    assert order.answer_article_version is None
    assert order.answer_basis == "《发票管理办法》第十九条"


def test_the_detail_page_links_the_cited_version(org, create, page_as):
    kb = article(org)
    order = create(**consultation(answer_article_version_id=kb.current_version_id))
    response = page_as("agent").get(f"/workorders/{order.pk}/")
    assert f"/knowledge/articles/{kb.pk}/?version=1" in response.content.decode()
