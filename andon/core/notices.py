"""Notices on the configuration home page (配置) from apps further up the layers (e.g. "no
worker seen for a minute"): core renders them and imports none of those apps."""

from collections.abc import Callable

# Each provider takes the request and returns [(level, text)], level a Tabler alert colour.
_providers: list[Callable] = []


def register_config_notice(provider: Callable) -> None:
    if provider not in _providers:
        _providers.append(provider)


def config_notices(request) -> list[tuple[str, str]]:
    notices: list[tuple[str, str]] = []
    for provider in _providers:
        notices.extend(provider(request))
    return notices
