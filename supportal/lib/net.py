from __future__ import annotations

import socket
import time


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_pair() -> int:
    """A free port whose next port is free too: `supportal serve` puts its chat server on the
    web port + 1."""
    while True:
        port = free_port()
        if port < 65535:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port


def wait_listening(port: int, timeout: float = 60.0) -> None:
    """Waits until something listens on loopback `port`; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on port {port}")
        time.sleep(0.1)
