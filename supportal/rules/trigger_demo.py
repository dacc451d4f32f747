"""Demo triggers and automations: urgent words raise the priority, Billing hears of its new
requests, an (inactive) auto-reply suggests help-center articles, and pending or solved
requests are followed up, solved and closed in time. Idempotent (found by name)."""

from __future__ import annotations

from supportal.rules.automations import automation_save
from supportal.rules.models import Automation, Trigger
from supportal.rules.triggers import trigger_save
from supportal.tickets.models import Channel, Group, Priority, Status

URGENT_WORDS = "urgent outage down 긴급 장애 至急 障害 紧急 故障"


def _condition(field: str, op: str, value: object = "") -> dict[str, str]:
    return {"field": field, "op": op, "value": str(value)}


def _action(action: str, value: object = "", **mail: str) -> dict[str, str]:
    return {"action": action, "value": str(value), **mail}


def load_demo_triggers() -> None:
    billing = Group.objects.filter(name="Billing").first()
    existing = set(Trigger.objects.values_list("name", flat=True))
    triggers = [
        {
            "name": "Tag urgent words",
            "description": "New requests that sound urgent get the tag and a high priority.",
            "runs_on": Trigger.RunsOn.CREATED,
            "conditions_any": [_condition("subject", "contains", URGENT_WORDS)],
            "actions": [_action("add_tags", "urgent"), _action("set_priority", Priority.HIGH)],
        },
        {
            "name": "Suggest articles to new email requests",
            "description": "Inactive: the support address already acknowledges new mail.",
            "runs_on": Trigger.RunsOn.CREATED,
            "active": False,
            "conditions_all": [_condition("channel", "is", Channel.EMAIL)],
            "actions": [
                _action(
                    "notify_requester",
                    subject="While you wait: {{ticket.subject}}",
                    body=(
                        "Hello {{requester.first_name}},\n\nThese articles may already answer "
                        "your question:\n\n{{suggested_articles}}\n\nWe will reply to "
                        "request #{{ticket.number}} as soon as we can."
                    ),
                )
            ],
        },
    ]
    if billing is not None:
        triggers.append(
            {
                "name": "Tell Billing about its new requests",
                "runs_on": Trigger.RunsOn.CREATED,
                "conditions_all": [_condition("group", "is", billing.pk)],
                "actions": [
                    _action(
                        "notify_group",
                        billing.pk,
                        subject="New billing request: {{ticket.subject}}",
                        body="{{requester.name}} wrote request #{{ticket.number}}: {{ticket.url}}",
                    )
                ],
            }
        )
    for fields in triggers:
        if fields["name"] not in existing:
            trigger_save(trigger=None, **fields)  # type: ignore[arg-type]

    existing = set(Automation.objects.values_list("name", flat=True))
    automations = [
        {
            "name": "Remind the customer after 3 days pending",
            "conditions_all": [_condition("hours_since_pending", "gte", 72)],
            "actions": [
                _action(
                    "notify_requester",
                    subject="We are waiting for your answer: {{ticket.subject}}",
                    body=(
                        "Hello {{requester.first_name}},\n\nWe asked you a question about "
                        "request #{{ticket.number}} three days ago. Reply to this email when "
                        "you can: {{ticket.url}}"
                    ),
                )
            ],
        },
        {
            "name": "Solve after 7 days pending",
            "conditions_all": [_condition("hours_since_pending", "gte", 168)],
            "actions": [_action("set_status", Status.SOLVED)],
        },
        {
            "name": "Close 4 days after solved",
            "conditions_all": [_condition("hours_since_solved", "gte", 96)],
            "actions": [_action("set_status", Status.CLOSED)],
        },
    ]
    for fields in automations:
        if fields["name"] not in existing:
            automation_save(automation=None, **fields)  # type: ignore[arg-type]
