from __future__ import annotations


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message (translated) says why and what to
    do. Raised before anything changed, unless the message says otherwise."""
