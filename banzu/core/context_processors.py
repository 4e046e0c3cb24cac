"""Navigation by role: the menu shows only what the person may use (ux.md, global patterns)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banzu.core import scoping

# Sections of (label, url name, action that must be allowed, icon); a section without a visible
# entry is not shown.
MENU = [
    (None, [(_("Home"), "home", None, "home")]),
    (
        _("Service"),
        [
            (_("Work orders"), "workorders:list", "workorders.view", "clipboard-list"),
            (_("Complaints"), "complaints:list", "complaints.view", "message-report"),
            (_("Callbacks"), "callbacks:worklist", "callbacks.view", "phone-outgoing"),
            (_("On-site dispatch"), "callbacks:onsite_board", "callbacks.view", "truck"),
            (_("Satisfaction"), "callbacks:satisfaction", "callbacks.view_satisfaction", "mood-smile"),
            (
                pgettext_lazy("customer records", "Customers"),
                "contact:customers",
                "contact.view_customers",
                "address-book",
            ),
            (_("Knowledge base"), "knowledge:list", "knowledge.view", "book"),
        ],
    ),
    (
        pgettext_lazy("menu section", "Contacts"),
        [
            (_("Interval statistics"), "contact:statistics", "contact.view_interval_statistics", "chart-bar"),
            (_("Contact records"), "contact:contacts", "contact.search_contacts", "list-search"),
            (_("Service-rule exceptions"), "contact:exceptions", "contact.view_service_exceptions", "alert-triangle"),
        ],
    ),
    (
        _("Routing set-up"),
        [
            (_("Queues"), "contact:queues", "contact.manage_queues", "stack-2"),
            (_("Skills"), "contact:skills", "contact.manage_skills", "certificate"),
            (_("Agent skill matrix"), "contact:skill_matrix", "contact.view_skill_matrix", "table"),
            (_("IVR menu"), "contact:ivr", "contact.view_ivr", "sitemap"),
        ],
    ),
    (
        _("Planning"),
        [
            (_("Forecasts"), "wfm:forecasts", "wfm.view_forecasts", "chart-line"),
            (_("What-if"), "wfm:what_if", "wfm.plan", "adjustments-alt"),
        ],
    ),
    (
        _("Administration"),
        [
            (_("Organisation"), "org:tree", "org.view_structure", "sitemap"),
            (_("Roster"), "org:roster", "org.view_roster", "users"),
            (_("Calendar"), "core:calendar", "core.view_calendar", "calendar"),
            (_("Policies"), "core:policies", "core.view_policies", "adjustments"),
        ],
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    actor = scoping.actor_for(user)
    sections = []
    for title, entries in MENU:
        items = []
        for label, url_name, action, icon in entries:
            if action is None or scoping.can(user, action):
                url = reverse(url_name)
                active = (request.path.startswith(url) and url != "/") or request.path == url
                items.append({"label": label, "url": url, "icon": icon, "active": active})
        if items:
            sections.append({"title": title, "items": items})
    return {
        "nav_sections": sections,
        "nav_items": [item for section in sections for item in section["items"]],
        "actor": actor,
    }
