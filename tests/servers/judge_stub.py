"""An LLM-judge stand-in: the OpenAI-compatible stub (openai_stub) answering deepeval's
judge prompts with deterministic JSON verdicts, so judged assertions can pass and fail
for reasons a test can predict. Follows the judge prompts in deepeval's official source
(deepeval/metrics/*/template.py of the pinned version): what each answer must look like.

Rules (by the prompt deepeval sends; one judge call = one chat completion):
  GEval steps        -> {"steps": ["Check: <criteria>", ...]}
  GEval score        -> score 9 when every 'quoted' phrase of the criteria is in the
                        Actual Output (case-insensitive), else 2; reason says which
  statements/claims  -> the sentences of the text
  truths             -> the sentences of the retrieval context
  relevancy verdicts -> "yes" when a statement shares a word (4+ letters) with the Input
  faithfulness       -> "no" (contradiction) when a claim has a number absent from the
                        retrieval context, else "yes"
  score reasons      -> {"reason": "The score is <n> because ..."}

    with judge_stub() as stub:  # stub.url is the OpenAI base URL
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.servers.openai_stub import Handler, Stub, completion

QUOTED = re.compile(r"'([^']+)'")


def _section(prompt: str, label: str, stops: tuple[str, ...]) -> str:
    start = prompt.rfind(label)  # the real section comes after the prompt's examples
    if start < 0:
        return ""
    rest = prompt[start + len(label) :]
    end = min([i for i in (rest.find(s) for s in stops) if i >= 0] or [len(rest)])
    return rest[:end].strip()


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _list_after(prompt: str, label: str) -> list[str]:
    raw = _section(prompt, label, ("\n\n",))
    try:
        value = json.loads(raw.replace("'", '"'))
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def verdict(prompt: str) -> dict[str, Any] | None:
    if '"steps" key' in prompt:
        criteria = _section(prompt, "Evaluation Criteria:", ("**", "\n\n"))
        return {"steps": [f"Check: {criteria}", "Score 10 when it holds, else low."]}
    if "Evaluation Steps:" in prompt and '"score"' in prompt:
        steps = _section(prompt, "Evaluation Steps:", ("Test Case:",))
        actual = _section(prompt, "Actual Output:", ("Expected Output:", "Parameters:", "\n\n"))
        wanted = QUOTED.findall(steps)
        missing = [w for w in wanted if w.lower() not in actual.lower()]
        if wanted and not missing:
            return {"score": 9, "reason": f"The output mentions {', '.join(wanted)}."}
        return {
            "score": 2,
            "reason": f"The output does not mention {', '.join(missing) or 'what the criteria ask'}.",
        }
    if '"statements" key' in prompt:
        return {"statements": _sentences(_section(prompt, "Text:", ("JSON:",)))}
    if '"truths" key' in prompt:
        return {"truths": _sentences(_section(prompt, "Text:", ("JSON:",)))}
    if "AI Output:" in prompt and "claims" in prompt:
        return {"claims": _sentences(_section(prompt, "AI Output:", ("JSON:",)))}
    if "relevant to address the input" in prompt:
        words = set(re.findall(r"[a-z]{4,}", _section(prompt, "Input:", ("Statements:",)).lower()))
        out = []
        for s in _list_after(prompt, "Statements:"):
            rel = bool(words & set(re.findall(r"[a-z]{4,}", s.lower())))
            out.append(
                {"verdict": "yes"} if rel else {"verdict": "no", "reason": f"'{s}' is off topic"}
            )
        return {"verdicts": out}
    if "contradicts any facts in the retrieval context" in prompt:
        context = _section(prompt, "Retrieval Contexts:", ("Claims:",))
        out = []
        for c in _list_after(prompt, "Claims:"):
            bad = [n for n in re.findall(r"\d+", c) if n not in re.findall(r"\d+", context)]
            out.append(
                {"verdict": "no", "reason": f"the context does not say {bad[0]}"}
                if bad
                else {"verdict": "yes"}
            )
        return {"verdicts": out}
    m = re.search(r"(Answer Relevancy|Faithfulness) Score:\s*([\d.]+)", prompt)
    if m:
        return {"reason": f"The score is {m.group(2)} because the stub judge says so."}
    return None  # not a judge prompt: answer as the plain OpenAI stub does


class JudgeHandler(Handler):
    def chat(self, req: dict[str, Any]) -> None:
        msgs = req.get("messages") or []
        user = next((str(m.get("content")) for m in reversed(msgs) if m.get("role") == "user"), "")
        found = verdict(user)
        if found is None:
            return super().chat(req)
        self.params = {k: v for k, v in req.items() if k != "messages"}
        self.record("judge", user, None, 200)
        body = completion(req, "", "")
        body["choices"][0]["message"]["content"] = json.dumps(found)
        self.send_json(200, body)


@contextmanager
def judge_stub(api_key: str | None = None) -> Iterator[Stub]:
    stub = Stub(JudgeHandler, api_key=api_key)
    try:
        yield stub
    finally:
        stub.stop()
