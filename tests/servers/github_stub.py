"""A GitHub REST stand-in on 127.0.0.1: the endpoints agentci uses, with GitHub's paths,
fields, status codes and Link-header pagination. Every request is recorded so tests
assert what GitHub would have received.

    with GitHubStub(repo="octo/app", token="t0k") as gh:
        env = {"GITHUB_API_URL": gh.url, "GITHUB_TOKEN": "t0k", "GITHUB_REPOSITORY": "octo/app"}

Runs in-process (tests) or as `python -m tests.servers.github_stub --port N --state F`
(the act end-to-end test, where it must outlive one workflow run: state is saved to F).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    auth: str


@dataclass
class State:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (branch, path) -> content
    heads: dict[str, str] = field(default_factory=dict)  # branch -> commit sha
    deployments: list[dict[str, Any]] = field(default_factory=list)
    deployment_statuses: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1000


class GitHubStub:
    def __init__(
        self,
        repo: str = "octo/app",
        token: str = "ghs_test_token",
        *,
        prefix: str = "",
        default_branch: str = "main",
        state_file: Path | None = None,
        port: int = 0,
    ) -> None:
        self.repo = repo
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.default_branch = default_branch
        self.state = State()
        self.requests: list[Request] = []
        self.state_file = state_file
        self.lock = threading.Lock()
        # Knobs for failure tests.
        self.fail: dict[str, int] = {}  # "POST comments" -> HTTP status to answer instead
        self.move_branch_on_put = 0  # this many PUTs see a branch that moved (409)
        self.protected: set[str] = set()  # branches a ruleset closes to direct writes
        if state_file and state_file.exists():
            self._load()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> GitHubStub:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests ------------------------------------------------------------------
    def add_comment(
        self, issue: int, body: str, login: str = "someone", user_type: str = "User"
    ) -> int:
        with self.lock:
            return self._new_comment(issue, body, login, user_type)["id"]

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.state.comments.values() if c["issue"] == issue]

    def calls(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # -- internals -------------------------------------------------------------------------
    def _api(self, path: str) -> str:
        return f"{self.url}{path}"

    def _new_comment(self, issue: int, body: str, login: str, user_type: str) -> dict[str, Any]:
        self.state.next_id += 1
        cid = self.state.next_id
        comment = {
            "id": cid,
            "node_id": f"IC_{cid}",
            "issue": issue,
            "body": body,
            "url": self._api(f"/repos/{self.repo}/issues/comments/{cid}"),
            "html_url": f"https://github.com/{self.repo}/pull/{issue}#issuecomment-{cid}",
            "issue_url": self._api(f"/repos/{self.repo}/issues/{issue}"),
            "user": {"login": login, "id": 1 if user_type == "Bot" else 2, "type": user_type},
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            "author_association": "NONE",
        }
        self.state.comments[cid] = comment
        return comment

    def _save(self) -> None:
        if not self.state_file:
            return
        data = {
            "comments": list(self.state.comments.values()),
            "statuses": self.state.statuses,
            "check_runs": self.state.check_runs,
            "deployments": self.state.deployments,
            "deployment_statuses": self.state.deployment_statuses,
            "next_id": self.state.next_id,
            "files": [
                [b, p, base64.b64encode(c).decode()] for (b, p), c in self.state.files.items()
            ],
            "requests": [r.__dict__ for r in self.requests],
        }
        self.state_file.write_text(json.dumps(data, indent=1))

    def _load(self) -> None:
        assert self.state_file is not None
        data = json.loads(self.state_file.read_text())
        self.state.comments = {c["id"]: c for c in data["comments"]}
        self.state.statuses = data["statuses"]
        self.state.check_runs = data["check_runs"]
        self.state.deployments = data["deployments"]
        self.state.deployment_statuses = data["deployment_statuses"]
        self.state.next_id = data["next_id"]
        self.state.files = {(b, p): base64.b64decode(c) for b, p, c in data["files"]}
        self.requests = [Request(**r) for r in data["requests"]]


def _blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _handler(stub: GitHubStub) -> type[BaseHTTPRequestHandler]:
    from tests.servers.github_routes import route

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            split = urlsplit(self.path)
            path = split.path
            if stub.prefix and path.startswith(stub.prefix):
                path = path[len(stub.prefix) :]
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                self._send(400, {"message": "Problems parsing JSON"})
                return
            auth = self.headers.get("Authorization", "")
            with stub.lock:
                stub.requests.append(Request(self.command, path, query, body, auth))
                if auth not in (f"token {stub.token}", f"Bearer {stub.token}"):
                    self._send(
                        401,
                        {
                            "message": "Bad credentials",
                            "documentation_url": "https://docs.github.com/rest",
                        },
                    )
                else:
                    status, payload, headers = route(stub, self.command, path, query, body)
                    self._send(status, payload, headers)
                stub._save()

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", "4999")
            self.send_header("X-RateLimit-Reset", "4102444800")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler


def main() -> None:  # pragma: no cover - used by the act end-to-end test
    import argparse
    import time

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--repo", default="octo/app")
    parser.add_argument("--token", default="ghs_test_token")
    args = parser.parse_args()
    with GitHubStub(args.repo, args.token, state_file=args.state, port=args.port):
        while True:
            time.sleep(3600)


if __name__ == "__main__":  # pragma: no cover
    main()
