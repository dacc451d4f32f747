"""The load-test scenario against a live server: every page it asks for exists and is the page
it expects, so the scenario cannot rot silently as URLs and templates change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.models import Role
from supportal.bench import loaddata
from supportal.bench.generate import GENERATED_DOMAIN
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section
from supportal.test import make_ticket, make_user
from supportal.tickets.models import Group

pytestmark = pytest.mark.django_db(transaction=True)


class ScenarioTests:
    def test_it_runs_every_task_once_without_a_failure(
        self, live_server: LiveServer, tmp_path: Path
    ) -> None:
        # People as generate_data makes them (its address domain), without its text pool.
        customer = make_user(f"c1@{GENERATED_DOMAIN}", language="ko")
        agent = make_user(f"agent2@{GENERATED_DOMAIN}", role=Role.AGENT)
        group = Group.objects.create(name="Support")
        group.members.add(agent)
        for n in range(3):
            make_ticket(customer, f"Cannot download invoice {n}", group=group)
        section = make_section()
        for title in ("How to reset your password", "Download an invoice", "Cancel an order"):
            make_article(section, title, "Open Settings and choose the option.")
        data_path = tmp_path / "data.json"
        data_path.write_text(json.dumps(loaddata.scenario_data(customers_wanted=5)))

        url = live_server.url
        # A process of its own: locust patches the standard library with gevent on import.
        result = subprocess.run(
            [sys.executable, "-m", "supportal.bench.load", "--step", "check", "--host", url],
            env={**os.environ, "SUPPORTAL_LOAD_DATA": str(data_path)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert result.returncode == 0, result.stderr[-2000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert report["errors"] == []
        expected = {
            "sign in: form", "sign in",
            "visitor: help center home", "visitor: category", "visitor: article",
            "visitor: FAQ", "visitor: search", "visitor: suggest",
            "customer: my requests", "customer: my open requests", "customer: request page",
            "customer: new request form", "customer: suggest", "customer: submit",
            "customer: reply",
            "agent: inbox view", "agent: request page", "agent: presence", "agent: reply",
            "agent: internal note",
        }  # fmt: skip
        assert set(report["pages"]) == expected
