"""Outgoing HTTP to addresses that users enter (webhooks): only to the public internet unless the
installation allows private targets (`ANDON_WEBHOOK_ALLOW_PRIVATE`).

A URL that names a public host can still resolve to 127.0.0.1 or 169.254.169.254 (a cloud's
metadata service) — now, or later when its DNS record changes. So the check is made on the
addresses the name resolves to, at save time and again at send time, and the send then connects to
the very address that was checked (the host name goes in the Host header and the TLS SNI), which
closes the gap between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(Exception):
    """The URL may not be called; the message says why (shown to admins)."""


@dataclass(frozen=True)
class Target:
    url: str  # what to connect to: the URL with its host replaced by the checked address
    host: str  # the original host, for the Host header and TLS
    host_header: str


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(_("无法解析主机名 %s") % host) from exc
    # An IPv6 link-local answer may carry a zone ("fe80::1%eth0").
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _parts(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("请填写 http:// 或 https:// 开头的有效地址"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget(_("端口不正确")) from exc
    return parts, port


def refuse_private(url: str, *, allow_private: bool, unresolvable_ok: bool = False) -> None:
    """Raise UnsafeTarget when `url` points at a loopback, private, link-local or otherwise
    non-public address. With `unresolvable_ok` a name that does not resolve (yet) passes: it is
    checked again each time it is used."""
    if allow_private:
        return
    parts, port = _parts(url)
    try:
        addresses = _resolve(parts.hostname, port)
    except UnsafeTarget:
        if not unresolvable_ok:
            raise
        return
    _refuse_non_public(parts.hostname, addresses)


def _refuse_non_public(host: str, addresses: list[Address]) -> None:
    for address in addresses:
        if not is_public(address):
            raise UnsafeTarget(
                _("不允许发送到内网、本机或链路本地地址（%(host)s → %(address)s）")
                % {"host": host, "address": address}
            )


def pinned_target(url: str, *, allow_private: bool) -> Target:
    """Resolve `url` once, check every address, and return a URL that connects to the first
    one. Raises UnsafeTarget."""
    parts, port = _parts(url)
    addresses = _resolve(parts.hostname, port)
    if not addresses:
        raise UnsafeTarget(_("无法解析主机名 %s") % parts.hostname)
    if not allow_private:
        _refuse_non_public(parts.hostname, addresses)
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # 例子.中国 → xn--fsqu00a.xn--fiqs8s
    except UnicodeError as exc:
        raise UnsafeTarget(_("无法解析主机名 %s") % parts.hostname) from exc
    host_literal = f"[{host}]" if ":" in host else host
    suffix = f":{parts.port}" if parts.port else ""
    return Target(
        url=urlunsplit((parts.scheme, literal + suffix, parts.path or "/", parts.query, "")),
        host=host,
        host_header=host_literal + suffix,
    )
