"""The knowledge API over HTTP: list, search, detail, versions, writes, quick phrases; who may do what."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from banzu.conftest import PERSONAS
from banzu.knowledge import services
from banzu.knowledge.models import Article, ArticleVersion, QuickPhrase
from banzu.knowledge.tests.factories import article

pytestmark = pytest.mark.django_db
API = "/api/v1/knowledge"

EDITORS = {"trainer", "qa", "supervisor", "other_supervisor", "manager", "admin"}
CENTRE_EDITORS = EDITORS - {"supervisor", "other_supervisor"}
CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}


def expect(allowed: set[str], ok: int, refused: int = 403) -> dict[str, int]:
    return {persona: ok if persona in allowed else refused for persona in PERSONAS}


def test_role_action_matrix(org, api_as):
    """Not granted: 403 whatever the record; out of scope: 404; visible but not editable: 403."""
    published = article(org, title="发票须知")
    draft = article(org, title="草稿", publish=False)
    vip = article(org, persona="manager", title="VIP须知", department=org.other_department)
    vip_readers = {"other_supervisor", "vip_agent", *CENTRE_WIDE}
    matrix = [
        ("get", f"{API}/articles/", None, expect(set(PERSONAS), 200)),
        ("get", f"{API}/articles/?q=发票", None, expect(set(PERSONAS), 200)),
        ("get", f"{API}/articles/{published.pk}/", None, expect(set(PERSONAS), 200)),
        ("get", f"{API}/articles/{published.pk}/versions/", None, expect(set(PERSONAS), 200)),
        ("get", f"{API}/versions/{published.current_version_id}/", None, expect(set(PERSONAS), 200)),
        ("get", f"{API}/articles/{draft.pk}/", None, expect(EDITORS, 200, 404)),
        ("get", f"{API}/articles/{vip.pk}/", None, expect(vip_readers, 200, 404)),
        ("post", f"{API}/articles/", {}, expect(EDITORS, 400)),
        # {} changes nothing: 400 once the editor may revise; a supervisor of department 1 cannot read it
        (
            "post",
            f"{API}/articles/{vip.pk}/revise/",
            {},
            {**expect(EDITORS, 400), "supervisor": 404},
        ),
        ("post", f"{API}/articles/{published.pk}/revise/", {}, expect(CENTRE_EDITORS, 400)),
        ("get", f"{API}/categories/", None, expect(set(PERSONAS), 200)),
        ("post", f"{API}/categories/", {}, expect(EDITORS, 400)),
        ("get", f"{API}/quick-phrases/", None, expect(set(PERSONAS), 200)),
        ("post", f"{API}/quick-phrases/", {}, expect(set(PERSONAS), 400)),
    ]
    wrong = []
    for method, url, data, expected in matrix:
        for persona in PERSONAS:
            client = api_as(persona)
            response = client.get(url) if method == "get" else client.post(url, data, format="json")
            if response.status_code != expected[persona]:
                wrong.append(f"{method.upper()} {url} as {persona}: {response.status_code} != {expected[persona]}")
    assert wrong == []


def test_publish_and_archive_by_role(org, api_as):
    wrong = []
    for persona in PERSONAS:
        item = article(org, publish=False, title=f"草稿{persona}")
        response = api_as(persona).post(f"{API}/articles/{item.pk}/publish/")
        expected = 200 if persona in CENTRE_EDITORS else 403
        if response.status_code != expected:
            wrong.append(f"publish as {persona}: {response.status_code}")
        status = Article.objects.get(pk=item.pk).status
        if status != ("published" if expected == 200 else "draft"):
            wrong.append(f"publish as {persona} left {status}")
    assert wrong == []


def test_sharing_a_quick_phrase_is_for_editors(org, api_as):
    for persona in PERSONAS:
        response = api_as(persona).post(
            f"{API}/quick-phrases/",
            {"shortcut": f"/s-{persona}", "title": "问候", "text": "您好", "shared": True},
            format="json",
        )
        assert response.status_code == (201 if persona in EDITORS else 403), persona
    assert QuickPhrase.objects.filter(owner__isnull=True).count() == len(EDITORS)


def test_search_answers_title_matches_first_with_the_version_to_cite(org, api_as):
    body_hit = article(org, title="退款说明", body="退款后可重新开具发票。")
    title_hit = article(org, title="电子发票下载")
    response = api_as("agent").get(f"{API}/articles/", {"q": "发票"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["id"], row["title_match"]) for row in rows] == [(title_hit.pk, True), (body_hit.pk, False)]
    assert rows[0]["version_id"] == title_hit.current_version_id and rows[0]["version"] == 1
    empty = api_as("agent").get(f"{API}/articles/", {"q": "社保"}).json()
    assert empty["count"] == 0


def test_create_revise_and_read_the_versions(org, api_as):
    client = api_as("trainer")
    created = client.post(
        f"{API}/articles/",
        {"title": "社保转移", "body": "第一版", "tags": ["社保"], "publish": True, "change_note": "新建"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "published" and created.json()["body"] == "第一版"
    revised = client.post(f"{API}/articles/{pk}/revise/", {"body": "第二版", "change_note": "补充材料"}, format="json")
    assert revised.status_code == 200, revised.json()
    assert revised.json()["version"] == 2 and revised.json()["tags"] == ["社保"]
    versions = client.get(f"{API}/articles/{pk}/versions/").json()
    assert [(v["number"], v["body"], v["change_note"]) for v in versions] == [
        (2, "第二版", "补充材料"),
        (1, "第一版", "新建"),
    ]
    assert versions[0]["changed_by_name"] == "徐丽"
    first = ArticleVersion.objects.get(article_id=pk, number=1)
    assert api_as("agent").get(f"{API}/versions/{first.pk}/").json()["body"] == "第一版"


def test_errors_name_the_field_in_chinese(org, api_as):
    client = api_as("trainer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(
        f"{API}/articles/",
        {"title": "有效期", "body": "正文", "valid_from": "2025-06-02", "valid_until": "2025-06-01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["valid_until"][0]["code"] == "validity_order"
    with translation.override("zh-hans"):
        chinese = translation.gettext("The end of validity cannot be before its start.")
    assert chinese != "The end of validity cannot be before its start."
    assert body["fields"]["valid_until"][0]["message"] == chinese
    assert not Article.objects.exists()


def test_archiving_twice_is_a_conflict(org, api_as):
    item = article(org)
    client = api_as("manager")
    assert client.post(f"{API}/articles/{item.pk}/archive/").status_code == 200
    response = client.post(f"{API}/articles/{item.pk}/archive/")
    assert response.status_code == 409 and response.json()["code"] == "wrong_status"


def test_quick_phrases_crud_and_render(org, api_as):
    services.create_quick_phrase(
        user=org.people["trainer"].user,
        shortcut="/greet",
        title="问候",
        text="{客户称呼}您好，{工号}号为您服务",
        shared=True,
    )
    client = api_as("agent")
    created = client.post(
        f"{API}/quick-phrases/", {"shortcut": "/bye", "title": "再见", "text": "再见，{客户称呼}"}, format="json"
    )
    assert created.status_code == 201 and created.json()["shared"] is False
    pk = created.json()["id"]
    listed = client.get(f"{API}/quick-phrases/").json()
    assert [(p["shortcut"], p["shared"]) for p in listed] == [("/bye", False), ("/greet", True)]
    assert [p["shortcut"] for p in client.get(f"{API}/quick-phrases/", {"shortcut": "/gr"}).json()] == ["/greet"]
    shared_pk = listed[1]["id"]
    rendered = client.get(f"{API}/quick-phrases/{shared_pk}/render/", {"客户称呼": "张先生"}).json()
    assert rendered == {"text": "张先生您好，agent号为您服务", "missing": []}
    partly = client.get(f"{API}/quick-phrases/{shared_pk}/render/").json()
    assert partly["missing"] == ["客户称呼"]
    assert client.patch(f"{API}/quick-phrases/{pk}/", {"text": "再见！"}, format="json").json()["text"] == "再见！"
    assert client.patch(f"{API}/quick-phrases/{shared_pk}/", {"text": "改"}, format="json").status_code == 403
    assert api_as("teammate").delete(f"{API}/quick-phrases/{pk}/").status_code == 404
    assert client.delete(f"{API}/quick-phrases/{pk}/").status_code == 204
    assert not QuickPhrase.objects.filter(pk=pk).exists()


def test_the_article_list_needs_few_queries(org, api_as, django_assert_max_num_queries):
    folder = services.create_category(user=org.people["trainer"].user, name="业务")
    for n in range(12):
        article(org, title=f"发票问题{n}", category=folder, tags=["发票"])
    client = api_as("agent")
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/articles/").json()["count"] == 12
    # The index lookups come first (on PostgreSQL inside a savepoint with the planner setting).
    with django_assert_max_num_queries(12):
        assert client.get(f"{API}/articles/", {"q": "发票"}).json()["count"] == 12
