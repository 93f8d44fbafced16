"""Requests per deploy with 1,000 knowledge files (the figures in the README's Fast.io section)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastio_helpers import KEY, commit_all, fastio_repo, fdeploy, uploads, write

from tests.servers.fastio_server import FastioServer


def test_requests_per_deploy_for_1000_knowledge_files(tmp_path: Path) -> None:
    with FastioServer(token=KEY) as fio:
        repo = fastio_repo(tmp_path / "r", fio, knowledge=1000, big=False)
        counts: dict[str, int] = {}
        for label in ("first", "one changed", "unchanged"):
            if label == "one changed":
                write(repo / "knowledge/shared/doc0007.md", "changed\n")
                commit_all(repo, "one file")
            before = len(fio.requests)
            rc, _, err = fdeploy(repo)
            assert rc == 0, err
            counts[label] = len(fio.requests) - before
            kinds = Counter(r["path"].rsplit("/", 1)[-1] for r in fio.requests[before:])
            sent = [
                n
                for n in uploads(fio, before)
                if n not in ("state.json", "deployment.log") and not n.endswith(".claim")
            ]
            print(
                f"\n{label}: {counts[label]} requests, {len(sent)} file uploads, {dict(kinds.most_common(5))}"
            )
        assert counts["unchanged"] < 100 and counts["one changed"] < counts["unchanged"] + 20
        assert counts["first"] < 1200
