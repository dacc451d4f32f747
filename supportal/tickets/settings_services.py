"""Writes to the request settings admins manage: groups, custom fields and request types.

These change no ticket, so they write no TicketEvent; tickets refer to them by id (and custom
fields by key in their history), which is why a field's key never changes once it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.tickets.models import CustomField, Group, RequestType


def _names(names: Mapping[str, str]) -> dict[str, str]:
    """Only the site's languages, trimmed, without empty entries; the default one required."""
    cleaned = {
        code: names[code].strip()
        for code in settings.LANGUAGE_CODES
        if code in names and names[code].strip()
    }
    if settings.LANGUAGE_CODE not in cleaned:
        raise ValidationError(_("A name in the default language is required."))
    return cleaned


@transaction.atomic
def group_save(
    *, group: Group | None, name: str, description: str, members: Iterable[User]
) -> Group:
    members = list(members)
    if any(not member.is_agent for member in members):
        raise ValidationError(_("Only agents can be members of a group."))
    name = name.strip()
    if not name:
        raise ValidationError(_("A group needs a name."))
    if Group.objects.filter(name__iexact=name).exclude(pk=getattr(group, "pk", None)).exists():
        raise ValidationError(_("There is already a group with this name."))
    group = group or Group()
    group.name = name[:100]
    group.description = description.strip()[:300]
    group.save()
    group.members.set(members)
    return group


@transaction.atomic
def custom_field_save(
    *,
    field: CustomField | None,
    key: str,
    labels: Mapping[str, str],
    kind: str,
    choices: Sequence[Mapping[str, Any]] = (),
    required: bool = False,
    customer_visible: bool = True,
    position: int = 0,
    active: bool = True,
) -> CustomField:
    """Creates or changes a custom field. An existing field keeps its key: the history of every
    request names the field by it ("field:<key>")."""
    if kind not in CustomField.Kind.values:
        raise ValidationError(_("Choose a kind of field."))
    if kind == CustomField.Kind.DROPDOWN and not choices:
        raise ValidationError(_("A drop-down needs at least one choice."))
    if field is None:
        if CustomField.objects.filter(key=key).exists():
            raise ValidationError(_("There is already a field with this key."))
        field = CustomField(key=key)
    field.labels = _names(labels)
    field.kind = kind
    field.choices = (
        [{"value": c["value"], "labels": dict(c.get("labels", {}))} for c in choices]
        if kind == CustomField.Kind.DROPDOWN
        else []
    )
    field.required = required
    field.customer_visible = customer_visible
    field.position = position
    field.active = active
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def request_type_save(
    *, request_type: RequestType | None, names: Mapping[str, str], position: int, active: bool
) -> RequestType:
    request_type = request_type or RequestType()
    request_type.names = _names(names)
    request_type.position = position
    request_type.active = active
    request_type.save()
    return request_type
