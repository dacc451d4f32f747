"""Entries in words: the action's label, the object's kind, the change as "field: old → new".

An action code gets its label from ACTION_LABELS, else from the pattern of a tracked model
("<prefix>.create" -> "Support address created"), else the code itself. Another area that
records a new code adds its label here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.audit.models import AuditEntry
from supportal.audit.tracking import REGISTRY, SECRET_CHANGED, SECRET_SET

ACTION_LABELS: dict[str, Any] = {
    "auth.login": gettext_lazy("Signed in"),
    "auth.login_failed": gettext_lazy("Sign-in failed"),
    "auth.logout": gettext_lazy("Signed out"),
    "auth.reauth": gettext_lazy("Confirmed their password again"),
    "audit.export": gettext_lazy("Exported the audit log"),
    "twofactor.enable": gettext_lazy("Two-factor authentication turned on"),
    "twofactor.disable": gettext_lazy("Two-factor authentication turned off"),
    "twofactor.failed": gettext_lazy("Two-factor code refused"),
    "twofactor.recovery_codes": gettext_lazy("New recovery codes made"),
    "twofactor.forget_browsers": gettext_lazy("Remembered browsers forgotten"),
    "passkey.add": gettext_lazy("Passkey added"),
    "passkey.rename": gettext_lazy("Passkey renamed"),
    "passkey.remove": gettext_lazy("Passkey removed"),
    "session.sign_out": gettext_lazy("Signed out a session"),
    "session.sign_out_all": gettext_lazy("Signed out of all other sessions"),
    "session.sign_out_everywhere_by_admin": gettext_lazy("Signed someone out everywhere"),
    "security_policy.change": gettext_lazy("Security settings changed"),
    "privacy.export_request": gettext_lazy("Personal data export requested"),
    "privacy.export_download": gettext_lazy("Personal data export downloaded"),
    "privacy.erase": gettext_lazy("Personal data erased"),
    "privacy.retention_change": gettext_lazy("Retention policy changed"),
    "privacy.retention_run": gettext_lazy("Retention policy applied"),
    "legal.edit": gettext_lazy("Policy text edited"),
    "legal.publish": gettext_lazy("Policy version published"),
    "maintenance.on": gettext_lazy("Maintenance mode turned on"),
    "maintenance.off": gettext_lazy("Maintenance mode turned off"),
    "user.create": gettext_lazy("Account created"),
    "user.change": gettext_lazy("Account changed"),
    "user.delete": gettext_lazy("Account deleted"),
    "group.members": gettext_lazy("Group members changed"),
    "assignment.create": gettext_lazy("Automatic assignment changed"),
    "assignment.change": gettext_lazy("Automatic assignment changed"),
    "assignment.delete": gettext_lazy("Automatic assignment changed"),
    "group_schedule.create": gettext_lazy("Group's business hours changed"),
    "group_schedule.change": gettext_lazy("Group's business hours changed"),
    "group_schedule.delete": gettext_lazy("Group's business hours changed"),
    "group_lead.create": gettext_lazy("Group lead added"),
    "group_lead.delete": gettext_lazy("Group lead removed"),
    "routing_rule.mailboxes": gettext_lazy("Routing rule conditions changed"),
    "routing_rule.request_types": gettext_lazy("Routing rule conditions changed"),
    "routing_rule.organizations": gettext_lazy("Routing rule conditions changed"),
    "sla_policy.targets": gettext_lazy("Service level targets changed"),
    "schedule.hours": gettext_lazy("Weekly business hours changed"),
    "sla_policy.request_types": gettext_lazy("Service level policy conditions changed"),
    "sla_policy.groups": gettext_lazy("Service level policy conditions changed"),
    "sla_policy.organizations": gettext_lazy("Service level policy conditions changed"),
}
VERB_LABELS = {
    "create": gettext_lazy("%(kind)s created"),
    "change": gettext_lazy("%(kind)s changed"),
    "delete": gettext_lazy("%(kind)s deleted"),
}
# Names a secret is shown under (tracking's `secrets`), and other keys that are not fields.
KEY_LABELS: dict[str, Any] = {
    "imap_password": gettext_lazy("IMAP password"),
    "inbound_token": gettext_lazy("inbound address secret"),
    "identity_secret": gettext_lazy("chat identity secret"),
    "characters": gettext_lazy("length in characters, by language"),
}
MAX_VALUE = 300


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    prefix, _dot, verb = code.partition(".")
    model = _model_for_prefix(prefix)
    if model is not None and verb in VERB_LABELS:
        return capfirst(str(VERB_LABELS[verb]) % {"kind": model._meta.verbose_name})
    return code


def _model_for_prefix(prefix: str) -> type[models.Model] | None:
    for model, tracked in REGISTRY.items():
        if tracked.prefix == prefix:
            return model
    return None


def model_for(target_type: str) -> type[models.Model] | None:
    if "." not in target_type:
        return None
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def kind_label(target_type: str) -> str:
    model = model_for(target_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else target_type


def _field(model: type[models.Model] | None, key: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except Exception:  # FieldDoesNotExist; a key that was never a field
        return None


def key_label(model: type[models.Model] | None, key: str) -> str:
    if key in KEY_LABELS:
        return capfirst(str(KEY_LABELS[key]))
    found = _field(model, key)
    if found is None:
        return key
    if found.is_relation and found.auto_created:  # the other side of a many-to-many
        return capfirst(str(found.related_model._meta.verbose_name_plural))
    return capfirst(str(found.verbose_name))


def value_text(model: type[models.Model] | None, key: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value == SECRET_CHANGED:
        return _("(changed)")
    if value == SECRET_SET:
        return _("(set)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    found = _field(model, key)
    # Reverse relations (a policy's "targets") have no choices.
    choices = dict(found.flatchoices) if getattr(found, "choices", None) else {}
    if choices and not isinstance(value, list | dict):
        return str(choices.get(value, value))
    if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
        text = ", ".join(str(choices.get(item, item)) for item in value)
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


@dataclass
class Change:
    label: str
    old: str | None  # None: the entry has no "before" for this key (something new)
    new: str | None  # None: nothing after (something removed)
    structured: bool = False  # the values are JSON (conditions, actions): shown as code


def changes(entry: AuditEntry) -> list[Change]:
    model = model_for(entry.target_type)
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            label=key_label(model, key),
            old=value_text(model, key, before[key]) if key in before else None,
            new=value_text(model, key, after[key]) if key in after else None,
            structured=isinstance(before.get(key), list | dict)
            or isinstance(after.get(key), list | dict),
        )
        for key in keys
    ]


def describe(entry: AuditEntry) -> AuditEntry:
    """Adds what the list shows to an entry: its action and kind in words, its changes."""
    entry.action_text = action_label(entry.action)  # type: ignore[attr-defined]
    entry.kind_text = kind_label(entry.target_type) if entry.target_type else ""  # type: ignore[attr-defined]
    entry.changes = changes(entry)  # type: ignore[attr-defined]
    return entry
