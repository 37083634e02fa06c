"""`andon vendor` copies front-end files from node_modules; templates only use listed icons."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from andon.core import vendor


def fake_node_modules(root: Path) -> Path:
    for asset in vendor.ASSETS:
        path = root / asset.package / asset.source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {asset.package} */")
    icons = root / "@tabler/icons/icons/outline"
    icons.mkdir(parents=True)
    for name in vendor.ICONS:
        (icons / f"{name}.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" class="icon">\n'
            '  <path stroke="none" d="M0 0h24v24H0z" fill="none"/>\n'
            f'  <path d="M1 1h{len(name)}" />\n</svg>\n'
        )
    return root


def test_vendor_copies_assets_and_builds_the_sprite(tmp_path):
    node_modules = fake_node_modules(tmp_path / "node_modules")
    target = tmp_path / "static" / "vendor"
    written = vendor.vendor(node_modules=node_modules, target=target, log=lambda _line: None)
    assert (target / "htmx/htmx.min.js").read_text() == "/* htmx.org */"
    assert (target / "tabler/css/tabler.min.css").exists()
    assert (target / "tabler/css/tabler.min.css.map").exists()
    assert (target / "alpinejs/alpine.min.js").exists()
    assert (target / "echarts/echarts.min.js").exists()
    sprite = (target / vendor.SPRITE_TARGET).read_text()
    assert sprite.count("<symbol ") == len(vendor.ICONS)
    assert '<symbol id="bell" viewBox="0 0 24 24"><path d="M1 1h4" /></symbol>' in sprite
    assert 'stroke="none"' not in sprite
    assert len(written) >= len(vendor.ASSETS) - 3


def test_vendor_fails_clearly_without_npm_ci(tmp_path, monkeypatch):
    with pytest.raises(vendor.VendorError, match="npm ci"):
        vendor.vendor(node_modules=tmp_path / "missing", target=tmp_path / "out")
    monkeypatch.setattr(vendor, "NODE_MODULES", tmp_path / "missing")
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "out")
    with pytest.raises(CommandError, match="npm ci"):
        call_command("vendor")


def test_vendor_command(tmp_path, monkeypatch):
    monkeypatch.setattr(vendor, "NODE_MODULES", fake_node_modules(tmp_path / "node_modules"))
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "out")
    out = io.StringIO()
    call_command("vendor", stdout=out)
    assert "Vendored" in out.getvalue()
    assert (tmp_path / "out" / "htmx/htmx.min.js").exists()


def test_every_icon_used_in_templates_is_vendored():
    import re

    templates = Path(vendor.settings.BASE_DIR) / "templates"
    used = set()
    for path in templates.rglob("*.html"):
        used |= set(re.findall(r'{% icon "([a-z-]+)"', path.read_text()))
    assert used, "templates use icons"
    assert used <= set(vendor.ICONS)


def test_package_json_pins_the_libraries():
    import json

    package = json.loads((Path(vendor.settings.PROJECT_DIR) / "package.json").read_text())
    deps = package["dependencies"]
    for name in ("@tabler/core", "htmx.org", "alpinejs", "echarts", "@tabler/icons"):
        assert deps[name][0].isdigit(), f"{name} must be pinned exactly"
    assert deps["htmx.org"].startswith("2.")
    assert deps["alpinejs"].startswith("3.")
    assert deps["echarts"].startswith("6.")
    lock = Path(vendor.settings.PROJECT_DIR) / "package-lock.json"
    assert lock.exists()
