"""Azure OpenAI stand-in on 127.0.0.1: the classic per-deployment path and the v1 path.

Follows the official openai-python client's Azure support and the Azure OpenAI docs, as cited below.

  POST /openai/deployments/{deployment}/chat/completions?api-version=YYYY-MM-DD  (classic)
  POST /openai/v1/chat/completions                                               (v1, no api-version)

Auth is the `api-key` header (openai-python `src/openai/lib/azure.py`: `{"api-key": ...}`);
the v1 path also takes `Authorization: Bearer` (what the OpenAI client sends with
`base_url=.../openai/v1/`, Azure "API version lifecycle" docs). Errors in Azure's shape:
a wrong key answers 401 `{"error": {"code": "401", "message": "Access denied due to invalid
subscription key or wrong API endpoint..."}}`; a classic call without `api-version` or to
an unknown deployment answers 404 (`Resource not found` / `DeploymentNotFound`, as in the
Microsoft Q&A thread "I can't call this azure openai api"). Deployments: `State.deployments`.
The chat answer itself is the OpenAI stub's (reasoning-model rules included).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers.openai_stub import Handler, Stub

CLASSIC = re.compile(r"^/openai/deployments/([^/]+)/(chat/completions|embeddings)$")
DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


class AzureHandler(Handler):
    deployments: tuple[str, ...] = ("gpt-4o-mini", "o4-mini")

    def authorized(self) -> bool:
        st = self.server.state
        path = urlsplit(self.path).path
        key = self.headers.get("api-key")
        if key is None and path.startswith("/openai/v1/"):
            auth = self.headers.get("Authorization") or ""
            key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if st.api_key and key != st.api_key:
            self.send_json(401, {"error": {"code": "401", "message": DENIED}})
            return False
        return True

    def do_POST(self) -> None:
        # Handler.do_POST strips the query with rstrip("/") only; route on path + query here.
        self.query = parse_qs(urlsplit(self.path).query)
        self.path = urlsplit(self.path).path
        super().do_POST()

    def route(self, path: str, body: dict[str, Any]) -> None:
        self.server.state.bump("azure_" + ("v1" if path.startswith("/openai/v1/") else "classic"))
        if path == "/openai/v1/chat/completions":
            return self.chat(body)
        m = CLASSIC.match(path)
        if not m or not self.query.get("api-version"):
            return self.send_json(404, {"error": {"code": "404", "message": "Resource not found"}})
        if m.group(1) not in self.deployments:
            return self.send_json(
                404,
                {
                    "error": {
                        "code": "DeploymentNotFound",
                        "message": (
                            "The API deployment for this resource does not exist. If you created the deployment within the last "
                            "5 minutes, please wait a moment and try again."
                        ),
                    }
                },
            )
        self.server.state.bump(f"api-version={self.query['api-version'][0]}")
        # A classic deployment answers for its model whatever `model` the body names.
        body = {**body, "model": m.group(1)}
        return self.chat(body) if m.group(2) == "chat/completions" else self.embeddings(body)


def start(**kw: Any) -> Stub:
    return Stub(AzureHandler, **kw)
