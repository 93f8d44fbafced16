"""Routes of the GitHub REST stand-in (tests/servers/github_stub.py): GitHub's paths,
fields and status codes for issue comments, statuses, check runs, contents and
deployments. Called with the stub's lock held."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.servers.github_stub import GitHubStub

Response = tuple[int, Any, dict[str, str]]
NOT_FOUND: Response = (
    404,
    {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
    {},
)


def route(stub: GitHubStub, method: str, path: str, query: dict[str, str], body: Any) -> Response:
    m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
    if not m or m.group(1) != stub.repo:
        return NOT_FOUND
    rest = m.group(2) or ""
    key = _key(method, rest)
    if key in stub.fail:
        code = stub.fail[key]
        msg = "Resource not accessible by integration" if code == 403 else "Server Error"
        return code, {"message": msg, "documentation_url": "https://docs.github.com/rest"}, {}
    for pattern, verb, fn in ROUTES:
        hit = re.fullmatch(pattern, rest)
        if hit and verb == method:
            return fn(stub, hit, query, body or {})
    return NOT_FOUND


def _key(method: str, rest: str) -> str:
    """The name tests use in `stub.fail`, e.g. "POST comments", "PATCH comment", "POST statuses"."""
    if re.fullmatch(r"/issues/\d+/comments", rest):
        return f"{method} comments"
    if re.fullmatch(r"/issues/comments/\d+", rest):
        return f"{method} comment"
    return f"{method} {rest.strip('/').split('/')[0]}"


def _repo(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    owner, name = stub.repo.split("/")
    return (
        200,
        {
            "id": 1,
            "node_id": "R_1",
            "name": name,
            "full_name": stub.repo,
            "private": False,
            "owner": {"login": owner, "id": 1, "type": "Organization"},
            "html_url": f"https://github.com/{stub.repo}",
            "url": stub._api(f"/repos/{stub.repo}"),
            "default_branch": stub.default_branch,
            "permissions": {"admin": False, "push": True, "pull": True},
        },
        {},
    )


def _issue(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    n = int(m.group(1))
    return (
        200,
        {
            "id": n,
            "number": n,
            "title": f"PR {n}",
            "state": "open",
            "url": stub._api(f"/repos/{stub.repo}/issues/{n}"),
            "html_url": f"https://github.com/{stub.repo}/pull/{n}",
            "pull_request": {"url": stub._api(f"/repos/{stub.repo}/pulls/{n}")},
            "user": {"login": "author", "id": 3, "type": "User"},
        },
        {},
    )


def _list_comments(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    n = int(m.group(1))
    items = [_public(c) for c in stub.comments_on(n)]
    return _page(stub, f"/repos/{stub.repo}/issues/{n}/comments", items, q)


def _create_comment(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    if not isinstance(b.get("body"), str):
        return _invalid("body")
    if len(b["body"]) > 65536:
        return (
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
            },
            {},
        )
    c = stub._new_comment(int(m.group(1)), b["body"], "github-actions[bot]", "Bot")
    return 201, _public(c), {"Location": c["url"]}


def _get_comment(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    c = stub.state.comments.get(int(m.group(1)))
    return (200, _public(c), {}) if c else NOT_FOUND


def _edit_comment(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    c = stub.state.comments.get(int(m.group(1)))
    if not c:
        return NOT_FOUND
    if not isinstance(b.get("body"), str):
        return _invalid("body")
    if len(b["body"]) > 65536:
        return _invalid("body")
    c["body"] = b["body"]
    c["updated_at"] = "2025-01-01T00:01:00Z"
    return 200, _public(c), {}


def _create_status(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    if b.get("state") not in ("error", "failure", "pending", "success"):
        return _invalid("state")
    if len(b.get("description") or "") > 140:
        return _invalid("description")
    stub.state.next_id += 1
    status = {
        "id": stub.state.next_id,
        "sha": m.group(1),
        "state": b["state"],
        "description": b.get("description"),
        "target_url": b.get("target_url"),
        "context": b.get("context", "default"),
        "url": stub._api(f"/repos/{stub.repo}/statuses/{m.group(1)}"),
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
    }
    stub.state.statuses.append(status)
    return 201, status, {}


def _list_statuses(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    items = [s for s in reversed(stub.state.statuses) if s["sha"] == m.group(1)]
    return _page(stub, f"/repos/{stub.repo}/commits/{m.group(1)}/statuses", items, q)


def _create_check_run(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    if not b.get("name") or not b.get("head_sha"):
        return _invalid("name" if not b.get("name") else "head_sha")
    stub.state.next_id += 1
    run = {
        "id": stub.state.next_id,
        "name": b["name"],
        "head_sha": b["head_sha"],
        "status": b.get("status", "queued"),
        "conclusion": b.get("conclusion"),
        "output": b.get("output") or {},
        "details_url": b.get("details_url"),
        "url": stub._api(f"/repos/{stub.repo}/check-runs/{stub.state.next_id}"),
        "html_url": f"https://github.com/{stub.repo}/runs/{stub.state.next_id}",
    }
    stub.state.check_runs.append(run)
    return 201, run, {}


def _get_contents(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    from tests.servers.github_stub import _blob_sha

    path, branch = m.group(1), q.get("ref", stub.default_branch)
    content = stub.state.files.get((branch, path))
    if content is None:
        return NOT_FOUND
    return (
        200,
        {
            "type": "file",
            "encoding": "base64",
            "size": len(content),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": _blob_sha(content),
            "content": base64.encodebytes(content).decode(),
            "url": stub._api(f"/repos/{stub.repo}/contents/{path}?ref={branch}"),
            "html_url": f"https://github.com/{stub.repo}/blob/{branch}/{path}",
        },
        {},
    )


def _put_contents(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    from tests.servers.github_stub import _blob_sha

    path, branch = m.group(1), b.get("branch", stub.default_branch)
    if branch in stub.protected:
        # A ruleset requiring pull requests. GitHub's wording, as its API returns it for a direct
        # write (e.g. github.com/satisfactory-factories/application/issues/67): "Repository rule
        # violations found\n\nChanges must be made through a pull request." The status code for
        # the Contents API is not in the description; 409 here, agentci matches the text.
        return (
            409,
            {
                "message": "Repository rule violations found\n\nChanges must be made through a pull request.\n\n",
                "documentation_url": "https://docs.github.com/rest/repos/contents#create-or-update-file-contents",
                "status": "409",
            },
            {},
        )
    if not isinstance(b.get("message"), str) or not isinstance(b.get("content"), str):
        return _invalid("message" if not isinstance(b.get("message"), str) else "content")
    if stub.move_branch_on_put > 0:
        stub.move_branch_on_put -= 1
        # Someone pushed between the client's read and write: the file changed under it.
        old = stub.state.files.get((branch, path), b"")
        stub.state.files[(branch, path)] = old + b"\n# concurrent change\n"
    existing = stub.state.files.get((branch, path))
    if existing is not None and b.get("sha") is None:
        return 422, {"message": 'Invalid request.\n\n"sha" wasn\'t supplied.'}, {}
    if existing is not None and b.get("sha") != _blob_sha(existing):
        return 409, {"message": f"{path} does not match {b.get('sha')}"}, {}
    content = base64.b64decode(b["content"])
    stub.state.files[(branch, path)] = content
    stub.state.next_id += 1
    commit_sha = f"{stub.state.next_id:040x}"
    stub.state.heads[branch] = commit_sha
    sha = _blob_sha(content)
    return (
        (200 if existing is not None else 201),
        {
            "content": {
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "sha": sha,
                "size": len(content),
                "type": "file",
                "url": stub._api(f"/repos/{stub.repo}/contents/{path}?ref={branch}"),
            },
            "commit": {
                "sha": commit_sha,
                "message": b["message"],
                "url": stub._api(f"/repos/{stub.repo}/git/commits/{commit_sha}"),
                "author": b.get("author"),
                "committer": b.get("committer"),
            },
        },
        {},
    )


# Deployments, as github/rest-api-description describes them (descriptions/api.github.com/
# api.github.com.yaml, the path keys and operationIds named on each function), with the
# behaviour docs.github.com/rest/deployments/statuses documents for `auto_inactive`.
def _create_deployment(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    """POST "/repos/{owner}/{repo}/deployments" (repos/create-deployment): `ref` required;
    `environment` defaults to "production"; 201 with the deployment."""
    if not b.get("ref"):
        return _invalid("ref")
    stub.state.next_id += 1
    did = stub.state.next_id
    dep = {
        "id": did,
        "node_id": f"DE_{did}",
        "ref": b["ref"],
        "sha": b["ref"],
        "task": b.get("task", "deploy"),
        "environment": b.get("environment", "production"),
        "description": b.get("description"),
        "payload": b.get("payload") or {},
        "url": stub._api(f"/repos/{stub.repo}/deployments/{did}"),
        "statuses_url": stub._api(f"/repos/{stub.repo}/deployments/{did}/statuses"),
        "repository_url": stub._api(f"/repos/{stub.repo}"),
        "creator": {"login": "github-actions[bot]", "type": "Bot", "id": 1},
        "transient_environment": bool(b.get("transient_environment", False)),
        "production_environment": bool(
            b.get("production_environment", b.get("environment", "production") == "production")
        ),
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
    }
    stub.state.deployments.append(dep)
    return 201, dep, {}


def _create_deployment_status(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    """POST "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses" (repos/create-deployment-status):
    `state` one of error, failure, inactive, in_progress, queued, pending, success; `log_url`,
    `environment_url`, `description`; `auto_inactive` (default true) "adds a new inactive status to
    all prior non-transient, non-production environment deployments with the same repository and
    environment name ... only added to deployments that had a success state"."""
    did = int(m.group(1))
    if not any(d["id"] == did for d in stub.state.deployments):
        return NOT_FOUND
    if b.get("state") not in (
        "error",
        "failure",
        "inactive",
        "in_progress",
        "queued",
        "pending",
        "success",
    ):
        return _invalid("state")
    stub.state.next_id += 1
    st = {
        "id": stub.state.next_id,
        "deployment_id": did,
        "state": b["state"],
        "description": b.get("description"),
        "log_url": b.get("log_url"),
        "environment_url": b.get("environment_url"),
        "url": stub._api(f"/repos/{stub.repo}/deployments/{did}/statuses/{stub.state.next_id}"),
    }
    stub.state.deployment_statuses.append(st)
    dep = next(d for d in stub.state.deployments if d["id"] == did)
    if (
        b.get("auto_inactive", True)
        and b["state"] == "success"
        and not dep.get("production_environment")
    ):
        for other in stub.state.deployments:
            if (
                other["id"] != did
                and other["environment"] == dep["environment"]
                and not other.get("transient_environment")
                and not other.get("production_environment")
                and _latest_state(stub, other["id"]) == "success"
            ):
                stub.state.next_id += 1
                stub.state.deployment_statuses.append(
                    {
                        "id": stub.state.next_id,
                        "deployment_id": other["id"],
                        "state": "inactive",
                        "description": "",
                        "log_url": None,
                        "environment_url": None,
                        "url": stub._api(
                            f"/repos/{stub.repo}/deployments/{other['id']}/statuses/{stub.state.next_id}"
                        ),
                    }
                )
    return 201, st, {}


