"""Where a credential may go: decided by trusted configuration, never by the code under review.

On a pull request the head (its agentci.yaml and manifests) is untrusted; the trusted side is
the base commit plus the workflow itself (its env vars such as OPENAI_BASE_URL, the Action's
inputs). A key is sent only to an endpoint that the trusted side names for that key:

- an endpoint is the triple (provider, base_url, api_key_env) as written in config, where
  `base_url: None` means "the provider's default, or the URL the workflow's env names"
  (OPENAI_BASE_URL, ANTHROPIC_BASE_URL), and `api_key_env: None` the provider's own variable;
- the head may use any triple the trusted config uses (agents' `model:`, `eval.judge`,
  `eval.embedding`) or one listed in the trusted config's `endpoints:` allowlist;
- whatever any config says, variables that are not model keys (GITHUB_TOKEN, ACTIONS_*, the
  workspace and cloud credentials) never go to a model endpoint; the one exception is a
  provider's own variable at its own built-in endpoint (GitHub Models' GITHUB_TOKEN).

This module is pure (no I/O but the env mapping it is given) so the rule is one table a
reviewer can read; `Provider.api_key()` is the single place that enforces it.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: Never sent to a model endpoint, whatever the config says (glob patterns, upper-case).
NEVER_TO_A_MODEL = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_PAT*",
    "ACTIONS_*",
    "INPUT_*",
    "RUNNER_*",
    "AGENTCI_WORKSPACE_TOKEN",
    "FASTIO_*",
    "AWS_*",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE*",
    "AZURE_FEDERATED_TOKEN*",
    "ARM_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_*CREDENTIALS*",
    "GCP_*",
    "CLOUDSDK_*",
    "ALIBABA_CLOUD_*",
    "DIGITALOCEAN_*",
    "NPM_TOKEN",
    "PYPI_*",
    "TWINE_*",
    "DOCKER_*",
    "SSH_*",
    "*PASSWORD*",
    "*PRIVATE_KEY*",
    "SLACK_*",
    "AGENTCI_NOTIFY_*",
)
#: env vars through which the workflow (trusted) moves a provider's API, as the official SDKs do.
BASE_URL_ENV = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}


class Refusal(str):
    """Why a credential may not travel to an endpoint: one line with the fix."""


def never_to_a_model(var: str) -> bool:
    name = var.upper()
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in NEVER_TO_A_MODEL)


def normalize_url(url: str | None) -> str | None:
    """Scheme, lower-case host, port and path without a trailing slash: what decides where bytes go."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    netloc = host + (f":{port}" if port else "")
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def is_loopback(url: str | None) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Endpoint:
    provider: str
    base_url: str | None  # normalized; None: the provider's default or the workflow's env URL
    api_key_env: str | None  # None: the provider's own variable

    @classmethod
    def of(cls, provider: str, base_url: str | None, api_key_env: str | None) -> Endpoint:
        return cls(provider, normalize_url(base_url), api_key_env or None)

    def describe(self) -> str:
        where = self.base_url or "its default endpoint"
        return f"{self.provider} at {where} with {self.api_key_env or 'its default key variable'}"


@dataclass(frozen=True)
class Allowed:
    """One `endpoints:` entry of the trusted agentci.yaml: keys in `api_key_env` may go to `url`
    (and below it, at a path boundary)."""

    url: str
    api_key_env: str | None
    provider: str | None = None

    def admits(self, endpoint: Endpoint) -> bool:
        if self.provider and self.provider != endpoint.provider:
            return False
        if self.api_key_env and self.api_key_env != endpoint.api_key_env:
            return False
        if endpoint.base_url is None:
            return False
        return endpoint.base_url == self.url or endpoint.base_url.startswith(self.url + "/")


@dataclass(frozen=True)
class Policy:
    """The trusted side's endpoints. `head_trusted`: the config under evaluation is itself trusted
    (local runs, merged code): only the never-to-a-model rule applies."""

    head_trusted: bool = True
    endpoints: frozenset[Endpoint] = frozenset()
    allowed: tuple[Allowed, ...] = ()
    source: str = "the base commit"
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def refusal(self, endpoint: Endpoint, *, default_key_env: str | None) -> Refusal | None:
        """None when a key may travel to this endpoint; else the reason, with what a maintainer can do."""
        key_env = endpoint.api_key_env or default_key_env
        if key_env is None:
            return None  # no credential travels
        builtin = endpoint.base_url is None and endpoint.api_key_env in (None, default_key_env)
        if never_to_a_model(key_env) and not (builtin and key_env == default_key_env):
            return Refusal(
                f"{key_env} is not a model key: agentci never sends it to a model endpoint "
                f"(only a provider's own variable at its built-in endpoint may be such a name)"
            )
        if self.head_trusted:
            return None
        if builtin:
            return None  # the provider's default, or the URL the workflow's env names
        if endpoint in self.endpoints or any(a.admits(endpoint) for a in self.allowed):
            return None
        if (
            endpoint.base_url is not None
            and self.env_url(endpoint.provider) == endpoint.base_url
            and endpoint.api_key_env in (None, default_key_env)
        ):
            return None
        return Refusal(
            f"{endpoint.describe()} is not named by {self.source}, so no key is sent there "
            "(merge the endpoint change first, or add it to `endpoints:` in agentci.yaml on the "
            "default branch)"
        )

    def env_url(self, provider: str) -> str | None:
        var = BASE_URL_ENV.get(provider)
        return normalize_url(self.env.get(var)) if var else None


def endpoints_of(config: Any, agents: Iterable[Any]) -> frozenset[Endpoint]:
    """Every endpoint a (trusted) repo uses: agents' models, the judge and the embedding model."""
    found = {Endpoint.of(a.model.provider, a.model.base_url, a.model.api_key_env) for a in agents}
    for ref in (config.eval.judge, config.eval.embedding):
        if ref is not None:
            found.add(Endpoint.of(ref.provider, ref.base_url, ref.api_key_env))
    return frozenset(found)


def allowed_of(config: Any) -> tuple[Allowed, ...]:
    out = []
    for entry in getattr(config, "endpoints", ()) or ():
        url = normalize_url(entry.get("url")) if isinstance(entry, dict) else None
        if not url:
            continue
        key = entry.get("api_key_env")
        provider = entry.get("provider")
        out.append(
            Allowed(
                url,
                key if isinstance(key, str) and key else None,
                provider if isinstance(provider, str) and provider else None,
            )
        )
    return tuple(out)


def policy_from(
    trusted_repo: Any | None,
    *,
    head_trusted: bool,
    source: str = "the base commit",
    env: Mapping[str, str] | None = None,
) -> Policy:
    """`trusted_repo`: the base commit's repo on a PR; None when only the workflow is trusted."""
    env = os.environ if env is None else env
    if head_trusted:
        return Policy(head_trusted=True, env=env)
    if trusted_repo is None:
        return Policy(head_trusted=False, source="the workflow (no trusted base commit)", env=env)
    return Policy(
        head_trusted=False,
        endpoints=endpoints_of(trusted_repo.config, trusted_repo.agents),
        allowed=allowed_of(trusted_repo.config),
        source=source,
        env=env,
    )
