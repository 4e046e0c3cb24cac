"""Pure rules of the knowledge base: validity, status changes, tags, search terms, quick phrases."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from banzu.knowledge import rules

D = date


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "day", "valid"),
    [
        (None, None, D(2025, 1, 1), True),
        (D(2025, 3, 1), None, D(2025, 2, 28), False),
        (D(2025, 3, 1), None, D(2025, 3, 1), True),
        (None, D(2025, 3, 31), D(2025, 3, 31), True),
        (None, D(2025, 3, 31), D(2025, 4, 1), False),
        (D(2025, 3, 1), D(2025, 3, 31), D(2025, 3, 15), True),
        (D(2025, 3, 1), D(2025, 3, 1), D(2025, 3, 1), True),
    ],
)
def test_validity_window_includes_both_ends(valid_from, valid_until, day, valid):
    assert rules.is_valid_on(valid_from, valid_until, day) is valid


def test_a_validity_window_ending_before_it_starts_is_out_of_order():
    assert rules.validity_in_order(D(2025, 3, 2), D(2025, 3, 1)) is False
    assert rules.validity_in_order(D(2025, 3, 1), D(2025, 3, 1)) is True
    assert rules.validity_in_order(None, D(2025, 3, 1)) is True


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("draft", "published", True),
        ("archived", "published", True),
        ("published", "published", False),
        ("published", "archived", True),
        ("draft", "archived", True),
        ("archived", "archived", False),
        ("published", "draft", False),
    ],
)
def test_status_changes(current, target, allowed):
    assert rules.can_change_status(current, target) is allowed


def test_version_numbers_count_up_from_one():
    assert rules.next_version_number(None) == 1
    assert rules.next_version_number(4) == 5


def test_tags_are_split_on_chinese_and_latin_separators_and_deduplicated():
    assert rules.normalise_tags("发票, 开票；税务、发票  VIP") == ["发票", "开票", "税务", "VIP"]
    assert rules.normalise_tags(["发票", " 开票 ", ""]) == ["发票", "开票"]
    assert rules.tags_problem(["a"] * 11) == "too_many_tags"
    assert rules.tags_problem(["长" * 21]) == "tag_too_long"
    assert rules.tags_problem(["发票"]) is None


def test_chinese_runs_become_bigrams_and_other_text_words():
    assert rules.index_terms("开具增值税发票") == "开具 具增 增值 值税 税发 发票"
    assert rules.index_terms("VIP会员卡，号码0300") == "vip 会员 员卡 号码 0300"
    assert rules.index_terms("票") == "票"
    assert rules.index_terms("ＡＢＣ１２３") == "abc123"  # full-width folded


def test_query_parts_say_when_the_index_can_answer():
    (part,) = rules.query_parts("发票")
    assert part.terms == ("发票",) and part.indexable and not part.prefix
    (part,) = rules.query_parts("票")
    assert not part.indexable
    (part,) = rules.query_parts("2024年")
    assert part.terms == ("2024", "年") and part.indexable and part.prefix
    (part,) = rules.query_parts("年vip")
    assert not part.indexable  # a lone character before other terms has no pair to look up
    (part,) = rules.query_parts("inv")
    assert part.prefix and part.indexable
    assert [p.text for p in rules.query_parts("发票  社保")] == ["发票", "社保"]
    assert rules.query_parts(" ，。！ ") == []


CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40), min_size=2, max_size=30)


@given(text=CJK, data=st.data())
def test_every_substring_of_two_or_more_characters_is_a_run_of_the_index_terms(text, data):
    """The phrase of a query's bigrams occurs in the text's bigrams exactly when it is a substring."""
    start = data.draw(st.integers(0, len(text) - 2))
    end = data.draw(st.integers(start + 2, len(text)))
    query_terms = rules.index_terms(text[start:end]).split()
    text_terms = rules.index_terms(text).split()
    n = len(query_terms)
    assert any(text_terms[i : i + n] == query_terms for i in range(len(text_terms) - n + 1))


def test_excerpt_shows_the_first_hit_with_context():
    before, hit, after = rules.excerpt("请核实订单号。客户申请开具发票时请核实抬头。", "发票", width=10)
    assert hit == "发票"
    assert before.endswith("开具")
    assert rules.excerpt("没有命中", "发票", width=2) == ("没有", "", "…")


@pytest.mark.parametrize(
    ("raw", "normalised", "valid"),
    [
        ("greet", "/greet", True),
        ("/Greet ", "/greet", True),
        ("/问候", "/问候", True),
        ("/", "/", False),
        ("/a b", "/a b", False),
        ("/" + "x" * 31, "/" + "x" * 31, False),
    ],
)
def test_shortcuts(raw, normalised, valid):
    assert rules.normalise_shortcut(raw) == normalised
    assert rules.shortcut_is_valid(normalised) is valid


def test_placeholders_are_filled_and_unknown_ones_stay_visible():
    text = "{客户称呼}您好，{工号}号客服为您服务！{未知}"
    assert rules.placeholders(text) == ["客户称呼", "工号", "未知"]
    assert (
        rules.render_quick_phrase(text, {"工号": "5023", "客户称呼": "张先生"})
        == "张先生您好，5023号客服为您服务！{未知}"
    )
    assert (
        rules.render_quick_phrase(text, {"工号": "5023", "客户称呼": ""})
        == "{客户称呼}您好，5023号客服为您服务！{未知}"
    )


@given(values=st.dictionaries(st.sampled_from(["客户称呼", "工号", "x"]), st.text(alphabet="abc张", max_size=5)))
def test_rendering_never_loses_a_placeholder_without_a_value(values):
    rendered = rules.render_quick_phrase("{客户称呼}/{工号}/{x}", values)
    for name in ("客户称呼", "工号", "x"):
        assert ("{" + name + "}" in rendered) is (not values.get(name))
