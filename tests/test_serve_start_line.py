"""`rag serve`'s start line names addresses a browser can open (never http://0.0.0.0/)."""

from __future__ import annotations

import re

import pytest

from ui.addresses import lan_addresses, start_line


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_wildcard_bind_prints_loopback_and_lan_addresses(host, monkeypatch):
    import ui.addresses as addresses

    monkeypatch.setattr(addresses, "lan_addresses", lambda: ["192.168.1.20"])
    line = start_line(host, 7861)
    assert "http://127.0.0.1:7861/" in line and "http://192.168.1.20:7861/" in line
    assert "0.0.0.0:" not in line and "[::]" not in line


def test_a_specific_host_is_printed_as_given():
    assert "http://127.0.0.1:7860/" in start_line("127.0.0.1", 7860)
    assert "http://[::1]:7860/" in start_line("::1", 7860)


def test_lan_addresses_are_real_non_loopback_ipv4():
    for address in lan_addresses():  # may be empty on a machine without a network
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", address) and not address.startswith("127.")
