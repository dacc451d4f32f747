from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportal.accounts.models import User
from supportal.core.models import OutboundEmail
from supportal.tickets import search
from supportal.tickets.models import (
    CustomField,
    Group,
    Message,
    RequestType,
    Status,
    Ticket,
    TicketEvent,
    TicketSearch,
)

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models = (Ticket, Message, TicketEvent, TicketSearch, Group, RequestType, CustomField)
    found = {model.__name__: model.objects.count() for model in models}
    found["members"] = Group.members.through.objects.count()
    found["mail"] = OutboundEmail.objects.count()
    return found


def user(email: str) -> User:
    return User.objects.get(email=email)


@pytest.fixture
def demo() -> None:
    call_command("demo", stdout=io.StringIO())


class DemoTicketsTests:
    def test_it_changes_nothing_when_run_again(self, demo: None) -> None:
        first = counts()
        call_command("demo", stdout=io.StringIO())
        assert counts() == first
        # ten made on the web, two from the demo email, one chat (supportal/chat/demo.py)
        assert first["Ticket"] == 13

    def test_it_sets_up_groups_types_and_fields(self, demo: None) -> None:
        support = Group.objects.get(name="Support")
        assert set(support.members.values_list("email", flat=True)) == {
            "agent@example.com",
            "agent.ja@example.com",
        }
        assert list(Group.objects.get(name="Billing").members.all()) == [user("admin@example.com")]
        assert [t.names["ko"] for t in RequestType.objects.all()] == [
            "질문",
            "문제",
            "결제",
            "기능 요청",
        ]
        product = CustomField.objects.get(key="product")
        assert product.customer_visible and len(product.choices) == 3
        assert product.choices[2]["labels"]["ja"] == "エンタープライズ"
        assert not CustomField.objects.get(key="internal-score").customer_visible

    def test_it_gives_the_demo_agent_the_support_queue(self, demo: None) -> None:
        agent = user("agent@example.com")
        visible = Ticket.objects.visible_to(agent)
        support = Ticket.objects.filter(group__name="Support")
        assert support.count() >= 5
        assert set(support) <= set(visible)
        assert not visible.filter(group__name="Billing").exists()
        assert visible.filter(assignee=agent).count() >= 2
        assert visible.filter(assignee__isnull=True, group__name="Support").exists()

    def test_it_shows_customers_their_organization_s_requests_only(self, demo: None) -> None:
        customer, outsider = user("customer@example.com"), user("outsider@example.com")
        mine = Ticket.objects.visible_to(customer)
        assert mine.filter(requester=customer).count() == 5  # with the demo chat
        assert mine.filter(requester__email="colleague@example.com").exists()  # Acme shares
        assert not mine.filter(requester=outsider).exists()
        assert set(Ticket.objects.visible_to(outsider)) == set(outsider.requests.all())

    def test_it_builds_requests_through_the_services(self, demo: None) -> None:
        statuses = set(Ticket.objects.values_list("status", flat=True))
        assert {Status.NEW, Status.OPEN, Status.PENDING, Status.SOLVED} <= statuses
        crash = Ticket.objects.get(subject__startswith="The mobile app crashes")
        assert crash.messages.filter(public=False).count() == 1
        assert set(crash.tags.values_list("name", flat=True)) == {"mobile", "crash"}
        assert crash.field_values.get(field__key="internal-score").value == "7"
        kinds = set(crash.events.values_list("kind", flat=True))
        assert {"created", "replied", "noted", "changed"} <= kinds
        found = search.matching(Ticket.objects.all(), "photo")
        assert list(found) == [crash]
        assert search.matching(Ticket.objects.all(), "退款").exists()
        assert OutboundEmail.objects.filter(to__icontains="customer@example.com").exists()
