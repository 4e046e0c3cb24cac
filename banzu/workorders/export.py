"""xlsx export of work orders (pages and API), restricted by the export scope (ORG-7)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.workorders import presentation, selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def columns() -> list[str]:
    return [
        _("Work order number"),
        _("Title"),
        _("Category"),
        _("Status"),
        _("Urgent"),
        _("Caller number"),
        _("Customer"),
        _("Handler"),
        _("Responsible unit"),
        _("Next due time"),
        _("Created at"),
        _("Closed at"),
    ]


def safe_cell(value: Any) -> Any:
    """Text starting with = + - @ would turn into a formula when opened (spreadsheet injection);
    a caller number such as +8613800138000 stays as it is."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not value[1:].isdigit():
        return "'" + value
    return value


def xlsx_response(user: Any, params: Any, *, now: datetime) -> HttpResponse:
    """The filtered list as a workbook. Callers check `workorders.export` first."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    actor = scoping.actor_for(user)
    zone = centre_zone(None) if actor.centre_id is None else selectors.zone_of_centre(actor.centre_id)
    queryset = selectors.work_order_list(user, params, now=now, action="workorders.export")
    full = presentation.shows_customer_data(user)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Work orders")[:31])
    bold = Font(bold=True)
    header = []
    for label in columns():
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def local(moment: datetime | None) -> datetime | None:
        # Spreadsheets have no time zones: the centre's local time, as on the screen.
        return moment.astimezone(zone).replace(tzinfo=None) if moment else None

    for order in queryset.iterator(chunk_size=1000):
        caller, name = presentation.caller(order, full)
        row = (
            order.number,
            presentation.display_title(order),
            order.get_category_display(),
            order.get_status_display(),
            _("Yes") if order.urgent else _("No"),
            caller,
            name,
            order.handler.name if order.handler else "",
            order.responsible_unit.name if order.responsible_unit else "",
            local(order.next_due_at),
            local(order.created_at),
            local(order.closed_at),
        )
        sheet.append([safe_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    stamp = timezone.localtime(now, zone).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="work-orders-{stamp}.xlsx"'
    return response
