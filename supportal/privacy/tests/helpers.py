"""Shared test data for the personal-data tests: a customer with everything a person can leave
behind, and their colleagues' and other people's data beside it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportal.helpcenter.models import Article, ArticleVote, SearchLog
from supportal.mail.models import InboundEmail
from supportal.mail.tests.factories import email, ingest, make_mailbox
from supportal.satisfaction.services import rating_submit
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import CustomField, Ticket, TicketFieldValue
from supportal.tickets.services import ticket_mark_solved, ticket_reply
from supportal.tickets.services.relations import ticket_add_cc

# Unique words that only the customer's own data contains.
PHRASE = "quokkaflamingo"
MAIL_PHRASE = "zebracrossword"
FILE_BYTES = b"%PDF-1.4 the customer's own file \x00\x01\x02 quokka"
FILE_NAME = "casey-invoice-7731.pdf"
# What must never leave in the customer's export.
NOTE_PHRASE = "internalwombat"
COLLEAGUE_PHRASE = "colleaguenarwhal"
AGENT_FIELD_VALUE = "vip-tier-secret"


@dataclass
class Story:
    own: Ticket  # made on the web, solved and rated, with files
    emailed: Ticket  # made by email
    copied: Ticket  # the colleague's, with the customer in CC
    colleagues: Ticket  # the colleague's alone, in the shared organization
    outsiders: Ticket


def fresh(client: Client) -> None:
    """Marks the test client's session as just re-authenticated."""
    session = client.session
    session["auth_fresh_at"] = int(time.time())
    session.save()


def sign_in(client: Client, user: object) -> None:
    client.force_login(user)  # type: ignore[arg-type]
    fresh(client)


def tell_a_story(personas: Personas) -> Story:
    customer, colleague, agent = personas.customer, personas.colleague, personas.agent
    secret_field = CustomField.objects.create(
        key="tier", labels={"en": "Tier"}, customer_visible=False
    )
    own = make_ticket(
        customer,
        f"Invoice {PHRASE} is wrong",
        f"My invoice mentions {PHRASE}; please fix it.",
        group=personas.support,
        attachments=[SimpleUploadedFile(FILE_NAME, FILE_BYTES, content_type="application/pdf")],
    )
    TicketFieldValue.objects.create(ticket=own, field=secret_field, value=AGENT_FIELD_VALUE)
    ticket_reply(
        ticket=own,
        author=agent,
        body=f"Note: {NOTE_PHRASE} customer, be careful.",
        public=False,
        attachments=[SimpleUploadedFile("note-only.txt", b"note file", content_type="text/plain")],
    )
    ticket_reply(
        ticket=own,
        author=agent,
        body="We fixed the invoice.",
        attachments=[SimpleUploadedFile("fixed.txt", b"fixed invoice", content_type="text/plain")],
    )
    ticket_mark_solved(ticket=own, actor=agent)
    rating_submit(ticket=own, user=customer, score="good", comment=f"Thanks {PHRASE} team")
    row = ingest(
        email(
            sender="Casey Customer <casey@acme.test>",
            subject="Emailed question",
            body=f"Hello, {MAIL_PHRASE} here.\n",
        ),
        make_mailbox(),
    )
    assert row.fate == InboundEmail.Fate.CREATED
    emailed = Ticket.objects.get(pk=row.ticket_id)
    copied = make_ticket(colleague, "Shared printer", "The shared printer jams.")
    ticket_add_cc(ticket=copied, actor=colleague, email=customer.email)
    ticket_reply(ticket=copied, author=customer, body=f"Me too, {PHRASE} jams.")
    colleagues = make_ticket(colleague, "My own thing", f"Private: {COLLEAGUE_PHRASE}.")
    outsiders = make_ticket(personas.outsider, "Outsider", "Another company's request.")
    article = Article.objects.create()
    ArticleVote.objects.create(
        article=article, locale="en", helpful=False, comment=f"Unclear {PHRASE}", user=customer
    )
    SearchLog.objects.create(query=f"refund {PHRASE}", locale="en", results=0, user=customer)
    return Story(
        own=own, emailed=emailed, copied=copied, colleagues=colleagues, outsiders=outsiders
    )


__all__ = ["PASSWORD", "Story", "fresh", "sign_in", "tell_a_story"]
