"""`manage.py backup [--output PATH]`: a consistent backup of the database with its manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext as _

from banzu.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump) into one archive with a"
        " manifest of migrations and row counts. Safe while Banzu runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Archive to write (default: var/backups/banzu-<date>-<time>.tar.gz).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        output = options["output"] or backup.default_path(timezone.localtime(now))
        try:
            manifest = backup.create_backup(output, now=now, using=options["database"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Backup written to %(path)s: %(tables)s tables, %(rows)s rows.")
                    % {"path": output, "tables": len(manifest.row_counts), "rows": manifest.total_rows}
                )
            )
