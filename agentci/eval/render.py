"""The system prompt: a Jinja2 template rendered with the manifest's variables and the case's vars.

StrictUndefined makes a missing variable an error that names it. The template comes from
the pull request under review, so it runs in a bounded sandbox:

- Jinja's sandbox (no Python internals) with no loader: a prompt is one file, and
  `{% include %}`, `{% import %}`, `{% from %}`, `{% extends %}` are refused (validate
  reports them as `prompt-include`);
- a size cap (`MAX_CHARS` of output) and a time cap (`MAX_SECONDS`, counted on the
  template's own lines, so a nested loop is stopped mid-way);
- numbers that would build huge strings (`'x' * 10**9`, `center(10**9)`,
  `'%0999999999d'|format(1)`, `10 ** 10 ** 10`) are refused before they run.

Every failure is a `RenderError` naming the file: a per-case error in eval and a refusal
in deploy, never an internal error.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from typing import Any

from agentci.errors import AgentciError

#: Largest rendered prompt (characters): far beyond any model's context window.
MAX_CHARS = 1_000_000
#: Longest a render may run (seconds).
MAX_SECONDS = 2.0
#: Most memory a render may add to the process's peak (KiB), checked on each template line.
MAX_GROWTH_KIB = 64 * 1024
#: Largest number a template may pass to a filter or method, or repeat a sequence by.
MAX_NUMBER = MAX_CHARS
#: Template tags that would read other files.
FORBIDDEN_TAGS = {
    "Include": "include",
    "Import": "import",
    "FromImport": "from",
    "Extends": "extends",
}


class RenderError(AgentciError):
    pass


class _Stop(Exception):
    """Raised inside the template (by the tracer or a guard) to end the render."""


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+)?(?:\.(\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:[^{}\d]*(\d+)?(?:[,_])?(?:\.(\d+))?[^{}]*\}")


def _check_number(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise _Stop(f"{what}: number {value} is larger than the template limit {MAX_NUMBER:,}")


def _check_format(fmt: Any, pattern: re.Pattern[str]) -> None:
    if isinstance(fmt, str):
        for m in pattern.finditer(fmt):
            for n in m.groups():
                if n and int(n) > MAX_NUMBER:
                    raise _Stop(
                        f"format width {n} is larger than the template limit {MAX_NUMBER:,}"
                    )


def _check_join(sep: Any, items: Any) -> list[Any]:
    items = list(items)
    if isinstance(sep, str) and len(sep) * len(items) > MAX_CHARS:
        raise _Stop(
            f"joining {len(items)} items with a {len(sep)}-character separator is too large"
        )
    return items


def _guard_filter(name: str, func: Any) -> Any:
    skip = 2 if getattr(func, "jinja_pass_arg", None) else 1  # context/environment come first

    @functools.wraps(func)  # keeps jinja's pass_context/pass_environment marks
    def guarded(*args: Any, **kwargs: Any) -> Any:
        value, extra = (args[skip - 1] if len(args) >= skip else None), args[skip:]
        for v in (*extra, *kwargs.values()):
            _check_number(v, f"filter {name}")
        if name == "format":
            _check_format(value, _PERCENT_SPEC)
        elif name == "replace" and len(extra) >= 2:
            text, old, new = str(value), str(extra[0]), str(extra[1])
            if (len(text) + 1 if old == "" else text.count(old)) * len(new) > MAX_CHARS:
                raise _Stop(f"filter replace would build more than {MAX_CHARS:,} characters")
        elif name == "join" and value is not None:
            items = _check_join(extra[0] if extra else kwargs.get("d", ""), value)
            args = (*args[: skip - 1], items, *extra)
        return func(*args, **kwargs)

    return guarded


@functools.lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    class Bounded(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if (
                operator == "**"
                and isinstance(right, int)
                and abs(right) > 64
                and isinstance(left, int)
                and abs(left) > 1
            ):
                raise _Stop(f"{left} ** {right} is too large for a template")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if (
                        isinstance(seq, (str, list, tuple))
                        and isinstance(n, int)
                        and len(seq) * n > MAX_CHARS
                    ):
                        raise _Stop(
                            f"repeating a sequence {n} times builds more than {MAX_CHARS:,} items"
                        )
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            for v in (*args, *kwargs.values()):
                _check_number(v, f"call of {getattr(__obj, '__name__', type(__obj).__name__)}")
            if (
                getattr(__obj, "__name__", "") == "join"
                and isinstance(getattr(__obj, "__self__", None), str)
                and args
            ):
                args = (_check_join(__obj.__self__, args[0]), *args[1:])
            return super().call(__context, __obj, *args, **kwargs)

        def wrap_str_format(self, value: Any) -> Any:  # `'{:>9}'.format(x)` (jinja >= 3.1.5)
            if getattr(value, "__name__", "") in ("format", "format_map"):
                _check_format(getattr(value, "__self__", None), _BRACE_SPEC)
            return super().wrap_str_format(value)

        def format_string(
            self, s: str, *args: Any, **kwargs: Any
        ) -> str:  # the same, jinja < 3.1.5
            _check_format(s, _BRACE_SPEC)
            return str(super().format_string(s, *args, **kwargs))  # type: ignore[misc]

    env = Bounded(
        undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False, loader=None
    )
    env.filters = {name: _guard_filter(name, f) for name, f in env.filters.items()}
    env.globals.pop("lipsum", None)  # lipsum(10**6) is half a gigabyte of filler
    return env


def forbidden_tags(ast: Any) -> list[tuple[str, int]]:
    """`(tag, line)` of each include/import/from/extends in a parsed template."""
    from jinja2 import nodes

    found = []
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        found.append((FORBIDDEN_TAGS[type(node).__name__], node.lineno))
    return found


@functools.lru_cache(maxsize=256)
def _compile(text: str) -> Any:
    env = _env()
    bad = forbidden_tags(env.parse(text))
    if bad:
        tag, line = bad[0]
        raise _Forbidden(tag, line)
    return env.from_string(text)


class _Forbidden(Exception):
    def __init__(self, tag: str, line: int) -> None:
        super().__init__(tag)
        self.tag, self.line = tag, line


#: Where Jinja2 markup could start (`{{`, `{%`, `{#`); a text without any is plain text.
_MARKUP = re.compile(r"\{[{%#]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _plain(template: str) -> str:
    """What Jinja2 renders for a text without markup: its lexer's newline handling and
    nothing else (every line ending becomes `\n`; one trailing newline is dropped, as
    `keep_trailing_newline=False` does). tests/eval/test_render_plain.py holds it to Jinja2."""
    lines = _NEWLINE.split(template)
    if lines[-1] == "":
        del lines[-1]
    return "\n".join(lines)


def render(template: str, variables: dict[str, Any], *, path: str) -> str:
    """Render `template` (from `path`, for messages). Raises RenderError naming file, line and variable."""
    if not _MARKUP.search(template):  # most system prompts: no Jinja2 import, no sandbox
        if len(template) > MAX_CHARS:
            raise RenderError(
                f"{path}: template stopped: rendered prompt is larger than {MAX_CHARS:,} characters",
                hint="prompts may only use variables, filters and small loops",
            )
        return _plain(template)
    import jinja2

    try:
        if template in _too_slow:  # it ran out of time once: every case of the run would wait again
            raise _Stop(_too_slow[template])
        return _bounded(_compile(template), variables, template)
    except _Forbidden as exc:
        raise RenderError(
            f"{path}:{exc.line}: {{% {exc.tag} %}} is not allowed: a prompt is one file",
            hint="put the text in the prompt itself, or pass it in agent.variables",
        ) from None
    except _Stop as exc:
        raise RenderError(
            f"{path}: template stopped: {exc}",
            hint="prompts may only use variables, filters and small loops",
        ) from None
    except jinja2.UndefinedError as exc:
        name = _undefined_name(str(exc))
        raise RenderError(
            f"{path}: undefined template variable {name}",
            hint=f"add {name} to agent.variables in the manifest or to the case's `vars:`",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"{path}:{exc.lineno}: template syntax error: {exc.message}",
            hint="fix the Jinja2 syntax",
        ) from None
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(
            f"{path}: template not allowed: {exc}",
            hint="prompts may only use plain variables and filters",
        ) from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"{path}: template error: {exc}") from None
    except RecursionError:
        raise RenderError(
            f"{path}: template recursion too deep", hint="a macro calls itself without end"
        ) from None
    except Exception as exc:  # the template is untrusted: whatever it raises is its error, not ours
        raise RenderError(
            f"{path}: template failed: {type(exc).__name__}: {str(exc)[:200]}"
        ) from None


#: templates that hit the time cap in this process, and why
_too_slow: dict[str, str] = {}


def _bounded(template: Any, variables: dict[str, Any], source: str) -> str:
    """Render chunk by chunk: stop past MAX_CHARS, and past MAX_SECONDS via a tracer that
    watches only the template's own frames (its code is compiled from "<template>")."""
    deadline = time.monotonic() + MAX_SECONDS
    filename = template.root_render_func.__code__.co_filename
    base = _rss_kib()
    checked = [time.monotonic()]

    def on_line(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            now = time.monotonic()
            if now > deadline:
                _too_slow[source] = f"render took longer than {MAX_SECONDS:g} s"
                raise _Stop(_too_slow[source])
            if now - checked[0] > 0.001:  # a line that built something big took time to build it
                checked[0] = now
                if _rss_kib() - base > MAX_GROWTH_KIB:
                    raise _Stop(f"render used more than {MAX_GROWTH_KIB // 1024} MiB of memory")
        return on_line

    def on_call(frame: Any, event: str, arg: Any) -> Any:
        return on_line if frame.f_code.co_filename == filename else None

    parts: list[str] = []
    size = 0
    old = sys.gettrace()
    sys.settrace(on_call)
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_CHARS:
                raise _Stop(f"rendered prompt is larger than {MAX_CHARS:,} characters")
            if time.monotonic() > deadline:
                raise _Stop(f"render took longer than {MAX_SECONDS:g} s")
            parts.append(chunk)
    finally:
        sys.settrace(old)
    return "".join(parts)


def _rss_kib() -> int:
    """The process's resident memory now (KiB); its peak where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _undefined_name(message: str) -> str:
    # jinja2: "'foo' is undefined" or "'dict object' has no attribute 'bar'"
    if message.endswith("is undefined"):
        return message.rsplit(" is undefined", 1)[0]
    return repr(message)
