"""The client's address: the peer's own, unless the peer is a proxy the operator trusts.

`X-Forwarded-For` is read only when the connection comes from an address in
`REPOVAULT_TRUSTED_PROXIES`; then the list is walked from the right (the hop nearest to us)
past every trusted proxy, and the first address that is not one is the client. Anything to
its left was written by the client itself and is never believed. Login throttling, logs and
the console all see the address this settles (`scope["client"]`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


class ForwardedFor:
    """Sets `scope["client"]` to the client's address (see the module docstring)."""

    def __init__(self, app: ASGIApp, trusted: Callable[[], Sequence[str]]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entries = tuple(self.trusted())
        if scope["type"] == "http" and entries and scope.get("client"):
            peer, port = scope["client"]
            header = b",".join(
                value for name, value in scope["headers"] if name == b"x-forwarded-for"
            ).decode("latin-1")
            address = client_address(peer, header, networks(entries))
            if address != peer:
                scope = dict(scope, client=(address, port))
        await self.app(scope, receive, send)
