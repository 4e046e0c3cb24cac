"""The unit-of-work cache: values live for one unit, never outside it, and a change in it is seen."""

from __future__ import annotations

import pytest

from banzu.core import memo
from banzu.core.policies import policies_for, policy
from banzu.core.services import reset_policy, set_policy


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_outside_a_unit_nothing_is_remembered():
    calls, compute = counter()
    assert memo.remembered("k", compute) == 1
    assert memo.remembered("k", compute) == 2
    assert not memo.active()


def test_inside_a_unit_a_value_is_computed_once_and_dropped_after():
    calls, compute = counter()
    with memo.unit_of_work():
        assert memo.active()
        assert [memo.remembered("k", compute) for _ in range(3)] == [1, 1, 1]
        with memo.unit_of_work():  # a nested unit shares the outer one
            assert memo.remembered("k", compute) == 1
        memo.forget("k")
        assert memo.remembered("k", compute) == 2
    with memo.unit_of_work():
        assert memo.remembered("k", compute) == 3
    assert len(calls) == 3


def test_a_failing_computation_is_not_remembered():
    def broken():
        raise ValueError("boom")

    with memo.unit_of_work():
        with pytest.raises(ValueError):
            memo.remembered("k", broken)
        assert memo.remembered("k", lambda: "ok") == "ok"


@pytest.mark.django_db
def test_policies_in_a_unit_are_read_once_and_a_change_made_in_it_is_seen(org, django_assert_num_queries):
    admin = org.people["admin"].user
    key = "contact.max_concurrent_chats"
    with memo.unit_of_work():
        with django_assert_num_queries(1):
            first = policy(key, org.centre)
            assert policy(key, org.centre.pk) == first
            assert policies_for(org.centre, [key]) == {key: first}
        set_policy(user=admin, centre=org.centre, key=key, value=first + 1, reason="试点")
        assert policy(key, org.centre) == first + 1
        reset_policy(user=admin, centre=org.centre, key=key, reason="恢复")
        assert policy(key, org.centre) == first
