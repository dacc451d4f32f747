"""Asking for a rating when a request is solved: one mail, in the requester's language."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from supportal.satisfaction.models import SurveyAsk
from supportal.satisfaction.survey import rating_token, read_token
from supportal.satisfaction.tests.helpers import mails_to, path_of, solved_ticket, survey_links
from supportal.test import Personas, make_ticket, make_user
from supportal.tickets.models import Status
from supportal.tickets.services import (
    Changes,
    ticket_mark_solved,
    ticket_merge,
    ticket_reply,
    ticket_update,
)

pytestmark = pytest.mark.django_db


class SurveyTests:
    def test_it_mails_the_requester_one_solved_notice_with_good_and_bad_links(
        self, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        before = len(mails_to(personas.customer))
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        mails = mails_to(personas.customer)[before:]
        assert len(mails) == 1
        mail = mails[0]
        assert mail.subject == f"[#{ticket.pk}] Your request has been solved: Cannot sign in"
        assert "How would you rate the support you received?" in mail.body_text
        links = survey_links(mail)
        assert set(links) == {"good", "bad"}
        assert path_of(links["good"]).startswith(f"/en/requests/{ticket.pk}/rate/")
        assert links["good"] in mail.body_html.replace("&amp;", "&")
        check = read_token(path_of(links["good"]).split("/rate/")[1].split("?")[0])
        assert (check.ticket_id, check.user_id) == (ticket.pk, personas.customer.pk)

    def test_it_writes_to_a_korean_requester_in_korean(self, personas: Personas) -> None:
        korean = make_user("hana@acme.test", name="Hana", organization=personas.acme, language="ko")
        ticket = solved_ticket(personas, korean)
        mail = mails_to(korean)[-1]
        assert mail.subject == f"[#{ticket.pk}] 문의가 해결되었습니다: Cannot sign in"
        assert "Hana 님, 안녕하세요." in mail.body_text
        with translation.override("ko"):
            # Read from the catalogue: the new sentences are in Korean once it is compiled.
            question = gettext("How would you rate the support you received?")
            good = gettext("Good, I'm satisfied")
        assert question in mail.body_text and good in mail.body_text
        assert path_of(survey_links(mail)["bad"]).startswith(f"/ko/requests/{ticket.pk}/rate/")

    def test_it_still_tells_the_people_in_cc_without_a_survey(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support, cc=[personas.colleague])
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        cc_mail = mails_to(personas.colleague)[-1]
        assert "has been marked as solved" in cc_mail.body_text
        assert survey_links(cc_mail) == {}

    def test_it_asks_once_per_solve_and_again_after_a_reopen(self, personas: Personas) -> None:
        ticket = solved_ticket(personas)
        asked = [m for m in mails_to(personas.customer) if survey_links(m)]
        assert len(asked) == 1
        # Other changes to the solved request ask nothing.
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(add_tags=["billing"]))
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        assert len([m for m in mails_to(personas.customer) if survey_links(m)]) == 1
        ticket_reply(ticket=ticket, author=personas.customer, body="It broke again.")
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        assert len([m for m in mails_to(personas.customer) if survey_links(m)]) == 2
        assert SurveyAsk.objects.filter(ticket=ticket).count() == 2

    def test_it_asks_when_an_agent_solves_with_a_reply(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_reply(ticket=ticket, author=personas.agent, body="Fixed it.", status=Status.SOLVED)
        assert len([m for m in mails_to(personas.customer) if survey_links(m)]) == 1

    def test_it_does_not_mail_a_requester_who_solved_it_themselves(
        self, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_mark_solved(ticket=ticket, actor=personas.customer)
        assert not [m for m in mails_to(personas.customer) if survey_links(m)]
        assert not SurveyAsk.objects.exists()

    def test_it_does_not_ask_agents_or_about_merged_requests(self, personas: Personas) -> None:
        own = make_ticket(personas.other_agent, group=personas.support)
        ticket_update(ticket=own, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        assert not [m for m in mails_to(personas.other_agent) if survey_links(m)]
        source = make_ticket(personas.customer, "Duplicate", group=personas.support)
        target = make_ticket(personas.customer, "Original", group=personas.support)
        ticket_merge(source=source, target=target, actor=personas.agent)
        assert not [m for m in mails_to(personas.customer) if survey_links(m)]
        assert not SurveyAsk.objects.exists()

    def test_it_does_not_ask_inactive_requesters(self, personas: Personas) -> None:
        personas.customer.is_active = False
        personas.customer.save()
        solved_ticket(personas)
        assert not SurveyAsk.objects.exists()


class TokenTests:
    def test_it_binds_the_request_and_the_requester(self, personas: Personas) -> None:
        ticket = solved_ticket(personas)
        check = read_token(rating_token(ticket))
        assert check.valid and (check.ticket_id, check.user_id) == (ticket.pk, ticket.requester_id)

    def test_it_refuses_a_changed_token(self, personas: Personas) -> None:
        token = rating_token(solved_ticket(personas))
        assert not read_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")).valid
        assert not read_token("nonsense").valid
