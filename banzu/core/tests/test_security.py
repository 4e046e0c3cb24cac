"""The security bar over HTTP: headers, cookies, production settings, size limits, uploads,
injection, stored XSS and the token endpoint's rate limit and lock-out.

Log-in everywhere, scope, CSRF and the log-in page's lock-out are proved in test_meta.py and
test_permission_matrix.py; docs/security.md maps every defence to its test.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import string
import subprocess
import sys
import threading
import tracemalloc
import uuid
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import translation
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from banzu.core.policies import policies_for
from banzu.org.models import Employee

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PASSWORD = "pw-banzu-test"  # the factories' password
POLICY = "org.agents_per_team_leader"
HEADER = ["Employee number", "Name", "Department", "Team", "Position", "Hire date", "Employment status"]


@pytest.fixture(autouse=True)
def english():
    """Messages are compared with their English msgids."""
    with translation.override("en"):
        yield


def english_client(persona_client: Client) -> Client:
    persona_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return persona_client


def body(response) -> str:
    return response.content.decode()


# --- headers --------------------------------------------------------------------------------------

UNSAFE_SCRIPT_SOURCES = {
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "*",
    "data:",
    "blob:",
    "http:",
    "https:",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives[tokens[0].lower()] = tokens[1:]
    return directives


@pytest.mark.parametrize(
    ("url", "persona"),
    [("/accounts/login/", None), ("/healthz", None), ("/org/roster/", "hr"), ("/api/v1/employees/", "hr")],
)
def test_responses_carry_the_security_headers(org, client_as, url, persona):
    client = client_as(persona) if persona else Client()

    response = client.get(url)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    for directive in ("script-src", "script-src-elem", "script-src-attr"):
        assert UNSAFE_SCRIPT_SOURCES.isdisjoint(csp.get(directive, [])), directive
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]


class InlineScriptFinder(HTMLParser):
    """What a CSP without 'unsafe-inline' and 'unsafe-eval' would block, or would have to allow."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script":
            if "src" not in dict(attrs):
                self.problems.append("<script> without src")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:40]}")


def test_the_inline_script_finder_finds_what_the_csp_blocks():
    finder = InlineScriptFinder()
    finder.feed('<script>alert(1)</script><a href="javascript:x()">x</a><b onclick="x()" hx-on:click="y()">')
    assert len(finder.problems) == 5


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/org/",
        "/org/roster/",
        "/org/roster/import/",
        "/org/teams/{team}/",
        "/org/employees/{employee}/",
        "/core/policies/",
        f"/core/policies/{POLICY}/",
        "/core/calendar/",
    ],
)
def test_pages_need_no_inline_script_the_csp_would_block(org, client_as, url):
    url = url.format(team=org.team_a.pk, employee=org.people["agent"].pk)

    response = client_as("admin").get(url, follow=True)

    assert response.status_code == 200
    finder = InlineScriptFinder()
    finder.feed(body(response))
    assert finder.problems == []


def test_the_login_page_needs_no_inline_script_either(db):
    finder = InlineScriptFinder()
    finder.feed(body(Client().get("/accounts/login/")))
    assert finder.problems == []


# --- cookies --------------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(org):
    client = Client()
    client.get("/accounts/login/")
    csrf_cookie = client.cookies[settings.CSRF_COOKIE_NAME]

    response = client.post("/accounts/login/", {"username": "agent", "password": PASSWORD})

    assert response.status_code == 302
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert csrf_cookie["samesite"] == "Lax"
    # Tests run over plain HTTP (BANZU_TESTING); production turns Secure on (the subprocess tests).
    assert bool(session_cookie["secure"]) == settings.SESSION_COOKIE_SECURE


