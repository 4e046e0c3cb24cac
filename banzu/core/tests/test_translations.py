"""Chinese first: every message of the code and templates has a zh-Hans translation.

The source is scanned with Django's makemessages into a scratch copy, so a string added to the
code without a translation fails here, not in front of a user.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"


def _entries() -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(PO)) if not entry.obsolete]


def test_every_catalogue_entry_is_translated():
    missing = [entry.msgid for entry in _entries() if not entry.translated() or entry.fuzzy]
    assert missing == []


def test_compiled_catalogue_matches_the_source_catalogue():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in _entries():
        if entry.msgid_plural:
            assert compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1) if entry.msgctxt else True
            continue
        got = compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)
        assert got == entry.msgstr, entry.msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_message_in_the_source_is_in_the_catalogue(tmp_path):
    scratch = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        scratch,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "__pycache__", "vendor", "bench"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore=tests/*"],
        cwd=scratch,
        check=True,
        capture_output=True,
        env={"BANZU_TESTING": "1", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "banzu.settings"},
    )
    scanned = polib.pofile(str(scratch / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    untranslated = sorted(
        f"{entry.msgctxt or ''}|{entry.msgid}" for entry in scanned if not entry.translated() or entry.fuzzy
    )
    assert untranslated == [], "run `make messages` and translate these"
