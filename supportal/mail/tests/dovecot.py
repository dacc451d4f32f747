"""A private Dovecot (Debian's dovecot-imapd) on loopback, with TLS, for the IMAP tests.

One server per test process (pytest-xdist workers each start their own), one fresh user per
test, so tests never see each other's mail. The server listens on

- 127.0.0.1 and 127.0.0.2: an imaps port (implicit TLS) and an imap port (STARTTLS required
  before login). The certificate names "localhost" and 127.0.0.1 only, so 127.0.0.2 is the
  host-name-mismatch case, with the same trusted CA;
- 127.0.0.3: the same imap port without TLS at all, the "server does not offer STARTTLS" case.

The CA is made at start with `cryptography`; tests point settings.MAIL_IMAP_CA_FILE at
`ca_file`. Mail is Maildir under the server's directory, owned by the `dovecot` user that the
mail processes run as (they refuse uid 0).
"""

from __future__ import annotations

import ctypes
import datetime
import email.utils
import imaplib
import ipaddress
import itertools
import os
import pwd
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from supportal.lib.net import free_port

DOVECOT = Path("/usr/sbin/dovecot")
MISSING = (
    f"{DOVECOT} is missing: the IMAP tests need a real Dovecot. Install it with "
    "`make mailserver` (as root: apt-get install dovecot-imapd)."
)
HOST = "127.0.0.1"
MISMATCH_HOST = "127.0.0.2"  # same server, but not a name on the certificate
PLAIN_HOST = "127.0.0.3"  # same server, no TLS offered at all
USER_POOL = 500
PR_SET_PDEATHSIG = 1  # prctl(2)

CONFIG = """\
protocols = imap
listen = {host}, {mismatch_host}, {plain_host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/tls/server.pem
ssl_key = <{root}/tls/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Tests check wrong passwords; the default 2 s delay would only slow them down.
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
mail_fsync = never
default_login_user = dovenull
default_internal_user = root
default_internal_group = root
# Mail processes refuse uid 0: they run as the 'dovecot' user.
first_valid_uid = 100
first_valid_gid = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  chroot =
}}
service anvil {{
  chroot =
  # No growing delay for logins from an address that just failed one (the wrong-password
  # tests would slow every later test down).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
local {plain_host} {{
  ssl = no
  disable_plaintext_auth = no
}}
"""


def make_certificates(directory: Path) -> Path:
    """A throwaway CA and a server certificate for localhost/127.0.0.1 it signed; returns the
    CA file. The server's files are server.pem (certificate then CA) and server.key."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Supportal test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(pem))
    (directory / "server.pem").write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return ca_file


def make_message(
    n: int,
    *,
    subject: str | None = None,
    sender: str | None = None,
    to: str = "support@example.com",
    body: str = "",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A small, plain inbound message with a unique Message-ID. Each number has its own
    sender by default: ingestion holds a sender's mail beyond an hourly limit."""
    message_id = message_id or f"<t{n}.{secrets.token_hex(6)}@example.org>"
    sender = sender or f"customer{n}@example.org"
    return (
        f"From: Customer {n} <{sender}>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject if subject is not None else f'Question {n}'}\r\n"
        f"Date: {email.utils.formatdate(localtime=False)}\r\n"
        f"Message-ID: {message_id}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        + "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body or f'Hello, this is question number {n}.'}\r\n"
    ).encode()


