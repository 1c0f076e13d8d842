"""Outgoing HTTP to addresses partners give us (webhooks), safe from SSRF.

An address is refused when it is, or resolves to, a private, loopback, link-local, shared,
multicast or otherwise non-public address (an IPv6 address that carries an IPv4 one, mapped,
NAT64 or 6to4, is judged by the IPv4 address; Teredo, local NAT64, site-local and
IPv4-compatible forms are refused outright), unless an operator allowed its network
(``WEBHOOK_ALLOW_NETWORKS``); plain http only to such allowed networks. The check runs when the
address is given and again at every connection, which goes to the very address that was
checked (a DNS answer that changes in between cannot redirect it), with TLS verified against the
host name. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_RESPONSE_BYTES = 64 * 1024


class Refused(ValueError):
    """The address may not be called; the message says why, for the partner to read."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None
    duration_ms: int


def networks(setting: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n.strip()) for n in setting.split(",") if n.strip())


# IPv6 forms that carry an IPv4 address (``ipaddress`` calls most of them global, whatever
# they carry): judged by the IPv4 address inside.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, the well-known prefix
# Refused outright: local-use NAT64 (RFC 8215), Teredo tunnels (RFC 4380), site-local (RFC 3879,
# deprecated but still routed by some networks) and IPv4-compatible addresses (RFC 4291,
# deprecated; ``::127.0.0.1``).
NEVER: tuple[ipaddress.IPv6Network, ...] = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("2001::/32"),
    ipaddress.IPv6Network("fec0::/10"),
    ipaddress.IPv6Network("::/96"),
)


def _judged(address: IPAddress) -> IPAddress | None:
    """The address to judge: the IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), the
    address itself otherwise; None for forms that are never called."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in NEVER):
        return None
    return address


def _public(address: IPAddress) -> bool:
    judged = _judged(address)
    return judged is not None and judged.is_global and not judged.is_multicast


def _allowed(address: IPAddress, allowed: Sequence[Network]) -> bool:
    return any(address in network for network in allowed)


def resolve(url: str, allowed: Sequence[Network] = ()) -> Target:
    """Check the address and resolve it; raise Refused with the reason otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("Not a valid URL.") from None
    if parts.scheme not in ("https", "http"):
        raise Refused("Use an https:// address.")
    if parts.username or parts.password:
        raise Refused("Credentials in the address are not allowed; verify the signature instead.")
    host = parts.hostname
    if not host:
        raise Refused("The address has no host.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"The host {host} cannot be resolved.") from None
    addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"The host {host} cannot be resolved.")
    for address in addresses:
        if not _public(address) and not _allowed(address, allowed):
            raise Refused(f"{host} is a private, loopback or link-local address ({address}).")
    if parts.scheme == "http" and not all(_allowed(a, allowed) for a in addresses):
        raise Refused("Use an https:// address.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    allowed: Sequence[Network] = (),
    ca_file: str | None = None,
) -> Answer:
    """POST ``body``; the status code, or why there is none. Never raises for the network."""
    started = time.monotonic()

    def answer(status: int | None, error: str | None) -> Answer:
        return Answer(status, error, int((time.monotonic() - started) * 1000))

    try:
        target = resolve(url, allowed)
    except Refused as refused:
        return answer(None, f"refused: {refused}")
    address = str(target.addresses[0])
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_file or None,
            maxsize=1,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, maxsize=1)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
            preload_content=False,
        )
        response.read(MAX_RESPONSE_BYTES)
        response.release_conn()
        return answer(response.status, None)
    except urllib3.exceptions.HTTPError as error:
        return answer(None, _describe(error))
    except OSError as error:
        return answer(None, f"connection failed: {error.strerror or error}"[:300])
    finally:
        pool.close()


def _describe(error: Exception) -> str:
    # NewConnectionError is a kind of ConnectTimeoutError in urllib3: ask about it first.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        reason = str(error).rsplit(": ", 1)[-1]
        return f"could not connect: {reason}"[:300]
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "timed out"
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS failed: {error}"[:300]
    return f"{type(error).__name__}: {error}"[:300]
