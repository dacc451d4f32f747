"""Settings changes recorded from model signals: `track(Model, fields=[...], action_prefix=...)`.

Admin pages change settings through many service functions; rather than have each remember to
write the log, the audit app listens to saves and deletes of the models it registers (apps.py)
and writes `<prefix>.create`, `<prefix>.change` (only the listed fields that changed, before and
after) and `<prefix>.delete`. Many-to-many fields listed in `m2m` (group members) record
`<prefix>.<field>` with the lists before and after. Secrets are never copied: a changed secret
field is recorded as changed, without its value.

Saves that touch none of the listed fields (a sign-in's `last_login`, a poll's state) cost
nothing: with `update_fields` they are skipped before any query, otherwise after one read of
the row as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

# Stored instead of a secret's value.
SECRET_CHANGED = "(changed)"  # noqa: S105 - a marker, not a password
SECRET_SET = "(set)"  # noqa: S105


@dataclass
class Tracked:
    model: type[models.Model]
    fields: list[str]
    prefix: str
    secrets: dict[str, str] = field(default_factory=dict)  # field -> name shown in the log
    m2m: list[str] = field(default_factory=list)
    # Whether a new row is worth an entry (a customer signing up is not an admin action).
    record_create: Callable[[models.Model], bool] | None = None

    @property
    def watched(self) -> set[str]:
        return set(self.fields) | set(self.secrets)


M2M_ACTIONS = {"pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"}
REGISTRY: dict[type[models.Model], Tracked] = {}
_BEFORE = "_audit_before"
_paused: ContextVar[bool] = ContextVar("audit_tracking_paused", default=False)


@contextmanager
def paused() -> Iterator[None]:
    """For a service that records the change itself, with more to say than the signal knows
    (accounts.services.user_update_by_admin): no second entry for the same save."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def track(
    model: type[models.Model],
    *,
    fields: Iterable[str],
    action_prefix: str,
    secrets: dict[str, str] | None = None,
    m2m: Iterable[str] = (),
    record_create: Callable[[models.Model], bool] | None = None,
) -> None:
    """Records changes of `fields` of `model` in the audit log. `secrets` maps secret fields
    to the name the log shows ("imap_password_encrypted" -> "imap_password")."""
    tracked = Tracked(
        model=model,
        fields=list(fields),
        prefix=action_prefix,
        secrets=dict(secrets or {}),
        m2m=list(m2m),
        record_create=record_create,
    )
    REGISTRY[model] = tracked
    uid = f"audit:{model._meta.label_lower}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=f"{uid}:pre_save")
    post_save.connect(_post_save, sender=model, dispatch_uid=f"{uid}:post_save")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=f"{uid}:post_delete")
    for name in tracked.m2m:
        through = model._meta.get_field(name).remote_field.through  # type: ignore[union-attr]
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}:{name}")


# --- Values as the log stores them ----------------------------------------------------------------


def _value(instance: models.Model, name: str) -> Any:
    model_field = instance._meta.get_field(name)
    if isinstance(model_field, models.ForeignKey):
        if getattr(instance, model_field.attname) is None:
            return None
        related = getattr(instance, name, None)
        return str(related) if related is not None else None
    return getattr(instance, name)


def _raw(instance: models.Model, name: str) -> Any:
    """What decides whether a field changed: the id for a foreign key."""
    return getattr(instance, instance._meta.get_field(name).attname)


def _snapshot(tracked: Tracked, instance: models.Model) -> dict[str, Any]:
    values = {name: _value(instance, name) for name in tracked.fields}
    for name, shown in tracked.secrets.items():
        if getattr(instance, name):
            values[shown] = SECRET_SET
    return values


def _record(**kwargs: Any) -> None:
    from supportal.audit.services import audit_record

    audit_record(**kwargs)


# --- Receivers ------------------------------------------------------------------------------------


def _pre_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    tracked = REGISTRY.get(sender)
    if tracked is None or kwargs.get("raw") or instance._state.adding or instance.pk is None:
        return
    if _paused.get():
        return
    update_fields = kwargs.get("update_fields")
    watched = tracked.watched
    if update_fields is not None:
        watched &= {instance._meta.get_field(name).name for name in update_fields}
        if not watched:
            return
    foreign_keys = [
        name for name in watched if isinstance(instance._meta.get_field(name), models.ForeignKey)
    ]
    stored = (
        sender._base_manager.select_related(*foreign_keys)  # type: ignore[attr-defined]
        .filter(pk=instance.pk)
        .first()
    )
    if stored is not None:
        setattr(instance, _BEFORE, (stored, watched))


def _post_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    tracked = REGISTRY.get(sender)
    if tracked is None or kwargs.get("raw") or _paused.get():
        return
    if created:
        if tracked.record_create is None or tracked.record_create(instance):
            _record(
                action=f"{tracked.prefix}.create",
                target=instance,
                after=_snapshot(tracked, instance),
            )
        return
    remembered = instance.__dict__.pop(_BEFORE, None)
    if remembered is None:
        return
    stored, watched = remembered
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    secrets_changed = []
    for name in tracked.fields:
        if name in watched and _raw(stored, name) != _raw(instance, name):
            before[name] = _value(stored, name)
            after[name] = _value(instance, name)
    for name, shown in tracked.secrets.items():
        if name in watched and getattr(stored, name) != getattr(instance, name):
            before[shown] = SECRET_SET if getattr(stored, name) else None
            after[shown] = SECRET_CHANGED if getattr(instance, name) else None
            secrets_changed.append(shown)
    if not after:
        return
    _record(
        action=f"{tracked.prefix}.change",
        target=instance,
        before=before,
        after=after,
        note=", ".join(f"{name} changed" for name in secrets_changed),
    )


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    tracked = REGISTRY.get(sender)
    if tracked is None or _paused.get():
        return
    _record(
        action=f"{tracked.prefix}.delete",
        target=instance,
        before=_snapshot(tracked, instance),
    )


def _m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    **kwargs: Any,
) -> None:
    """Group members added or removed, from either side (`group.members.add(user)` or
    `user.ticket_groups.add(group)`): one entry on the object whose list changed."""
    if action not in M2M_ACTIONS or _paused.get():
        return
    owner = type(instance) if not reverse else model
    tracked = REGISTRY.get(owner)
    if tracked is None:
        return
    name = next(
        (
            name
            for name in tracked.m2m
            if owner._meta.get_field(name).remote_field.through is sender  # type: ignore[union-attr]
        ),
        None,
    )
    if name is None:
        return
    model_field = owner._meta.get_field(name)
    accessor = name if not reverse else model_field.remote_field.get_accessor_name()  # type: ignore[union-attr]
    if not accessor or accessor.endswith("+"):
        return
    key = f"_audit_m2m_{accessor}"
    current = sorted(str(row) for row in getattr(instance, accessor).all())
    if action.startswith("pre_"):
        instance.__dict__[key] = current
        return
    before = instance.__dict__.pop(key, None)
    if before is None or before == current:
        return
    _record(
        action=f"{tracked.prefix}.{name}",
        target=instance,
        before={accessor: before},
        after={accessor: current},
    )
