"""`manage.py restore PATH [--no-input]`: replace the database with a backup made by `backup`.

Destructive, so it asks first unless --no-input. Stop the app servers and workers before restoring:
requests served during the restore would see, or write into, a database being replaced.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from banzu.core import backup


class Command(BaseCommand):
    help = "Replace every table of the database with a backup made by `manage.py backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="Backup archive to restore.")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation (for scripts).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, **options) -> None:
        connection = connections[options["database"]]
        path = options["path"]
        try:
            manifest = backup.read_manifest(path)
            backup.check_restorable(manifest, database=connection.settings_dict)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["interactive"]:
            question = _(
                "This replaces every table of database “%(database)s” with the backup made at %(created)s"
                " (%(rows)s rows). Type “yes” to continue: "
            ) % {
                "database": connection.settings_dict.get("NAME"),
                "created": manifest.created_at,
                "rows": manifest.total_rows,
            }
            if input(question).strip().lower() != "yes":
                raise CommandError(_("Restore cancelled; nothing was changed."))
        try:
            backup.restore_backup(path, database=connection.settings_dict)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Restored %(rows)s rows in %(tables)s tables from %(path)s.")
                    % {"rows": manifest.total_rows, "tables": len(manifest.row_counts), "path": path}
                )
            )
        pending = backup.migrations_pending_after(manifest)
        if pending:
            self.stdout.write(
                _("The backup predates %(count)s migrations of this version; run “manage.py migrate” next.")
                % {"count": len(pending)}
            )
