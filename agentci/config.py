"""agentci.yaml: the project configuration. Every key has a default (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_AGENT_GLOBS = ["agents/*/agent.yaml", "agents/*/config.yaml", "agent-manifest.yaml"]
CONFIG_FILE = "agentci.yaml"


@dataclass(frozen=True)
class ModelRef:
    """A model for judging or embedding, as written in agentci.yaml."""

    provider: str = "openai"
    name: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key_env: str | None = None


@dataclass(frozen=True)
class Gate:
    min_pass_rate: float | None = None
    max_regressions: int | None = None
    max_cost: float | None = None  # USD per run (head)
    max_cost_increase: float | None = None  # head vs base, as a fraction (0.2 = +20%)


@dataclass(frozen=True)
class EvalConfig:
    concurrency: int = 8
    timeout: float = 60.0
    retries: int = 4
    provider: str | None = None  # force every agent onto one provider (e.g. "local")
    fork_provider: str | None = None
    limits: dict[str, int] = field(default_factory=dict)
    judge: ModelRef | None = None
    embedding: ModelRef | None = None
    gate: Gate = Gate()
    max_response_bytes: int = 4 * 1024 * 1024  # capped at 64 MiB: the PR head may set it
    max_retry_after: float = 60.0  # capped at 600 s
    #: "provider:model" -> {input, cached_input, output} USD per 1M tokens (agentci.eval.cost)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkspaceConfig:
    backend: str = "local"
    path: str = ".agentci/workspace"
    prune: bool = False
    environment: str = "production"
    lock_ttl: float = 120.0
    index_timeout: float = 300.0
    fastio: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusConfig:
    author_name: str = "agentci[bot]"
    author_email: str = "agentci@users.noreply.github.com"
    branch: str | None = None


@dataclass(frozen=True)
class ReportConfig:
    marker: str = "agentci"
    max_output_chars: int = 600


@dataclass(frozen=True)
class Config:
    agents: list[str] = field(default_factory=lambda: list(DEFAULT_AGENT_GLOBS))
    swarm: str = "swarm.yaml"
    ignore: list[str] = field(default_factory=list)
    eval: EvalConfig = EvalConfig()
    workspace: WorkspaceConfig = WorkspaceConfig()
    status_file: str = "deployment-status.json"
    status: StatusConfig = StatusConfig()
    report: ReportConfig = ReportConfig()
    #: extra endpoints model/judge keys may be sent to: [{url, api_key_env?, provider?}] (read
    #: from the base commit on a pull request; see agentci.trust)
    endpoints: list[dict[str, Any]] = field(default_factory=list)


def from_data(data: Any) -> Config:
    """Build a Config from parsed agentci.yaml. Expects schema-checked data but never
    trusts it: wrong types fall back to defaults (validation reports them separately)."""
    if not isinstance(data, dict):
        return Config()
    ev = _dict(data.get("eval"))
    ws = _dict(data.get("workspace"))
    gate = _dict(ev.get("gate"))
    return Config(
        agents=_strs(data.get("agents")) or list(DEFAULT_AGENT_GLOBS),
        swarm=_str(data.get("swarm"), "swarm.yaml"),
        ignore=_strs(data.get("ignore")),
        eval=EvalConfig(
            concurrency=_int(ev.get("concurrency"), 8),
            timeout=_num(ev.get("timeout"), 60.0),
            retries=_int(ev.get("retries"), 4, minimum=0),
            provider=_opt_str(ev.get("provider")),
            fork_provider=_opt_str(ev.get("fork_provider")),
            limits={k: v for k, v in _dict(ev.get("limits")).items() if isinstance(v, int) and v > 0},
            judge=_model_ref(ev.get("judge")),
            embedding=_model_ref(ev.get("embedding")),
            gate=Gate(
                min_pass_rate=_opt_num(gate.get("min_pass_rate")),
                max_regressions=_opt_int(gate.get("max_regressions")),
                max_cost=_opt_num(gate.get("max_cost")),
                max_cost_increase=_opt_num(gate.get("max_cost_increase")),
            ),
            max_response_bytes=min(_int(ev.get("max_response_bytes"), 4 * 1024 * 1024, minimum=1024), 64 * 1024 * 1024),
            max_retry_after=min(_num(ev.get("max_retry_after"), 60.0), 600.0),
            prices={k: v for k, v in _dict(ev.get("prices")).items() if isinstance(v, dict)},
        ),
        workspace=WorkspaceConfig(
            backend=_str(ws.get("backend"), "local"),
            path=_str(ws.get("path"), ".agentci/workspace"),
            prune=ws.get("prune") is True,
            environment=_str(ws.get("environment"), "production"),
            lock_ttl=_num(ws.get("lock_ttl"), 120.0),
            index_timeout=_num(ws.get("index_timeout"), 300.0),
            fastio=_dict(ws.get("fastio")),
            options=_dict(ws.get("options")),
        ),
        status_file=_str(data.get("status_file"), "deployment-status.json"),
        status=StatusConfig(**{k: v for k, v in _dict(data.get("status")).items() if isinstance(v, str) and k in StatusConfig.__dataclass_fields__}),
        report=ReportConfig(
            marker=_str(_dict(data.get("report")).get("marker"), "agentci"),
            max_output_chars=_int(_dict(data.get("report")).get("max_output_chars"), 600, minimum=50),
        ),
        endpoints=[e for e in data.get("endpoints") or [] if isinstance(e, dict)]
        if isinstance(data.get("endpoints"), list) else [],
    )


def _model_ref(value: Any) -> ModelRef | None:
    if not isinstance(value, dict):
        return None
    return ModelRef(
        provider=_str(value.get("provider"), "openai"),
        name=_str(value.get("name"), "gpt-4o-mini"),
        base_url=_opt_str(value.get("base_url")),
        api_key_env=_opt_str(value.get("api_key_env")),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _str(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any, default: int, minimum: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= minimum else default


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else default


def _opt_num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
