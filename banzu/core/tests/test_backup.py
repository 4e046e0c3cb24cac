"""`manage.py backup` and `manage.py restore`: a populated centre survives the round trip.

The round trip runs on the database of the run (SQLite, or PostgreSQL with DATABASE_URL) and
restores into an empty database of the same kind: a new SQLite file, or a scratch PostgreSQL
database created for the test and dropped after it.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation

from banzu.core import backup
from banzu.org.demo import build_demo_centre
from banzu.org.models import Employee

SAMPLE = 5  # first and last rows of every table, by primary key
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def english():
    """Messages are compared with their English msgids."""
    with translation.override("en"):
        yield


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def empty_database(tmp_path):
    """Settings of an empty database of the run's kind; a PostgreSQL one is dropped afterwards."""
    source = connection.settings_dict
    if not POSTGRES:
        yield {**source, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{source['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with backup.open_database(source, alias="scratch") as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {admin.ops.quote_name(name)}")
    try:
        yield {**source, "NAME": name}
    finally:
        with backup.open_database(source, alias="scratch") as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {admin.ops.quote_name(name)} WITH (FORCE)")


def sample_rows(wrapper) -> dict[str, list[tuple]]:
    """The first and last rows of every table, by primary key."""
    quote = wrapper.ops.quote_name
    samples = {}
    with wrapper.cursor() as cursor:
        for table in sorted(wrapper.introspection.table_names(cursor)):
            key = wrapper.introspection.get_primary_key_column(cursor, table)
            order = quote(key) if key else "1"
            rows = []
            for direction in ("ASC", "DESC"):
                cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order} {direction} LIMIT {SAMPLE}")
                rows.extend(tuple(row) for row in cursor.fetchall())
            samples[table] = rows
    return samples


def sequence_positions(wrapper) -> dict[str, tuple]:
    """PostgreSQL: where each table's id sequence stands, so new rows do not collide."""
    positions = {}
    with wrapper.cursor() as cursor:
        for table in wrapper.introspection.table_names(cursor):
            key = wrapper.introspection.get_primary_key_column(cursor, table)
            if not key:
                continue
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, key])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                positions[table] = tuple(cursor.fetchone())
    return positions


def write_archive(path: Path, manifest: backup.Manifest, data: bytes = b"not a database") -> Path:
    """An archive in the backup format around any manifest (the data is never reached)."""
    with tarfile.open(path, "w:gz") as archive:
        for name, body in ((backup.MANIFEST_NAME, manifest.to_json()), (manifest.data, data)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return path


def current_manifest(**changes) -> backup.Manifest:
    migrations, counts = backup.inspect_database(connection)
    manifest = backup.Manifest(
        vendor=connection.vendor,
        created_at=timezone.now().isoformat(),
        migrations=migrations,
        row_counts=counts,
        dump_tool_version="15" if POSTGRES else "",
    )
    for name, value in changes.items():
        setattr(manifest, name, value)
    return manifest


# --- the round trip -------------------------------------------------------------------------------


# Committed data: pg_dump is another process, and SQLite's backup waits for open transactions.
@pytest.mark.django_db(transaction=True)
def test_a_populated_centre_restores_into_an_empty_database_row_for_row(tmp_path, empty_database):
    build_demo_centre(password=None)
    archive = tmp_path / "nightly.tar.gz"

    call_command("backup", output=archive, stdout=io.StringIO())

    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600  # personal data and password hashes
    manifest = backup.read_manifest(archive)
    migrations, source_counts = backup.inspect_database(connection)
    assert manifest.row_counts == source_counts
    assert manifest.migrations == migrations
    assert manifest.vendor == connection.vendor
    assert source_counts["org_employee"] == Employee.objects.count() > 150

    backup.restore_backup(archive, database=empty_database)

    with backup.open_database(empty_database, alias="restored") as restored:
        _migrations, restored_counts = backup.inspect_database(restored)
        assert restored_counts == source_counts
        assert sample_rows(restored) == sample_rows(connection)
        if POSTGRES:
            assert sequence_positions(restored) == sequence_positions(connection)


@pytest.mark.django_db(transaction=True)
def test_restoring_replaces_rows_written_after_the_backup(tmp_path):
    """Into the live database, as `manage.py restore` does: later rows go, deleted rows come back."""
    archive = tmp_path / "before.tar.gz"
    from banzu.org.tests.factories import DepartmentFactory

    kept = DepartmentFactory(code="KEEP")
    call_command("backup", output=archive, stdout=io.StringIO())
    kept.delete()
    DepartmentFactory(code="LATER")

    out = io.StringIO()
    call_command("restore", str(archive), "--no-input", stdout=out)

    from banzu.org.models import Department

    assert sorted(Department.objects.values_list("code", flat=True)) == ["KEEP"]
    assert "Restored" in out.getvalue()


# --- refusals -------------------------------------------------------------------------------------


def test_a_backup_with_migrations_newer_than_the_code_is_refused(org, tmp_path):
    manifest = current_manifest()
    manifest.migrations["org"].append("9999_from_the_future")
    archive = write_archive(tmp_path / "future.tar.gz", manifest)
    before = Employee.objects.count()

    with pytest.raises(CommandError, match=r"org\.9999_from_the_future"):
        call_command("restore", str(archive), "--no-input")

    assert Employee.objects.count() == before


def test_a_backup_of_an_app_the_code_no_longer_has_is_not_refused(db):
    manifest = current_manifest()
    manifest.migrations["retired_app"] = ["0001_initial"]
    backup.check_restorable(manifest, database=connection.settings_dict)


def test_a_backup_of_another_database_kind_is_refused(org, tmp_path):
    other = "sqlite" if POSTGRES else "postgresql"
    archive = write_archive(tmp_path / "other.tar.gz", current_manifest(vendor=other, data=backup.DATA_NAMES[other]))

    with pytest.raises(CommandError, match="The backup is of a"):
        call_command("restore", str(archive), "--no-input")


def test_a_backup_of_a_newer_format_is_refused(tmp_path, db):
    manifest = current_manifest()
    archive = tmp_path / "new-format.tar.gz"
    body = json.loads(manifest.to_json())
    body["format"] = backup.FORMAT_VERSION + 1
    with tarfile.open(archive, "w:gz") as out:
        raw = json.dumps(body).encode()
        info = tarfile.TarInfo(backup.MANIFEST_NAME)
        info.size = len(raw)
        out.addfile(info, io.BytesIO(raw))

    with pytest.raises(CommandError, match="has format 2"):
        call_command("restore", str(archive), "--no-input")


@pytest.mark.parametrize(
    "content",
    [b"just some text", b""],
    ids=["text", "empty"],
)
def test_a_file_that_is_not_a_backup_is_refused(tmp_path, db, content):
    path = tmp_path / "notes.tar.gz"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="is not a Banzu backup"):
        call_command("restore", str(path), "--no-input")


