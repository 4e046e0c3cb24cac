"""The policies pages: list with search, the edit page, its form and the change history."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from banzu.conftest import PERSONAS
from banzu.core import services
from banzu.core.models import PolicyValue
from banzu.core.policies import REGISTRY, Kind, Policy, policy, register

SPAN = "org.agents_per_team_leader"  # default 20, minimum 1, maximum 200
LIST_URL = reverse("core:policies")
SPAN_URL = reverse("core:policy", kwargs={"key": SPAN})

TEST_POLICIES = (
    Policy(
        "testing.quality_target",
        default=Decimal("0.80"),
        spec="TEST-1",
        label="Quality target",
        kind=Kind.DECIMAL,
        minimum=Decimal("0"),
        maximum=Decimal("1"),
        help_text="Share of checked contacts that must pass.",
    ),
    Policy("testing.callbacks_enabled", default=False, spec="TEST-2", label="Callbacks offered", kind=Kind.BOOLEAN),
    Policy("testing.shift_start", default="08:30", spec="TEST-3", label="Shift start", kind=Kind.TIME),
)


@pytest.fixture
def testing_policies():
    register(*TEST_POLICIES)
    yield
    for item in TEST_POLICIES:
        REGISTRY.pop(item.key, None)


@pytest.fixture
def page_as(client_as):
    """A logged-in client reading the pages in English, so that the assertions survive translation."""

    def make(persona: str):
        client = client_as(persona)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def text(html: str) -> str:
    """Visible text with tags removed and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def policy_row(html: str, key: str) -> str:
    found = re.search(rf'<tr data-policy-key="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {key}"
    return text(found.group(1))


def history_rows(html: str) -> list[tuple[str, str]]:
    """(history type, visible text) per row of the change history, newest first."""
    return [(kind, text(body)) for kind, body in re.findall(r'<tr data-history-type="(.)">(.*?)</tr>', html, re.S)]


# --- list ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*PERSONAS, "vip_agent"])
def test_every_persona_can_open_the_policies_page(page_as, persona):
    response = page_as(persona).get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for key in REGISTRY:
        assert f'data-policy-key="{key}"' in html
    assert reverse("core:policy", kwargs={"key": SPAN}) in html  # everyone may open the details


def test_the_list_shows_spec_value_unit_and_default(page_as):
    row = policy_row(page_as("agent").get(LIST_URL).content.decode(), SPAN)
    assert "Agents per team leader" in row
    assert "ORG-1, D16" in row
    assert row.count("20 agents") == 2  # current value and default
    assert "Changed" not in row


def test_a_changed_value_is_shown_with_a_badge(org, page_as):
    services.set_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, value=35, reason="Pilot")
    row = policy_row(page_as("agent").get(LIST_URL).content.decode(), SPAN)
    assert "35 agents" in row
    assert "20 agents" in row
    assert "Changed" in row


def test_the_list_groups_policies_by_app(page_as):
    html = page_as("agent").get(LIST_URL).content.decode()
    assert 'id="policy-group-org"' in html
    assert "Organisation" in html


def test_editors_get_an_edit_link_and_others_a_view_link(page_as):
    assert "Edit" in policy_row(page_as("manager").get(LIST_URL).content.decode(), SPAN)
    assert "View" in policy_row(page_as("agent").get(LIST_URL).content.decode(), SPAN)


@pytest.mark.parametrize("query", ["agents_per", "AGENTS PER TEAM", "d16", "ORG-1, D16"])
def test_search_finds_a_policy_by_key_label_or_spec(page_as, query):
    html = page_as("agent").get(LIST_URL, {"q": query}).content.decode()
    assert f'data-policy-key="{SPAN}"' in html
    assert 'data-policy-key="org.daily_report_time"' not in html
    assert f'value="{query}"' in html