# --- production settings (subprocesses: settings are read once per process) -------------------------


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """The environment of a production start: no DEBUG, DEMO or TESTING, a real secret key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BANZU_") and key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        BANZU_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        BANZU_ALLOWED_HOSTS="banzu.example.com",
        BANZU_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="banzu.settings",
        PYTHONIOENCODING="utf-8",
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


DEPLOY_CHECK = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def test_the_deploy_security_checks_are_clean_in_production_mode(tmp_path):
    done = run([*DEPLOY_CHECK, "--tag", "security"], production_env(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_finds_no_error_in_production_mode(tmp_path):
    """Every check, not just the security ones; warnings of other tags are for their owners."""
    done = run(["manage.py", "check", "--deploy", "--fail-level", "ERROR"], production_env(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERRORS:" not in done.stdout + done.stderr


def test_check_deploy_fails_when_https_is_switched_off(tmp_path):
    """The check above can fail: without HTTPS the deploy checks name the insecure cookies."""
    done = run([*DEPLOY_CHECK, "--tag", "security"], production_env(tmp_path, BANZU_HTTPS="0"))

    assert done.returncode != 0
    for check in ("security.W008", "security.W012", "security.W016"):  # SSL redirect, cookies
        assert check in done.stdout + done.stderr


def test_production_mode_marks_cookies_secure_and_sends_hsts(tmp_path):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({name: getattr(s, name) for name in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS')}))"
    )
    done = run(["-c", script], production_env(tmp_path))

    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    }


def test_production_mode_without_a_secret_key_refuses_to_start(tmp_path):
    done = run(["manage.py", "check"], production_env(tmp_path, BANZU_SECRET_KEY=None))

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "BANZU_SECRET_KEY" in done.stderr


# --- request size ---------------------------------------------------------------------------------


def _policy_value(org):
    return policies_for(org.centre, [POLICY])[POLICY]


def test_a_form_post_over_the_request_size_limit_is_refused_and_writes_nothing(org, client_as):
    padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data = urlencode({"value": "25", "reason": padding})

    response = client_as("admin").post(
        f"/core/policies/{POLICY}/", data, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert _policy_value(org) == 20


def test_an_api_body_over_the_request_size_limit_is_refused_and_writes_nothing(org, api_as):
    padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api_as("admin").patch(f"/api/v1/policies/{POLICY}/", {"value": 25, "reason": padding}, format="json")

    assert response.status_code == 400
    assert _policy_value(org) == 20


def test_a_request_just_under_the_limit_is_read(org, client_as):
    """The limit above is the configured one, not a refusal of every long form."""
    reason = "扩编"
    data = urlencode({"value": "25", "reason": reason})
    assert len(data) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = client_as("admin").post(
        f"/core/policies/{POLICY}/", data, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 302
    assert _policy_value(org) == 25


# --- roster uploads -------------------------------------------------------------------------------


def workbook(*rows, text_cells: bool = False) -> bytes:
    """An xlsx with the roster header; `text_cells` stores a value starting with "=" as text."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if text_cells:
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(number: str, name: str, **cells) -> list:
    values = {"department": "D1", "team": "A", "position": "agent", "hire": "2024-05-01", "status": "regular"}
    values.update(cells)
    return [number, name, *values.values()]


def upload(org, client_as, data: bytes, name: str = "roster.xlsx", content_type: str = XLSX):
    client = english_client(client_as("hr"))
    return client.post("/org/roster/import/", {"file": SimpleUploadedFile(name, data, content_type=content_type)})


def test_an_oversized_roster_file_is_refused_with_a_clear_error(org, client_as):
    data = workbook(*[row(f"N{n:03d}", f"新人{n}") for n in range(60)])
    assert len(data) > 2048
    before = Employee.objects.count()

    with override_settings(BANZU_MAX_UPLOAD_BYTES=2048):
        response = upload(org, client_as, data)

    assert response.status_code == 422
    assert "The file is larger than" in body(response)
    assert Employee.objects.count() == before


def test_a_text_file_named_xlsx_is_refused_as_not_a_workbook(org, client_as):
    before = Employee.objects.count()

    response = upload(org, client_as, "工号,姓名\nN001,李雷\n".encode())

    assert response.status_code == 422
    assert "The file is not a valid xlsx workbook." in body(response)
    assert Employee.objects.count() == before


