"""The addresses a browser can open for a server bound to a host (never ``http://0.0.0.0/``)."""

from __future__ import annotations

import socket

from .guard import WILDCARD_HOSTS


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (the outgoing interface's first)."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # UDP connect sends nothing; it picks the interface
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    return [a for a in dict.fromkeys(found) if not a.startswith("127.") and a != "0.0.0.0"]


def start_line(host: str, port: int) -> str:
    """What ``rag serve`` prints: the loopback address and, on a wildcard bind, the LAN ones."""
    if host not in WILDCARD_HOSTS:
        return f"Serving the chat UI at {_url(host, port)}  (JSON API: POST /api/ask)"
    lines = [f"Serving the chat UI on all interfaces (--host {host or '0.0.0.0'}):",
             f"  this machine:  {_url('127.0.0.1', port)}"]
    lines += [f"  on the network: {_url(address, port)}" for address in lan_addresses()]
    lines.append("  (JSON API: POST /api/ask)")
    return "\n".join(lines)
