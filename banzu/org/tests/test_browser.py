"""Real browser: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from banzu.org.models import Employee

pytestmark = [pytest.mark.browser]
PASSWORD = "pw-banzu-test"  # the factories' password


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_team_leader_sees_only_their_own_team_on_the_roster(page, live_server, org):
    log_in(page, live_server, "team_leader")
    page.goto(f"{live_server.url}/org/roster/")
    table = page.locator("table").first
    text = table.inner_text()
    for name in ("张伟", "王芳", "陈静"):  # team A: agent, teammate, the TL
        assert name in text
    for name in ("李娜", "刘洋", "杨磊"):  # team B and team C
        assert name not in text
    # The page is Chinese by default.
    assert "花名册" in page.content()


def _workbook_with_one_bad_row() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "部门", "班组", "岗位", "星级", "入职日期", "任职日期", "状态"])
    sheet.append(["9001", "新员工甲", "D1", "A", "agent", "", "2024-03-01", "", "试用"])
    sheet.append(["9002", "新员工乙", "D1", "A", "agent", "", "2024-13-45", "", "试用"])
    sheet.append(["9003", "新员工丙", "D1", "B", "agent", "", "2024-03-01", "", "正式"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_roster_import_with_one_bad_row_shows_row_column_and_reason(page, live_server, org, tmp_path):
    before = Employee.objects.count()
    upload = tmp_path / "roster.xlsx"
    upload.write_bytes(_workbook_with_one_bad_row())
    log_in(page, live_server, "hr")
    page.goto(f"{live_server.url}/org/roster/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    errors = page.locator("table").last.inner_text()
    assert "3" in errors  # Excel row 3 holds the bad date
    assert "入职日期" in errors
    assert "YYYY-MM-DD" in errors
    assert Employee.objects.count() == before  # nothing imported
