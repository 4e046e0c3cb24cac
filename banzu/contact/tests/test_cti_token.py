"""`manage.py cti_token` (CT-1): a switch token is printed once, stored only as a hash, rotated, blocked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from banzu.contact import cti
from banzu.contact.models import Switch

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("cti_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_the_command_prints_a_working_token_once_and_keeps_its_hash(org):
    token = _run("--centre", org.centre.code, "--code", "pbx1", "--name", "主交换机")
    switch = Switch.objects.get(code="pbx1")
    assert cti.switch_for_token(token) == switch
    assert switch.token_hash == cti.hash_token(token) != token
    assert (switch.centre, switch.name) == (org.centre, "主交换机")


def test_rotating_replaces_the_token_and_deactivating_blocks_it(org):
    old = _run("--centre", org.centre.code, "--code", "pbx1")
    new = _run("--code", "pbx1", "--rotate")
    assert cti.switch_for_token(old) is None
    assert cti.switch_for_token(new) is not None
    _run("--code", "pbx1", "--deactivate")
    assert cti.switch_for_token(new) is None


def test_a_second_switch_with_the_same_code_is_refused(org):
    _run("--centre", org.centre.code, "--code", "pbx1")
    with pytest.raises(CommandError):
        _run("--centre", org.centre.code, "--code", "pbx1")
    with pytest.raises(CommandError):
        _run("--code", "nope", "--rotate")
    assert Switch.objects.count() == 1
