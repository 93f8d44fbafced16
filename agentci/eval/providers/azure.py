"""Azure OpenAI, the classic way: per-deployment URLs with an `api-version` and the
`api-key` header.

  POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version={version}
  api-key: $AZURE_OPENAI_API_KEY

as the official client builds it (openai-python `src/openai/lib/azure.py`: the
`/deployments/{model}` path, the `api-key` header, and the environment variables
AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and OPENAI_API_VERSION). The agent's model
`name` is the deployment name. `model.api_version` in agent.yaml (or OPENAI_API_VERSION)
picks the version; the default is the GA version below.

The newer v1 endpoint (`{endpoint}/openai/v1/`, no api-version) needs no provider of its
own: `provider: openai`, `base_url: https://RESOURCE.openai.azure.com/openai/v1`,
`api_key_env: AZURE_OPENAI_API_KEY` (the README shows both).
"""

from __future__ import annotations

import os
from typing import ClassVar
from urllib.parse import quote

from agentci.errors import AgentciError
from agentci.eval.providers.openai import OpenAIProvider

#: latest GA data-plane version of the classic API (Azure OpenAI "API version lifecycle")
DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIProvider(OpenAIProvider):
    name: ClassVar[str] = "azure"
    key_env: ClassVar[str | None] = "AZURE_OPENAI_API_KEY"
    base_url_env: ClassVar[str] = "AZURE_OPENAI_ENDPOINT"
    default_base_url: ClassVar[str] = ""

    @property
    def api_version(self) -> str:
        return str(
            self.config.options.get("api_version")
            or os.environ.get("OPENAI_API_VERSION")
            or DEFAULT_API_VERSION
        )

    def _v1(self) -> bool:
        return self.base_url.endswith("/openai/v1")

    def _headers(self) -> dict[str, str]:
        key = self.api_key()
        return {"api-key": key} if key else {}

    def _chat_url(self, model: str) -> str:
        if not self.base_url:
            raise AgentciError(
                "the azure provider needs the resource endpoint",
                hint="set AZURE_OPENAI_ENDPOINT=https://RESOURCE.openai.azure.com (or model.base_url)",
            )
        if self._v1():
            return f"{self.base_url}/chat/completions"
        return (
            f"{self.base_url}/openai/deployments/{quote(model, safe='')}/chat/completions"
            f"?api-version={quote(self.api_version, safe='')}"
        )

    def _embed_url(self, model: str) -> str:
        return self._chat_url(model).replace("/chat/completions", "/embeddings", 1)

    def _completion_tokens(self) -> bool:
        # Classic api-versions before 2024-09-01-preview know only max_tokens (reasoning
        # models still get max_completion_tokens, which they require).
        return self._v1()
