"""The demo command's ratings."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportal.satisfaction.demo import load_demo_ratings
from supportal.satisfaction.models import Rating

pytestmark = pytest.mark.django_db


class DemoRatingsTests:
    def test_it_rates_a_few_demo_requests_once(self) -> None:
        call_command("demo", stdout=io.StringIO())
        ratings = {r.ticket.submission_key: r for r in Rating.objects.select_related("ticket")}
        assert ratings["demo-request-7"].score == "good"
        assert "감사합니다" in ratings["demo-request-7"].comment
        assert ratings["demo-request-2"].score == "bad"
        assert ratings["demo-request-2"].comment.startswith("The invoice is there now")
        assert all(r.rated_by_id == r.ticket.requester_id for r in ratings.values())
        call_command("demo", stdout=io.StringIO())
        load_demo_ratings()
        assert Rating.objects.count() == len(ratings) == 3