class Dovecot:
    """One running Dovecot. Methods that read or change mail log in as the given user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = HOST
        self.mismatch_host = MISMATCH_HOST
        self.plain_host = PLAIN_HOST
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.ca_file = make_certificates(root / "tls")
        self.users_file = root / "users"
        self.log_file = root / "dovecot.log"
        self._passwords: dict[str, str] = {}
        self._numbers = itertools.count(1)
        self._spare: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        owner = pwd.getpwnam("dovecot")
        self._uid, self._gid = owner.pw_uid, owner.pw_gid

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        if not DOVECOT.exists():
            raise RuntimeError(MISSING)
        # Login and mail processes run as other users and must reach their files.
        self.root.chmod(0o755)
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(exist_ok=True)
        os.chown(self.root / "mail", self._uid, self._gid)
        # Dovecot notices a changed users file only now and then, so the users that tests
        # ask for are written before it starts.
        self._spare = [f"user{next(self._numbers):04d}@example.test" for _ in range(USER_POOL)]
        lines = []
        for user in self._spare:
            self._passwords[user] = secrets.token_urlsafe(12)
            lines.append(f"{user}:{{PLAIN}}{self._passwords[user]}\n")
        self.users_file.write_text("".join(lines))
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                host=HOST,
                mismatch_host=MISMATCH_HOST,
                plain_host=PLAIN_HOST,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
            )
        )
        # In the foreground, as our child, told to stop when we die: a test run that is killed
        # leaves no Dovecot behind. Output goes to a file (a pipe could fill up and block it).
        with (self.root / "start.out").open("wb") as out:
            self._process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_stop_with_parent,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with imaplib.IMAP4_SSL(
                    HOST, self.imaps_port, ssl_context=self.ssl_context(), timeout=2
                ):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start:\n{self.diagnostics()}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def diagnostics(self) -> str:
        parts = []
        for path in (self.root / "start.out", self.log_file):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    # --- users ---------------------------------------------------------------------------

    def add_user(self) -> tuple[str, str]:
        """A user nobody has used yet (an empty INBOX), and its password."""
        if not self._spare:
            # Rare: more tests than the pool. Add users and wait until Dovecot reads them.
            more = [f"user{next(self._numbers):04d}@example.test" for _ in range(USER_POOL)]
            with self.users_file.open("a") as users:
                for user in more:
                    self._passwords[user] = secrets.token_urlsafe(12)
                    users.write(f"{user}:{{PLAIN}}{self._passwords[user]}\n")
            self._spare = more
            self._wait_for_user(more[-1])
        user = self._spare.pop(0)
        return user, self._passwords[user]

    def _wait_for_user(self, user: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with self.session(user, folder=None):
                    return
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def password(self, user: str) -> str:
        return self._passwords[user]

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.root / "mail" / user
        return base if folder == "INBOX" else base / f".{folder}"

    # --- mail, as the user, over IMAP ----------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    @contextmanager
    def session(self, user: str, folder: str | None = "INBOX") -> Iterator[imaplib.IMAP4_SSL]:
        imap = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=self.ssl_context(), timeout=30)
        try:
            imap.login(user, self._passwords[user])
            if folder is not None:
                _check(imap.select(_quote(folder)))
            yield imap
        finally:
            with suppress(imaplib.IMAP4.error, OSError):
                imap.logout()

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: str = "") -> int:
        """Appends one message; returns its UID (Dovecot answers APPENDUID)."""
        return self.append_many(user, [raw], folder=folder, flags=flags)[0]

    def append_many(
        self, user: str, raws: Iterable[bytes], folder: str = "INBOX", flags: str = ""
    ) -> list[int]:
        uids = []
        with self.session(user, folder=None) as imap:
            for raw in raws:
                typ, data = imap.append(_quote(folder), f"({flags})" if flags else None, None, raw)
                _check((typ, data))
                match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
                assert match, data
                uids.append(int(match.group(1)))
        return uids

    def deliver(self, user: str, raws: Iterable[bytes], folder: str = "INBOX") -> int:
        """Writes messages straight into the user's Maildir (as a local delivery agent would):
        far faster than APPEND for a big backlog. Dovecot gives them UIDs in file-name order
        when it next looks. Returns how many were written."""
        base = self.maildir(user, folder)
        self._ensure_maildir(base)
        count = 0
        stamp = int(time.time())
        for count, raw in enumerate(raws, start=1):
            # Maildir names: time.unique.host; zero-padded so name order is delivery order.
            name = f"{stamp}.M{count:08d}P{os.getpid()}.supportal-test"
            tmp = base / "tmp" / name
            tmp.write_bytes(raw)
            os.chown(tmp, self._uid, self._gid)
            tmp.rename(base / "new" / name)
        return count

    def _ensure_maildir(self, base: Path) -> None:
        for path in (base.parent, base, base / "cur", base / "new", base / "tmp"):
            if not path.exists():
                path.mkdir()
                os.chown(path, self._uid, self._gid)

    def create_folder(self, user: str, folder: str) -> None:
        with self.session(user, folder=None) as imap:
            _check(imap.create(_quote(folder)))

    def delete_folder(self, user: str, folder: str) -> None:
        with self.session(user, folder=None) as imap:
            _check(imap.delete(_quote(folder)))

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.session(user, folder=None) as imap:
            typ, data = imap.status(_quote(folder), "(UIDVALIDITY)")
            _check((typ, data))
            match = re.search(rb"UIDVALIDITY (\d+)", data[0])
            assert match, data
            return int(match.group(1))

    def flags(self, user: str, uid: int, folder: str = "INBOX") -> set[str]:
        with self.session(user, folder) as imap:
            typ, data = imap.uid("FETCH", str(uid), "(FLAGS)")
            _check((typ, data))
            found = [item for item in data if item]
            assert found, f"no message with UID {uid}"
            match = re.search(rb"FLAGS \(([^)]*)\)", found[0])
            assert match, data
            return set(match.group(1).decode().split())

    def uids(self, user: str, folder: str = "INBOX", criteria: str = "ALL") -> set[int]:
        with self.session(user, folder) as imap:
            typ, data = imap.uid("SEARCH", criteria)
            _check((typ, data))
            return {int(uid) for uid in data[0].split()}

    def seen_uids(self, user: str, folder: str = "INBOX") -> set[int]:
        return self.uids(user, folder, "SEEN")


@dataclass
class Account:
    """The `dovecot` fixture: one fresh user on the shared server, and its mail."""

    server: Dovecot
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def imaps_port(self) -> int:
        return self.server.imaps_port

    @property
    def imap_port(self) -> int:
        return self.server.imap_port

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    @property
    def users_file(self) -> Path:
        return self.server.users_file

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "") -> int:
        return self.server.append(self.user, raw, folder=folder, flags=flags)

    def append_many(self, raws: Iterable[bytes], folder: str = "INBOX") -> list[int]:
        return self.server.append_many(self.user, raws, folder=folder)

    def deliver(self, raws: Iterable[bytes], folder: str = "INBOX") -> int:
        return self.server.deliver(self.user, raws, folder=folder)

    def create_folder(self, folder: str) -> None:
        self.server.create_folder(self.user, folder)

    def delete_folder(self, folder: str) -> None:
        self.server.delete_folder(self.user, folder)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.uidvalidity(self.user, folder)

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        return self.server.flags(self.user, uid, folder)

    def uids(self, folder: str = "INBOX") -> set[int]:
        return self.server.uids(self.user, folder)

    def seen_uids(self, folder: str = "INBOX") -> set[int]:
        return self.server.seen_uids(self.user, folder)


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Starts a Dovecot in a fresh directory and stops and removes it afterwards. A short
    path under /tmp: Dovecot's sockets live in it, and socket paths are limited to 108 bytes."""
    if not DOVECOT.exists():
        raise RuntimeError(MISSING)
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response: tuple[str, list]) -> None:
    typ, data = response
    assert typ == "OK", f"IMAP said {typ}: {data!r}"
