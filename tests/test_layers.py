"""Imports read top-down (DESIGN.md §4 "Layers"): no import cycle between modules or between
apps, and no arrow pointing up the layer list except through a named port.

The graph and the layer of each module are built in tests/layers_graph.py; run
`python -m tests.layers_graph` to print it."""

from tests import layers_graph as g

# The named ports: where a lower layer needs something from a higher one, the lower layer
# offers a registry and the higher app registers into it from its AppConfig.ready(). The arrow
# then points down (higher app -> port), so no upward import is left to allow. Each entry is
# checked: the function exists and an app above the port's layer uses it.
KNOWN_PORTS: dict[str, str] = {
    "andon.tickets.events.subscribe": "ticket event subscribers (OLA, notifications, search, "
    "reports)",
    "andon.tickets.events.set_fanout_scheduler": "the Huey task that runs the after-commit fan-out",
    "andon.notifications.channels.register_sender": "channel senders (WeCom)",
    "andon.accounts.work.register_work": "work a person owns, handed over on deactivation "
    "(tickets)",
    "andon.accounts.chart.register_chart_owner": "who owns the org chart (WeCom)",
    "andon.tickets.visibility.register_scope": "who else reads a ticket (the team serving its "
    "customer)",
}

# Arrows and cycles known today that are not ports yet, each with what it is for and what removes
# it. The test also fails when one of them disappears, so these lists only shrink.
PENDING_ARROWS: dict[tuple[str, str], str] = {
    ("andon.queues.selectors", "andon.tickets.models"): (
        "dispatch candidates and the queue pages count unfinished tickets per member; "
        "wants a load port that tickets registers"
    ),
    ("andon.queues.selectors", "andon.catalog.models"): (
        "the queue-disable warning lists the catalog entries dispatching to the queue "
        "(queues <-> catalog); wants a port that catalog registers"
    ),
}
PENDING_CYCLES: dict[tuple[str, ...], str] = {
    ("andon.ola.engine", "andon.ola.selectors", "andon.ola.tasks"): (
        "the engine queues its step tasks and selectors reach back into the engine; "
        "owned by the OLA step-scheduling work (issue #15 item 5)"
    ),
    ("andon.wecom.orgsync", "andon.wecom.services", "andon.wecom.tasks"): (
        "WeCom services queue their own tasks; wants the task port the other apps use"
    ),
}


def _edges():
    return g.graph()


def test_the_graph_sees_function_level_imports():
    edges = _edges()
    # ola.engine imports record_event inside a function: still an arrow.
    assert "andon.tickets.events" in edges["andon.ola.engine"]
    assert "andon.tickets.models" in edges["andon.tickets.events"]


def test_every_module_has_a_layer():
    for module in _edges():
        assert g.layer_of(module) in g.LAYER_NAMES, module


def test_no_import_cycle_between_modules():
    found = {tuple(c) for c in g.cycles(_edges())}
    assert found == set(PENDING_CYCLES), g.summary()


def test_no_import_cycle_between_apps():
    cycles = g.cycles(g.app_graph(_edges(), ignore=PENDING_ARROWS))
    assert cycles == [], g.summary()


def test_pending_arrows_still_exist():
    edges = _edges()
    gone = [arrow for arrow in PENDING_ARROWS if arrow[1] not in edges.get(arrow[0], ())]
    assert gone == [], "fixed: remove these from PENDING_ARROWS"


def test_no_arrow_points_up_the_layers_except_named_ports():
    up = set(g.upward_arrows(_edges()))
    assert up - set(PENDING_ARROWS) == set(), g.summary()


def test_every_named_port_exists_and_is_used_from_above():
    edges = _edges()
    for port in KNOWN_PORTS:
        module, _, function = port.rpartition(".")
        assert f"def {function}(" in g.modules()[module].read_text(encoding="utf-8"), port
        users = [m for m, targets in edges.items() if module in targets]
        assert any(g.layer_of(m) > g.layer_of(module) or m.endswith(".apps") for m in users), port


def test_tickets_imports_none_of_its_subscribers():
    edges = _edges()
    subscribers = ("ola", "notifications", "knowledge", "reports", "wecom")
    for module, targets in edges.items():
        if g.app_of(module) != "tickets" or g.layer_of(module) == g.ADAPTERS:
            continue
        assert not [t for t in targets if g.app_of(t) in subscribers], module
