"""`manage.py demo`: load the demo centre (idempotent) and print one log-in per role."""

from __future__ import annotations

import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from banzu.org import demo
from banzu.org.models import Centre, Employee


class Command(BaseCommand):
    help = "Load a realistic demo call centre (总部呼叫中心) and print one log-in per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has employees."
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Random seed (same seed, same centre).")
        parser.add_argument(
            "--agents", type=int, default=demo.DEFAULT_AGENTS, help="Agents in service, spread over eight teams."
        )

    def handle(self, *args, **options) -> None:
        try:
            password = demo.demo_password()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if options["if_empty"] and Employee.objects.exists():
            self._say(_("Employees already exist; the demo centre was not loaded."), options)
        else:
            self._load(password, options)
        table = demo.format_logins(demo.demo_logins(password=password))
        if table and options["verbosity"] > 0:
            self.stdout.write("")
            self.stdout.write(table)
            if password is None:
                self.stdout.write(
                    _(
                        "Demo accounts have no usable password outside demo or debug mode"
                        " (BANZU_DEMO=1 or BANZU_DEBUG=1)."
                    )
                )

    def _load(self, password: str | None, options: dict) -> None:
        started = time.monotonic()
        try:
            result = demo.build_demo_centre(password=password, seed=options["seed"], agents=options["agents"])
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        if result is None:
            name = Centre.objects.get(code=demo.DEMO_CENTRE_CODE).name
            self._say(_("The demo centre %(name)s already exists; nothing was changed.") % {"name": name}, options)
        else:
            self._say(
                _("Loaded the demo centre %(name)s: %(employees)s employees with log-ins in %(seconds).1f s.")
                % {"name": result.centre.name, "employees": result.employees, "seconds": time.monotonic() - started},
                options,
            )

    def _say(self, message: str, options: dict) -> None:
        if options["verbosity"] > 0:
            self.stdout.write(message)
