"""KB-1 search: Chinese of 2+ characters from the index, single characters, English words, ranking,
status and validity. Runs on SQLite and on PostgreSQL (DATABASE_URL) alike."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from banzu.knowledge import search, selectors, services
from banzu.knowledge.models import ArticleSearchText
from banzu.knowledge.tests.factories import article

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 1)


def titles(org, query, persona="agent", day=TODAY):
    return [a.title for a in selectors.search_articles(org.people[persona].user, query, only_valid_on=day)]


@pytest.fixture
def library(org):
    article(org, title="社保卡挂失", body="社保卡遗失后请拨打热线挂失，并到窗口补办。")
    article(org, title="退款到账时间", body="退款一般3个工作日到账。如需开具发票，请先完成退款。")
    article(org, title="发票", body="电子发票在订单完成后发送到邮箱。")
    article(org, title="VIP会员卡积分", body="Invoice questions go to the billing team. 会员积分每月清零。")
    return org


def test_the_database_objects_for_search_and_the_version_guard_exist():
    assert search.database_objects_present()


def test_a_two_character_query_finds_title_matches_before_body_matches(library):
    assert titles(library, "发票") == ["发票", "退款到账时间"]
    assert titles(library, "社保") == ["社保卡挂失"]


def test_longer_queries_match_across_word_boundaries(library):
    assert titles(library, "开具发票") == ["退款到账时间"]
    assert titles(library, "款一般3个工作日") == ["退款到账时间"]
    assert titles(library, "卡遗失后请拨打") == ["社保卡挂失"]
    assert titles(library, "发票开具") == []  # order matters: a phrase, not a bag of words


def test_a_single_character_is_found_without_the_index(library):
    assert titles(library, "邮") == ["发票"]


def test_english_words_and_prefixes_are_found_case_insensitively(library):
    assert titles(library, "invoice") == ["VIP会员卡积分"]
    assert titles(library, "INVO") == ["VIP会员卡积分"]
    assert titles(library, "vip会员") == ["VIP会员卡积分"]


def test_every_part_of_a_query_must_match_somewhere_in_the_article(library):
    assert titles(library, "发票 退款") == ["退款到账时间"]
    assert titles(library, "发票 社保") == []


def test_a_query_without_searchable_characters_finds_nothing(library):
    assert titles(library, "，。！") == []
    assert titles(library, "医保") == []


def test_only_published_articles_valid_on_the_day_are_found(org):
    article(org, title="旧发票政策", valid_until=TODAY - timedelta(days=1))
    article(org, title="新发票政策", valid_from=TODAY + timedelta(days=1))
    article(org, title="发票草稿", publish=False)
    current = article(org, title="现行发票政策", valid_from=TODAY, valid_until=TODAY)
    assert titles(org, "发票") == ["现行发票政策"]
    assert titles(org, "发票", day=TODAY - timedelta(days=1)) == ["旧发票政策"]
    services.archive_article(user=org.people["trainer"].user, article=current)
    assert titles(org, "发票") == []


def test_a_revision_is_searched_by_its_new_content(org):
    item = article(org, title="退款说明", body="旧流程")
    services.revise_article(
        user=org.people["trainer"].user,
        article=item,
        title="退款说明",
        body="新流程：线上申请",
        change_note="更新",
        category=None,
        tags=[],
        valid_from=None,
        valid_until=None,
    )
    assert titles(org, "线上申请") == ["退款说明"]
    assert titles(org, "旧流程") == []
    assert ArticleSearchText.objects.count() == 1


def test_tags_rank_with_the_title(org):
    article(org, title="开票须知", body="请核实抬头。", tags=["电子发票"])
    article(org, title="邮寄说明", body="纸质发票会邮寄。")
    assert titles(org, "发票") == ["开票须知", "邮寄说明"]


def test_search_respects_the_readers_department(org):
    article(org, persona="manager", title="VIP发票专线", department=org.other_department)
    assert titles(org, "发票", persona="agent") == []
    assert titles(org, "发票", persona="vip_agent") == ["VIP发票专线"]


@pytest.mark.parametrize("limits", [(2, 0), (0, 0)], ids=["as an array", "as a subquery"])
def test_many_matches_give_the_same_answer_whatever_way_the_ids_travel(library, monkeypatch, limits):
    """Large match sets go to the article query as an array (PostgreSQL) or a subquery."""
    from banzu.knowledge import search as module

    limit, array_from = limits
    monkeypatch.setattr(module, "ID_LIST_LIMIT", dict.fromkeys(module.ID_LIST_LIMIT, limit))
    monkeypatch.setattr(module, "ARRAY_FROM", array_from)
    assert titles(library, "发票") == ["发票", "退款到账时间"]
    assert titles(library, "开具发票") == ["退款到账时间"]
