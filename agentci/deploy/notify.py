"""`notify:` webhooks: tell a channel when a deploy succeeded, failed, was rolled back, came up
degraded, or when drift was found.

Each target names an env var that holds its URL (a secret: Slack incoming-webhook URLs carry
their credential in the path), never a URL from the repo. Two shapes:
  - `json`: `{"event", "environment", "commit", "repository", "agents": [...], "link", ...}`;
  - `slack`: Slack's incoming-webhook body, `{"text": ..., "blocks": [{"type": "section",
    "text": {"type": "mrkdwn", "text": ...}}]}` (https://api.slack.com/messaging/webhooks).
One POST per target, `timeout` seconds at most (default 5, capped at 30), no retries; a failure is
one log line and never fails the deploy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from agentci.config import Config, NotifyTarget

SUCCEEDED, FAILED, ROLLED_BACK, DEGRADED, DRIFT = (
    "succeeded",
    "failed",
    "rolled_back",
    "degraded",
    "drift",
)
TITLES = {
    SUCCEEDED: "deploy succeeded",
    FAILED: "deploy failed",
    ROLLED_BACK: "deploy rolled back",
    DEGRADED: "deploy degraded",
    DRIFT: "drift found",
}


def deploy_event(report: Any) -> str:
    """Which event a finished deploy is: a smoke failure that put the previous release back is a
    rollback; another Degraded agent is degraded; any other failure is failed."""
    agents = list(report.agents)
    if any(a.smoke and not a.smoke.get("passed") and a.release for a in agents):
        return ROLLED_BACK
    if any(a.health == "Degraded" for a in agents):
        return DEGRADED
    return SUCCEEDED if report.result in ("ok", "noop") else FAILED


def notify_deploy(
    config: Config,
    environment: str,
    commit: str | None,
    event: str,
    agents: Iterable[Any],
    error: str,
    log: Callable[[str], None],
) -> int:
    """Send `event` to every target that wants it; returns how many were delivered."""
    rows = [
        {
            "name": a.name,
            "sync": a.sync,
            "health": a.health,
            "release": a.release,
            **({"message": a.message} if a.message else {}),
        }
        for a in agents
    ]
    return send(config.notify, event, environment, commit, rows, error, log)


def send(
    targets: list[NotifyTarget],
    event: str,
    environment: str,
    commit: str | None,
    agents: list[dict[str, Any]],
    error: str,
    log: Callable[[str], None],
    env: dict[str, str] | None = None,
) -> int:
    env = env if env is not None else dict(os.environ)
    delivered = 0
    for target in targets:
        if event not in target.events or (
            target.environments and environment not in target.environments
        ):
            continue
        url = env.get(target.url_env, "")
        if not url.startswith(("https://", "http://")):
            log(f"notify: {target.url_env} is not set (or not a URL); skipped")
            continue
        body = payload(target.format, event, environment, commit, agents, error, env)
        delivered += _post(url, body, target, log)
    return delivered


def payload(
    fmt: str,
    event: str,
    environment: str,
    commit: str | None,
    agents: list[dict[str, Any]],
    error: str,
    env: dict[str, str],
) -> dict[str, Any]:
    from agentci.deploy.status import now_iso, run_url

    link = run_url()
    from agentci import origin

    repo = origin.current().repository or ""
    if fmt == "slack":
        lines = [
            f"*agentci: {TITLES.get(event, event)}* in `{environment}`"
            + (f" ({_slack(repo)})" if repo else "")
            + f" at `{(commit or 'work tree')[:12]}`"
        ]
        lines += [f"• {_slack(a['name'])}: {a['sync']} {a['health']}" for a in agents[:20]]
        if error:
            lines.append(_slack(error[:500]))
        if link:
            lines.append(f"<{link}|the run>")
        text = "\n".join(lines)
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
        }
    return {
        "event": event,
        "title": TITLES.get(event, event),
        "environment": environment,
        "commit": commit,
        "repository": repo or None,
        "agents": agents,
        "error": error or None,
        "link": link,
        "time": now_iso(),
    }


def _slack(text: str) -> str:
    """Slack mrkdwn control characters, escaped as Slack documents (&, <, >): no mentions or links
    from agent names or error text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _post(url: str, body: dict[str, Any], target: NotifyTarget, log: Callable[[str], None]) -> int:
    import httpx

    try:
        resp = httpx.post(url, json=body, timeout=target.timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        log(f"notify: {target.url_env}: {type(exc).__name__} (the deploy is not affected)")
        return 0
    if resp.status_code >= 300:
        log(f"notify: {target.url_env}: HTTP {resp.status_code} (the deploy is not affected)")
        return 0
    return 1
