"""Messages between agents and supervisors (坐席消息, CT-10): who may write to whom (role × audience),
length policy, inbox and outbox, read receipts, push delivery, and text kept as typed (never markup)."""

from __future__ import annotations

import pytest

from banzu.conftest import PERSONAS
from banzu.contact import services
from banzu.contact.models import AgentMessage, AgentMessageRecipient
from banzu.contact.tests.conftest import at
from banzu.core.models import PolicyValue

pytestmark = pytest.mark.django_db

URL = "/api/v1/agent-messages/"
BROADCASTERS = {"team_leader", "other_team_leader", "supervisor", "other_supervisor", "shift_lead", "manager", "admin"}


def send(api, **body):
    return api.post(URL, body, format="json")


@pytest.fixture
def on_duty(org):
    """Agents of both departments logged in; the others are not on duty."""
    for key in ("agent", "teammate", "other_agent", "vip_agent", "team_leader"):
        services.set_agent_state(agent=org.people[key], action="login", now=at(0))
    return org


def received(org, key) -> list[str]:
    return list(AgentMessageRecipient.objects.filter(recipient=org.people[key]).values_list("message__text", flat=True))


# --- role × audience ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_writes_to_an_agent_of_the_centre(api_as, org, persona):
    target = "teammate" if persona != "teammate" else "agent"
    response = send(api_as(persona), recipient=org.people[target].pk, text="请回电客户")
    assert response.status_code == 201, response.json()
    assert received(org, target) == ["请回电客户"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_leaders_write_to_a_team_and_only_to_teams_in_their_scope(api_as, org, persona):
    response = send(api_as(persona), audience="team", team=org.team_a.pk, text="十点开班前会")
    # Team A is in the scope of its leader, its department's supervisor and the centre roles.
    in_scope = {"team_leader", "supervisor", "shift_lead", "manager", "admin"}
    if persona not in BROADCASTERS:
        assert response.status_code == 403
    elif persona in in_scope:
        assert response.status_code == 201, response.json()
        assert set(AgentMessageRecipient.objects.values_list("recipient__employee_no", flat=True)) == (
            {"agent", "teammate", "team_leader"} - {persona}
        )
    else:
        assert response.status_code == 400 and response.json()["fields"]["team"][0]["code"] == "team_out_of_scope"
    if response.status_code != 201:
        assert not AgentMessage.objects.exists()


@pytest.mark.parametrize("persona", sorted(BROADCASTERS))
def test_a_broadcast_reaches_everyone_on_duty_in_the_senders_scope(api_as, on_duty, persona):
    response = send(api_as(persona), audience="on_duty", text="系统将在五分钟后维护")
    reached = set(AgentMessageRecipient.objects.values_list("recipient__employee_no", flat=True))
    expected = {
        "team_leader": {"agent", "teammate"},
        "other_team_leader": {"other_agent"},
        "supervisor": {"agent", "teammate", "other_agent", "team_leader"},
        "other_supervisor": {"vip_agent"},
        "shift_lead": {"agent", "teammate", "other_agent", "vip_agent", "team_leader"},
        "manager": {"agent", "teammate", "other_agent", "vip_agent", "team_leader"},
        "admin": {"agent", "teammate", "other_agent", "vip_agent", "team_leader"},
    }[persona]
    assert response.status_code == 201, response.json()
    assert reached == expected
    assert response.json()["recipients"] == len(expected)


@pytest.mark.parametrize("persona", ["agent", "qa", "hr", "trainer"])
def test_a_broadcast_by_someone_who_does_not_lead_is_forbidden(api_as, on_duty, persona):
    assert send(api_as(persona), audience="on_duty", text="大家好").status_code == 403
    assert not AgentMessage.objects.exists()


def test_a_broadcast_with_nobody_on_duty_says_why(api_as, org):
    response = send(api_as("supervisor"), audience="on_duty", text="大家好")
    assert response.status_code == 400 and response.json()["fields"]["audience"][0]["code"] == "no_recipients"


def test_an_agent_writes_to_their_team_leader_and_the_shift_lead_but_not_to_hr(api_as, org):
    api = api_as("agent")
    assert send(api, recipient=org.people["team_leader"].pk, text="请求支援").status_code == 201
    assert send(api, recipient=org.people["shift_lead"].pk, text="系统卡顿").status_code == 201
    for other in ("hr", "other_team_leader", "manager"):
        refused = send(api, recipient=org.people[other].pk, text="你好")
        assert refused.status_code == 400, other
        assert refused.json()["fields"]["recipient"][0]["code"] == "recipient_out_of_scope"


def test_a_supervisor_writes_to_anyone_in_their_department_but_not_elsewhere(api_as, org):
    api = api_as("supervisor")
    assert send(api, recipient=org.people["other_team_leader"].pk, text="请到会议室").status_code == 201
    assert send(api, recipient=org.people["hr"].pk, text="请到会议室").status_code == 201  # same department
    assert send(api, recipient=org.people["other_supervisor"].pk, text="你好").status_code == 400


# --- validation ---------------------------------------------------------------------------------------


def test_the_text_is_required_and_kept_to_the_policy_length(api_as, org):
    api = api_as("agent")
    to = org.people["teammate"].pk
    assert send(api, recipient=to, text="   ").json()["fields"]["text"][0]["code"] in ("blank", "required")
    PolicyValue.objects.create(centre=org.centre, key="contact.agent_message_max_length", value=20)
    too_long = send(api, recipient=to, text="长" * 21)
    assert too_long.status_code == 400 and too_long.json()["fields"]["text"][0]["code"] == "max_length"
    assert "20" in too_long.json()["fields"]["text"][0]["message"]
    assert send(api, recipient=to, text="长" * 20).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "你好"}, "recipient"),
        ({"recipient": 999999, "text": "你好"}, "recipient"),
        ({"audience": "everyone", "text": "你好"}, "audience"),
    ],
)
def test_bad_recipients_are_refused_on_their_field(api_as, org, body, field):
    response = send(api_as("agent"), **body)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_nobody_writes_to_themselves(api_as, org):
    response = send(api_as("agent"), recipient=org.people["agent"].pk, text="备忘")
    assert response.status_code == 400


