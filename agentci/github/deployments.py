"""GitHub Deployments for `agentci deploy`, as GitHub documents them (docs.github.com/rest/deployments):
one deployment per environment and commit, created when the deploy starts with an `in_progress`
status, ending `success`, `failure` or `error` with `environment_url` and `log_url` (the run),
and the environment's earlier successful deployments marked `inactive` — done here explicitly,
because `auto_inactive` skips production environments.

A job that declares `environment: NAME` makes GitHub Actions create a deployment for that job
itself. When the deploy runs in such a job agentci finds that deployment (same environment and
commit, its latest status still queued/in_progress, its log_url pointing at this run) and adds its
statuses to it instead of creating a duplicate. The docs do not say what the job's deployment
status carries; when nothing matches, agentci creates its own (a second entry, never a lost one).

Nothing here fails a deploy: a token without `deployments: write` costs one log line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from agentci.errors import AgentciError
from agentci.github.api import GitHub

OPEN_STATES = ("queued", "pending", "in_progress", "waiting")
#: how many earlier deployments of the environment are checked for an active `success`
DEACTIVATE_SCAN = 10


class DeploymentTracker:
    def __init__(
        self,
        gh: GitHub,
        deployment_id: int,
        environment: str,
        env_url: str | None,
        log_url: str | None,
        log: Callable[[str], None],
        reused: bool,
    ) -> None:
        self.gh, self.id, self.environment = gh, deployment_id, environment
        self.env_url, self.log_url, self.log, self.reused = env_url, log_url, log, reused

    @classmethod
    def start(
        cls,
        environment: str,
        ref: str | None,
        *,
        env_url: str | None,
        log: Callable[[str], None],
        description: str = "agentci deploy",
        env: Mapping[str, str] | None = None,
    ) -> DeploymentTracker | None:
        from agentci.deploy.status import run_url

        env = env if env is not None else os.environ
        if env.get("GITHUB_ACTIONS") != "true":
            return None
        ref = ref or env.get("GITHUB_SHA")
        try:
            gh = GitHub.from_env(env)
            if gh is None or not ref:
                return None
            log_url = run_url()
            found = job_deployment(gh, environment, ref, env.get("GITHUB_RUN_ID"))
            dep = found or gh.create_deployment(ref, environment, description=description)
            gh.create_deployment_status(
                dep, "in_progress", description, log_url=log_url, environment_url=env_url
            )
        except AgentciError as exc:  # GitHubError, or a malformed GITHUB_REPOSITORY
            log(
                f"deployment: not recorded on GitHub ({exc.message}); the job needs `permissions: deployments: write`"
            )
            return None
        return cls(gh, dep, environment, env_url, log_url, log, reused=found is not None)

    def finish(self, state: str, description: str) -> None:
        """state: success | failure | error."""
        try:
            self.gh.create_deployment_status(
                self.id, state, description, log_url=self.log_url, environment_url=self.env_url
            )
            if state == "success":
                self._deactivate_older()
        except AgentciError as exc:
            self.log(f"deployment: could not set {state} on GitHub ({exc.message})")

    def _deactivate_older(self) -> None:
        for dep in self.gh.list_deployments(self.environment, limit=DEACTIVATE_SCAN):
            did = dep.get("id")
            if not isinstance(did, int) or did == self.id:
                continue
            latest = self.gh.list_deployment_statuses(did, limit=1)
            if latest and latest[0].get("state") == "success":
                self.gh.create_deployment_status(
                    did, "inactive", f"superseded by deployment {self.id}"
                )


def job_deployment(gh: GitHub, environment: str, sha: str, run_id: str | None) -> int | None:
    """The deployment GitHub Actions made for this job's `environment:`, if this is such a job."""
    if not run_id:
        return None
    for dep in gh.list_deployments(environment, sha=sha, limit=5):
        did = dep.get("id")
        if not isinstance(did, int):
            continue
        latest = gh.list_deployment_statuses(did, limit=1)
        if not latest or latest[0].get("state") not in OPEN_STATES:
            continue
        urls = " ".join(str(latest[0].get(k) or "") for k in ("log_url", "target_url"))
        if f"/actions/runs/{run_id}" in urls:
            return did
    return None
