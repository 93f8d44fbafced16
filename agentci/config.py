"""agentci.yaml: the project configuration. Every key has a default.

Each default is stated once, in the dataclasses below; the loader (`from_data`) falls back
to them, and the JSON Schema `agentci schema config` prints carries them as `default`
(`agentci.schema.load_schema` fills them in from here). The caps a PR head cannot raise past
are the `MAX_*` constants, which the schema's `maximum`s must equal (tests/test_config.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from agentci import bounds
from agentci.errors import AgentciError

DEFAULT_AGENT_GLOBS = ["agents/*/agent.yaml", "agents/*/config.yaml", "agent-manifest.yaml"]
CONFIG_FILE = "agentci.yaml"
#: Caps on what agentci.yaml may set (the PR head may set these keys).
MAX_RESPONSE_BYTES_CAP = 64 * 1024 * 1024
MAX_RETRY_AFTER_CAP = 600.0
MIN_RESPONSE_BYTES = 1024
MIN_REPORT_OUTPUT_CHARS = 50
NOTIFY_TIMEOUT_CAP = 30.0
#: the environment a repo without `environments:` deploys to (its `workspace:` block)
DEFAULT_ENVIRONMENT = "production"
#: where a `local` workspace of a named environment lives when it names no path
ENV_WORKSPACE_PATH = ".agentci/environments/{name}"
NOTIFY_EVENTS = ("succeeded", "failed", "rolled_back", "degraded", "drift")
NOTIFY_TIMEOUT = 5.0
NOTIFY_FORMATS = ("json", "slack")


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
    max_response_bytes: int = bounds.DEFAULT_MAX_RESPONSE_BYTES  # capped: MAX_RESPONSE_BYTES_CAP
    max_retry_after: float = bounds.DEFAULT_MAX_RETRY_AFTER  # capped: MAX_RETRY_AFTER_CAP
    #: "provider:model" -> {input, cached_input, output} USD per 1M tokens (agentci.eval.cost)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkspaceConfig:
    backend: str = "local"
    path: str = ".agentci/workspace"
    prune: bool = False
    environment: str = DEFAULT_ENVIRONMENT
    lock_ttl: float = 120.0
    index_timeout: float = 300.0
    fastio: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    s3: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusConfig:
    author_name: str = "agentci[bot]"
    author_email: str = "agentci@users.noreply.github.com"
    branch: str | None = None
    #: where deployment-status.json goes: "commit" (the deployed branch), "branch" (a dedicated
    #: status branch, `branch` or agentci-status), "deployments" (no file: GitHub Deployments only)
    mode: str = "commit"


@dataclass(frozen=True)
class ReportConfig:
    marker: str = "agentci"
    max_output_chars: int = 600


@dataclass(frozen=True)
class EnvironmentConfig:
    """One place agents run: its workspace, variables merged over every agent's, and the
    environment whose live commit `agentci promote` may bring here."""

    name: str
    workspace: WorkspaceConfig
    variables: dict[str, Any] = field(default_factory=dict)
    promote_from: str | None = None
    url: str | None = None  # shown as the GitHub Deployment's environment_url


@dataclass(frozen=True)
class NotifyTarget:
    """A webhook. The URL is read from the env var `url_env` (a secret), never from the repo."""

    url_env: str
    format: str = NOTIFY_FORMATS[0]  # json | slack (incoming-webhook shape)
    events: tuple[str, ...] = NOTIFY_EVENTS
    environments: tuple[str, ...] = ()  # empty: every environment
    timeout: float = NOTIFY_TIMEOUT


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
    environments: dict[str, EnvironmentConfig] = field(default_factory=dict)
    default_environment: str | None = None
    notify: list[NotifyTarget] = field(default_factory=list)

    def all_environments(self) -> dict[str, EnvironmentConfig]:
        """The declared environments; without `environments:` the `workspace:` block is the one."""
        if self.environments:
            return self.environments
        name = self.workspace.environment
        return {name: EnvironmentConfig(name, self.workspace)}

    def environment(self, name: str | None = None) -> EnvironmentConfig:
        envs = self.all_environments()
        if name is None:
            name = self.default_environment if self.default_environment in envs else None
            if name is None and len(envs) == 1:
                name = next(iter(envs))
            if name is None:
                raise AgentciError(
                    f"agentci.yaml declares {len(envs)} environments and no default_environment",
                    hint=f"pass --environment NAME (one of {', '.join(envs)}), or set default_environment",
                )
        if name not in envs:
            raise AgentciError(
                f"no environment {name!r} in agentci.yaml",
                hint=f"environments: {', '.join(envs)}"
                if self.environments
                else "declare it under `environments:`, or drop --environment",
            )
        return envs[name]

    def for_environment(self, name: str | None = None) -> Config:
        """This config with `workspace` set to the environment's (what deploy/diff/status act on)."""
        env = self.environment(name)
        return replace(self, workspace=env.workspace)


_DEFAULT = Config()


