"""The unit-of-work cache: values live for one unit, never outside it, and a change in it is seen."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from banzu.core import memo
from banzu.core.models import PolicyValue
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


# --- configuration: kept across units until a change is committed anywhere -----------------------------


def test_configuration_is_kept_across_units_until_the_shared_version_moves():
    calls, compute = counter()
    memo.reset_configuration()
    with memo.unit_of_work():
        assert memo.configuration("k", compute) == 1
    with memo.unit_of_work():
        assert memo.configuration("k", compute) == 1
    assert memo.configuration("k", compute) == 1  # outside a unit too
    cache.incr(memo.CONFIGURATION_VERSION_KEY)  # another process committed a change
    with memo.unit_of_work():
        assert memo.configuration("k", compute) == 2
        cache.incr(memo.CONFIGURATION_VERSION_KEY)  # a unit reads the version once: its view holds
        assert memo.configuration("k", compute) == 2
    with memo.unit_of_work():
        assert memo.configuration("k", compute) == 3
    assert len(calls) == 3


@pytest.mark.django_db
def test_a_policy_change_is_seen_by_the_changing_transaction_at_once_and_by_everyone_once_committed(
    org, django_assert_num_queries, django_capture_on_commit_callbacks
):
    admin = org.people["admin"].user
    key = "contact.max_concurrent_chats"
    memo.reset_configuration()  # the set-up is committed
    first = policy(key, org.centre)
    with django_assert_num_queries(0):
        assert policy(key, org.centre) == first
    with django_capture_on_commit_callbacks(execute=True):
        set_policy(user=admin, centre=org.centre, key=key, value=first + 1, reason="试点")
        # Not committed yet: this transaction sees it; what the process keeps for the others is
        # still the committed state.
        assert policy(key, org.centre) == first + 1
        assert memo._configuration[("core.policies", org.centre.pk)][1] == {}
    with django_assert_num_queries(1):
        assert policy(key, org.centre) == first + 1
        assert policy(key, org.centre) == first + 1


@pytest.mark.django_db
def test_a_rolled_back_change_is_never_kept(org):
    key = "contact.max_concurrent_chats"
    memo.reset_configuration()
    first = policy(key, org.centre)
    with pytest.raises(RuntimeError), transaction.atomic():
        PolicyValue.objects.create(centre=org.centre, key=key, value=first + 5)
        assert policy(key, org.centre) == first + 5
        raise RuntimeError("cancel")
    assert policy(key, org.centre) == first
    assert memo._configuration[("core.policies", org.centre.pk)][1] == {}


@pytest.mark.django_db
def test_a_write_that_bypasses_the_signals_is_seen_once_the_change_is_reported(org):
    key = "contact.max_concurrent_chats"
    PolicyValue.objects.create(centre=org.centre, key=key, value=3)
    memo.reset_configuration()
    assert policy(key, org.centre) == 3
    PolicyValue.objects.filter(centre=org.centre, key=key).update(value=4)
    assert policy(key, org.centre) == 3  # kept: an update() sends no signal
    memo.configuration_changed()
    assert policy(key, org.centre) == 4
