"""Personal data services: export (export.py), erasure (erasure.py), retention (retention.py)."""

from __future__ import annotations

from supportal.privacy.services.erasure import (
    ErasureCounts,
    erasure_counts,
    person_erase,
    tickets_erase,
)
from supportal.privacy.services.export import (
    export_build,
    export_claim,
    export_latest,
    export_request,
    exports_clean_up,
)
from supportal.privacy.services.retention import (
    retention_candidates,
    retention_cutoff,
    retention_run,
    retention_save,
)

__all__ = [
    "ErasureCounts",
    "erasure_counts",
    "export_build",
    "export_claim",
    "export_latest",
    "export_request",
    "exports_clean_up",
    "person_erase",
    "retention_candidates",
    "retention_cutoff",
    "retention_run",
    "retention_save",
    "tickets_erase",
]
