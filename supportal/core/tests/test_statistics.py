from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from supportal.core.tasks import refresh_sqlite_statistics
from supportal.test import Personas, make_ticket

pytestmark = pytest.mark.django_db


class PlannerStatisticsTests:
    def test_it_gathers_sqlite_statistics_and_leaves_postgresql_to_autovacuum(
        self, personas: Personas, django_assert_num_queries: Callable
    ) -> None:
        make_ticket(personas.customer)
        if connection.vendor != "sqlite":
            with django_assert_num_queries(0):
                refresh_sqlite_statistics()
            return
        refresh_sqlite_statistics()
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
            tables = {row[0] for row in cursor.fetchall()}
        assert {"tickets_ticket", "accounts_user"} <= tables
