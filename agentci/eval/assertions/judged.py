"""LLM-judged assertions through deepeval: llm-rubric / g-eval (GEval), answer-relevancy
(AnswerRelevancyMetric) and faithfulness (FaithfulnessMetric against the agent's knowledge).

The judge is the context's provider (agentci.yaml `eval.judge`), wrapped by
agentci.eval.judge so it can be OpenAI, Anthropic or the local model. deepeval is heavy
and phones home unless told not to, so it is imported only inside these functions,
after agentci.eval.judge.quiet_deepeval().
"""

from __future__ import annotations

from typing import Any

from agentci.errors import AgentciError
from agentci.eval.assertions.base import AssertionResult, AssertionSpec, Context, register
from agentci.eval.assertions.common import render, result

DEFAULT_THRESHOLD = 0.5  # deepeval's default for these metrics


def _metric(spec: AssertionSpec, ctx: Context, judge: Any, threshold: float) -> Any:
    from deepeval.metrics import AnswerRelevancyMetric, FaithfulnessMetric, GEval
    from deepeval.test_case import SingleTurnParams

    if spec.type in ("llm-rubric", "g-eval"):
        params = [SingleTurnParams.INPUT, SingleTurnParams.ACTUAL_OUTPUT]
        if ctx.expected is not None:
            params.append(SingleTurnParams.EXPECTED_OUTPUT)
        steps = spec.args.get("evaluation_steps") or spec.args.get("steps")
        return GEval(
            name=spec.name or ("Rubric" if spec.type == "llm-rubric" else "GEval"),
            criteria=None if steps else render(str(spec.value), ctx),
            evaluation_steps=[str(s) for s in steps] if steps else None,
            evaluation_params=params,
            model=judge,
            threshold=threshold,
            async_mode=False,
        )
    if spec.type == "answer-relevancy":
        return AnswerRelevancyMetric(
            threshold=threshold, model=judge, async_mode=False, eval_mode="llm"
        )
    return FaithfulnessMetric(threshold=threshold, model=judge, async_mode=False, eval_mode="llm")


@register("llm-rubric", "g-eval", "answer-relevancy", "faithfulness")
def judged(spec: AssertionSpec, ctx: Context) -> AssertionResult:
    if ctx.judge is None:
        raise AgentciError(
            f"{spec.type} needs a judge model and none is configured",
            hint="set eval.judge in agentci.yaml, e.g. judge: {provider: openai, name: gpt-4o-mini}, "
            "or {provider: local} for the embedded model",
        )
    if spec.type == "faithfulness" and not ctx.context:
        return result(
            spec.type,
            False,
            "faithfulness needs the agent's knowledge texts, and this agent has none",
        )
    from agentci.eval.judge import make_judge, quiet_deepeval

    quiet_deepeval()
    from deepeval.test_case import LLMTestCase

    judge = make_judge(ctx.judge, ctx.judge_model or "default")
    threshold = DEFAULT_THRESHOLD if spec.threshold is None else spec.threshold
    metric = _metric(spec, ctx, judge, threshold)
    case = LLMTestCase(
        input=ctx.input,
        actual_output=ctx.output,
        expected_output=ctx.expected,
        retrieval_context=list(ctx.context) or None,
    )
    try:
        metric.measure(case, _show_indicator=False)
    except AgentciError:
        raise
    except Exception as exc:  # deepeval raises plain exceptions for unparsable judge output
        raise AgentciError(
            f"{spec.type}: the judge {judge.get_model_name()} could not score this case: "
            f"{type(exc).__name__}: {exc}".strip()[:400],
            hint="use a stronger judge model in agentci.yaml eval.judge",
        ) from None
    score = float(metric.score or 0.0)
    passed = bool(metric.is_successful())
    reason = " ".join(str(metric.reason or "").split())[:300] or "no reason given"
    verdict = ">=" if passed else "<"
    return result(
        spec.type,
        passed,
        f"{metric.__name__ if hasattr(metric, '__name__') else spec.type} "
        f"score {score:.2f} {verdict} {threshold:g} (judge {judge.get_model_name()}): {reason}",
        score,
    )
