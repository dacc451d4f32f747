"""Inbound mail ingestion speed: parse, store, thread, index, on SQLite and PostgreSQL.

    python -m supportal.bench.mail [--messages 10000] [--database sqlite|postgres|both]
                                        [--processes 1] [--imap]

The messages are the real ones in ../shared/eval/mail (read in place), repeated until there are
--messages of them, each copy with its own Message-ID and one of 500 senders, so every copy is
new mail. They go through mail_ingest exactly as the pipe, IMAP and HTTP ways in do, into a fresh
database (var/bench-mail.sqlite3, or the PostgreSQL database "supportal_bench_mail"), with
uploads in a temporary folder. Reported: messages per second over the whole run and per tenth
of it, the fates, and the process's resident memory after each tenth (it must stay flat). The
acknowledgements to new requests' senders, which the worker writes after each commit, are
then drained and timed apart.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import time
from collections import Counter
from typing import Any

from supportal.bench import ROOT, fresh_database, on_each_database, out

EVAL = ROOT.parent / "shared" / "eval" / "mail"


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup(database: str) -> None:
    os.environ["MAIL_SENDER_HOURLY_LIMIT"] = "1000000"
    fresh_database(database, name="supportal_bench_mail", log_level="ERROR")


def corpus() -> list[bytes]:
    files = [
        EVAL / line.split("\t")[0]
        for line in (EVAL / "MANIFEST.tsv").read_text().splitlines()[1:]
        if line.strip()
    ]
    return [path.read_bytes() for path in files if path.suffix == ".eml"]


_HEADER = re.compile(rb"^(message-id|from):[^\r\n]*\r?\n([ \t][^\r\n]*\r?\n)*", re.I | re.M)


def variant(raw: bytes, n: int) -> bytes:
    """The message as a new one: its own Message-ID and sender, the rest untouched."""
    sep = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
    head, _sep, body = raw.partition(sep)
    head = _HEADER.sub(b"", head + b"\n")
    new = (
        f"Message-ID: <bench-{n}@bench.test>\nFrom: Bench {n % 500} <sender{n % 500}@bench.test>\n"
    ).encode()
    return new + head.rstrip(b"\r\n") + sep + body


def ingest_share(
    mailbox: Any, messages: list[bytes], count: int, worker: int, workers: int
) -> None:
    """Ingests messages worker, worker + workers, ...; prints a row every tenth of the run."""
    from supportal.mail.models import InboundEmail
    from supportal.mail.services import mail_ingest

    tenth = max(1, count // 10)
    last = time.perf_counter()
    step = tenth // workers or 1
    for done, n in enumerate(range(worker, count, workers), start=1):
        mail_ingest(
            raw=variant(messages[n % len(messages)], n),
            mailbox=mailbox,
            source=InboundEmail.Source.PIPE,
        )
        if done % step == 0 and worker == 0:
            now = time.perf_counter()
            rate = step * workers / (now - last)
            out(f"| {n + 1:,} | {rate:.0f} | {rss_mb():.0f} |")
            last = now


def run(database: str, count: int, workers: int) -> None:
    setup(database)
    from django.db import connection, connections

    from supportal.mail.models import InboundEmail, Mailbox

    mailbox = Mailbox.objects.create(address="help@bench.test", delivery=Mailbox.Delivery.PIPE)
    messages = corpus()
    out(
        f"\n{connection.vendor}: {count:,} messages from {len(messages)} real ones, "
        f"{workers} process{'es' if workers > 1 else ''}\n"
    )
    out("| messages | msgs/s (this tenth) | RSS MB (first process) |")
    out("|---:|---:|---:|")
    started = time.perf_counter()
    if workers == 1:
        ingest_share(mailbox, messages, count, 0, 1)
    else:
        # Separate processes, as mail arrives in production (an MTA runs the pipe command once
        # per message, gunicorn has several workers): each with its own connection.
        connections.close_all()
        children = []
        for worker in range(workers):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    ingest_share(mailbox, messages, count, worker, workers)
                except BaseException:  # report it, then leave the child either way
                    import traceback

                    traceback.print_exc()
                    code = 1
                finally:
                    connections.close_all()
                    os._exit(code)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
    elapsed = time.perf_counter() - started
    fates = Counter(InboundEmail.objects.values_list("fate", flat=True))
    out(f"\n{connection.vendor}: {count / elapsed:.0f} messages/s over {elapsed:.1f} s; ")
    out("fates: " + ", ".join(f"{fate} {n:,}" for fate, n in sorted(fates.items())))
    acknowledge_all()


def acknowledge_all() -> None:
    """The worker's part, timed apart: the acknowledgement of each new request (sign-in link,
    templates in the sender's language, MIME, thread headers, outbox row), as acknowledge_email
    does after each commit."""
    from supportal.mail.models import InboundEmail
    from supportal.mail.services import inbound_acknowledge

    pending = list(InboundEmail.objects.filter(ack_pending=True).values_list("pk", flat=True))
    started = time.perf_counter()
    sent = sum(inbound_acknowledge(pk=pk) for pk in pending)
    elapsed = time.perf_counter() - started
    out(f"acknowledgements (the worker, after the commit): {sent:,} at {sent / elapsed:.0f}/s")


def run_imap(database: str, count: int) -> None:
    """A backlog of `count` messages in a real Dovecot (loopback, TLS) drained by the poller,
    batch after batch, as the worker would: throughput and the process's memory."""
    setup(database)
    from django.conf import settings
    from django.db import connection

    from supportal.mail.imap import mailbox_poll
    from supportal.mail.models import InboundEmail, Mailbox
    from supportal.mail.tests.dovecot import running_dovecot

    messages = corpus()
    with running_dovecot() as server:
        user, password = server.add_user()
        server.deliver(user, (variant(messages[n % len(messages)], n) for n in range(count)))
        settings.MAIL_IMAP_CA_FILE = str(server.ca_file)
        mailbox = Mailbox(
            address="imap@bench.test",
            delivery=Mailbox.Delivery.IMAP,
            imap_host=server.host,
            imap_port=server.imaps_port,
            imap_user=user,
        )
        mailbox.imap_password = password
        mailbox.save()
        batch = settings.MAIL_IMAP_BATCH
        out(f"\n{connection.vendor}: an IMAP backlog of {count:,} messages, batches of {batch}\n")
        out("| stored | msgs/s (this batch) | RSS MB |\n|---:|---:|---:|")
        started = time.perf_counter()
        stored = 0
        while stored < count:
            last = time.perf_counter()
            result = mailbox_poll(Mailbox.objects.get(pk=mailbox.pk))
            if result.error or not result.fetched:
                out(f"stopped: {result.error or 'nothing fetched'}")
                break
            stored += result.stored
            if stored % (settings.MAIL_IMAP_BATCH * 10) < settings.MAIL_IMAP_BATCH:
                rate = result.fetched / (time.perf_counter() - last)
                out(f"| {stored:,} | {rate:.0f} | {rss_mb():.0f} |")
        elapsed = time.perf_counter() - started
        seen = len(server.seen_uids(user))
    rows = InboundEmail.objects.filter(mailbox=mailbox).count()
    out(f"\n{connection.vendor}: {stored / elapsed:.0f} messages/s from IMAP over {elapsed:.1f} s;")
    out(f"{rows:,} stored, {seen:,} marked read on the server")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--processes", type=int, default=1, help="ingesting side by side")
    parser.add_argument("--imap", action="store_true", help="drain an IMAP backlog instead")
    args = parser.parse_args(argv)
    if args.database != "both":
        if args.imap:
            run_imap(args.database, args.messages)
        else:
            run(args.database, args.messages, args.processes)
        return
    arguments = ["--messages", str(args.messages), "--processes", str(args.processes)]
    on_each_database("supportal.bench.mail", arguments + ["--imap"] * args.imap)


if __name__ == "__main__":
    main()
