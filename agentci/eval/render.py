"""The system prompt: a Jinja2 template rendered with the manifest's variables and the case's vars.

StrictUndefined makes a missing variable an error that names it. The template comes
from the pull request under review, so it runs in Jinja's sandbox: a prompt must not
be able to reach Python internals on the CI runner.
"""

from __future__ import annotations

import functools
from typing import Any

from agentci.errors import AgentciError


class RenderError(AgentciError):
    pass


@functools.lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


@functools.lru_cache(maxsize=256)
def _compile(text: str) -> Any:
    return _env().from_string(text)


def render(template: str, variables: dict[str, Any], *, path: str) -> str:
    """Render `template` (from `path`, for messages). Raises RenderError naming file, line and variable."""
    import jinja2

    try:
        return str(_compile(template).render(**variables))
    except jinja2.UndefinedError as exc:
        name = _undefined_name(str(exc))
        raise RenderError(
            f"{path}: undefined template variable {name}",
            hint=f"add {name} to agent.variables in the manifest or to the case's `vars:`",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{path}:{exc.lineno}: template syntax error: {exc.message}",
                          hint="fix the Jinja2 syntax") from None
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(f"{path}: template not allowed: {exc}", hint="prompts may only use plain variables and filters") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"{path}: template error: {exc}") from None


def _undefined_name(message: str) -> str:
    # jinja2: "'foo' is undefined" or "'dict object' has no attribute 'bar'"
    if message.endswith("is undefined"):
        return message.rsplit(" is undefined", 1)[0]
    return repr(message)
