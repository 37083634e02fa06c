"""Copy the front-end libraries from node_modules (installed by `npm ci` from package.json and its
lockfile) into andon/static/vendor/, so pages are served entirely from this host: intranets have no
CDN. Run as `andon vendor` / `python -m django vendor`; the Makefile runs it after `npm ci`.

The icon sprite holds only the Tabler icons the templates use (`{% icon "name" %}`); add a name to
ICONS when a template needs a new one.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

VENDOR_DIR = Path(settings.BASE_DIR) / "static" / "vendor"
NODE_MODULES = Path(settings.PROJECT_DIR) / "node_modules"


@dataclass(frozen=True)
class Asset:
    package: str
    source: str  # path inside the package
    target: str  # path inside static/vendor
    required: bool = True


# Source maps are copied with their files: the manifest storage rewrites `sourceMappingURL`
# comments and fails on a map that is missing.
ASSETS: tuple[Asset, ...] = (
    Asset("@tabler/core", "dist/css/tabler.min.css", "tabler/css/tabler.min.css"),
    Asset("@tabler/core", "dist/css/tabler.min.css.map", "tabler/css/tabler.min.css.map"),
    Asset("@tabler/core", "dist/js/tabler.min.js", "tabler/js/tabler.min.js"),
    Asset("@tabler/core", "dist/js/tabler.min.js.map", "tabler/js/tabler.min.js.map"),
    Asset("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    Asset("htmx.org", "LICENSE", "htmx/LICENSE", required=False),
    Asset("alpinejs", "dist/cdn.min.js", "alpinejs/alpine.min.js"),
    Asset("echarts", "dist/echarts.min.js", "echarts/echarts.min.js"),
    Asset("echarts", "LICENSE", "echarts/LICENSE", required=False),
    Asset("@tabler/icons", "LICENSE", "tabler-icons/LICENSE", required=False),
    # The official WeCom JS-SDK (`ww`), for the chat sidebar; it talks to the WeCom client.
    Asset("@wecom/jssdk", "dist/wecom.global.prod.js", "wecom-jssdk/wecom.global.prod.js"),
)

ICONS: tuple[str, ...] = (
    "adjustments",
    "alert-circle",
    "alert-triangle",
    "arrow-back-up",
    "arrow-right",
    "arrows-exchange",
    "ban",
    "bell",
    "bell-off",
    "book",
    "bulb",
    "chart-bar",
    "check",
    "chevron-down",
    "chevron-left",
    "chevron-right",
    "circle-check",
    "clock",
    "clock-check",
    "download",
    "eye-off",
    "file",
    "filter",
    "filter-off",
    "git-merge",
    "hand-grab",
    "help-circle",
    "home",
    "hourglass",
    "inbox",
    "info-circle",
    "language",
    "link",
    "list",
    "lock",
    "login",
    "logout",
    "mail-opened",
    "message",
    "message-circle",
    "message-plus",
    "paperclip",
    "player-play",
    "plus",
    "refresh",
    "rotate",
    "search",
    "send",
    "settings",
    "speakerphone",
    "star",
    "ticket",
    "urgent",
    "user",
    "user-check",
    "users",
    "world",
    "x",
)

SPRITE_TARGET = "tabler-icons/sprite.svg"
_SVG_BODY = re.compile(r"<svg[^>]*>(?P<body>.*)</svg>", re.S)
_EMPTY_FRAME = '<path stroke="none" d="M0 0h24v24H0z" fill="none"/>'


class VendorError(RuntimeError):
    pass


def build_sprite(icon_dir: Path, names=ICONS) -> str:
    symbols = []
    for name in names:
        path = icon_dir / f"{name}.svg"
        if not path.exists():
            raise VendorError(f"icon {name!r} not found in {icon_dir}")
        match = _SVG_BODY.search(path.read_text(encoding="utf-8"))
        if match is None:
            raise VendorError(f"cannot read icon {path}")
        body = " ".join(match.group("body").replace(_EMPTY_FRAME, "").split())
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24">{body}</symbol>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" style="display:none">'
        "<!-- Tabler Icons, MIT licence, https://tabler.io/icons -->"
        + "".join(symbols)
        + "</svg>\n"
    )


def vendor(
    *, node_modules: Path | None = None, target: Path | None = None, log=print
) -> list[Path]:
    """Copy every asset and build the icon sprite; returns the written paths."""
    node_modules = node_modules or NODE_MODULES
    target = target or VENDOR_DIR
    if not node_modules.is_dir():
        raise VendorError(f"{node_modules} does not exist; run `npm ci` first")
    if target.exists():
        shutil.rmtree(target)
    written: list[Path] = []
    for asset in ASSETS:
        source = node_modules / asset.package / asset.source
        if not source.exists():
            if asset.required:
                raise VendorError(f"{source} is missing; run `npm ci`")
            continue
        destination = target / asset.target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        written.append(destination)
        log(f"  {asset.package}/{asset.source} -> {destination.relative_to(target.parent)}")
    sprite = target / SPRITE_TARGET
    sprite.parent.mkdir(parents=True, exist_ok=True)
    sprite.write_text(build_sprite(node_modules / "@tabler/icons/icons/outline"), encoding="utf-8")
    written.append(sprite)
    log(f"  {len(ICONS)} Tabler icons -> {sprite.relative_to(target.parent)}")
    return written