def _latest_state(stub: GitHubStub, did: int) -> str | None:
    mine = [s for s in stub.state.deployment_statuses if s["deployment_id"] == did]
    return mine[-1]["state"] if mine else None


def _list_deployments(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    """GET "/repos/{owner}/{repo}/deployments" (repos/list-deployments): query `sha`, `ref`, `task`,
    `environment` filter; newest first; paginated."""
    items = [
        d
        for d in reversed(stub.state.deployments)
        if all(q.get(k) in (None, d.get(k)) for k in ("sha", "ref", "task", "environment"))
    ]
    return _page(stub, f"/repos/{stub.repo}/deployments", items, q)


def _list_deployment_statuses(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    """GET "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses" (repos/list-deployment-statuses):
    404 for an unknown deployment; newest first; paginated."""
    did = int(m.group(1))
    if not any(d["id"] == did for d in stub.state.deployments):
        return NOT_FOUND
    items = [s for s in reversed(stub.state.deployment_statuses) if s["deployment_id"] == did]
    return _page(stub, f"/repos/{stub.repo}/deployments/{did}/statuses", items, q)


def _get_ref(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    """GET "/repos/{owner}/{repo}/git/ref/{ref}" (git/get-ref): 404 when the branch does not exist."""
    branch = m.group(1).removeprefix("heads/")
    sha = stub.state.heads.get(branch)
    if sha is None:
        return NOT_FOUND
    return (
        200,
        {
            "ref": f"refs/heads/{branch}",
            "node_id": "REF_1",
            "url": stub._api(f"/repos/{stub.repo}/git/refs/heads/{branch}"),
            "object": {
                "type": "commit",
                "sha": sha,
                "url": stub._api(f"/repos/{stub.repo}/git/commits/{sha}"),
            },
        },
        {},
    )


def _create_ref(stub: GitHubStub, m: Any, q: dict[str, str], b: Any) -> Response:
    """POST "/repos/{owner}/{repo}/git/refs" (git/create-ref): `ref` (refs/heads/...) and `sha`
    required; 422 "Reference already exists" for an existing ref; 201 with the ref."""
    ref, sha = b.get("ref"), b.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        return _invalid("ref")
    if not isinstance(sha, str):
        return _invalid("sha")
    branch = ref.removeprefix("refs/heads/")
    if branch in stub.state.heads:
        return 422, {"message": "Reference already exists"}, {}
    stub.state.heads[branch] = sha
    for (br, path), content in list(stub.state.files.items()):
        if br == stub.default_branch:  # the new branch starts with the default branch's files
            stub.state.files[(branch, path)] = content
    return 201, {"ref": ref, "object": {"type": "commit", "sha": sha}}, {}


def _page(stub: GitHubStub, path: str, items: list[Any], q: dict[str, str]) -> Response:
    """GitHub pagination: per_page (default 30, max 100), page (1-based), RFC 5988 Link."""
    per_page = min(max(int(q.get("per_page", 30)), 1), 100)
    page = max(int(q.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    links = []
    if page < last:
        links.append(f'<{stub._api(path)}?per_page={per_page}&page={page + 1}>; rel="next"')
        links.append(f'<{stub._api(path)}?per_page={per_page}&page={last}>; rel="last"')
    if page > 1:
        links.append(f'<{stub._api(path)}?per_page={per_page}&page=1>; rel="first"')
        links.append(f'<{stub._api(path)}?per_page={per_page}&page={page - 1}>; rel="prev"')
    chunk = items[(page - 1) * per_page : page * per_page]
    return 200, chunk, ({"Link": ", ".join(links)} if links else {})


def _public(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if k != "issue"}


def _invalid(field: str) -> Response:
    return (
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Request", "field": field, "code": "invalid"}],
        },
        {},
    )


ROUTES = [
    (r"", "GET", _repo),
    (r"/issues/(\d+)", "GET", _issue),
    (r"/pulls/(\d+)", "GET", _issue),
    (r"/issues/(\d+)/comments", "GET", _list_comments),
    (r"/issues/(\d+)/comments", "POST", _create_comment),
    (r"/issues/comments/(\d+)", "GET", _get_comment),
    (r"/issues/comments/(\d+)", "PATCH", _edit_comment),
    (r"/statuses/([0-9a-fA-F]{4,40})", "POST", _create_status),
    (r"/commits/([0-9a-fA-F]{4,40})/statuses", "GET", _list_statuses),
    (r"/check-runs", "POST", _create_check_run),
    (r"/contents/(.+)", "GET", _get_contents),
    (r"/contents/(.+)", "PUT", _put_contents),
    (r"/deployments", "POST", _create_deployment),
    (r"/deployments", "GET", _list_deployments),
    (r"/deployments/(\d+)/statuses", "POST", _create_deployment_status),
    (r"/deployments/(\d+)/statuses", "GET", _list_deployment_statuses),
    (r"/git/ref/(.+)", "GET", _get_ref),
    (r"/git/refs", "POST", _create_ref),
]