def zip_bomb(member: str, size: int) -> bytes:
    out = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(member, "w", force_zip64=True) as target,
    ):
        for _ in range(size // len(chunk)):
            target.write(chunk)
    return out.getvalue()


BOMB_SIZE = 64 * 1024 * 1024


def test_a_compressed_archive_that_is_not_a_workbook_is_refused_without_inflating_it(org, client_as):
    data = zip_bomb("xl/worksheets/sheet1.xml", BOMB_SIZE)
    assert len(data) < settings.BANZU_MAX_UPLOAD_BYTES < BOMB_SIZE
    before = Employee.objects.count()

    tracemalloc.start()
    try:
        response = upload(org, client_as, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 422
    assert "The file is not a valid xlsx workbook." in body(response)
    assert peak < BOMB_SIZE // 4
    assert Employee.objects.count() == before


def test_a_workbook_whose_parts_inflate_far_beyond_the_upload_limit_is_refused_without_inflating_them(org, client_as):
    data = zip_bomb("[Content_Types].xml", BOMB_SIZE)
    before = Employee.objects.count()

    tracemalloc.start()
    try:
        response = upload(org, client_as, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 422
    assert Employee.objects.count() == before
    assert peak < BOMB_SIZE // 4


def test_a_formula_is_not_evaluated_and_its_row_is_reported(org, client_as):
    data = workbook(
        row("N001", '=HYPERLINK("http://evil.example/","点我")'),
        row("N002", "=1+1"),
    )
    before = Employee.objects.count()

    response = upload(org, client_as, data)

    assert response.status_code == 422
    page = body(response)
    assert re.search(r"<td[^>]*>2</td>\s*<td>Name</td>\s*<td>This field is required.</td>", page)
    assert re.search(r"<td[^>]*>3</td>\s*<td>Name</td>\s*<td>This field is required.</td>", page)
    assert Employee.objects.count() == before
    assert not Employee.objects.filter(name__in=["2", "点我"]).exists()


def test_text_that_looks_like_a_formula_is_stored_as_text_and_exported_neutralised(org, client_as):
    formula_text = '=HYPERLINK("http://evil.example/","点我")'
    response = upload(org, client_as, workbook(row("N001", formula_text), row("N002", "=1+1"), text_cells=True))

    assert response.status_code == 302
    assert Employee.objects.get(employee_no="N001").name == formula_text
    assert Employee.objects.get(employee_no="N002").name == "=1+1"

    export = client_as("hr").get("/org/roster/export/")
    sheet = load_workbook(io.BytesIO(export.content)).active
    cells = {line[0].value: line[1] for line in sheet.iter_rows(min_row=2)}
    for number, text in (("N001", formula_text), ("N002", "=1+1")):
        assert cells[number].data_type == "s"
        assert cells[number].value == "'" + text


def workbook_with_external_link(target: str) -> bytes:
    """A workbook whose name cell refers to another workbook through an external link part."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row("N001", "='[1]Sheet1'!$A$1"))
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    link_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames>'
        '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1" t="str"><v>外部姓名</v></cell></row>'
        "</sheetData></sheetDataSet></externalBook></externalLink>"
    )
    link_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'externalLinkPath" Target="{target}" TargetMode="External"/></Relationships>'
    )
    with zipfile.ZipFile(result, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename).decode()
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    "</Types>",
                    '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    "</Relationships>",
                    '<Relationship Id="rIdLink1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
                )
            elif item.filename == "xl/workbook.xml":
                data = data.replace(
                    "</sheets>",
                    '</sheets><externalReferences><externalReference r:id="rIdLink1"/></externalReferences>',
                )
            archive.writestr(item.filename, data)
        archive.writestr("xl/externalLinks/externalLink1.xml", link_xml)
        archive.writestr("xl/externalLinks/_rels/externalLink1.xml.rels", link_rels)
    return result.getvalue()


class OutsideWorld:
    """Files opened and connections made while active, seen through Python's audit hooks."""

    _active: OutsideWorld | None = None
    _installed = False
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.connections: list[str] = []

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        watcher = cls._active
        if watcher is None:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            watcher.opened.append(os.fsdecode(args[0]))
        elif event in {"socket.connect", "socket.getaddrinfo"}:
            watcher.connections.append(repr(args[1:]))

    def __enter__(self) -> OutsideWorld:
        with self._lock:
            if not OutsideWorld._installed:
                sys.addaudithook(OutsideWorld._hook)  # hooks cannot be removed; inactive it returns at once
                OutsideWorld._installed = True
        OutsideWorld._active = self
        return self

    def __exit__(self, *exc) -> None:
        OutsideWorld._active = None


@pytest.mark.parametrize(
    "target",
    ["{file}", "http://evil.example/salaries.xlsx", "\\\\evil.example\\share\\salaries.xlsx"],
    ids=["file", "http", "unc"],
)
def test_an_external_link_is_not_followed(org, client_as, tmp_path, target):
    linked = tmp_path / "salaries.xlsx"
    linked.write_bytes(workbook(row("X001", "外部姓名")))
    target = target.format(file=linked.as_uri())
    data = workbook_with_external_link(target)
    # The fixture really holds an external link, as openpyxl sees when asked to keep links.
    kept = load_workbook(io.BytesIO(data), keep_links=True)
    assert [link.file_link.Target for link in kept._external_links] == [target]
    client = english_client(client_as("hr"))
    before = Employee.objects.count()

    with OutsideWorld() as world:
        response = client.post("/org/roster/import/", {"file": SimpleUploadedFile("roster.xlsx", data, XLSX)})

    assert response.status_code == 422
    assert re.search(r"<td[^>]*>2</td>\s*<td>Name</td>\s*<td>This field is required.</td>", body(response))
    assert "外部姓名" not in body(response)
    assert [path for path in world.opened if "salaries" in path] == []
    assert [address for address in world.connections if "evil.example" in address] == []
    assert Employee.objects.count() == before


def test_the_outside_world_watcher_sees_files_and_connections(tmp_path):
    """The watcher above can fail: it does see an open file and a connection attempt."""
    import socket

    probe = tmp_path / "salaries.txt"
    probe.write_text("x")
    with OutsideWorld() as world:
        probe.read_text()
        with socket.socket() as sock, pytest.raises(OSError):
            sock.settimeout(0.01)
            sock.connect(("127.0.0.1", 9))
    assert any("salaries" in path for path in world.opened)
    assert any("127.0.0.1" in address for address in world.connections)


# --- SQL injection through search, filter and sort parameters ----------------------------------------

INJECTIONS = ["' OR 1=1 --", "1 OR 1=1", "'; DROP TABLE org_employee; --", '" OR ""="', "1) OR (1=1", "%' --"]


def team_leaders_rows(org) -> set[str]:
    return {org.people[key].employee_no for key in ("agent", "teammate", "team_leader")}


@pytest.mark.parametrize(
    "parameter",
    ["search", "ordering", "team", "department", "position", "status", "hired_after", "page_size", "page"],
)
def test_the_roster_api_treats_injected_sql_as_data(org, api_as, parameter):
    client = api_as("team_leader")
    before = Employee.objects.count()

    for payload in INJECTIONS:
        response = client.get("/api/v1/employees/", {parameter: payload})

        assert response.status_code in (200, 400, 404), payload
        if response.status_code == 200:
            rows = {item["employee_no"] for item in response.json()["results"]}
            assert rows <= team_leaders_rows(org), payload
            if parameter in {"search", "position"}:
                assert rows == set(), payload
    assert Employee.objects.count() == before


def test_a_sort_by_an_unknown_field_is_ignored_not_passed_to_the_database(org, api_as):
    response = api_as("team_leader").get("/api/v1/employees/", {"ordering": "name;drop table org_employee"})

    assert response.status_code == 200
    assert {item["employee_no"] for item in response.json()["results"]} == team_leaders_rows(org)


def roster_page_rows(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/org/employees/(\d+)/"', body(response))}


@pytest.mark.parametrize("parameter", ["q", "sort", "team", "department", "position", "status", "page"])
def test_the_roster_page_treats_injected_sql_as_data(org, client_as, parameter):
    visible = {org.people[key].pk for key in ("agent", "teammate", "team_leader")}
    client = client_as("team_leader")
    before = Employee.objects.count()

    for payload in INJECTIONS:
        response = client.get("/org/roster/", {parameter: payload})

        assert response.status_code == 200, payload
        rows = roster_page_rows(response)
        assert rows <= visible, payload
        if parameter in {"q", "position"}:
            assert rows == set(), payload
    assert Employee.objects.count() == before


def test_the_roster_page_row_finder_finds_the_rows(org, client_as):
    """The check above can fail: unfiltered, the team leader's rows are found."""
    response = client_as("team_leader").get("/org/roster/")
    assert roster_page_rows(response) == {org.people[key].pk for key in ("agent", "teammate", "team_leader")}


# --- stored XSS -----------------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_a_script_in_an_imported_name_is_shown_escaped_on_every_page(org, client_as):
    response = upload(org, client_as, workbook(row("N666", XSS)))
    assert response.status_code == 302
    employee = Employee.objects.get(employee_no="N666")
    assert employee.name == XSS
    client = client_as("hr")

    for url in ("/org/roster/?q=N666", f"/org/teams/{org.team_a.pk}/", f"/org/employees/{employee.pk}/"):
        page = body(client.get(url))
        assert XSS not in page, url
        assert ESCAPED in page, url


def test_a_script_in_a_rejected_cell_is_shown_escaped_in_the_error_list(org, client_as):
    response = upload(org, client_as, workbook(row("N666", "新人", department=XSS)))

    assert response.status_code == 422
    page = body(response)
    assert XSS not in page
    assert ESCAPED in page
    assert not Employee.objects.filter(employee_no="N666").exists()


# --- the token endpoint: rate limit and lock-out ----------------------------------------------------

TOKEN_URL = "/api/v1/auth/token/"


def fresh_address() -> str:
    """A client address of its own: throttle counters live in the shared cache (Redis in CI)."""
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    cache.delete(f"throttle_login_{address}")
    return address


def login_rate() -> int:
    allowed, _seconds = ScopedRateThrottle().parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"])
    return allowed


def ask_token(client: APIClient, address: str, username: str, password: str, **headers):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **headers
    )


def test_the_token_endpoint_answers_429_after_the_login_rate(org):
    client, address = APIClient(), fresh_address()
    for _attempt in range(login_rate()):
        assert ask_token(client, address, "agent", PASSWORD).status_code == 200

    response = ask_token(client, address, "agent", PASSWORD)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "token" not in response.json()
    assert int(response["Retry-After"]) > 0


def test_the_login_rate_counts_per_client_address(org):
    client, address = APIClient(), fresh_address()
    for _attempt in range(login_rate()):
        ask_token(client, address, "agent", PASSWORD)

    assert ask_token(client, fresh_address(), "agent", PASSWORD).status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_login_rate(org):
    client, address = APIClient(), fresh_address()
    for _attempt in range(login_rate()):
        ask_token(client, address, "agent", PASSWORD, HTTP_X_FORWARDED_FOR=fresh_address())

    response = ask_token(client, address, "agent", PASSWORD, HTTP_X_FORWARDED_FOR=fresh_address())

    assert response.status_code == 429


def test_the_token_endpoint_locks_an_account_out_after_repeated_failures(org):
    from rest_framework.authtoken.models import Token

    client, address = APIClient(), fresh_address()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        assert ask_token(client, address, "agent", "wrong-password").status_code == 400

    response = ask_token(client, address, "agent", PASSWORD)

    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
    assert not Token.objects.filter(user=org.people["agent"].user).exists()


def test_the_token_lock_out_is_per_account(org):
    client, address = APIClient(), fresh_address()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        ask_token(client, address, "agent", "wrong-password")

    response = ask_token(client, address, "teammate", PASSWORD)

    assert response.status_code == 200
    assert response.json()["token"]


def test_fewer_failures_than_the_limit_do_not_lock_the_token_endpoint(org):
    client, address = APIClient(), fresh_address()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        ask_token(client, address, "agent", "wrong-password")

    assert ask_token(client, address, "agent", PASSWORD).status_code == 200
