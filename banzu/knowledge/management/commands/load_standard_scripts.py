"""Load the standard scripts (标准用语, KB-2) into a centre's knowledge base; safe to run again."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from banzu.knowledge import services
from banzu.org.models import Centre


class Command(BaseCommand):
    help = "Load the standard scripts as published articles and shared quick phrases. Runs again safely."

    def add_arguments(self, parser):
        parser.add_argument("--centre", metavar="CODE", help="Centre code; every centre when left out.")

    def handle(self, *args, centre=None, **options):
        centres = Centre.objects.all()
        if centre:
            centres = centres.filter(code=centre)
            if not centres.exists():
                raise CommandError(_("There is no centre with the code %(code)s.") % {"code": centre})
        elif not centres.exists():
            raise CommandError(_("Create a centre first."))
        for item in centres:
            result = services.load_standard_scripts(centre=item, today=timezone.localdate())
            self.stdout.write(
                _(
                    "%(centre)s: %(created)s articles added, %(present)s already there; "
                    "%(phrases)s quick phrases added, %(phrases_present)s already there."
                )
                % {
                    "centre": item.code,
                    "created": result.articles_created,
                    "present": result.articles_present,
                    "phrases": result.phrases_created,
                    "phrases_present": result.phrases_present,
                }
            )
