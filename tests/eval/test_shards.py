"""--shard i/n partitions the cases deterministically; merged shard results equal a full run."""

from __future__ import annotations

import pytest

from agentci.errors import AgentciError, UsageError
from agentci.eval import results, shard
from agentci.eval.engine import EvalOptions, evaluate
from tests.eval.conftest import simple_cases


def test_shards_partition_and_merge_back(stub, eval_env, agent_repo, tmp_path):
    cases = simple_cases(20).replace("question 3 ", "question 3 [[reply:nope]]")
    root = agent_repo(cases=cases, config="eval: {gate: {min_pass_rate: 0.9}}\n")
    full = evaluate(EvalOptions(root=root, progress=False, no_cache=True))
    paths, seen = [], []
    for i in (1, 2, 3):
        part = evaluate(EvalOptions(root=root, progress=False, shard=shard.parse(f"{i}/3")))
        assert part.shard == f"{i}/3"
        seen += [c.id for c in part.agents[0].cases]
        p = tmp_path / f"shard{i}.json"
        results.write(p, part)
        paths.append(p)
    assert sorted(seen) == sorted(c.id for c in full.agents[0].cases)  # disjoint and complete
    assert len(set(seen)) == 20
    merged = results.merge(paths)
    for key in ("cases", "passed", "failed", "errors", "pass_rate"):
        assert getattr(merged.totals, key) == getattr(full.totals, key)
    assert merged.totals.failed == 1
    assert merged.gate == full.gate
    assert merged.agents[0].sets[0].cases == 20
    # The merged run goes out and back in unchanged (the one to_json/from_json pair).
    assert results.from_json(results.to_json(merged)) == merged
    # A missing shard would gate on a part as if it were the whole: refused, named.
    with pytest.raises(AgentciError, match=r"shard results missing: 2/3 \(got 2 of 3\)"):
        results.merge([paths[0], paths[2]])


def test_shard_split_is_stable():
    keys = [f"a\x1fset\x1fcase-{i}" for i in range(1000)]
    buckets = [shard.bucket(k, 4) for k in keys]
    assert buckets == [shard.bucket(k, 4) for k in keys]
    assert all(200 < buckets.count(b) < 300 for b in range(4))


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1", "a/b", ""])
def test_bad_shard_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        shard.parse(bad)
