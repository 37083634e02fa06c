"""The import graph of the `andon` package, and where each module sits in DESIGN.md §4 "Layers".

Every `import` / `from … import` anywhere in a module counts, at module level or inside a function:
a deferred import is still a dependency, it only hides a cycle from Python. Implicit imports of a
parent package (importing `a.b.c` runs `a/b/__init__.py`) are not edges, so a package that
re-exports its submodules is not a cycle.

Run `python -m tests.layers_graph` for a summary."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "andon"

CORE, CONFIGURATION, TICKETS, SUBSCRIBERS, CHANNELS, ADAPTERS = range(6)
LAYER_NAMES = {
    CORE: "core",
    CONFIGURATION: "configuration",
    TICKETS: "tickets",
    SUBSCRIBERS: "subscribers",
    CHANNELS: "channels",
    ADAPTERS: "web/api adapters",
}

APP_LAYERS = {
    "core": CORE,
    "audit": CORE,
    "accounts": CONFIGURATION,
    "queues": CONFIGURATION,
    "catalog": CONFIGURATION,
    "fields": CONFIGURATION,
    "tickets": TICKETS,
    "ola": SUBSCRIBERS,
    "notifications": SUBSCRIBERS,
    "knowledge": SUBSCRIBERS,
    "reports": SUBSCRIBERS,
    # Desk tools built on the ticket services (tags, bulk actions, canned replies).
    "tags": SUBSCRIBERS,
    "bulk": SUBSCRIBERS,
    "macros": SUBSCRIBERS,
    "followup": SUBSCRIBERS,
    "csat": SUBSCRIBERS,
    # The ticket full-text index (an after-commit subscriber) and per-person saved list views.
    "ticketsearch": SUBSCRIBERS,
    "savedviews": SUBSCRIBERS,
    "wecom": CHANNELS,
    "customers": CHANNELS,
    "portal": CHANNELS,
    # Operations (health, backup, retention, request logs) read and prune every app's tables.
    "ops": ADAPTERS,
    # The demo replays a desk's history through the services of every app.
    "demo": ADAPTERS,
}
# Modules that sit elsewhere than their app. OLA's calendars (and the models holding calendars and
# policies) are configuration, set up before any ticket exists, and business-time arithmetic is
# pure; policy writes stay with the engine (they read the queue's history to recommend). The
# method policy in core is the HTTP face of every permission check (DRF classes, middleware).
MODULE_LAYERS = {
    "andon.ola.models": CONFIGURATION,
    "andon.ola.businesstime": CONFIGURATION,
    "andon.ola.calendar_services": CONFIGURATION,
    "andon.core.permissions": ADAPTERS,
}
# The web and API faces of every app, and the project's composition roots.
ADAPTER_MODULES = {
    "views",
    "api",
    "urls",
    "api_urls",
    "admin_urls",
    "admin_views",
    "config_urls",
    "config_views",
    "forms",
    "serializers",
    "filters",
    "middleware",
    "context_processors",
    "templatetags",
    "management",
}
ROOT_MODULES = {  # andon/<name>.py
    "settings",
    "urls",
    "web_urls",
    "api_urls",
    "config_urls",
    "cli",
    "demo",
    "asgi",
    "wsgi",
    "__init__",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found[module_name(path)] = path
    return found


def _resolve(name: str, known: set[str]) -> str | None:
    """The longest known module that `name` is or lies in."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                # `from a.b import c` names module a.b.c when it exists, else an attribute of a.b.
                targets.add(f"{source}.{alias.name}" if alias.name != "*" else source)
    edges = set()
    for target in targets:
        if not (target == PACKAGE or target.startswith(PACKAGE + ".")):
            continue
        resolved = _resolve(target, known)
        if resolved and resolved != module:
            edges.add(resolved)
    return edges


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in APP_LAYERS) else "project"


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] in ROOT_MODULES):
        return ADAPTERS
    if any(part in ADAPTER_MODULES for part in parts[2:]):
        return ADAPTERS
    if module in MODULE_LAYERS:
        return MODULE_LAYERS[module]
    if parts[1] not in APP_LAYERS:
        raise KeyError(f"{module}: put the app {parts[1]!r} in a layer (tests/layers_graph.py)")
    return APP_LAYERS[parts[1]]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return sorted(result)


def app_graph(
    edges: dict[str, set[str]], *, ignore: Iterable[tuple[str, str]] = ()
) -> dict[str, set[str]]:
    """Apps and the arrows between them, for the domain modules (adapters left out: the web
    pages of one app may show what several others provide, and nothing imports them)."""
    ignored = set(ignore)
    apps: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        if layer_of(source) == ADAPTERS:
            continue
        apps[app_of(source)]
        for target in targets:
            if (source, target) in ignored:
                continue
            if layer_of(target) != ADAPTERS and app_of(target) != app_of(source):
                apps[app_of(source)].add(app_of(target))
    return dict(apps)


def upward_arrows(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (source, target)
        for source, targets in edges.items()
        for target in targets
        if layer_of(target) > layer_of(source)
    )


def summary() -> str:
    edges = graph()
    arrows = sum(len(t) for t in edges.values())
    module_cycles = cycles(edges)
    apps = app_graph(edges)
    app_cycles = cycles(apps)
    up = upward_arrows(edges)
    lines = [
        f"{len(edges)} modules, {arrows} import arrows",
        f"module cycles: {len(module_cycles)}",
        *(f"  {' <-> '.join(c)}" for c in module_cycles),
        f"app cycles: {len(app_cycles)}",
        *(f"  {' <-> '.join(c)}" for c in app_cycles),
        f"upward arrows: {len(up)}",
        *(f"  {s} ({LAYER_NAMES[layer_of(s)]}) -> {t} ({LAYER_NAMES[layer_of(t)]})" for s, t in up),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
