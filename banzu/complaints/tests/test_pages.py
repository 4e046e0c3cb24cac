"""The complaint pages: filing with errors on the fields, htmx workflow steps, the printable
record forms, the authority report, the notice board and the analysis export."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from openpyxl import load_workbook

from banzu.complaints.models import Complaint
from banzu.complaints.tests.conftest import FORM, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_as(client_as):
    """A logged-in client reading pages in English, so assertions hold once zh-Hans is translated."""

    def make(persona: str):
        client = client_as(persona)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def test_filing_through_the_page_redirects_to_the_new_complaint(org, page_as):
    response = page_as("agent").post("/complaints/new/", FORM)
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"


def test_a_filing_with_missing_fields_shows_each_error_on_its_field(org, page_as):
    response = page_as("agent").post("/complaints/new/", {**FORM, "complainant": "", "location": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field-error="complainant"' in html and "Enter the complainant." in html
    assert 'data-field-error="location"' in html
    assert Complaint.objects.count() == 0


def test_an_htmx_step_without_its_record_re_renders_the_action_card(org, page_as, file, advance):
    complaint = advance("shift_lead", file(), "accept")
    response = page_as("shift_lead").post(
        f"/complaints/{complaint.pk}/step/", {"step": "verify", "note": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="complaint-actions"')
    assert "Write down the investigation before verifying." in html
    assert Complaint.objects.get().status == "accepted"


def test_an_illegal_jump_on_the_page_shows_the_rule(org, page_as, file):
    complaint = file()
    response = page_as("supervisor").post(f"/complaints/{complaint.pk}/step/", {"step": "close"})
    assert response.status_code == 422
    assert "cannot go to the step" in response.content.decode()
    assert Complaint.objects.get().status == "filed"


def test_the_detail_shows_the_level_the_deadline_and_only_the_next_step(org, page_as, file):
    complaint = file(source="group")  # filed in March 2024: long overdue today
    html = page_as("manager").get(f"/complaints/{complaint.pk}/").content.decode()
    assert 'data-level="2"' in html
    assert 'data-deadline="overdue"' in html and "Overdue by" in html
    assert 'data-step="accept"' in html and 'data-step="verify"' not in html


def test_a_fresh_complaint_counts_working_days_left(org, page_as, file, monkeypatch):
    complaint = file()  # Thursday 14 March 2024, due at the end of Monday 18 March
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + timedelta(hours=1))
    html = page_as("supervisor").get(f"/complaints/{complaint.pk}/").content.decode()
    assert 'data-deadline="ok"' in html and "2 working days left" in html and "2024-03-18 23:59" in html


def test_the_print_page_holds_both_record_forms(org, page_as, file):
    complaint = file()
    html = page_as("agent").get(f"/complaints/{complaint.pk}/print/").content.decode()
    assert "Company complaint record" in html and "Customer complaint record" in html
    assert complaint.content in html


def test_the_authority_report_of_a_level_3_complaint_is_printable(org, page_as, file):
    complaint = file(source="provincial_bureau")
    response = page_as("manager").get(f"/complaints/{complaint.pk}/authority-report/")
    assert response.status_code == 200
    assert "The provincial bureau (12366)" in response.content.decode()


def test_the_analysis_export_is_a_workbook_with_a_sheet_per_breakdown(org, page_as, file):
    file()
    response = page_as("manager").get("/complaints/analysis/export/?filed_from=2024-03-01&filed_to=2024-03-31")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "By cause", "By channel", "By warning level", "By team"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Complaints"] == 1
    assert list(book["By team"].iter_rows(min_row=2, values_only=True)) == [("一组", 1)]


def test_the_analysis_page_renders_the_chart_data(org, page_as, file):
    file()
    html = page_as("qa").get("/complaints/analysis/?filed_from=2024-03-01&filed_to=2024-03-31").content.decode()
    assert 'id="complaint-charts"' in html and 'data-chart="cause"' in html


def test_publishing_through_the_page_puts_the_outcome_on_the_notice_board(org, page_as, file, walk):
    complaint = walk(file(), upto="determine_responsibility")
    client = page_as("supervisor")
    assert 'id="complaint-notice"' in client.get(f"/complaints/{complaint.pk}/").content.decode()
    response = client.post(f"/complaints/{complaint.pk}/publish/", {"title": "", "body": "责任人张伟扣5分"})
    assert response.status_code == 302
    detail = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Published on the notice board" in detail and 'id="complaint-notice"' not in detail
    assert "责任人张伟扣5分" in page_as("agent").get("/complaints/notices/").content.decode()
    assert "责任人张伟扣5分" not in page_as("vip_agent").get("/complaints/notices/").content.decode()


def test_recording_the_written_report_of_a_level_2_complaint_through_the_page(org, page_as, file, advance):
    complaint = file(source="group")
    advance("manager", complaint, "accept")
    advance("manager", complaint, "verify", note="核实")
    advance("manager", complaint, "decide", is_valid=False, cause="policy", note="无效")
    client = page_as("manager")
    empty = client.post(f"/complaints/{complaint.pk}/report/", {"authority_report": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 422 and "Write the report to the authority." in empty.content.decode()
    response = client.post(f"/complaints/{complaint.pk}/report/", {"authority_report": "已向集团书面报告"})
    assert response.status_code == 302
    letter = client.get(f"/complaints/{complaint.pk}/authority-report/").content.decode()
    assert "已向集团书面报告" in letter and "Draft" not in letter