def test_a_search_without_matches_says_so_and_offers_to_clear_it(page_as):
    response = page_as("agent").get(LIST_URL, {"q": "no-such-policy-anywhere"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No policy matches your search." in text(html)
    assert "data-policy-key" not in html
    assert f'href="{LIST_URL}" class="btn btn-primary">Clear filter' in html


# --- edit page: reading -------------------------------------------------------------------------


def test_the_edit_page_shows_the_definition_and_current_value(page_as):
    response = page_as("manager").get(SPAN_URL)
    assert response.status_code == 200
    page = text(response.content.decode())
    for expected in ("Agents per team leader", SPAN, "ORG-1, D16", "Integer", "1–200", "20 agents"):
        assert expected in page
    assert "No changes yet" in page


def test_an_editor_gets_the_form_with_save(page_as):
    html = page_as("admin").get(SPAN_URL).content.decode()
    assert 'name="value"' in html
    assert 'value="20"' in html
    assert 'name="reason"' in html
    assert re.search(r'<button type="submit" name="save"[^>]*>\s*<i[^>]*></i>Save\s*</button>', html)
    assert 'name="reset"' not in html  # nothing to reset while the default applies


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "qa", "hr"])
def test_others_see_the_policy_read_only(page_as, persona):
    response = page_as(persona).get(SPAN_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<form" not in html.split('id="main-content"', 1)[1].split("policy-history", 1)[0]
    assert 'name="value"' not in html
    assert "Only managers, directors and administrators can change this policy." in text(html)


def test_an_unknown_policy_page_is_not_found(page_as):
    assert page_as("manager").get(reverse("core:policy", kwargs={"key": "org.nope"})).status_code == 404


def test_the_edit_page_describes_other_kinds(page_as, testing_policies):
    decimal_page = page_as("manager").get(reverse("core:policy", kwargs={"key": "testing.quality_target"}))
    page = text(decimal_page.content.decode())
    assert "Decimal" in page
    assert "0–1" in page
    assert "0.80" in page
    assert "Share of checked contacts that must pass." in page
    boolean_html = page_as("manager").get(reverse("core:policy", kwargs={"key": "testing.callbacks_enabled"}))
    assert '<select name="value"' in boolean_html.content.decode()
    assert "Yes/no" in text(boolean_html.content.decode())
    time_html = page_as("manager").get(reverse("core:policy", kwargs={"key": "testing.shift_start"})).content.decode()
    assert 'type="time"' in time_html
    assert 'value="08:30"' in time_html


# --- edit page: writing -------------------------------------------------------------------------


def test_an_editor_saves_a_value_with_a_reason(org, page_as):
    response = page_as("manager").post(SPAN_URL, {"value": "25", "reason": "More teams", "save": "1"})
    assert response.status_code == 302
    assert response["Location"] == SPAN_URL
    assert policy(SPAN, org.centre) == 25
    entry = PolicyValue.history.get(centre=org.centre, key=SPAN)
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "+",
        org.people["manager"].user,
        "More teams",
    )


def test_after_saving_the_page_shows_the_value_and_the_history(org, page_as):
    client = page_as("manager")
    client.post(SPAN_URL, {"value": "25", "reason": "More teams"})
    response = client.get(SPAN_URL)
    page = text(response.content.decode())
    assert "Policy saved." in page
    assert "25 agents" in page
    assert "Changed" in page
    [(kind, row)] = history_rows(response.content.decode())
    assert kind == "+"
    assert "20 → 25" in row
    assert "More teams" in row


def test_the_history_shows_every_change_old_to_new_newest_first(org, page_as):
    manager, admin = org.people["manager"].user, org.people["admin"].user
    services.set_policy(user=manager, centre=org.centre, key=SPAN, value=25, reason="More teams")
    services.set_policy(user=admin, centre=org.centre, key=SPAN, value=30, reason="Growth")
    services.reset_policy(user=manager, centre=org.centre, key=SPAN, reason="Pilot over")
    services.set_policy(user=admin, centre=org.centre, key=SPAN, value=40, reason="New site")
    rows = history_rows(page_as("agent").get(SPAN_URL).content.decode())
    assert [kind for kind, _ in rows] == ["+", "-", "~", "+"]
    assert "20 → 40" in rows[0][1] and "New site" in rows[0][1]
    assert "30 → 20" in rows[1][1] and "Pilot over" in rows[1][1] and "Reset to default" in rows[1][1]
    assert "25 → 30" in rows[2][1] and "Growth" in rows[2][1]
    assert "20 → 25" in rows[3][1] and "More teams" in rows[3][1]
    assert "郭鹏" in rows[0][1]  # the editor by name, as staff know each other
    assert "孙涛" in rows[1][1]


