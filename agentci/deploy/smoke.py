"""The post-deploy smoke conversation: one turn against the live release, checked by assertions.

`smoke: {input: "Hello", expect: {icontains: "help"}}` sends the rendered system prompt
and the input to the agent's model, then runs each `expect` entry as an assertion of that
type (the eval engine's registry), or a list of `{type, value}` assertions.
Model output is untrusted: it is shown truncated and never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentci.errors import AgentciError
from agentci.repo import Agent


@dataclass
class SmokeResult:
    passed: bool
    output: str
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "output": self.output[:300], "reasons": self.reasons}


def _provider(agent: Agent, timeout: float) -> Any:
    """The eval engine's provider for the agent's model (one place to switch if its API moves)."""
    from agentci.eval.providers import registry
    from agentci.eval.providers.base import ProviderConfig

    config = ProviderConfig(
        provider=agent.model.provider,
        base_url=agent.model.base_url,
        api_key_env=agent.model.api_key_env,
        timeout=timeout,
    )
    factory = getattr(registry, "get_provider", None) or registry.create
    return factory(config)


def expectations(expect: Any) -> list[tuple[str, Any]]:
    if isinstance(expect, dict):
        return [(str(k), v) for k, v in expect.items()]
    if isinstance(expect, list):
        return [(str(e.get("type")), e.get("value")) for e in expect if isinstance(e, dict)]
    return []


def run_smoke(agent: Agent, system_prompt: str, timeout: float = 120.0) -> SmokeResult:
    from agentci.eval.assertions.base import AssertionSpec, Context
    from agentci.eval.assertions.registry import run_assertion
    from agentci.eval.providers.base import Message, ProviderError, RefusedCredential, Request

    smoke = agent.smoke or {}
    text = smoke.get("input")
    if not isinstance(text, str) or not text:
        raise AgentciError(
            f"{agent.manifest}: smoke.input must be a non-empty string",
            hint='smoke: {input: "Hello", expect: {icontains: "help"}}',
        )
    provider = _provider(agent, timeout)
    request = Request(
        model=agent.model.name,
        messages=(Message("system", system_prompt), Message("user", text)),
        params=dict(agent.model.params),
    )
    try:
        response = provider.complete(request)
    except ProviderError as exc:
        return SmokeResult(False, "", [f"the {agent.model.provider} provider failed: {exc}"])
    except RefusedCredential as exc:  # even merged config never sends a non-model credential
        return SmokeResult(False, "", [f"the smoke test was not run: {exc.message}"])
    finally:
        provider.close()
    ctx = Context(input=text, output=response.text, response=response)
    reasons, passed = [], True
    for atype, value in expectations(smoke.get("expect")):
        try:
            result = run_assertion(AssertionSpec(type=atype, value=value), ctx)
        except Exception as exc:  # an assertion that cannot run fails the smoke, clearly
            passed = False
            reasons.append(f"{atype}: could not run: {exc}")
            continue
        passed = passed and result.passed
        reasons.append(f"{atype}: {'pass' if result.passed else 'FAIL'}: {result.reason}")
    return SmokeResult(passed, response.text, reasons)
