"""Demo routing: billing words (in four languages) go to Billing, which assigns new requests
to its available members in turn; demo agents are available. Idempotent (found by name)."""

from __future__ import annotations

from supportal.accounts.models import User
from supportal.rules import assignment, routing_services
from supportal.rules.models import Availability, GroupRouting, RoutingRule
from supportal.tickets.models import Group

BILLING_WORDS = ["invoice", "refund", "billing", "결제", "환불", "請求", "返金", "发票", "退款"]


def load_demo_routing() -> None:
    for agent in User.objects.agents():  # type: ignore[attr-defined]
        if agent.email.endswith("@example.com"):
            assignment.availability_set(user=agent, availability=Availability.AVAILABLE)
    billing = Group.objects.filter(name="Billing").first()
    if billing is None:
        return
    if not RoutingRule.objects.filter(name="Billing questions").exists():
        routing_services.routing_rule_save(
            rule=None, name="Billing questions", group=billing, words=BILLING_WORDS
        )
    if not GroupRouting.objects.filter(group=billing).exists():
        routing_services.group_routing_save(settings={billing: (True, 20)})
