from rest_framework.test import APIClient

URL = "/api/v1/auth/token/"


def test_a_token_is_issued_for_a_correct_password_and_then_authenticates(org):
    anonymous = APIClient()
    response = anonymous.post(URL, {"username": "team_leader", "password": "pw-banzu-test"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/v1/employees/")
    assert listed.status_code == 200
    assert {row["employee_no"] for row in listed.json()["results"]} == {"agent", "teammate", "team_leader"}


def test_a_wrong_password_gets_no_token_and_names_the_problem(org):
    response = APIClient().post(URL, {"username": "team_leader", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "token" not in response.json()


def test_a_missing_field_is_named(org):
    response = APIClient().post(URL, {"username": "team_leader"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]


def test_a_token_of_nobody_is_refused(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/employees/").status_code == 401
