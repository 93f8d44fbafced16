"""--shard i/n: a deterministic split of cases across matrix jobs by a stable hash of the case key.

The same case lands in the same shard on every machine and on the base ref, and
adding a case moves no other case, so shard results merge back to the full set.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from agentci.errors import UsageError
from agentci.eval.cases import Case


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def __call__(self, case: Case) -> bool:
        return bucket(case.key, self.total) == self.index - 1


def bucket(key: str, total: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % total


def parse(value: str) -> Shard:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value or "")
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise UsageError(
            f"--shard {value!r}: expected i/n with 1 <= i <= n",
            hint="e.g. --shard 1/4 ... --shard 4/4",
        )
    return Shard(int(m.group(1)), int(m.group(2)))
