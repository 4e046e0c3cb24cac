"""Revisions under real concurrency (PostgreSQL; SQLite's single writer cannot race): editors who
save at the same moment get versions n+1, n+2, … and nobody's text is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from banzu.knowledge import services
from banzu.knowledge.models import Article
from banzu.knowledge.tests.factories import article

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: row locks and concurrent transactions")


def test_concurrent_revisions_get_consecutive_version_numbers(org):
    item = article(org, body="初版")
    editors = ["trainer", "qa", "manager", "admin"]
    start = threading.Barrier(len(editors))
    errors: list[Exception] = []

    def revise(persona):
        try:
            start.wait(5)
            services.revise_article(
                user=org.people[persona].user,
                article=item,
                title=item.title,
                body=f"{persona}的版本",
                change_note=persona,
                category=None,
                tags=[],
                valid_from=None,
                valid_until=None,
            )
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=revise, args=(persona,)) for persona in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    saved = Article.objects.get(pk=item.pk)
    versions = list(saved.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3, 4, 5]
    assert sorted(v.change_note for v in versions[1:]) == sorted(editors)
    assert saved.current_version == versions[-1]
    assert saved.search_text.body_text == versions[-1].body
