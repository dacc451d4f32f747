"""Every ticket lookup in a view goes through here: anything the user may not see is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from supportal.tickets.models import Attachment, Ticket


def get_ticket_for(request: HttpRequest, number: int) -> Ticket:
    """The ticket with this number if the signed-in user may see it, else 404."""
    ticket = (
        Ticket.objects.visible_to(request.user)
        .select_related("requester", "organization", "assignee", "group", "type", "merged_into")
        .filter(pk=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def get_attachment_for(request: HttpRequest, pk: int) -> Attachment:
    """An attachment the user may download: its ticket is visible to them, and customers only
    get files of public messages."""
    attachment = (
        Attachment.objects.filter(pk=pk, ticket__in=Ticket.objects.visible_to(request.user))
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise Http404
    if not request.user.is_agent and attachment.message and not attachment.message.public:
        raise Http404
    return attachment
