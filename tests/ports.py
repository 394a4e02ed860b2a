"""Ports for the tests' own servers and listeners, chosen outside the kernel's ephemeral range.

    port = free_port()                 # for a server started with --port=...
    listener = listening_socket()      # bound and listening, for a connection that must not come

Jupyter kernels take their five ports the same way the operating system hands out a
client's port: ``bind(("127.0.0.1", 0))`` picks from the ephemeral range
(``/proc/sys/net/ipv4/ip_local_port_range``, 32768-60999 by default), closes the socket
and gives the number to the kernel, which binds it a moment later. A test's listener bound
to port 0 in another worker in that moment takes the kernel's port: the kernel dies at
start ("Kernel didn't respond in 60 seconds"), and its client, which keeps reconnecting,
lands on the listener as a connection nobody made. A port below that range is never
handed out by ``bind(0)``, so the tests' ports and the kernels' cannot meet.
"""
from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 10000  # below: ports that well-known and registered services expect to own


def ephemeral_range() -> tuple[int, int]:
    """The operating system's range for bind(0), e.g. (32768, 60999)."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _candidates() -> list[int]:
    low, high = ephemeral_range()
    ports = [p for p in range(LOWEST, 65536) if not low <= p <= high] or list(range(LOWEST, 65536))
    random.SystemRandom().shuffle(ports)  # two workers asking at once pick different ports
    return ports


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to a free port outside the ephemeral range, already listening."""
    for port in _candidates()[:500]:
        sock = socket.socket()
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            continue
        sock.listen()
        return sock
    raise OSError("no free port outside the ephemeral range")


def free_port(host: str = "127.0.0.1") -> int:
    """A port outside the ephemeral range that was free a moment ago (a server binds it next)."""
    with listening_socket(host) as sock:
        return sock.getsockname()[1]
