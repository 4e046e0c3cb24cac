"""CMP-6: the periodic complaint-cause analysis, as tables, chart data and an xlsx workbook.

The counting is the pure ``rules.analyse``; this module only reads the facts and labels them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _

from banzu.complaints import rules
from banzu.complaints.models import Cause, Channel, Complaint, Level
from banzu.workorders.export import safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Labelled:
    analysis: rules.Analysis
    by_cause: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    by_level: list[tuple[str, int]]
    by_team: list[tuple[str, int]]

    @property
    def sections(self) -> list[tuple[str, list[tuple[str, int]]]]:
        return [
            (_("By cause"), self.by_cause),
            (_("By channel"), self.by_channel),
            (_("By warning level"), self.by_level),
            (_("By team"), self.by_team),
        ]


def _fact(complaint: Complaint) -> rules.ComplaintFact:
    closed_on_time = None if complaint.closed_at is None else complaint.closed_at <= complaint.due_at
    return rules.ComplaintFact(
        cause=complaint.cause,
        channel=complaint.channel,
        level=complaint.level,
        team=complaint.team.name if complaint.team_id else "",
        is_valid=complaint.is_valid,
        closed_on_time=closed_on_time,
    )


def analyse_queryset(queryset: QuerySet[Complaint]) -> Labelled:
    rows = (
        queryset.select_related(None)
        .select_related("team")
        .only("cause", "channel", "level", "team__name", "is_valid", "closed_at", "due_at")
    )
    result = rules.analyse(_fact(complaint) for complaint in rows)
    causes, channels = dict(Cause.choices), dict(Channel.choices)
    undecided = _("Not decided yet")
    return Labelled(
        analysis=result,
        by_cause=[(str(causes.get(key, undecided)) if key else undecided, n) for key, n in result.by_cause],
        by_channel=[(str(channels.get(key, key)), n) for key, n in result.by_channel],
        by_level=[(str(Level(key).label), n) for key, n in result.by_level],
        by_team=[(key or _("No team"), n) for key, n in result.by_team],
    )


def chart_data(result: Labelled) -> dict[str, Any]:
    """What the ECharts script draws; labels already translated."""
    return {
        "cause": {"title": _("By cause"), "items": [{"name": k, "value": v} for k, v in result.by_cause]},
        "channel": {"title": _("By channel"), "items": [{"name": k, "value": v} for k, v in result.by_channel]},
        "level": {"title": _("By warning level"), "items": [{"name": k, "value": v} for k, v in result.by_level]},
        "team": {"title": _("By team"), "items": [{"name": k, "value": v} for k, v in result.by_team]},
    }


def xlsx_response(result: Labelled, first: date, last: date) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    bold = Font(bold=True)
    summary.append([_("Complaint analysis report")])
    summary["A1"].font = bold
    summary.append([_("Period"), f"{first.isoformat()} – {last.isoformat()}"])
    figures = result.analysis
    summary.append([_("Complaints"), figures.total])
    summary.append([_("Valid"), figures.valid])
    summary.append([_("Invalid"), figures.invalid])
    summary.append([_("Not decided yet"), figures.undecided])
    summary.append([_("Closed on time (%)"), figures.on_time_rate if figures.on_time_rate is not None else "—"])
    for title, rows in result.sections:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([title, _("Complaints")])
        for cell in sheet[1]:
            cell.font = bold
        for label, count in rows:
            sheet.append([safe_cell(label), count])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="complaints-{first.isoformat()}-{last.isoformat()}.xlsx"'
    return response
