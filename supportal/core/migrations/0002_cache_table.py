"""Creates the database cache table (CACHES["shared"] without Redis) as part of `migrate`.

Django only makes it with `createcachetable`; running it here means a plain `supportal migrate`
leaves a working install. With Redis there is no database cache and this does nothing.
"""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps: object, schema_editor: object) -> None:
    call_command("createcachetable", verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
