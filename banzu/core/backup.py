"""Backups of the database: one archive holding the data and a manifest, and its restore.

An archive is a gzip'd tar with two members, the manifest first:

* ``manifest.json``: format version, database vendor, creation time, the Django migrations applied
  per app and the row count of every table.
* ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app runs) or
  ``database.dump`` (``pg_dump --format=custom``).

The manifest describes exactly the data beside it: on SQLite it is read from the copy, on
PostgreSQL from the transaction whose snapshot pg_dump is given (``--snapshot``), so writes made
while the backup runs are in neither or in both. A restore refuses an archive it does not
understand (newer format, other vendor, migrations this code does not have) before touching the
target, and afterwards compares the target's row counts with the manifest.

Archives hold personal data and password hashes: they are written readable by the owner only.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
# pg_dump's custom format is compressed already; the SQLite copy is not.
COMPRESS_LEVELS = {"sqlite": 6, "postgresql": 1}
MIGRATIONS_TABLE = "django_migrations"
# libpq environment variables for the OPTIONS keys Django passes on to psycopg.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}
PG_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class Manifest:
    vendor: str
    created_at: str
    migrations: dict[str, list[str]]
    row_counts: dict[str, int]
    format: int = FORMAT_VERSION
    server_version: str = ""
    dump_tool_version: str = ""  # pg_dump's major version; pg_restore must be as new
    data: str = field(default="")

    def __post_init__(self) -> None:
        self.data = self.data or DATA_NAMES.get(self.vendor, "")

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            fmt = int(data["format"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(_("The backup's manifest cannot be read.")) from exc
        if fmt > FORMAT_VERSION:
            raise BackupError(
                _("The backup has format %(found)s; this version of Banzu reads format %(known)s or older.")
                % {"found": fmt, "known": FORMAT_VERSION}
            )
        try:
            manifest = cls(
                vendor=str(data["vendor"]),
                created_at=str(data["created_at"]),
                migrations={str(app): [str(name) for name in names] for app, names in data["migrations"].items()},
                row_counts={str(table): int(count) for table, count in data["row_counts"].items()},
                format=fmt,
                server_version=str(data.get("server_version", "")),
                dump_tool_version=str(data.get("dump_tool_version", "")),
                data=str(data.get("data", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BackupError(_("The backup's manifest cannot be read.")) from exc
        if manifest.vendor not in DATA_NAMES or manifest.data != DATA_NAMES[manifest.vendor]:
            raise BackupError(_("The backup's manifest cannot be read."))
        return manifest


# --- connections ---------------------------------------------------------------------------------


@contextlib.contextmanager
def open_database(settings_dict: dict[str, Any], *, alias: str = "banzu_backup") -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the database `settings_dict` describes (a full DATABASES entry)."""
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(dict(settings_dict), alias)
    try:
        yield wrapper
    finally:
        wrapper.close()


def vendor_of(settings_dict: dict[str, Any]) -> str:
    with open_database(settings_dict) as wrapper:
        return wrapper.vendor


