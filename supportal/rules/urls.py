from __future__ import annotations

from django.urls import path

from supportal.rules import routing_views, trigger_views

app_name = "rules"

urlpatterns = [
    path("manage/rules/routing/", routing_views.rules, name="routing"),
    path("manage/rules/routing/new", routing_views.rule_edit, name="routing_new"),
    path("manage/rules/routing/<int:pk>", routing_views.rule_edit, name="routing_edit"),
    path("manage/rules/routing/<int:pk>/delete", routing_views.rule_delete, name="routing_delete"),
    path(
        "manage/rules/routing/<int:pk>/move/<str:direction>",
        routing_views.rule_move,
        name="routing_move",
    ),
    path("manage/rules/routing/<int:pk>/toggle", routing_views.rule_toggle, name="routing_toggle"),
    path("manage/rules/assignment/", routing_views.assignment_settings, name="assignment"),
    path("availability", routing_views.availability, name="availability"),
    # Triggers and automations (trigger_views.py)
    path("manage/rules/triggers/", trigger_views.trigger_list, name="triggers"),
    path("manage/rules/triggers/new", trigger_views.trigger_edit, name="trigger_new"),
    path("manage/rules/triggers/<int:pk>", trigger_views.trigger_edit, name="trigger_edit"),
    path(
        "manage/rules/triggers/<int:pk>/delete", trigger_views.trigger_delete, name="trigger_delete"
    ),
    path(
        "manage/rules/triggers/<int:pk>/toggle", trigger_views.trigger_toggle, name="trigger_toggle"
    ),
    path(
        "manage/rules/triggers/<int:pk>/move/<str:direction>",
        trigger_views.trigger_move,
        name="trigger_move",
    ),
    path("manage/rules/automations/", trigger_views.automation_list, name="automations"),
    path("manage/rules/automations/new", trigger_views.automation_edit, name="automation_new"),
    path(
        "manage/rules/automations/<int:pk>", trigger_views.automation_edit, name="automation_edit"
    ),
    path(
        "manage/rules/automations/<int:pk>/delete",
        trigger_views.automation_delete,
        name="automation_delete",
    ),
    path(
        "manage/rules/automations/<int:pk>/toggle",
        trigger_views.automation_toggle,
        name="automation_toggle",
    ),
    path(
        "manage/rules/automations/<int:pk>/move/<str:direction>",
        trigger_views.automation_move,
        name="automation_move",
    ),
]
