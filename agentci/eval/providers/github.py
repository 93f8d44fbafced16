"""GitHub Models (`provider: github`): OpenAI-shaped chat completions at GitHub's own
inference endpoint, paid for by the repository's GitHub account, keyed by the workflow's
GITHUB_TOKEN (the job needs `permissions: models: read`). No extra secret to set up.

Follows docs.github.com "Quickstart for GitHub Models" and the REST reference "Models —
Inference": POST https://models.github.ai/inference/chat/completions (or
/orgs/{org}/inference/chat/completions to bill an organisation) with
`Authorization: Bearer <token>`, `Accept: application/vnd.github+json` and
`X-GitHub-Api-Version: 2022-11-28`; model ids are `{publisher}/{model}` such as
`openai/gpt-4o-mini`. Rate limits are per model tier (free: 2-5 concurrent requests,
10-15 a minute, 50-150 a day); answers carry `x-ratelimit-remaining-*` headers, which
pace the run, and a spent daily quota answers 429 with hours of Retry-After, which ends
the case with that message instead of waiting.

Trust: GITHUB_TOKEN goes only to models.github.ai. A `base_url` naming another host is
refused unless the agent names a different key variable (`api_key_env`).
"""

from __future__ import annotations

from typing import ClassVar

from agentci.eval.providers.openai import OpenAIProvider

DEFAULT_BASE_URL = "https://models.github.ai/inference"
HOST = "models.github.ai"


class GitHubModelsProvider(OpenAIProvider):
    name: ClassVar[str] = "github"
    key_env: ClassVar[str | None] = "GITHUB_TOKEN"
    key_hosts: ClassVar[tuple[str, ...]] = (HOST,)
    base_url_env: ClassVar[str] = ""  # the endpoint is fixed; no environment variable moves it
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    #: the free tier's concurrency for high-tier models; `eval.limits.github` raises it
    default_concurrency: ClassVar[int | None] = 2

    def _headers(self) -> dict[str, str]:
        key = self.api_key()  # "" for a keyless (refused, loopback) endpoint: no header at all
        return {
            **({"Authorization": f"Bearer {key}"} if key else {}),
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _completion_tokens(self) -> bool:
        return True
