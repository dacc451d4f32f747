"""Agents' pages, under /<lang>/agent/ (namespace "agent")."""

from __future__ import annotations

from django.urls import path

from supportal.tickets.views import agent_ticket, inbox, manage, suggestions, triage

app_name = "agent"

urlpatterns = [
    # Inbox and views (views/inbox.py)
    path("", inbox.inbox, name="inbox"),
    # "views/new" before "views/<slug:key>", which would take "new" for a view's key.
    path("views/new", inbox.saved_view_create, name="saved_view_new"),
    path("views/<slug:key>", inbox.builtin_view, name="view"),
    path("views/saved/<int:pk>", inbox.saved_view, name="saved_view"),
    path("views/saved/<int:pk>/edit", inbox.saved_view_edit, name="saved_view_edit"),
    path("views/saved/<int:pk>/delete", inbox.saved_view_delete, name="saved_view_delete"),
    path("counts", inbox.view_counts, name="counts"),
    path("bulk", inbox.bulk_update, name="bulk"),
    path("search", inbox.search, name="search"),
    # One request (views/agent_ticket.py)
    path("requests/<int:number>/", agent_ticket.ticket_page, name="ticket"),
    path("requests/<int:number>/reply", agent_ticket.ticket_reply, name="ticket_reply"),
    path("requests/<int:number>/update", agent_ticket.ticket_update, name="ticket_update"),
    path("requests/<int:number>/assign-me", agent_ticket.ticket_assign_me, name="ticket_assign_me"),
    path("requests/<int:number>/merge", agent_ticket.ticket_merge, name="ticket_merge"),
    path("requests/<int:number>/link", agent_ticket.ticket_link, name="ticket_link"),
    path(
        "requests/<int:number>/unlink/<int:other>", agent_ticket.ticket_unlink, name="ticket_unlink"
    ),
    path("requests/<int:number>/cc", agent_ticket.ticket_cc_add, name="ticket_cc_add"),
    path("requests/<int:number>/triage", triage.ticket_triage_apply, name="ticket_triage_apply"),
    path(
        "requests/<int:number>/suggestions",
        suggestions.ticket_suggestions,
        name="ticket_suggestions",
    ),
    path("requests/<int:number>/presence", agent_ticket.ticket_presence, name="ticket_presence"),
    path(
        "requests/<int:number>/neighbour/<str:direction>",
        agent_ticket.ticket_neighbour,
        name="ticket_neighbour",
    ),
    # Admin settings for requests (views/manage.py)
    path("manage/groups/", manage.groups, name="groups"),
    path("manage/groups/new", manage.group_edit, name="group_new"),
    path("manage/groups/<int:pk>", manage.group_edit, name="group_edit"),
    path("manage/fields/", manage.fields, name="fields"),
    path("manage/fields/new", manage.field_edit, name="field_new"),
    path("manage/fields/<int:pk>", manage.field_edit, name="field_edit"),
    path("manage/types/", manage.request_types, name="types"),
    path("manage/types/new", manage.request_type_edit, name="type_new"),
    path("manage/types/<int:pk>", manage.request_type_edit, name="type_edit"),
]
