"""Queue and skill set-up (CT-5): the overflow and hours rules, the services and the pages."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from banzu.contact import queue_admin, rules
from banzu.contact.models import Contact, Queue, QueueHours, QueueSkill
from banzu.contact.tests.factories import QueueFactory, channel
from banzu.core.errors import NotAllowed, OutOfScope
from banzu.org.models import Skill
from banzu.org.tests.factories import CentreFactory, DepartmentFactory, SkillFactory

# --- rules -------------------------------------------------------------------------------------------------

# Queues 1 → 2 → 3 overflow in a chain; 4 overflows nowhere; 5 ↔ 6 is an existing loop.
TARGETS = {1: 2, 2: 3, 3: None, 4: None, 5: 6, 6: 5}


@pytest.mark.parametrize(
    ("queue_id", "target_id", "same_centre", "problem"),
    [
        (1, None, True, None),  # no overflow
        (4, 1, True, None),  # into the top of a chain
        (3, 4, True, None),  # the end of a chain onward
        (1, 3, True, None),  # skipping a step
        (None, 1, True, None),  # a new queue cannot close a loop
        (4, 4, True, "overflow_to_itself"),
        (None, 4, False, "overflow_other_centre"),
        (4, 1, False, "overflow_other_centre"),
        (3, 1, True, "overflow_cycle"),  # 3 → 1 → 2 → 3
        (2, 1, True, "overflow_cycle"),  # 2 → 1 → 2
        (3, 2, True, "overflow_cycle"),
        (4, 5, True, "overflow_cycle"),  # into an existing loop
        (None, 5, True, None),
    ],
)
def test_overflow_problem(queue_id, target_id, same_centre, problem):
    assert rules.overflow_problem(queue_id, target_id, TARGETS, same_centre) == problem


def _h(weekday, opens, closes):
    return rules.OpeningHours(weekday, time(opens), time(closes))


@pytest.mark.parametrize(
    ("periods", "clashes"),
    [
        ([], []),
        ([_h(0, 9, 12), _h(0, 13, 18)], []),
        ([_h(0, 9, 12), _h(0, 12, 18)], []),  # touching is not overlapping
        ([_h(0, 9, 13), _h(0, 12, 18)], [0]),
        ([_h(2, 12, 18), _h(2, 9, 13), _h(1, 9, 18)], [2]),  # unsorted input
        ([_h(5, 9, 18), _h(5, 10, 11), _h(6, 9, 18), _h(6, 8, 10)], [5, 6]),
        ([_h(0, 9, 18), _h(1, 9, 18)], []),  # different days never clash
    ],
)
def test_overlapping_weekdays(periods, clashes):
    assert rules.overlapping_weekdays(periods) == clashes


# --- services ----------------------------------------------------------------------------------------------


@pytest.fixture
def tax():
    return SkillFactory(code="tax", name="办税咨询")


def values(org, **changes):
    data = {
        "code": "TAX",
        "name": "办税热线",
        "department": org.department,
        "channel": channel("voice"),
        "priority": 1,
        "strategy": Queue.Strategy.LONGEST_IDLE,
        "service_level_percent": 80,
        "service_level_seconds": 20,
        "max_wait_seconds": None,
        "overflow_queue": None,
        "overflow_after_seconds": None,
        "offer_timeout_seconds": None,
        "closed_on_non_working_days": True,
        "active": True,
    }
    data.update(changes)
    return data


def save(org, persona="supervisor", queue_id=None, skills=(), hours=(), **changes):
    return queue_admin.save_queue(
        user=org.people[persona].user,
        queue_id=queue_id,
        values=values(org, **changes),
        skills=list(skills),
        hours=list(hours),
    )


def test_a_queue_is_created_with_skills_hours_and_history(org, tax):
    queue = save(org, skills=[(tax.pk, 2)], hours=[_h(0, 9, 18), _h(5, 9, 12)])
    assert (queue.centre, queue.department, queue.code) == (org.centre, org.department, "TAX")
    assert list(queue.skills.values_list("skill__code", "min_level")) == [("tax", 2)]
    assert list(queue.hours.values_list("weekday", "opens", "closes")) == [
        (0, time(9), time(18)),
        (5, time(9), time(12)),
    ]
    record = queue.history.get()
    assert (record.history_type, record.history_user) == ("+", org.people["supervisor"].user)
    assert QueueSkill.history.filter(queue_id=queue.pk, history_type="+").count() == 1
    assert QueueHours.history.filter(queue_id=queue.pk, history_type="+").count() == 2


def test_editing_replaces_only_what_changed(org, tax):
    chat = SkillFactory(code="chat", name="在线客服")
    queue = save(org, skills=[(tax.pk, 2)], hours=[_h(0, 9, 18), _h(1, 9, 18)])
    kept_hours = queue.hours.get(weekday=0).pk
    save(org, queue_id=queue.pk, name="办税专线", skills=[(tax.pk, 3), (chat.pk, 1)], hours=[_h(0, 9, 18)])
    queue.refresh_from_db()
    assert queue.name == "办税专线"
    assert sorted(queue.skills.values_list("skill__code", "min_level")) == [("chat", 1), ("tax", 3)]
    assert list(queue.hours.values_list("pk", flat=True)) == [kept_hours]
    assert QueueSkill.history.filter(queue_id=queue.pk, history_type="~", min_level=3).exists()
    assert QueueHours.history.filter(queue_id=queue.pk, history_type="-", weekday=1).exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"code": " "}, "code", "required"),
        ({"name": ""}, "name", "required"),
        ({"service_level_percent": 0}, "service_level_percent", "out_of_range"),
        ({"overflow_after_seconds": 60}, "overflow_queue", "required"),
    ],
)
def test_invalid_values_are_refused_on_their_field(org, changes, field, code):
    with pytest.raises(ValidationError) as caught:
        save(org, **changes)
    assert caught.value.error_dict[field][0].code == code
    assert not Queue.objects.exists()


def test_a_duplicate_code_in_the_centre_is_refused(org):
    QueueFactory(department=org.department, code="TAX")
    with pytest.raises(ValidationError) as caught:
        save(org)
    assert caught.value.error_dict["code"][0].code == "duplicate_code"
    assert Queue.objects.count() == 1


def test_an_overflow_cycle_is_refused_and_nothing_changes(org, tax):
    first = save(org, code="A", skills=[(tax.pk, 1)])
    second = save(org, code="B", overflow_queue=first, overflow_after_seconds=60)
    with pytest.raises(ValidationError) as caught:
        save(org, queue_id=first.pk, code="A", name="改名", overflow_queue=second, overflow_after_seconds=30)
    assert caught.value.error_dict["overflow_queue"][0].code == "overflow_cycle"
    first.refresh_from_db()
    assert (first.name, first.overflow_queue) == ("办税热线", None)
    assert first.history.count() == 1


def test_overflow_to_another_centre_is_refused(org):
    elsewhere = QueueFactory(department=DepartmentFactory(centre=CentreFactory(code="SZ", name="深圳中心")))
    with pytest.raises(ValidationError) as caught:
        save(org, overflow_queue=elsewhere, overflow_after_seconds=30)
    assert caught.value.error_dict["overflow_queue"][0].code == "overflow_other_centre"


def test_bad_skill_rows_and_overlapping_hours_are_refused(org, tax):
    with pytest.raises(ValidationError) as caught:
        save(org, skills=[(tax.pk, 1), (tax.pk, 2)], hours=[_h(0, 9, 13), _h(0, 12, 18)])
    assert caught.value.error_dict["skills"][0].code == "duplicate_skill"
    assert caught.value.error_dict["hours"][0].code == "hours_overlap"
    with pytest.raises(ValidationError) as caught:
        save(org, skills=[(tax.pk, 6)])
    assert caught.value.error_dict["skills"][0].code == "out_of_range"
    assert not Queue.objects.exists() and not QueueSkill.objects.exists()


def test_a_supervisor_sets_up_only_their_department(org):
    with pytest.raises(ValidationError) as caught:
        save(org, department=org.other_department)
    assert caught.value.error_dict["department"][0].code == "invalid_choice"
    theirs = QueueFactory(department=org.other_department)
    with pytest.raises(OutOfScope):
        save(org, queue_id=theirs.pk)
    with pytest.raises(NotAllowed):
        save(org, persona="team_leader")


def test_an_unused_queue_is_deleted_a_used_one_deactivated(org, floor):
    unused = save(org, code="NEW")
    assert queue_admin.remove_queue(user=org.people["supervisor"].user, queue_id=unused.pk) is True
    assert not Queue.objects.filter(pk=unused.pk).exists()
    floor.call()
    assert queue_admin.remove_queue(user=org.people["supervisor"].user, queue_id=floor.queue.pk) is False
    floor.queue.refresh_from_db()
    assert floor.queue.active is False
    assert Contact.objects.filter(queue=floor.queue).count() == 1


def test_a_queue_others_overflow_to_is_deactivated(org):
    target = save(org, code="T")
    save(org, code="S", overflow_queue=target, overflow_after_seconds=30)
    assert queue_admin.remove_queue(user=org.people["supervisor"].user, queue_id=target.pk) is False
    assert Queue.objects.get(code="S").overflow_queue == target


def test_skill_codes_are_unique_ignoring_case(org, tax):
    admin = org.people["admin"].user
    with pytest.raises(ValidationError) as caught:
        queue_admin.save_skill(user=admin, skill_id=None, code="TAX", name="重复", kind="queue")
    assert caught.value.error_dict["code"][0].code == "duplicate_code"
    renamed = queue_admin.save_skill(user=admin, skill_id=tax.pk, code="tax", name="税务", kind="queue")
    assert renamed.name == "税务" and Skill.objects.count() == 1
    with pytest.raises(NotAllowed):
        queue_admin.save_skill(user=org.people["supervisor"].user, skill_id=None, code="x", name="x", kind="queue")


# --- pages ---------------------------------------------------------------------------------------------------

QUEUE_PAGES = [
    ("agent", 403, 403),
    ("team_leader", 403, 403),
    ("qa", 403, 403),
    ("hr", 403, 403),
    ("supervisor", 200, 200),
    ("other_supervisor", 200, 404),  # another department's queue answers as missing
    ("manager", 200, 200),
    ("admin", 200, 200),
]


@pytest.mark.parametrize(("persona", "list_status", "edit_status"), QUEUE_PAGES)
def test_queue_pages_by_role(client_as, floor, persona, list_status, edit_status):
    floor.call()  # a queue contacts refer to is deactivated, not deleted
    client = client_as(persona)
    listed = client.get(reverse("contact:queues"))
    assert listed.status_code == list_status
    if list_status == 200:
        assert (floor.queue.name in listed.content.decode()) == (edit_status == 200)
    assert client.get(reverse("contact:queue_edit", args=[floor.queue.pk])).status_code == edit_status
    assert client.post(reverse("contact:queue_remove", args=[floor.queue.pk])).status_code in (edit_status, 302)
    floor.queue.refresh_from_db()
    assert floor.queue.active == (edit_status != 200)


def form_data(org, **changes):
    data = {
        "code": "VIP",
        "name": "VIP专线",
        "department": org.department.pk,
        "channel": channel("voice").pk,
        "priority": "5",
        "strategy": "customer_priority",
        "service_level_percent": "90",
        "service_level_seconds": "15",
        "active": "on",
        "skills-TOTAL_FORMS": "2",
        "skills-INITIAL_FORMS": "0",
        "skills-0-skill": "",
        "skills-0-min_level": "1",
        "skills-1-skill": "",
        "skills-1-min_level": "1",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-opens": "",
        "hours-0-closes": "",
    }
    data.update(changes)
    return data


def test_the_form_creates_a_queue_and_the_list_shows_it(client_as, org, tax):
    client = client_as("supervisor")
    data = form_data(
        org,
        **{"skills-0-skill": tax.pk, "skills-0-min_level": "3", "hours-0-opens": "08:00", "hours-0-closes": "20:00"},
    )
    response = client.post(reverse("contact:queue_create"), data)
    assert response.status_code == 302
    queue = Queue.objects.get(code="VIP")
    assert list(queue.skills.values_list("skill__code", "min_level")) == [("tax", 3)]
    page = client.get(reverse("contact:queues")).content.decode()
    assert "VIP专线" in page and "办税咨询 ≥ 3" in page and "08:00–20:00" in page
    edit = client.get(reverse("contact:queue_edit", args=[queue.pk])).content.decode()
    assert "queue-history" in edit


def test_the_form_shows_errors_beside_fields_and_writes_nothing(client_as, org, tax):
    client = client_as("supervisor")
    data = form_data(
        org,
        **{
            "service_level_percent": "120",
            "skills-0-skill": tax.pk,
            "skills-1-skill": tax.pk,
            "hours-0-opens": "10:00",
        },
    )
    response = client.post(reverse("contact:queue_create"), data)
    assert response.status_code == 422
    assert response.context["hours"].forms[0].errors["closes"]
    assert not Queue.objects.exists()
    # The forms parse now; the service refuses the percentage beside its field, the skills beside theirs.
    data["hours-0-opens"] = ""
    response = client.post(reverse("contact:queue_create"), data)
    assert response.status_code == 422
    assert response.context["form"].errors.as_data()["service_level_percent"][0].code == "out_of_range"
    assert response.context["sections"]["skills"]
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert not Queue.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("agent", 403), ("supervisor", 403), ("manager", 200), ("admin", 200)])
def test_skill_pages_by_role(client_as, tax, persona, status):
    client = client_as(persona)
    assert client.get(reverse("contact:skills")).status_code == status
    response = client.post(reverse("contact:skill_create"), {"code": "ins", "name": "保险", "kind": "queue"})
    assert response.status_code == (302 if status == 200 else status)
    assert Skill.objects.filter(code="ins").exists() == (status == 200)


def test_the_skill_list_shows_where_a_skill_is_used(client_as, floor):
    page = client_as("manager").get(reverse("contact:skills")).content.decode()
    assert "办税咨询" in page and "办税热线" in page
    assert f'?skill={floor.tax.pk}&amp;holders=1">4<' in page  # agent, teammate, other_agent, team_leader


def test_a_duplicate_skill_code_is_shown_on_the_field(client_as, tax):
    response = client_as("admin").post(reverse("contact:skill_create"), {"code": "TAX", "name": "x", "kind": "queue"})
    assert response.status_code == 422
    assert response.context["form"].errors["code"]
    assert Skill.objects.count() == 1


def test_the_queue_list_reads_the_same_number_of_queries_for_more_queues(client_as, org, floor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("supervisor")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("contact:queues")).status_code == 200
        return len(captured)

    few = count()
    for n in range(3):
        save(org, code=f"Q{n}", skills=[(floor.tax.pk, 1)], hours=[_h(n, 9, 18)])
    assert count() == few


def test_the_edit_page_shows_who_changed_what(client_as, org, tax):
    queue = save(org, skills=[(tax.pk, 2)])
    save(org, persona="manager", queue_id=queue.pk, name="办税专线", priority=3, skills=[], hours=[_h(0, 9, 18)])
    response = client_as("supervisor").get(reverse("contact:queue_edit", args=[queue.pk]))
    history = response.context["history"]
    assert history[0]["record"].history_user == org.people["manager"].user  # newest first
    assert history[-1]["record"].history_user == org.people["supervisor"].user
    changed = next(entry["what"] for entry in history if entry["record"].history_type == "~")
    names = {str(Queue._meta.get_field(name).verbose_name) for name in ("name", "priority")}
    assert set(changed.split("、")) == names
    whats = [entry["what"] for entry in history]
    assert any("办税咨询 ≥ 2" in what for what in whats)  # the skill added, then removed
    assert sum("办税咨询" in what for what in whats) == 2
    assert any("09:00–18:00" in what for what in whats)
    assert "孙涛" in response.content.decode()  # the manager, by name
