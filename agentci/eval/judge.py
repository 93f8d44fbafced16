"""The judge adapter: deepeval's DeepEvalBaseLLM backed by an agentci Provider.

deepeval metrics ask their model for JSON matching a pydantic schema. The adapter sends
the prompt through the agentci provider (OpenAI, Anthropic, the local model, a plugin)
with the schema as the `json_schema` param, which each provider turns into what its API
enforces: OpenAI-compatible `response_format: {type: json_schema}`, Anthropic a forced
tool whose input is the answer, the local model a JSON-schema grammar. It returns the
parsed schema instance; when the text still does not parse, it returns the raw text and
deepeval reports the bad JSON. Written against deepeval 4.3 (`DeepEvalBaseLLM`,
`SingleTurnParams`, `eval_mode`), the range pinned in pyproject.toml.

deepeval is imported here only inside `make_judge`, after `quiet_deepeval()`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from agentci.eval.providers.base import Message, Provider, Request

JUDGE_MAX_TOKENS = 512
#: reasoning models spend part of max_completion_tokens thinking; 512 can leave no answer
JUDGE_MAX_TOKENS_REASONING = 4096


def quiet_deepeval() -> None:
    """Environment for deepeval before its first import: no telemetry, no update check,
    and no loading of the user's .env files into this process (they may hold secrets)."""
    os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] = "1"
    os.environ["DEEPEVAL_DISABLE_DOTENV"] = "1"
    os.environ.pop("DEEPEVAL_UPDATE_WARNING_OPT_IN", None)
    os.environ.setdefault("DEEPEVAL_GRPC_LOGGING", "0")
    # deepeval keeps a `.deepeval/` folder in the working directory; keep it out of the repo.
    os.environ.setdefault(
        "DEEPEVAL_CACHE_FOLDER", os.path.join(tempfile.gettempdir(), "agentci-deepeval")
    )


@dataclass
class JudgeStats:
    calls: int = 0
    unparsed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_judge(provider: Provider, model: str, params: dict[str, Any] | None = None) -> Any:
    """A DeepEvalBaseLLM instance that answers through `provider`."""
    from agentci.eval.providers.families import openai_reasoning

    budget = JUDGE_MAX_TOKENS_REASONING if openai_reasoning(model) else JUDGE_MAX_TOKENS
    return _judge_class()(
        provider, model, {"temperature": 0, "max_tokens": budget, **(params or {})}
    )


@functools.lru_cache(maxsize=1)
def _judge_class() -> Any:
    # Built once: deepeval instruments every DeepEvalBaseLLM subclass when it is defined.
    quiet_deepeval()
    from deepeval.models import DeepEvalBaseLLM

    from agentci.eval.json_text import extract_json

    class AgentciJudge(DeepEvalBaseLLM):
        def __init__(self, provider: Provider, model: str, params: dict[str, Any]) -> None:
            self.provider = provider
            self.model_id = model
            self.params = params
            self.stats = JudgeStats()
            super().__init__(model)

        def load_model(self, *args: Any, **kwargs: Any) -> Any:
            return self

        def generate(self, prompt: Any, schema: Any = None, **kwargs: Any) -> Any:
            call_params = dict(self.params)
            if schema is not None and hasattr(schema, "model_json_schema"):
                call_params["json_schema"] = schema.model_json_schema()
            request = Request(
                model=self.model_id, messages=(Message("user", str(prompt)),), params=call_params
            )
            text = self.provider.complete(request).text
            with self.stats.lock:
                self.stats.calls += 1
            if schema is None:
                return text
            found = extract_json(text)
            if found is not None:
                try:
                    return schema.model_validate(found.value)
                except ValueError:
                    pass
            with self.stats.lock:
                self.stats.unparsed += 1
            forget = getattr(self.provider, "forget", None)
            if forget is not None:  # an unreadable verdict must not be replayed from the cache
                forget(request)
            return text

        async def a_generate(self, prompt: Any, schema: Any = None, **kwargs: Any) -> Any:
            return await asyncio.to_thread(self.generate, prompt, schema)

        def get_model_name(self, *args: Any, **kwargs: Any) -> str:
            return f"{self.provider.name}:{self.model_id}"

        def supports_temperature(self) -> bool:
            return True

        def supports_structured_outputs(self) -> bool:
            return True

        def supports_log_probs(self) -> bool:
            # GEval's logprob-weighted scoring is only for deepeval's native OpenAI models.
            return False

    return AgentciJudge