def inspect_database(wrapper: BaseDatabaseWrapper, cursor=None) -> tuple[dict[str, list[str]], dict[str, int]]:
    """(applied migrations per app, rows per table) as seen by `cursor` (by default a new one)."""
    if cursor is None:
        with wrapper.cursor() as own:
            return inspect_database(wrapper, own)
    quote = wrapper.ops.quote_name
    tables = sorted(wrapper.introspection.table_names(cursor))
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the catalogue, quoted
        counts[table] = int(cursor.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if MIGRATIONS_TABLE in tables:
        cursor.execute(f"SELECT app, name FROM {quote(MIGRATIONS_TABLE)} ORDER BY app, name")  # noqa: S608
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return migrations, counts


# --- migrations ----------------------------------------------------------------------------------


def _code_migrations() -> tuple[set[str], set[tuple[str, str]]]:
    """(apps with migrations, every migration this code knows, squashed ones included)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(getattr(migration, "replaces", None) or [])
    return {app for app, _name in loader.disk_migrations}, known


def migrations_unknown_to_code(manifest: Manifest) -> list[str]:
    """Migrations the backup has applied that this code lacks: the backup is newer than the code.

    Apps the code does not have at all are left out: they are apps removed from the product, whose
    rows in django_migrations outlive them.
    """
    apps, known = _code_migrations()
    return sorted(
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        if app in apps
        for name in names
        if (app, name) not in known
    )


def migrations_pending_after(manifest: Manifest) -> list[str]:
    """Migrations of this code that the backup lacks: `migrate` is needed after restoring it."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    pending = []
    for key, migration in loader.disk_migrations.items():
        replaced = getattr(migration, "replaces", None) or []
        if key in applied or (replaced and all(tuple(item) in applied for item in replaced)):
            continue
        pending.append(f"{key[0]}.{key[1]}")
    return sorted(pending)


# --- creating a backup ---------------------------------------------------------------------------


def default_path(now: datetime) -> Path:
    return Path(settings.VAR_DIR) / "backups" / f"banzu-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(output: Path, *, now: datetime, using: str = "default") -> Manifest:
    """Write a backup archive of database `using` to `output` (replaced if it exists)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    if connection.in_atomic_block:
        # pg_dump, a process of its own, would not see this transaction's writes, and SQLite's
        # backup would wait for the transaction to end: both would be wrong, silently or forever.
        raise BackupError(_("A backup cannot be made inside a database transaction."))
    vendor = connection.vendor
    if vendor not in DATA_NAMES:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".banzu-backup-") as work:
        data_file = Path(work) / DATA_NAMES[vendor]
        if vendor == "sqlite":
            manifest = _dump_sqlite(connection, data_file, now=now)
        else:
            manifest = _dump_postgresql(connection.settings_dict, data_file, now=now)
        _write_archive(output, manifest, data_file, work=Path(work))
    return manifest


def _dump_sqlite(connection: BaseDatabaseWrapper, target: Path, *, now: datetime) -> Manifest:
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(target)) as copy:
        # One step (all pages at once) under a read lock: the copy is one consistent state even
        # while other connections write.
        connection.connection.backup(copy)
        # A single self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    version = sqlite3.sqlite_version
    copy_settings = {**connection.settings_dict, "NAME": str(target), "OPTIONS": {}}
    with open_database(copy_settings) as wrapper:
        migrations, counts = inspect_database(wrapper)
    return Manifest(
        vendor="sqlite", created_at=now.isoformat(), migrations=migrations, row_counts=counts, server_version=version
    )


def _dump_postgresql(settings_dict: dict[str, Any], target: Path, *, now: datetime) -> Manifest:
    with open_database(settings_dict) as wrapper, wrapper.cursor() as cursor:
        server_major, server_version = _server_version(cursor)
        pg_dump, tool_major = client_tool("pg_dump", at_least=server_major)
        # The manifest and pg_dump read the same snapshot, exported by this open transaction.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            migrations, counts = inspect_database(wrapper, cursor)
            _run(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
                env=_pg_env(settings_dict, database=True),
                tool="pg_dump",
            )
        finally:
            cursor.execute("COMMIT")
    return Manifest(
        vendor="postgresql",
        created_at=now.isoformat(),
        migrations=migrations,
        row_counts=counts,
        server_version=server_version,
        dump_tool_version=str(tool_major),
    )


def _write_archive(output: Path, manifest: Manifest, data_file: Path, *, work: Path) -> None:
    """Write next to `output`, then rename: an interrupted backup never leaves a half archive."""
    partial = work / "archive.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with (
        os.fdopen(descriptor, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=COMPRESS_LEVELS[manifest.vendor]) as packed,
        tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        body = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(body)
        info.mtime = int(datetime.fromisoformat(manifest.created_at).timestamp())
        info.mode = 0o600
        archive.addfile(info, io.BytesIO(body))
        info = archive.gettarinfo(str(data_file), arcname=manifest.data)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        with data_file.open("rb") as data:
            archive.addfile(info, data)
    os.replace(partial, output)


# --- reading and restoring -----------------------------------------------------------------------


def _open_archive(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:*")
    except FileNotFoundError as exc:
        raise BackupError(_("There is no backup file %(path)s.") % {"path": path}) from exc
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(_("%(path)s is not a Banzu backup.") % {"path": path}) from exc


def _member(archive: tarfile.TarFile, name: str, path: Path) -> tarfile.TarInfo:
    """A regular file of the archive by its exact name; nothing else is ever extracted."""
    try:
        info = archive.getmember(name)
    except KeyError:
        info = None
    if info is None or not info.isfile():
        raise BackupError(_("%(path)s is not a Banzu backup.") % {"path": path})
    return info


def read_manifest(path: Path) -> Manifest:
    path = Path(path)
    with _open_archive(path) as archive:
        try:
            raw = archive.extractfile(_member(archive, MANIFEST_NAME, path)).read()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(_("%(path)s is not a Banzu backup.") % {"path": path}) from exc
    return Manifest.from_json(raw)


def check_restorable(manifest: Manifest, *, database: dict[str, Any]) -> None:
    """Refuse, before anything is touched, a backup this code and the target database cannot take:
    another vendor, migrations this code does not have, or (PostgreSQL) a pg_restore that is
    missing or older than the server or the pg_dump that made the backup."""
    vendor = vendor_of(database)
    if manifest.vendor != vendor:
        raise BackupError(
            _("The backup is of a %(backup)s database; the target database is %(target)s.")
            % {"backup": _vendor_label(manifest.vendor), "target": _vendor_label(vendor)}
        )
    newer = migrations_unknown_to_code(manifest)
    if newer:
        shown = ", ".join(newer[:10]) + (" …" if len(newer) > 10 else "")
        raise BackupError(
            _(
                "The backup is newer than this version of Banzu: it has migrations this code does not"
                " have (%(migrations)s). Install the version that made the backup, then restore."
            )
            % {"migrations": shown}
        )
    if vendor == "postgresql":
        _restore_tool(manifest, database)


def _restore_tool(manifest: Manifest, database: dict[str, Any]) -> str:
    with open_database(database, alias="banzu_restore") as target, target.cursor() as cursor:
        server_major, _version = _server_version(cursor)
    path, _major = client_tool("pg_restore", at_least=max(server_major, int(manifest.dump_tool_version or 0)))
    return path


def _vendor_label(vendor: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(vendor, vendor)


def restore_backup(path: Path, *, database: dict[str, Any]) -> Manifest:
    """Replace every table of `database` (a full DATABASES entry) with the backup at `path`.

    The caller confirms first: this is destructive. Refuses before touching the target when
    ``check_restorable`` does, and verifies the row counts afterwards.
    """
    path = Path(path)
    manifest = read_manifest(path)
    check_restorable(manifest, database=database)
    work_parent = Path(settings.VAR_DIR) / "backups"
    work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_parent, prefix=".banzu-restore-") as work:
        data_file = Path(work) / manifest.data
        with _open_archive(path) as archive:
            source = archive.extractfile(_member(archive, manifest.data, path))
            try:
                with data_file.open("wb") as out:
                    shutil.copyfileobj(source, out, 1024 * 1024)
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise BackupError(_("%(path)s is damaged: %(error)s") % {"path": path, "error": exc}) from exc
        if manifest.vendor == "sqlite":
            _restore_sqlite(data_file, database)
        else:
            _restore_postgresql(data_file, database, manifest)
    with open_database(database) as wrapper:
        _migrations, counts = inspect_database(wrapper)
    different = sorted(
        table
        for table in set(counts) | set(manifest.row_counts)
        if counts.get(table, 0) != manifest.row_counts.get(table, 0)
    )
    if different:
        raise BackupError(
            _("The restored database differs from the backup's manifest in the tables %(tables)s.")
            % {"tables": ", ".join(different[:10])}
        )
    return manifest


def _restore_sqlite(data_file: Path, database: dict[str, Any]) -> None:
    with contextlib.closing(sqlite3.connect(data_file)) as source:
        try:
            verdict = source.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            verdict = str(exc)
        if verdict != "ok":
            raise BackupError(_("The backup's database file is damaged: %(error)s") % {"error": verdict})
        with open_database(database, alias="banzu_restore") as target:
            target.ensure_connection()
            # The online backup API the other way round: the target's pages are replaced as a whole,
            # in one step, so it never holds a mixture of old and restored tables.
            source.backup(target.connection)


def _restore_postgresql(data_file: Path, database: dict[str, Any], manifest: Manifest) -> None:
    pg_restore = _restore_tool(manifest, database)
    with open_database(database, alias="banzu_restore") as target, target.cursor() as cursor:
        # pg_restore --clean drops only what the backup holds; tables of later migrations would
        # survive it, still referencing restored tables. Drop them first.
        extra = sorted(set(target.introspection.table_names(cursor)) - set(manifest.row_counts))
        quote = target.ops.quote_name
        for table in extra:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(table)} CASCADE")
    name = database.get("NAME") or ""
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={name}",
            str(data_file),
        ],
        env=_pg_env(database, database=False),
        tool="pg_restore",
    )


# --- PostgreSQL client tools ---------------------------------------------------------------------


def _server_version(cursor) -> tuple[int, str]:
    cursor.execute("SHOW server_version_num")
    number = int(cursor.fetchone()[0])
    cursor.execute("SHOW server_version")
    return number // 10000, str(cursor.fetchone()[0]).split()[0]


def client_tool(name: str, *, at_least: int) -> tuple[str, int]:
    """The path and major version of a PostgreSQL client tool at least as new as the server."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL client tools, version %(version)s or newer"
                " (Debian: apt install postgresql-client-%(version)s), and put them on PATH."
            )
            % {"tool": name, "version": at_least}
        )
    try:
        done = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(_("%(tool)s cannot be run: %(error)s") % {"tool": found, "error": exc}) from exc
    match = re.search(r"\b(\d+)(?:\.\d+)*", done.stdout)
    if done.returncode != 0 or match is None:
        raise BackupError(_("%(tool)s cannot be run: %(error)s") % {"tool": found, "error": done.stderr.strip()})
    major = int(match.group(1))
    if major < at_least:
        raise BackupError(
            _(
                "%(tool)s is version %(found)s but version %(version)s or newer is needed (the server or"
                " the backup is version %(version)s). Install postgresql-client-%(version)s."
            )
            % {"tool": name, "found": major, "version": at_least}
        )
    return found, major


def _pg_env(settings_dict: dict[str, Any], *, database: bool) -> dict[str, str]:
    """Connection settings for libpq tools, all in the environment: the password never appears in
    a command line (which any local user can read in the process list)."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME") if database else None,
    }
    values.update({variable: options.get(key) for key, variable in PG_OPTION_ENV.items()})
    for variable, value in values.items():
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def _run(command: list[str], *, env: dict[str, str], tool: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(_("%(tool)s failed: %(error)s") % {"tool": tool, "error": exc}) from exc
    if done.returncode != 0:
        error = "\n".join(done.stderr.strip().splitlines()[-5:]) or f"exit status {done.returncode}"
        raise BackupError(_("%(tool)s failed: %(error)s") % {"tool": tool, "error": error})
