"""CT-18 pure rules of customer records: numbers, tags, search kind, merge and masking."""

from __future__ import annotations

import pytest

from banzu.contact import customers
from banzu.core.masking import mask_address, mask_id_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        ("010-8888 6666", "01088886666"),
        (" +86 139-1234-5678 ", "+8613912345678"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_numbers_are_normalised(raw, expected):
    assert customers.normalise_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("13912345678", None),
        ("010-88886666", None),
        ("+8613912345678", None),
        ("110", None),
        ("", "required"),
        (" - ", "required"),
        ("12", "number_length"),
        ("1234567890123456", "number_length"),
        ("139abc45678", "number_format"),
        ("139+12345678", "number_format"),
        ("++8613912345678", "number_format"),
        ("１３９１２３４５６７８", "number_format"),  # full-width digits are not ASCII digits
        ("(010)88886666", "number_format"),
    ],
)
def test_number_problems(raw, problem):
    assert customers.number_problem(raw) == problem


def test_tags_are_trimmed_deduplicated_and_keep_their_order():
    assert customers.clean_tags([" 老客户 ", "投诉", "", "老客户", "多次  来电"]) == ["老客户", "投诉", "多次 来电"]
    assert customers.clean_tags([]) == []


def test_a_tag_longer_than_the_limit_is_a_problem():
    assert customers.tag_problem(["a" * customers.MAX_TAG_LENGTH]) is None
    assert customers.tag_problem(["ok", "a" * (customers.MAX_TAG_LENGTH + 1)]) == "tag_length"


@pytest.mark.parametrize(
    ("query", "min_digits", "is_number"),
    [
        ("5678", 4, True),
        ("567", 4, False),
        ("139-1234", 4, True),
        ("+86139", 4, True),
        ("王小明", 4, False),
        ("王5678", 4, False),
        ("", 4, False),
        ("12", 1, True),
    ],
)
def test_a_search_entry_is_a_number_from_the_minimum_digits_on(query, min_digits, is_number):
    assert customers.is_number_query(query, min_digits) is is_number


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], None),
        ([{"primary": False}], 0),
        ([{"primary": False}, {"primary": True}], 1),
        ([{}, {}], 0),
    ],
)
def test_the_primary_number_is_the_marked_row_else_the_first(rows, expected):
    assert customers.primary_index(rows) == expected


def test_merged_values_keep_the_target_fill_gaps_and_join_tags_vip_and_notes():
    target = {
        "name": "王小明",
        "id_number": "",
        "email": "",
        "address": "北京",
        "tags": ["老客户"],
        "vip_level": 1,
        "notes": "上午来电",
    }
    source = {
        "name": "王晓明",
        "id_number": "110101199001011234",
        "email": "w@example.cn",
        "address": "上海",
        "tags": ["投诉", "老客户"],
        "vip_level": 3,
        "notes": "下午来电",
    }
    merged = customers.merged_values(target, source)
    assert merged["name"] == "王小明" and merged["address"] == "北京"
    assert merged["id_number"] == "110101199001011234" and merged["email"] == "w@example.cn"
    assert merged["tags"] == ["老客户", "投诉"]
    assert merged["vip_level"] == 3
    assert merged["notes"] == "上午来电\n下午来电"
    assert customers.merged_values({"notes": "同"}, {"notes": "同"})["notes"] == "同"


def test_id_numbers_and_addresses_are_masked():
    assert mask_id_number("110101199001011234") == "110***********1234"
    assert mask_address("北京市朝阳区建国路88号") == "北京市朝阳区****"
    assert mask_address("北京") == "北****"
    assert mask_address("") == ""
