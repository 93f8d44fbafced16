"""`llm-choice`: the `llm` evaluator of GitHub Models prompt files, scored as `gh models
eval` scores it (github/gh-models `cmd/eval/eval.go` runLLMEvaluator): the judge gets the
evaluator's `systemPrompt` (when set) and its `prompt` with `{{completion}}` (the answer)
and the case's variables filled in; the first choice whose text appears in the judge's
lower-cased answer gives the score; a score above 0 passes; no match scores 0 and fails.

    {type: llm-choice, value: "Is this helpful? {{completion}} Answer yes or no.",
     args: {choices: [{choice: "yes", score: 1}, {choice: "no", score: 0}],
            system_prompt: "...", model: openai/gpt-4o-mini}}
"""

from __future__ import annotations

from typing import Any

from agentci.errors import AgentciError
from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context, register
from agentci.eval.assertions.common import quote, render, result
from agentci.eval.providers.base import Message, Request

JUDGE_MAX_TOKENS = 256


def choices(raw: Any) -> list[tuple[str, float]]:
    """[(choice, score)] from `[{choice, score}]`; entries without a choice text are skipped."""
    out = []
    for c in raw if isinstance(raw, list) else []:
        if (
            isinstance(c, dict)
            and isinstance(c.get("choice"), (str, int, float))
            and str(c["choice"]).strip()
        ):
            score = c.get("score", 0)
            out.append((str(c["choice"]), float(score) if isinstance(score, (int, float)) else 0.0))
    return out


@register("llm-choice")
def llm_choice(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    if ctx.judge is None:
        raise AgentciError(
            "llm-choice needs a judge model and none is configured",
            hint="set eval.judge in agentci.yaml, e.g. judge: {provider: github, name: openai/gpt-4o-mini}",
        )
    options = choices(spec.args.get("choices"))
    if not options:
        return result(spec.type, False, "the evaluator lists no choices to score by")
    prompt = render(str(spec.value), ctx).replace("{{completion}}", ctx.output)
    messages = [Message("user", prompt)]
    system = spec.args.get("system_prompt")
    if isinstance(system, str) and system:
        messages.insert(0, Message("system", system))
    # The evaluator's own modelId is a GitHub Models id: used when the judge is GitHub Models.
    own = spec.args.get("model") if ctx.judge.name == "github" else None
    model = str(own or ctx.judge_model or "default")
    answer = ctx.judge.complete(
        Request(
            model=model,
            messages=tuple(messages),
            params={"temperature": 0, "max_tokens": JUDGE_MAX_TOKENS},
        )
    ).text
    said = answer.strip().lower()
    for choice, score in options:
        if choice.lower() in said:
            return result(
                spec.type,
                score > 0,
                f"{spec.name or 'llm'}: the judge chose {choice!r} (score {score:g})",
                score=max(0.0, min(1.0, score)),
            )
    return result(
        spec.type,
        False,
        f"{spec.name or 'llm'}: the judge's answer {quote(answer)} matches no choice",
        score=0.0,
    )
