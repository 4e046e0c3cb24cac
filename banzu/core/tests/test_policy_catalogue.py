"""Meta-tests of the policy catalogue (DESIGN principle 3): every declared policy is well formed.

Each test walks the whole registry and reports every offender at once, so a bad declaration in any
app's policies.py fails here with its key.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.utils.functional import Promise

from banzu.core.policies import REGISTRY, Kind, from_storage, register, to_storage

SPEC_ID = r"(?:[A-Z]+-\d+|D\d+)"
SPEC_IDS = re.compile(rf"^{SPEC_ID}(?:, {SPEC_ID})*$")
KEY = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
DECLARED_KEY = re.compile(r"Policy\(\s*\"([^\"]+)\"")
NUMERIC = {Kind.INTEGER, Kind.DECIMAL}
PYTHON_TYPE = {Kind.INTEGER: int, Kind.DECIMAL: Decimal, Kind.BOOLEAN: bool, Kind.TEXT: str, Kind.TIME: str}


def _policy_modules() -> list[tuple[str, Path]]:
    """(app label, path) of every installed app that has a policies module."""
    found = []
    for config in apps.get_app_configs():
        spec = importlib.util.find_spec(f"{config.name}.policies")
        if spec is not None and spec.origin:
            found.append((config.label, Path(spec.origin)))
    return found


def test_catalogue_is_loaded_from_every_app_with_policies():
    assert REGISTRY, "no policy registered: is core's autodiscovery running?"
    not_loaded = [
        label for label, _path in _policy_modules() if f"{apps.get_app_config(label).name}.policies" not in sys.modules
    ]
    assert not_loaded == []


def test_every_key_is_prefixed_with_an_installed_app_label():
    labels = {config.label for config in apps.get_app_configs()}
    wrong = []
    for key, item in REGISTRY.items():
        match = KEY.match(key)
        if key != item.key or match is None or match.group(1) not in labels:
            wrong.append(key)
    assert wrong == []


def test_every_key_is_declared_once_in_the_policies_of_its_own_app():
    declared: dict[str, list[str]] = {}
    for label, path in _policy_modules():
        for key in DECLARED_KEY.findall(path.read_text(encoding="utf-8")):
            declared.setdefault(key, []).append(label)
    twice = {key: labels for key, labels in declared.items() if len(labels) > 1}
    elsewhere = {key: labels for key, labels in declared.items() if key.split(".", 1)[0] != labels[0]}
    assert twice == {}
    assert elsewhere == {}


def test_a_conflicting_second_declaration_is_refused():
    key = sorted(REGISTRY)[0]
    item = REGISTRY[key]
    with pytest.raises(ValueError, match=re.escape(key)):
        register(replace(item, spec=f"{item.spec}, D999"))
    assert REGISTRY[key] is item


def test_every_policy_cites_well_formed_spec_ids():
    wrong = {key: item.spec for key, item in REGISTRY.items() if not SPEC_IDS.match(item.spec or "")}
    assert wrong == {}, "cite IDs like 'CMP-3, D11'"


def test_every_policy_has_a_translatable_label_unit_and_help_text():
    wrong = []
    for key, item in REGISTRY.items():
        if not isinstance(item.label, Promise) or not str(item.label).strip():
            wrong.append((key, "label"))
        for field in ("unit", "help_text"):
            value = getattr(item, field)
            if value and not isinstance(value, Promise):
                wrong.append((key, field))
    assert wrong == [], "labels, units and help texts go through gettext_lazy"


def test_labels_are_unique_within_each_app():
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for key in sorted(REGISTRY):
        item = REGISTRY[key]
        marker = (item.app, str(item.label))
        if marker in seen:
            clashes.append((seen[marker], key))
        seen[marker] = key
    assert clashes == []


def test_every_default_passes_its_own_rules_and_survives_storage():
    wrong = []
    for key, item in REGISTRY.items():
        expected = PYTHON_TYPE.get(item.kind)
        if expected is None:
            wrong.append((key, f"unknown kind {item.kind!r}"))
            continue
        if not isinstance(item.default, expected) or (expected is int and isinstance(item.default, bool)):
            wrong.append((key, "default has the wrong type"))
            continue
        try:
            parsed = item.parse(item.default)
        except ValueError as error:
            wrong.append((key, str(error)))
            continue
        if parsed != item.default or type(parsed) is not type(item.default):
            wrong.append((key, "default is not in its parsed form"))
        if from_storage(item, to_storage(item, item.default)) != item.default:
            wrong.append((key, "default does not survive storage"))
    assert wrong == []


def test_numeric_policies_have_a_range_that_holds_the_default():
    wrong = []
    for key, item in REGISTRY.items():
        if item.kind not in NUMERIC:
            if item.minimum is not None or item.maximum is not None:
                wrong.append((key, "a range on a non-numeric policy"))
            continue
        if item.minimum is None or item.maximum is None:
            wrong.append((key, "minimum and maximum are required"))
            continue
        if not item.minimum <= item.default <= item.maximum:
            wrong.append((key, f"{item.minimum} <= {item.default} <= {item.maximum} does not hold"))
        for bound in (item.minimum, item.maximum):
            if isinstance(bound, bool) or not isinstance(bound, (int, Decimal)):
                wrong.append((key, f"bound {bound!r} is not a number"))
            elif item.kind == Kind.INTEGER and not isinstance(bound, int):
                wrong.append((key, f"bound {bound!r} of an integer policy is not a whole number"))
    assert wrong == []
