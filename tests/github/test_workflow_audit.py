"""zizmor (offline audits) over every workflow and action this repository ships.

The GitHub workflow also runs actionlint; its PyPI wrapper downloads the binary when it is
installed, which a registry-only machine cannot do, so actionlint runs there, not here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDITED = [
    ROOT / ".github" / "workflows",
    ROOT / "action.yml",
    ROOT / "agentci" / "scaffold" / "dot-github" / "workflows",
]


def _zizmor() -> str:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert found, "zizmor is a dev dependency: pip install -e '.[dev]'"
    return found


def _audit(*paths: Path) -> list[dict]:
    proc = subprocess.run(
        [_zizmor(), "--offline", "--format", "json", "--min-severity", "low", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # zizmor exits non-zero when it finds something; the JSON on stdout says what.
    assert proc.stdout.strip(), proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_shipped_workflows_and_action_have_no_findings():
    findings = _audit(*AUDITED)
    summary = [
        f"{f['ident']}: {loc['symbolic']['key']['Local']}"
        for f in findings
        for loc in f["locations"][:1]
    ]
    assert findings == [], summary


@pytest.mark.parametrize(
    "snippet, ident",
    [
        # A PR title interpolated into a shell: the classic injection.
        ('      - run: echo "${{ github.event.pull_request.title }}"\n', "template-injection"),
        # A checkout that leaves the token in .git/config.
        (
            "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n",
            "artipacked",
        ),
    ],
)
def test_the_audit_catches_what_it_is_for(tmp_path, snippet, ident):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        + snippet
    )
    assert ident in {f["ident"] for f in _audit(bad)}