def from_data(data: Any) -> Config:
    """Build a Config from parsed agentci.yaml. Expects schema-checked data but never
    trusts it: wrong types fall back to defaults (validation reports them separately)."""
    if not isinstance(data, dict):
        return Config()
    d, de = _DEFAULT, _DEFAULT.eval
    ev = _dict(data.get("eval"))
    ws = _dict(data.get("workspace"))
    workspace = _workspace(ws)
    gate = _dict(ev.get("gate"))
    return Config(
        agents=_strs(data.get("agents")) or list(DEFAULT_AGENT_GLOBS),
        swarm=_str(data.get("swarm"), d.swarm),
        ignore=_strs(data.get("ignore")),
        eval=EvalConfig(
            concurrency=_int(ev.get("concurrency"), de.concurrency),
            timeout=_num(ev.get("timeout"), de.timeout),
            retries=_int(ev.get("retries"), de.retries, minimum=0),
            provider=_opt_str(ev.get("provider")),
            fork_provider=_opt_str(ev.get("fork_provider")),
            limits={
                k: v for k, v in _dict(ev.get("limits")).items() if isinstance(v, int) and v > 0
            },
            judge=_model_ref(ev.get("judge")),
            embedding=_model_ref(ev.get("embedding")),
            gate=Gate(
                min_pass_rate=_opt_num(gate.get("min_pass_rate")),
                max_regressions=_opt_int(gate.get("max_regressions")),
                max_cost=_opt_num(gate.get("max_cost")),
                max_cost_increase=_opt_num(gate.get("max_cost_increase")),
            ),
            max_response_bytes=min(
                _int(ev.get("max_response_bytes"), de.max_response_bytes, MIN_RESPONSE_BYTES),
                MAX_RESPONSE_BYTES_CAP,
            ),
            max_retry_after=min(
                _num(ev.get("max_retry_after"), de.max_retry_after), MAX_RETRY_AFTER_CAP
            ),
            prices={k: v for k, v in _dict(ev.get("prices")).items() if isinstance(v, dict)},
        ),
        workspace=workspace,
        status_file=_str(data.get("status_file"), d.status_file),
        status=StatusConfig(
            **{
                k: v
                for k, v in _dict(data.get("status")).items()
                if isinstance(v, str) and k in StatusConfig.__dataclass_fields__
            }
        ),
        report=ReportConfig(
            marker=_str(_dict(data.get("report")).get("marker"), d.report.marker),
            max_output_chars=_int(
                _dict(data.get("report")).get("max_output_chars"),
                d.report.max_output_chars,
                minimum=MIN_REPORT_OUTPUT_CHARS,
            ),
        ),
        endpoints=[e for e in data.get("endpoints") or [] if isinstance(e, dict)]
        if isinstance(data.get("endpoints"), list)
        else [],
        environments=_environments(data.get("environments"), ws),
        default_environment=_opt_str(data.get("default_environment")),
        notify=_notify(data.get("notify")),
    )


def _workspace(ws: dict[str, Any]) -> WorkspaceConfig:
    d = _DEFAULT.workspace
    return WorkspaceConfig(
        backend=_str(ws.get("backend"), d.backend),
        path=_str(ws.get("path"), d.path),
        prune=ws.get("prune") is True,
        environment=_str(ws.get("environment"), d.environment),
        lock_ttl=_num(ws.get("lock_ttl"), d.lock_ttl),
        index_timeout=_num(ws.get("index_timeout"), d.index_timeout),
        fastio=_dict(ws.get("fastio")),
        options=_dict(ws.get("options")),
        s3=_dict(ws.get("s3")),
    )


def _environments(value: Any, top: dict[str, Any]) -> dict[str, EnvironmentConfig]:
    """Each environment's workspace is its own block over the top-level `workspace:` (so lock_ttl
    and the like are set once); a local one without a path gets a directory of its own."""
    out: dict[str, EnvironmentConfig] = {}
    for name, spec in _dict(value).items():
        if not isinstance(name, str) or not isinstance(spec, dict):
            continue
        own = _dict(spec.get("workspace"))
        merged = {**top, **own, "environment": name}
        if "backend" in own and own.get("backend") != top.get("backend"):
            merged.pop("path", None)  # another backend: the top-level local path is not this one's
        if "path" not in own:
            merged["path"] = ENV_WORKSPACE_PATH.format(name=name)
        out[name] = EnvironmentConfig(
            name,
            _workspace(merged),
            _dict(spec.get("variables")),
            _opt_str(spec.get("promote_from")),
            _opt_str(spec.get("url")),
        )
    return out


def _notify(value: Any) -> list[NotifyTarget]:
    out = []
    for spec in value if isinstance(value, list) else []:
        if not isinstance(spec, dict) or not _opt_str(spec.get("url_env")):
            continue
        events = tuple(e for e in _strs(spec.get("events")) if e in NOTIFY_EVENTS) or NOTIFY_EVENTS
        fmt = spec.get("format")
        out.append(
            NotifyTarget(
                spec["url_env"],
                fmt if isinstance(fmt, str) and fmt in NOTIFY_FORMATS else NOTIFY_FORMATS[0],
                events,
                tuple(_strs(spec.get("environments"))),
                min(_num(spec.get("timeout"), NOTIFY_TIMEOUT), NOTIFY_TIMEOUT_CAP),
            )
        )
    return out


def _model_ref(value: Any) -> ModelRef | None:
    if not isinstance(value, dict):
        return None
    return ModelRef(
        provider=_str(value.get("provider"), ModelRef.provider),
        name=_str(value.get("name"), ModelRef.name),
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
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        else default
    )


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _num(value: Any, default: float) -> float:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        else default
    )


def _opt_num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
