"""Check report formats against the published schemas vendored in tests/fixtures/schemas/
(sources in its README): SARIF 2.1.0 (OASIS JSON schema) and JUnit XML (Jenkins junit-10.xsd)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent / "fixtures" / "schemas"


@functools.cache
def _sarif_validator() -> Any:
    from jsonschema import Draft4Validator, FormatChecker

    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return Draft4Validator(schema, format_checker=FormatChecker())


def check_sarif(log: dict[str, Any]) -> None:
    """Raise with every violation of the SARIF 2.1.0 schema, listed."""
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])


@functools.cache
def _junit_schema() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))


def check_junit(xml: bytes) -> None:
    """Raise with every violation of junit-10.xsd, listed."""
    from lxml import etree

    schema = _junit_schema()
    doc = etree.fromstring(xml)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)
