"""Service-level settings under /<lang>/agent/manage/ (namespace "sla"), for admins."""

from __future__ import annotations

from django.urls import path

from supportal.sla import hours_views, policy_views

app_name = "sla"

urlpatterns = [
    # Business hours (hours_views.py)
    path("hours/", hours_views.schedules, name="schedules"),
    path("hours/new", hours_views.schedule_edit, name="schedule_new"),
    path("hours/<int:pk>", hours_views.schedule_edit, name="schedule_edit"),
    path("hours/<int:pk>/delete", hours_views.schedule_delete, name="schedule_delete"),
    path("hours/<int:pk>/holidays/", hours_views.holidays, name="holidays"),
    path("hours/<int:pk>/holidays/add", hours_views.holiday_add, name="holiday_add"),
    path("hours/<int:pk>/holidays/import", hours_views.holidays_import, name="holidays_import"),
    path(
        "hours/<int:pk>/holidays/<int:holiday_pk>/remove",
        hours_views.holiday_remove,
        name="holiday_remove",
    ),
    # Service level policies (policy_views.py)
    path("sla/", policy_views.policies, name="policies"),
    path("sla/new", policy_views.policy_edit, name="policy_new"),
    path("sla/test", policy_views.policy_test, name="policy_test"),
    path("sla/leads", policy_views.group_leads, name="group_leads"),
    path("sla/<int:pk>", policy_views.policy_edit, name="policy_edit"),
    path("sla/<int:pk>/delete", policy_views.policy_delete, name="policy_delete"),
    path("sla/<int:pk>/toggle", policy_views.policy_toggle, name="policy_toggle"),
    path("sla/<int:pk>/move/<str:direction>", policy_views.policy_move, name="policy_move"),
    # The agent request page's clocks panel, polled (agents; not a setting).
    path("sla/clocks/<int:number>", policy_views.ticket_clocks, name="ticket_clocks"),
    # The inbox's "Next SLA" cells, polled (agents).
    path("sla/inbox-clocks", policy_views.inbox_clocks, name="inbox_clocks"),
]