def test_the_history_belongs_to_the_centre(org, page_as):
    from banzu.org.tests.factories import CentreFactory

    other = CentreFactory(code="SZ", name="深圳呼叫中心")
    services.set_policy(user=org.people["manager"].user, centre=other, key=SPAN, value=99, reason="Elsewhere")
    page = page_as("manager").get(SPAN_URL).content.decode()
    assert history_rows(page) == []
    assert "99" not in text(page).split("Change history", 1)[1]


def test_an_agent_may_not_post_to_the_edit_page(org, page_as):
    response = page_as("agent").post(SPAN_URL, {"value": "25", "reason": "Sneaky"})
    assert response.status_code == 403
    assert not PolicyValue.objects.exists()
    assert not PolicyValue.history.exists()


@pytest.mark.parametrize("persona", ["supervisor", "team_leader", "hr", "shift_lead"])
def test_other_non_editors_may_not_post_either(org, page_as, persona):
    response = page_as(persona).post(SPAN_URL, {"reset": "1", "reason": "r"})
    assert response.status_code == 403


def test_an_invalid_value_is_shown_on_the_form_with_status_422(org, page_as):
    response = page_as("manager").post(SPAN_URL, {"value": "500", "reason": "Too many"})
    assert response.status_code == 422
    html = response.content.decode()
    errors = re.search(r'<div class="invalid-feedback d-block" id="id_value-errors">(.*?)</div>\s*</div>', html, re.S)
    assert errors and "Enter a value of at most 200." in text(errors.group(1))
    assert 'value="500"' in html  # what was typed is kept
    assert 'value="Too many"' in html
    assert not PolicyValue.objects.exists()


@pytest.mark.parametrize(("value", "message"), [("abc", "Enter a whole number."), ("0", "at least 1")])
def test_other_invalid_values_are_explained(page_as, value, message):
    response = page_as("admin").post(SPAN_URL, {"value": value, "reason": "r"})
    assert response.status_code == 422
    assert message in text(response.content.decode())
    assert not PolicyValue.objects.exists()


def test_a_change_needs_a_reason(page_as):
    response = page_as("manager").post(SPAN_URL, {"value": "25", "reason": ""})
    assert response.status_code == 422
    assert 'id="id_reason-errors"' in response.content.decode()
    assert not PolicyValue.objects.exists()


def test_reset_to_default_from_the_page(org, page_as):
    services.set_policy(user=org.people["manager"].user, centre=org.centre, key=SPAN, value=25, reason="Pilot")
    client = page_as("admin")
    assert 'name="reset"' in client.get(SPAN_URL).content.decode()
    response = client.post(SPAN_URL, {"value": "25", "reason": "Pilot over", "reset": "1"})
    assert response.status_code == 302
    assert policy(SPAN, org.centre) == 20
    assert not PolicyValue.objects.filter(centre=org.centre, key=SPAN).exists()
    last = PolicyValue.history.filter(centre=org.centre, key=SPAN).latest("history_date")
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "-",
        org.people["admin"].user,
        "Pilot over",
    )


def test_decimal_and_boolean_values_are_saved_from_the_page(org, page_as, testing_policies):
    client = page_as("manager")
    decimal_url = reverse("core:policy", kwargs={"key": "testing.quality_target"})
    assert client.post(decimal_url, {"value": "0.95", "reason": "r"}).status_code == 302
    assert PolicyValue.objects.get(key="testing.quality_target").value == "0.95"
    assert "0.80 → 0.95" in history_rows(client.get(decimal_url).content.decode())[0][1]
    boolean_url = reverse("core:policy", kwargs={"key": "testing.callbacks_enabled"})
    assert client.post(boolean_url, {"value": "true", "reason": "r"}).status_code == 302
    assert policy("testing.callbacks_enabled", org.centre) is True
    html = client.get(boolean_url).content.decode()
    assert '<option value="true" selected>' in html
    assert "No → Yes" in history_rows(html)[0][1]
