"""The search index of articles and the guard that keeps article versions unchanged.

Both depend on the database (SQLite: FTS5 table and triggers; PostgreSQL: GIN indexes and a
trigger); banzu.knowledge.search holds the statements. Reversible: the objects are dropped.
"""

from django.db import migrations


def install(apps, schema_editor):
    from banzu.knowledge import search

    search.install_database_objects(schema_editor.connection)


def remove(apps, schema_editor):
    from banzu.knowledge import search

    search.remove_database_objects(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_knowledge_base")]

    operations = [migrations.RunPython(install, remove)]
