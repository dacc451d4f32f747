"""Demo help-center content for `supportal demo` (idempotent)."""

from __future__ import annotations


def load_demo_content() -> None:
    return None
