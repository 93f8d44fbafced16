"""GitHub Models stand-in on 127.0.0.1: POST /inference/chat/completions (and the
organisation path /orgs/{org}/inference/chat/completions).

Follows docs.github.com "Quickstart for GitHub Models" / REST "Models — Inference":
`Authorization: Bearer <token>` (a token with `models: read`), `Accept:
application/vnd.github+json`, model ids `{publisher}/{model}` (`openai/gpt-4o-mini`);
an unknown id answers 400 `unknown_model`; answers carry `x-ratelimit-remaining-requests`
/ `x-ratelimit-remaining-tokens` (community discussion #138918 shows both on real
answers); a spent daily quota answers 429 with `x-ratelimit-type: UserByModelByDay` and
a Retry-After of hours (as reported in the GitHub community, "Navigating GitHub Models
API rate limits"). The chat answer itself is the OpenAI stub's.
"""

from __future__ import annotations

import re
from typing import Any

from tests.servers.openai_stub import Handler, Stub

CATALOG = ("openai/gpt-4o-mini", "openai/gpt-4.1", "openai/o4-mini", "meta/Llama-3.3-70B-Instruct")
PATH = re.compile(r"^(/orgs/[\w.-]+)?/inference/chat/completions$")


class GitHubModelsHandler(Handler):
    def authorized(self) -> bool:
        st = self.server.state
        if st.api_key and self.headers.get("Authorization") != f"Bearer {st.api_key}":
            self.send_json(401, {"error": {"code": "unauthorized", "message": "Bad credentials"}})
            return False
        return True

    def route(self, path: str, body: dict[str, Any]) -> None:
        st = self.server.state
        if not PATH.match(path):
            return self.send_json(404, {"error": {"code": "not_found", "message": "Not Found"}})
        with st.lock:
            st.bump("accept:" + str(self.headers.get("Accept")))
        if body.get("model") not in CATALOG:
            return self.send_json(
                400,
                {
                    "error": {
                        "code": "unknown_model",
                        "message": f"Unknown model: {body.get('model')}",
                    }
                },
            )
        if getattr(st, "quota", None) is not None:
            with st.lock:
                st.quota -= 1
                left = st.quota
            if left < 0:
                return self.send_json(
                    429,
                    {
                        "error": {
                            "code": "RateLimitReached",
                            "message": (
                                "Rate limit of 50 per 86400s exceeded for UserByModelByDay."
                            ),
                        }
                    },
                    {"Retry-After": "24367", "x-ratelimit-type": "UserByModelByDay"},
                )
            st.headers = {
                **st.headers,
                "x-ratelimit-remaining-requests": str(left),
                "x-ratelimit-remaining-tokens": "11000",
            }
        return self.chat(body)


def start(*, quota: int | None = None, **kw: Any) -> Stub:
    stub = Stub(GitHubModelsHandler, **kw)
    stub.state.quota = quota  # type: ignore[attr-defined]
    return stub
