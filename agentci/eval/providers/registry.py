"""Provider lookup: the built-ins plus anything installed under the `agentci.providers` entry point."""

from __future__ import annotations

import importlib
from typing import Any

from agentci.errors import AgentciError
from agentci.eval.providers.base import Provider, ProviderConfig

BUILTINS: dict[str, str] = {
    "openai": "agentci.eval.providers.openai:OpenAIProvider",
    "anthropic": "agentci.eval.providers.anthropic:AnthropicProvider",
    "github": "agentci.eval.providers.github:GitHubModelsProvider",
    "azure": "agentci.eval.providers.azure:AzureOpenAIProvider",
    "local": "agentci.eval.providers.local:LocalProvider",
}
GROUP = "agentci.providers"


def entry_points(group: str) -> Any:
    """Installed plugins under `group`. importlib.metadata is imported only when a plugin
    is looked for (it costs ~11 ms; a run on the built-ins never needs it)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def names() -> list[str]:
    return sorted({*BUILTINS, *(ep.name for ep in entry_points(group=GROUP))})


def provider_class(name: str) -> type[Provider]:
    target = BUILTINS.get(name)
    if target is None:
        ep = next((e for e in entry_points(group=GROUP) if e.name == name), None)
        if ep is None:
            raise AgentciError(
                f"unknown provider {name!r}",
                hint=f"use one of: {', '.join(names())} (or install a plugin that registers it under {GROUP})",
            )
        try:
            cls = ep.load()
        except Exception as exc:  # a third party's import-time failure: name it, no traceback
            raise AgentciError(
                f"the {name} provider (plugin {ep.value}) cannot be loaded: {type(exc).__name__}: {exc}",
                hint=f"reinstall or fix the package that registers {name!r} under {GROUP}",
            ) from None
    else:
        module, _, attr = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            hint = "pip install 'agentci[local]'" if name == "local" else "reinstall agentci"
            raise AgentciError(f"the {name} provider cannot be loaded: {exc}", hint=hint) from None
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise AgentciError(f"provider {name!r} is not an agentci Provider subclass")
    return cls


def create(config: ProviderConfig) -> Provider:
    return provider_class(config.provider)(config)
