"""`manage.py cti_token`: create a telephone switch's CTI token, rotate it or block the switch (CT-1).

The token is printed once; Banzu keeps only its hash. Scripts read it from the last line of output.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from banzu.contact import cti
from banzu.contact.models import Switch
from banzu.core.errors import Conflict
from banzu.org.models import Centre


class Command(BaseCommand):
    help = "Create a CTI switch and print its token once; --rotate replaces the token, --deactivate blocks it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="The switch's code, e.g. pbx1.")
        parser.add_argument("--centre", help="The centre's code (needed for a new switch; default: the only centre).")
        parser.add_argument("--name", default="", help="A name for people, e.g. 主交换机.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="Give an existing switch a new token.")
        group.add_argument("--deactivate", action="store_true", help="Block an existing switch's token.")

    def handle(self, *args, **options) -> None:
        code = options["code"]
        existing = Switch.objects.filter(code=code).first()
        if options["rotate"] or options["deactivate"]:
            if existing is None:
                raise CommandError(f"No switch has the code {code}.")
            if options["deactivate"]:
                cti.deactivate_switch(switch=existing)
                self.stdout.write(f"Switch {code} is deactivated; its token no longer works.")
                return
            self._print(existing, cti.rotate_token(switch=existing))
            return
        if existing is not None:
            raise CommandError(f"A switch with the code {code} exists; use --rotate for a new token.")
        centre = self._centre(options["centre"])
        try:
            switch, token = cti.create_switch(centre=centre, code=code, name=options["name"])
        except (ValidationError, Conflict) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self._print(switch, token)

    def _centre(self, code: str | None) -> Centre:
        if code:
            centre = Centre.objects.filter(code=code).first()
            if centre is None:
                raise CommandError(f"No centre has the code {code}.")
            return centre
        centres = list(Centre.objects.all()[:2])
        if len(centres) != 1:
            raise CommandError("Name the centre with --centre.")
        return centres[0]

    def _print(self, switch: Switch, token: str) -> None:
        self.stdout.write(f"Switch {switch.code} ({switch.centre.code}). The token is shown only now:")
        self.stdout.write(token)
