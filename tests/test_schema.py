"""Schema patterns mean what JSON Schema (ECMA-262) says, in the slow path and the fast gate."""

from __future__ import annotations

import pytest

from agentci.documents import parse_text
from agentci.schema import check


@pytest.mark.parametrize("name", ["bot\n", "bot\n\n", "\nbot", "Bot", "bot_1"])
def test_agent_name_with_newline_or_bad_chars_is_a_schema_error(name):
    doc = parse_text("agents/x/agent.yaml", f"agent:\n  name: {name!r}\n".replace("'", '"'))
    findings = check(doc, "agent")
    assert [f.rule for f in findings] == ["schema"], findings
    assert findings[0].line == 2 and "agent.name" in findings[0].message


def test_plain_name_passes():
    assert (
        check(parse_text("agents/x/agent.yaml", "agent:\n  name: support-bot-2\n"), "agent") == []
    )


def test_env_var_names_are_anchored_too():
    doc = parse_text("agents/x/agent.yaml", 'agent:\n  name: bot\n  secrets: ["API_KEY\\n"]\n')
    assert [f.rule for f in check(doc, "agent")] == ["schema"]