def test_a_message_may_name_a_contact_the_sender_sees_only(api_as, floor):
    floor.login("agent")
    contact = floor.call(0)
    floor.route(0)
    api = api_as("agent")
    mine = send(api, recipient=floor.person("team_leader").pk, text="这位客户很着急", contact=contact.pk)
    assert mine.status_code == 201 and mine.json()["contact"] == contact.pk
    other = send(api_as("other_agent"), recipient=floor.person("agent").pk, text="看看", contact=contact.pk)
    assert other.status_code == 400 and other.json()["fields"]["contact"][0]["code"] == "contact_out_of_scope"


# --- inbox, outbox, read ------------------------------------------------------------------------------


def test_inbox_outbox_and_reading(api_as, org):
    sender, reader = api_as("agent"), api_as("teammate")
    message_id = send(sender, recipient=org.people["teammate"].pk, text="<script>alert(1)</script>").json()["id"]
    inbox = reader.get(URL).json()
    assert inbox["count"] == 1
    row = inbox["results"][0]
    assert (row["id"], row["sender_no"], row["read_at"]) == (message_id, "agent", None)
    assert row["text"] == "<script>alert(1)</script>"  # stored as typed; pages show it as text
    assert api_as("team_leader").get(URL).json()["count"] == 0  # leaders do not read others' inboxes
    assert sender.get(URL).json()["count"] == 0
    assert [m["id"] for m in sender.get(f"{URL}sent/").json()["results"]] == [message_id]
    read = reader.post(f"{URL}{message_id}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    first = read.json()["read_at"]
    assert reader.post(f"{URL}{message_id}/read/").json()["read_at"] == first
    assert sender.post(f"{URL}{message_id}/read/").status_code == 404


def test_a_message_is_pushed_to_its_recipients_after_commit(
    api_as, org, monkeypatch, django_capture_on_commit_callbacks
):
    pushed = []

    class Layer:
        async def group_send(self, group, message):
            pushed.append((group, message["text"]))

    monkeypatch.setattr("channels.layers.get_channel_layer", lambda: Layer())
    with django_capture_on_commit_callbacks(execute=True):
        assert send(api_as("agent"), recipient=org.people["teammate"].pk, text="请接三号线").status_code == 201
    assert pushed == [(f"employee-{org.people['teammate'].pk}", "张伟: 请接三号线")]
