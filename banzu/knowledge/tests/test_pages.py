"""The knowledge pages over HTTP: list and live search, article with versions, editor, quick phrases."""

from __future__ import annotations

import pytest
from django.conf import settings

from banzu.knowledge import services
from banzu.knowledge.models import Article, QuickPhrase
from banzu.knowledge.tests.factories import article

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_as(client_as):
    """Pages read in English, so assertions hold whatever the zh-Hans wording."""

    def make(persona: str):
        client = client_as(persona)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def text(response) -> str:
    return response.content.decode()


def test_the_list_page_shows_published_articles_and_the_search_box(org, page_as):
    article(org, title="电子发票下载")
    article(org, title="草稿条目", publish=False)
    response = page_as("agent")
    page = response.get("/knowledge/")
    assert page.status_code == 200
    body = text(page)
    assert 'id="kb-q"' in body and "电子发票下载" in body and "草稿条目" not in body
    assert "New article" not in body
    assert "New article" in text(page_as("trainer").get("/knowledge/"))


def test_live_search_answers_htmx_with_the_results_partial_title_matches_first(org, page_as):
    article(org, title="退款说明", body="退款后可重新开具发票。")
    article(org, title="电子发票下载", body="登录后下载。")
    response = page_as("agent").get("/knowledge/", {"q": "发票"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'id="kb-results"' in body
    assert body.index("电子发票下载") < body.index("退款说明")
    assert "<mark>发票</mark>" in body and "Title match" in body


def test_a_search_without_results_says_so(org, page_as):
    article(org)
    body = text(page_as("agent").get("/knowledge/", {"q": "社保"}))
    assert "No article contains “社保”." in body


def test_the_article_page_shows_validity_and_version_history(org, page_as):
    item = article(org, body="第一版正文")
    services.revise_article(
        user=org.people["trainer"].user,
        article=item,
        title=item.title,
        body="第二版正文",
        change_note="政策更新",
        category=None,
        tags=[],
        valid_from=None,
        valid_until=None,
    )
    client = page_as("agent")
    body = text(client.get(f"/knowledge/articles/{item.pk}/"))
    assert "第二版正文" in body and "政策更新" in body and "Always valid" in body
    assert body.count("<tr") >= 3  # header and two versions
    assert f"/knowledge/articles/{item.pk}/edit/" not in body
    old = text(client.get(f"/knowledge/articles/{item.pk}/", {"version": 1}))
    assert "第一版正文" in old and "You are reading version 1" in old
    assert f"/knowledge/articles/{item.pk}/edit/" in text(page_as("trainer").get(f"/knowledge/articles/{item.pk}/"))


def test_a_draft_is_not_found_for_agents(org, page_as):
    draft = article(org, publish=False)
    assert page_as("agent").get(f"/knowledge/articles/{draft.pk}/").status_code == 404
    assert page_as("qa").get(f"/knowledge/articles/{draft.pk}/").status_code == 200


def test_the_editor_creates_an_article_and_answers_422_when_invalid(org, page_as):
    client = page_as("trainer")
    assert client.get("/knowledge/articles/new/").status_code == 200
    invalid = client.post(
        "/knowledge/articles/new/",
        {"title": "", "body": "正文", "valid_from": "2025-06-02", "valid_until": "2025-06-01"},
    )
    assert invalid.status_code == 422
    assert "is-invalid" in text(invalid)
    assert not Article.objects.exists()
    wrong_order = client.post(
        "/knowledge/articles/new/",
        {"title": "标题", "body": "正文", "valid_from": "2025-06-02", "valid_until": "2025-06-01"},
    )
    assert wrong_order.status_code == 422
    assert "The end of validity cannot be before its start." in text(wrong_order)
    saved = client.post(
        "/knowledge/articles/new/", {"title": "社保转移", "body": "正文", "tags": "社保, 转移", "publish": "1"}
    )
    assert saved.status_code == 302
    item = Article.objects.get()
    assert (item.status, item.tags) == ("published", ["社保", "转移"])


def test_the_editor_revises_and_refuses_a_content_change_without_a_note(org, page_as):
    item = article(org, body="旧正文")
    client = page_as("trainer")
    form = {"title": item.title, "body": "新正文", "change_note": ""}
    assert client.post(f"/knowledge/articles/{item.pk}/edit/", form).status_code == 422
    form["change_note"] = "更新"
    assert client.post(f"/knowledge/articles/{item.pk}/edit/", form).status_code == 302
    assert item.versions.count() == 2


def test_editing_pages_refuse_agents_and_supervisors_on_centre_articles(org, page_as):
    item = article(org)
    assert page_as("agent").get(f"/knowledge/articles/{item.pk}/edit/").status_code == 403
    assert page_as("supervisor").get(f"/knowledge/articles/{item.pk}/edit/").status_code == 403
    assert page_as("agent").post(f"/knowledge/articles/{item.pk}/archive/").status_code == 403
    assert page_as("manager").post(f"/knowledge/articles/{item.pk}/archive/").status_code == 302
    assert Article.objects.get(pk=item.pk).status == "archived"


def test_the_quick_phrases_page_fills_the_agent_number_and_adds_phrases(org, page_as):
    services.create_quick_phrase(
        user=org.people["trainer"].user,
        shortcut="/greet",
        title="问候",
        text="{客户称呼}您好，{工号}号为您服务",
        shared=True,
    )
    client = page_as("agent")
    body = text(client.get("/knowledge/quick-phrases/"))
    assert "{客户称呼}您好，agent号为您服务" in body
    assert "Share with the whole centre" not in body
    invalid = client.post(
        "/knowledge/quick-phrases/", {"shortcut": "/a b", "title": "x", "text": "x"}, HTTP_HX_REQUEST="true"
    )
    assert invalid.status_code == 422
    assert 'id="kb-phrase-form"' in text(invalid) and "<html" not in text(invalid)
    saved = client.post(
        "/knowledge/quick-phrases/", {"shortcut": "bye", "title": "再见", "text": "再见"}, HTTP_HX_REQUEST="true"
    )
    assert saved.status_code == 200 and saved["HX-Redirect"] == "/knowledge/quick-phrases/"
    mine = QuickPhrase.objects.get(shortcut="/bye")
    assert mine.owner == org.people["agent"]
    assert client.get(f"/knowledge/quick-phrases/{mine.pk}/edit/").status_code == 200
    shared = QuickPhrase.objects.get(shortcut="/greet")
    assert client.get(f"/knowledge/quick-phrases/{shared.pk}/edit/").status_code == 403
    assert page_as("teammate").post(f"/knowledge/quick-phrases/{mine.pk}/delete/").status_code == 404
    assert client.post(f"/knowledge/quick-phrases/{mine.pk}/delete/").status_code == 302
    assert not QuickPhrase.objects.filter(pk=mine.pk).exists()
