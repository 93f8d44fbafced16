"""The rule table: every finding's rule id, default severity, what it means and how to fix it.

One place, read by `agentci.findings` (each finding's default fix), the SARIF writer (tool.driver.rules), the README's rules table and
the tests that check every emitted rule is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


E = Severity.ERROR
W = Severity.WARNING


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    description: str
    hint: str
    tags: tuple[str, ...] = ()


_TABLE: list[Rule] = [
    # Loading: syntax, encoding, files (agentci.documents / agentci.repo)
    Rule(
        "yaml-syntax",
        E,
        "A YAML file does not parse",
        "fix the YAML at the reported line and column",
    ),
    Rule(
        "json-syntax",
        E,
        "A JSON or JSONL file does not parse",
        "fix the JSON at the reported line and column",
    ),
    Rule("encoding", E, "A file is not valid UTF-8", "re-save the file as UTF-8"),
    Rule("binary-file", E, "A file agentci reads is binary", "commit a UTF-8 text file here"),
    Rule(
        "file-too-large",
        E,
        "A file is larger than agentci reads",
        "split the file; keep large data out of configuration",
    ),
    Rule(
        "too-deep", E, "A document is nested deeper than agentci accepts", "flatten the structure"
    ),
    Rule(
        "yaml-alias-bomb",
        E,
        "YAML aliases expand to a huge or recursive document",
        "write the values out instead of nesting aliases",
        ("security",),
    ),
    Rule(
        "duplicate-key",
        W,
        "A mapping has the same key twice (the last one wins)",
        "remove one of them",
    ),
    Rule("missing-file", E, "A referenced file does not exist", "create the file or fix the path"),
    Rule("unreadable-file", E, "A file cannot be read", "check permissions"),
    Rule(
        "path-escape",
        E,
        "A path leaves the repository (`..`, absolute path or symlink)",
        "use a path inside the repository",
        ("security",),
    ),
    Rule(
        "schema",
        E,
        "A file does not match its JSON Schema",
        "see `agentci schema NAME` for the allowed shape",
    ),
    Rule(
        "unknown-key",
        W,
        "A key the schema does not know (often a typo)",
        "remove it or fix its spelling",
    ),
    Rule(
        "duplicate-agent",
        E,
        "Two manifests use the same agent name",
        "give every agent a unique name",
    ),
    Rule(
        "knowledge-ambiguous",
        W,
        "A knowledge path exists both next to the manifest and at the repository root (the manifest's is used)",
        "rename one, or write the path so it names one place",
    ),
    Rule(
        "no-agents",
        W,
        "The agent globs find no agents: eval evaluates nothing and deploy refuses the repo",
        "add an agent (agents/NAME/agent.yaml) or fix `agents:` in agentci.yaml",
    ),
    # Prompt template
    Rule(
        "prompt-syntax",
        E,
        "The system prompt is not a valid Jinja2 template",
        "fix the template tag at the reported line",
    ),
    Rule(
        "prompt-include",
        E,
        "The prompt uses {% include/import/from/extends %}: prompts render without a loader",
        "put the text in the prompt itself, or pass it in agent.variables",
        ("security",),
    ),
    Rule(
        "prompt-undefined-variable",
        E,
        "The prompt uses a variable that no manifest `variables` or eval `vars` defines",
        "add it to agent.variables or to the eval set's vars",
    ),
    Rule(
        "prompt-variable-eval-only",
        E,
        "The prompt uses a variable only eval sets define; deploy renders it with agent.variables alone",
        "add a default to agent.variables (eval vars still override it per case)",
    ),
    Rule(
        "prompt-render",
        E,
        "The prompt does not render with agent.variables, as deploy renders it",
        "make the template render with the manifest's variables",
    ),
    Rule(
        "prompt-unused-variable",
        W,
        "agent.variables defines a variable the prompt never uses",
        "use it in the prompt or remove it",
    ),
    Rule(
        "prompt-too-large",
        E,
        "The prompt plus max_tokens exceeds the model's context window",
        "shorten the prompt, lower max_tokens or pick a larger model",
    ),
    Rule(
        "prompt-near-limit",
        W,
        "The prompt fills most of the model's context window",
        "shorten the prompt to leave room for the conversation",
    ),
    # Tools
    Rule(
        "tool-input-schema",
        E,
        "A tool's inputSchema is not a valid JSON Schema",
        "fix the schema keyword at the reported line",
    ),
    Rule(
        "duplicate-tool", E, "Two tools in tools.json share a name", "give every tool a unique name"
    ),
    Rule(
        "unknown-capability",
        E,
        "A capability names neither a tool in the agent's tools.json nor a workspace tool",
        "add the tool to tools.json or remove the capability",
    ),
    Rule(
        "unknown-workspace-tool",
        W,
        "With no tools.json, a capability names no workspace tool (the seed form)",
        "use a workspace tool from the catalogue, or add a tools.json that defines it",
    ),
    # Least privilege
    Rule(
        "write-root",
        E,
        "An agent may write the whole workspace (`/`)",
        "grant write access to specific directories only",
        ("security",),
    ),
    Rule(
        "write-knowledge",
        E,
        "An agent may write the shared knowledge (`/knowledge`)",
        "knowledge is deployed from git; give the agent its own output directory",
        ("security",),
    ),
    Rule(
        "write-config",
        E,
        "An agent may write deployed agent configuration (`/agents`, `/.agentci`)",
        "never let an agent rewrite its own or another agent's configuration",
        ("security",),
    ),
    Rule(
        "memory-path-overlap",
        E,
        "A memory_path overlaps another agent's memory, a busy lock or what deploys write",
        "give each agent its own file, e.g. /memory/<agent>.json",
        ("security",),
    ),
    Rule(
        "workspace-path-escape",
        E,
        "workspace.path in agentci.yaml leaves the repository",
        "use a path inside the repo; point elsewhere with --workspace or AGENTCI_WORKSPACE",
        ("security",),
    ),
    Rule(
        "write-other-memory",
        E,
        "An agent may write another agent's memory_path",
        "keep each agent's memory writable by that agent only",
        ("security",),
    ),
    Rule(
        "workspace-path",
        E,
        "A workspace path contains `..` or is not normalised",
        "write the path as an absolute, normalised workspace path",
        ("security",),
    ),
    Rule(
        "read-write-overlap",
        W,
        "An agent's read scope covers a path it may also write",
        "separate what the agent reads from what it writes",
        ("security",),
    ),
    Rule(
        "wildcard-scope",
        W,
        "A permission uses a wildcard or the whole workspace",
        "list the directories explicitly",
        ("security",),
    ),
    # Swarm
    Rule(
        "swarm-unknown-agent",
        E,
        "A swarm role names an agent that does not exist",
        "fix the agent name or add the agent",
    ),
    Rule(
        "swarm-unknown-role",
        E,
        "A swarm role's `next` names a role that does not exist",
        "fix the role name",
    ),
    Rule(
        "swarm-input-unreadable",
        E,
        "A role's input_dir is not readable by its agent",
        "add the directory to the agent's permissions.read",
    ),
    Rule(
        "swarm-input-unwritten",
        E,
        "No role or agent writes a role's input_dir",
        "make another role's output_dir (or an agent's write scope) cover it",
    ),
    Rule(
        "swarm-output-unwritable",
        E,
        "A role's output_dir is not writable by its agent",
        "add the directory to the agent's permissions.write",
    ),
    # Environments (agentci.yaml)
    Rule(
        "environment",
        E,
        "agentci.yaml environments do not fit together (an unknown default or promote_from, two on one workspace)",
        "name declared environments; give each its own workspace",
    ),
    # Eval sets
    Rule(
        "eval-regex",
        E,
        "A regex assertion's value does not compile",
        "fix the regular expression (YAML needs \\\\ for a backslash in double quotes)",
    ),
    Rule(
        "eval-json-schema",
        E,
        "A json-schema assertion's value is not a valid JSON Schema",
        "fix the schema in the assertion's value",
    ),
    Rule(
        "prompt-file",
        E,
        "A GitHub Models prompt file (*.prompt.yml) that `gh models eval` would not run as meant",
        "fix the entry at the reported line (see `gh models eval` for the format)",
    ),
    Rule(
        "no-evals",
        W,
        "An agent has no eval sets: its changes are merged and deployed unevaluated",
        "add evals/golden.yaml next to the manifest",
    ),
    Rule("eval-no-cases", W, "An eval set has no cases", "add cases or remove the file"),
    # Models
    Rule(
        "model-param",
        W,
        "A model parameter the model does not take as written (dropped or renamed when sent)",
        "remove the parameter or set a value the model takes",
    ),
    # Knowledge
    Rule(
        "knowledge-injection",
        W,
        "A knowledge file contains instruction-override text (prompt injection)",
        "remove or quote the text; knowledge is shown to the model as-is",
        ("security",),
    ),
]

_SECRET_KINDS = {
    "secret-openai-key": "an OpenAI API key (sk-…)",
    "secret-anthropic-key": "an Anthropic API key (sk-ant-…)",
    "secret-github-token": "a GitHub token (ghp_/gho_/ghs_/github_pat_…)",
    "secret-aws-key": "an AWS access key id (AKIA…)",
    "secret-google-key": "a Google API key (AIza…)",
    "secret-slack-token": "a Slack token (xox…)",
    "secret-private-key": "a private key block",
    "secret-high-entropy": "a high-entropy value assigned to a key-like name",
}
_TABLE += [
    Rule(
        rule_id,
        E,
        f"A file contains {what}",
        "remove it, rotate the credential, and name it in agent.secrets (read from the environment)",
        ("security",),
    )
    for rule_id, what in _SECRET_KINDS.items()
]

RULES: dict[str, Rule] = {r.id: r for r in _TABLE}


def rule(rule_id: str) -> Rule:
    """The rule for an id; unknown ids (e.g. from a plugin) get a generic entry."""
    return RULES.get(rule_id) or Rule(rule_id, E, rule_id.replace("-", " "), "")
