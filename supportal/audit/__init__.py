"""The audit log: who did what, when, from where. `audit_record` (services.py) writes an
entry; `track` registers a settings model whose changes are recorded from its signals."""

from __future__ import annotations

from typing import Any


def track(model: Any, **kwargs: Any) -> None:
    """See supportal.audit.tracking.track (imported late: this package loads before models)."""
    from supportal.audit.tracking import track as _track

    _track(model, **kwargs)
