"""ORG-10: the working-day calendar for every year the chinesecalendar package knows."""

from django.db import migrations


def seed(apps, schema_editor):
    from banzu.core import calendar_seed

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    known = set(CalendarYear.objects.values_list("year", flat=True))
    years = [year for year in calendar_seed.package_years() if year not in known]
    CalendarYear.objects.bulk_create(CalendarYear(year=year, source="package", published=True) for year in years)
    CalendarDay.objects.bulk_create(
        (
            CalendarDay(date=day, year_id=year, is_working_day=working, kind=kind, name=name)
            for year in years
            for day, working, kind, name in calendar_seed.package_days(year)
        ),
        batch_size=2000,
    )


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarYear").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
