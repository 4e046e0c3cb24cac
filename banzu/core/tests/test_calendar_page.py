"""The calendar page /core/calendar/ and the Django admin for the calendar and policy values."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from banzu.core import calendar as work_calendar
from banzu.core.models import CalendarDay, CalendarYear, PolicyValue

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE = "/core/calendar/"


def english(client: Client) -> Client:
    """Assert on the English msgids, whatever the Chinese catalogue says by then."""
    client.cookies["banzu_language"] = "en"
    return client


def cell(day: str, kind: str) -> str:
    return f'data-date="{day}" data-kind="{kind}"'


# --- reading ------------------------------------------------------------------------------------


def test_the_page_shows_the_year_month_by_month_with_each_kind_of_day(client_as):
    response = english(client_as("agent")).get(PAGE, {"year": 2024})

    assert response.status_code == 200
    assert response.context["entry"].year == 2024
    assert len(response.context["months"]) == 12
    html = response.content.decode()
    assert cell("2024-10-01", "holiday") in html
    assert cell("2024-09-29", "adjusted_workday") in html
    assert cell("2024-09-28", "weekend") in html
    assert cell("2024-10-08", "workday") in html
    assert "国庆节" in html
    assert 'data-testid="calendar-legend"' in html
    assert "Official calendar package" in html
    assert "Published: used for deadlines" in html
    assert '<option value="2024" selected>' in html
    assert '<option value="2026">' in html


def test_an_agent_sees_the_calendar_read_only(client_as):
    response = client_as("agent").get(PAGE, {"year": 2024})

    assert response.status_code == 200
    assert response.context["can_edit"] is False
    html = response.content.decode()
    assert 'method="post" action="?year=2024"' not in html
    assert 'name="publish"' not in html
    assert 'name="add_year"' not in html


def test_an_administrator_gets_the_forms(client_as):
    response = client_as("admin").get(PAGE, {"year": 2024})

    assert response.status_code == 200
    assert response.context["can_edit"] is True
    html = response.content.decode()
    assert 'name="kind"' in html
    assert 'name="reason"' in html
    assert 'name="add_year"' in html
    assert 'name="publish" value="0"' in html


def test_an_uncovered_year_shows_an_empty_state(client_as):
    response = english(client_as("agent")).get(PAGE, {"year": 2031})

    assert response.status_code == 200
    assert response.context["entry"] is None
    html = response.content.decode()
    assert "This year is not in the calendar yet." in html
    assert 'name="add_year"' not in html
    assert "data-kind=" not in html


def test_an_administrator_is_offered_to_add_an_uncovered_year(client_as):
    response = english(client_as("admin")).get(PAGE, {"year": 2031})

    html = response.content.decode()
    assert "This year is not in the calendar yet." in html
    assert 'name="add_year"' in html
    assert re.search(r'<input type="number" name="year" id="id_year"[^>]*value="2031"', html)


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- changing a day -----------------------------------------------------------------------------


def test_an_administrator_marks_a_day_and_deadlines_follow(client_as, org, django_capture_on_commit_callbacks):
    moment = datetime(2024, 9, 27, 10, tzinfo=SHANGHAI)
    assert work_calendar.add_working_days(moment, 5, zone=SHANGHAI).date() == date(2024, 10, 10)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("admin").post(
            f"{PAGE}?year=2024",
            {"date": "2024-10-08", "kind": "holiday", "name": "国庆节", "reason": "Local notice"},
        )

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?year=2024"
    row = CalendarDay.objects.get(date=date(2024, 10, 8))
    assert (row.kind, row.is_working_day, row.name) == ("holiday", False, "国庆节")
    record = CalendarDay.history.filter(date=date(2024, 10, 8)).latest("history_date")
    assert record.history_user == org.people["admin"].user
    assert record.history_change_reason == "Local notice"
    assert work_calendar.add_working_days(moment, 5, zone=SHANGHAI).date() == date(2024, 10, 11)


def test_the_changed_day_shows_on_the_page(client_as):
    admin = client_as("admin")
    admin.post(f"{PAGE}?year=2024", {"date": "2024-10-13", "kind": "adjusted_workday", "name": "国庆节"})

    html = admin.get(PAGE, {"year": 2024}).content.decode()

    assert cell("2024-10-13", "adjusted_workday") in html


def test_an_agent_cannot_post_a_change(client_as):
    response = client_as("agent").post(f"{PAGE}?year=2024", {"date": "2024-10-08", "kind": "holiday"})

    assert response.status_code == 403
    assert CalendarDay.objects.get(date=date(2024, 10, 8)).kind == "workday"


@pytest.mark.parametrize(
    "data",
    [
        {"add_year": "1", "year": "2027"},
        {"publish": "0"},
    ],
)
def test_a_manager_cannot_add_or_publish_years(client_as, data):
    response = client_as("manager").post(f"{PAGE}?year=2024", data)

    assert response.status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert CalendarYear.objects.get(year=2024).published is True


def test_an_invalid_kind_re_renders_the_form_with_422(client_as):
    response = client_as("admin").post(f"{PAGE}?year=2024", {"date": "2024-10-08", "kind": "party"})

    assert response.status_code == 422
    form = response.context["day_form"]
    assert list(form.errors) == ["kind"]
    html = response.content.decode()
    assert 'class="form-select is-invalid"' in html
    assert str(form.errors["kind"][0]) in html
    assert CalendarDay.objects.get(date=date(2024, 10, 8)).kind == "workday"


def test_a_day_the_calendar_does_not_cover_is_shown_as_an_error_on_the_date(client_as):
    response = english(client_as("admin")).post(f"{PAGE}?year=2024", {"date": "2031-01-01", "kind": "holiday"})

    assert response.status_code == 422
    form = response.context["day_form"]
    assert form.errors.as_data()["date"][0].code == "calendar_not_covered"
    html = response.content.decode()
    assert "The calendar has no year 2031; add the year first." in html
    assert 'value="2031-01-01"' in html
    assert not CalendarDay.objects.filter(date=date(2031, 1, 1)).exists()


def test_a_missing_date_is_an_error_on_the_date(client_as):
    response = client_as("admin").post(f"{PAGE}?year=2024", {"kind": "holiday"})

    assert response.status_code == 422
    assert "date" in response.context["day_form"].errors


# --- years --------------------------------------------------------------------------------------


def test_an_administrator_adds_a_year_then_publishes_it(client_as, django_capture_on_commit_callbacks):
    admin = english(client_as("admin"))

    response = admin.post(f"{PAGE}?year=2031", {"add_year": "1", "year": "2027"})

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?year=2027"
    entry = CalendarYear.objects.get(year=2027)
    assert (entry.source, entry.published) == ("administrator", False)
    html = admin.get(PAGE, {"year": 2027}).content.decode()
    assert "Draft: not used for deadlines yet" in html
    assert 'name="publish" value="1"' in html
    assert "Entered by an administrator" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"{PAGE}?year=2027", {"publish": "1"})

    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).published is True
    moment = datetime(2026, 12, 31, 10, tzinfo=SHANGHAI)
    assert work_calendar.add_working_days(moment, 1, zone=SHANGHAI).date() == date(2027, 1, 1)


def test_an_administrator_takes_a_year_back_to_draft(client_as):
    response = client_as("admin").post(f"{PAGE}?year=2026", {"publish": "0"})

    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2026).published is False


def test_adding_a_year_that_exists_re_renders_with_422(client_as):
    response = english(client_as("admin")).post(f"{PAGE}?year=2024", {"add_year": "1", "year": "2024"})

    assert response.status_code == 422
    assert response.context["year_form"].errors.as_data()["year"][0].code == "year_exists"
    assert "The calendar already has 2024." in response.content.decode()


def test_adding_a_year_that_is_not_a_number_re_renders_with_422(client_as):
    response = client_as("admin").post(f"{PAGE}?year=2031", {"add_year": "1", "year": "next"})

    assert response.status_code == 422
    assert "year" in response.context["year_form"].errors
    assert not CalendarYear.objects.filter(year__gt=2026).exists()


# --- Django admin -------------------------------------------------------------------------------


@pytest.fixture
def site_admin(org):
    """The administrator persona, allowed into the Django admin."""
    user = org.people["admin"].user
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_lists_calendar_days_with_filters_and_search(site_admin):
    url = reverse("admin:core_calendarday_changelist")

    response = site_admin.get(url, {"q": "国庆节", "year__year__exact": "2024", "kind__exact": "holiday"})

    assert response.status_code == 200
    shown = {row.date for row in response.context["cl"].result_list}
    assert shown == {date(2024, 10, day) for day in range(1, 8)}


def test_a_day_changed_in_the_admin_goes_through_the_service(site_admin, org, django_capture_on_commit_callbacks):
    url = reverse("admin:core_calendarday_change", args=["2024-10-08"])

    with django_capture_on_commit_callbacks(execute=True):
        response = site_admin.post(url, {"kind": "holiday", "name": "国庆节", "reason": "Local notice"})

    assert response.status_code == 302
    row = CalendarDay.objects.get(date=date(2024, 10, 8))
    assert (row.kind, row.is_working_day) == ("holiday", False)
    record = CalendarDay.history.filter(date=date(2024, 10, 8)).latest("history_date")
    assert (record.history_user, record.history_change_reason) == (org.people["admin"].user, "Local notice")
    moment = datetime(2024, 9, 27, 10, tzinfo=SHANGHAI)
    assert work_calendar.add_working_days(moment, 5, zone=SHANGHAI).date() == date(2024, 10, 11)


def test_a_year_added_in_the_admin_is_a_draft_with_its_days(site_admin):
    response = site_admin.post(reverse("admin:core_calendaryear_add"), {"year": "2027"})

    assert response.status_code == 302
    entry = CalendarYear.objects.get(year=2027)
    assert (entry.source, entry.published) == ("administrator", False)
    assert CalendarDay.objects.filter(year=2027).count() == 365


def test_a_year_out_of_range_added_in_the_admin_is_refused_without_a_trace(site_admin):
    response = site_admin.post(reverse("admin:core_calendaryear_add"), {"year": "3000"}, follow=True)

    assert response.status_code == 200
    assert not CalendarYear.objects.filter(year=3000).exists()
    assert any(message.level_tag == "error" for message in response.context["messages"])


def test_years_are_published_by_an_admin_action(site_admin):
    site_admin.post(reverse("admin:core_calendaryear_add"), {"year": "2027"})

    response = site_admin.post(
        reverse("admin:core_calendaryear_changelist"), {"action": "publish_years", "_selected_action": ["2027"]}
    )

    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).published is True
    assert CalendarYear.history.filter(year=2027, published=True).exists()


def test_staff_without_the_administrator_role_cannot_change_the_calendar_in_the_admin(org):
    user = org.people["manager"].user
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename__endswith="calendarday")
    )
    client = Client()
    client.force_login(user)
    url = reverse("admin:core_calendarday_change", args=["2024-10-08"])

    assert client.get(url).status_code == 200  # may look
    response = client.post(url, {"kind": "holiday", "name": "", "reason": ""})

    assert response.status_code == 403
    assert CalendarDay.objects.get(date=date(2024, 10, 8)).kind == "workday"


def test_a_policy_value_saved_in_the_admin_is_validated_and_audited(site_admin, org):
    url = reverse("admin:core_policyvalue_add")
    data = {"centre": org.centre.pk, "key": "org.agents_per_team_leader", "value": "999", "reason": "Bigger teams"}

    refused = site_admin.post(url, data)

    assert refused.status_code == 200
    assert "value" in refused.context["adminform"].form.errors
    assert not PolicyValue.objects.exists()

    accepted = site_admin.post(url, {**data, "value": "25"})

    assert accepted.status_code == 302
    row = PolicyValue.objects.get(centre=org.centre, key="org.agents_per_team_leader")
    assert row.value == 25
    record = row.history.latest("history_date")
    assert (record.history_user, record.history_change_reason) == (org.people["admin"].user, "Bigger teams")


def test_a_policy_value_changed_in_the_admin_keeps_both_versions(site_admin, org):
    site_admin.post(
        reverse("admin:core_policyvalue_add"),
        {"centre": org.centre.pk, "key": "org.morning_meeting_time", "value": '"9:30"', "reason": "Later"},
    )
    row = PolicyValue.objects.get(key="org.morning_meeting_time")

    response = site_admin.post(
        reverse("admin:core_policyvalue_change", args=[row.pk]), {"value": '"08:45"', "reason": "Earlier"}
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.value == "08:45"
    assert list(row.history.order_by("history_date").values_list("value", "history_change_reason")) == [
        ("09:30", "Later"),
        ("08:45", "Earlier"),
    ]


def test_deleting_a_policy_value_in_the_admin_resets_it_with_history(site_admin, org):
    site_admin.post(
        reverse("admin:core_policyvalue_add"),
        {"centre": org.centre.pk, "key": "org.agents_per_team_leader", "value": "25", "reason": ""},
    )
    row = PolicyValue.objects.get(key="org.agents_per_team_leader")

    response = site_admin.post(reverse("admin:core_policyvalue_delete", args=[row.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not PolicyValue.objects.exists()
    assert PolicyValue.history.filter(key="org.agents_per_team_leader", history_type="-").exists()


def test_the_policy_admin_searches_by_key(site_admin, org):
    for key, value in [("org.agents_per_team_leader", "25"), ("org.violations_before_review", "4")]:
        site_admin.post(
            reverse("admin:core_policyvalue_add"), {"centre": org.centre.pk, "key": key, "value": value, "reason": ""}
        )

    response = site_admin.get(reverse("admin:core_policyvalue_changelist"), {"q": "violations"})

    assert response.status_code == 200
    assert [row.key for row in response.context["cl"].result_list] == ["org.violations_before_review"]
