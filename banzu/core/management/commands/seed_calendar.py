from django.core.management.base import BaseCommand

from banzu.core import services


class Command(BaseCommand):
    help = "Add the years the chinesecalendar package knows and the calendar lacks (edited years are kept)."

    def handle(self, *args, **options):
        added = services.seed_calendar_from_package()
        if added:
            self.stdout.write(f"Added years: {', '.join(map(str, added))}")
        else:
            self.stdout.write("The calendar already has every year the package knows.")
