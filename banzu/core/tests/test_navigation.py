"""The menu shows each role exactly what it may use, grouped by section (ux.md, global patterns)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from banzu.conftest import PERSONAS
from banzu.core import scoping
from banzu.core.context_processors import MENU

ALL_ENTRIES = [entry for _, entries in MENU for entry in entries]


def shown_links(html: str) -> set[str]:
    nav = html.split('aria-label="主菜单"', 1)[1].split("</nav>", 1)[0]
    return set(re.findall(r'class="nav-link" href="([^"]+)"', nav))


@pytest.mark.parametrize("persona", PERSONAS)
def test_menu_lists_what_the_role_may_use_and_nothing_else(client, org, persona):
    user = org.people[persona].user
    client.force_login(user)
    html = client.get(reverse("home"), follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    expected = {reverse(url) for _, url, action, _ in ALL_ENTRIES if action is None or scoping.can(user, action)}
    assert shown_links(html) == expected


def test_sections_without_a_visible_entry_are_left_out(client, org):
    client.force_login(org.people["agent"].user)
    html = client.get(reverse("home"), follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    nav = html.split('aria-label="主菜单"', 1)[1].split("</nav>", 1)[0]
    for title, entries in MENU:
        if title is None:
            continue
        visible = any(action is None or scoping.can(org.people["agent"].user, action) for _, _, action, _ in entries)
        assert (f">{title}<" in nav) == visible, title


def test_every_menu_entry_resolves_and_is_unique():
    urls = [reverse(url) for _, url, _, _ in ALL_ENTRIES]
    assert len(urls) == len(set(urls))