def test_an_archive_member_is_never_extracted_outside_the_work_directory(tmp_path, db):
    """Only the two known member names are read; a member named ../x is just not found."""
    manifest = current_manifest(data="../../escaped")
    archive = write_archive(tmp_path / "evil.tar.gz", manifest)

    with pytest.raises(CommandError, match="manifest cannot be read"):
        call_command("restore", str(archive), "--no-input")
    assert not (tmp_path.parent / "escaped").exists()


def test_restore_asks_first_and_changes_nothing_without_a_yes(org, tmp_path, monkeypatch):
    archive = write_archive(tmp_path / "backup.tar.gz", current_manifest())
    questions = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "no")
    before = Employee.objects.count()

    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", str(archive))

    assert len(questions) == 1 and "yes" in questions[0]
    assert Employee.objects.count() == before


def test_a_backup_inside_a_transaction_is_refused(org, tmp_path):
    """pg_dump would not see the transaction's rows, and SQLite would wait for it forever."""
    with pytest.raises(CommandError, match="inside a database transaction"):
        call_command("backup", output=tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()


def test_the_default_backup_goes_under_var_backups_with_the_time_in_its_name(settings):
    path = backup.default_path(datetime(2025, 3, 1, 2, 30, 5))
    assert path == Path(settings.VAR_DIR) / "backups" / "banzu-20250301-023005.tar.gz"


# --- PostgreSQL client tools ----------------------------------------------------------------------


def fake_tool(directory: Path, name: str, version_line: str) -> None:
    script = directory / name
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    script.chmod(0o755)


def test_a_missing_pg_dump_is_named_with_the_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(backup.BackupError) as caught:
        backup.client_tool("pg_dump", at_least=16)

    assert str(caught.value) == (
        "pg_dump was not found. Install the PostgreSQL client tools, version 16 or newer"
        " (Debian: apt install postgresql-client-16), and put them on PATH."
    )


def test_a_pg_dump_older_than_the_server_is_refused(tmp_path, monkeypatch):
    fake_tool(tmp_path, "pg_dump", "pg_dump (PostgreSQL) 13.9")
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(backup.BackupError, match="pg_dump is version 13 but version 15 or newer is needed"):
        backup.client_tool("pg_dump", at_least=15)


def test_a_pg_dump_as_new_as_the_server_is_used(tmp_path, monkeypatch):
    fake_tool(tmp_path, "pg_dump", "pg_dump (PostgreSQL) 16.2 (Debian 16.2-1)")
    monkeypatch.setenv("PATH", str(tmp_path))

    assert backup.client_tool("pg_dump", at_least=15) == (str(tmp_path / "pg_dump"), 16)


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only")
def test_a_dump_from_a_newer_pg_dump_is_refused_before_asking(org, tmp_path, monkeypatch):
    archive = write_archive(tmp_path / "newer.tar.gz", current_manifest(dump_tool_version="99"))
    monkeypatch.setattr("builtins.input", lambda question: pytest.fail("asked before checking pg_restore"))
    before = Employee.objects.count()

    with pytest.raises(CommandError, match="pg_restore is version .* but version 99 or newer is needed"):
        call_command("restore", str(archive))

    assert Employee.objects.count() == before


def test_the_database_password_is_passed_in_the_environment_not_the_command_line():
    env = backup._pg_env(
        {"NAME": "banzu", "USER": "banzu", "PASSWORD": "s3cret", "HOST": "db", "PORT": 5433, "OPTIONS": {}},
        database=True,
    )
    assert (env["PGPASSWORD"], env["PGHOST"], env["PGPORT"], env["PGDATABASE"]) == ("s3cret", "db", "5433", "banzu")
