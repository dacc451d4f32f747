"""Inbound email: every way in (IMAP, pipe, HTTP) calls mail_ingest (see ingest.py)."""

from __future__ import annotations

from supportal.mail.services.addresses import mailbox_for_addresses
from supportal.mail.services.ingest import (
    REASONS,
    inbound_acknowledge,
    inbound_acknowledge_stale,
    inbound_process,
    inbound_process_stale,
    inbound_release,
    inbound_reprocess,
    inbound_seen_uid,
    mail_ingest,
)

__all__ = [
    "REASONS",
    "inbound_acknowledge",
    "inbound_acknowledge_stale",
    "inbound_process",
    "inbound_process_stale",
    "inbound_release",
    "inbound_reprocess",
    "inbound_seen_uid",
    "mail_ingest",
    "mailbox_for_addresses",
]
