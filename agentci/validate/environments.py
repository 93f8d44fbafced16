"""agentci.yaml `environments:` fit together: the default and every `promote_from` name a declared
environment (not itself), and no two environments deploy to the same workspace."""

from __future__ import annotations

import json

from agentci.config import from_data
from agentci.findings import Finding, error
from agentci.validate.context import Context


def check(ctx: Context) -> list[Finding]:
    doc = ctx.repo.documents.get("agentci.yaml")
    if (
        doc is None
        or not isinstance(doc.data, dict)
        or not isinstance(doc.data.get("environments"), dict)
    ):
        return []
    config = from_data(doc.data)
    names = set(config.environments)
    out = []

    def bad(key_path: tuple[str, ...], message: str, hint: str) -> None:
        out.append(error("environment", doc.path, doc.line_of(list(key_path)), message, hint))

    default = config.default_environment
    if default and default not in names:
        bad(
            ("default_environment",),
            f"default_environment {default!r} is not one of the environments",
            f"one of: {', '.join(sorted(names))}",
        )
    seen: dict[str, str] = {}
    for name, env in config.environments.items():
        if env.promote_from and (env.promote_from not in names or env.promote_from == name):
            bad(
                ("environments", name, "promote_from"),
                f"environment {name!r}: promote_from {env.promote_from!r} is not another environment",
                f"one of: {', '.join(sorted(names - {name})) or '(declare a second environment)'}",
            )
        ws = env.workspace
        where = (
            ws.path
            if ws.backend == "local"
            else json.dumps(
                {"fastio": ws.fastio, "s3": ws.s3, "options": ws.options}.get(
                    ws.backend, ws.options
                ),
                sort_keys=True,
            )
        )
        key = f"{ws.backend}:{where}"
        if key in seen:
            bad(
                ("environments", name, "workspace"),
                f"environments {seen[key]!r} and {name!r} deploy to the same workspace ({ws.backend})",
                "give each environment its own path, prefix or workspace",
            )
        seen.setdefault(key, name)
    return out
