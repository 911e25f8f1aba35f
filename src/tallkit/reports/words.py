"""The reports' words, from ``templates/tekster.toml`` and ``templates/sporsmal.toml``.

A kommune's own template folder may hold either file; its keys replace tallkit's key by key (a
question theme it lists replaces ours), so it can change one phrase without copying the rest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tallkit.errors import OutputError
from tallkit.resources import resource_dir

TEXTS = "tekster.toml"
QUESTIONS = "sporsmal.toml"
SCHOOL_KINDS = ("barneskole", "ungdomsskole", "1-10")


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OutputError(f"{path}: ugyldig TOML ({exc}). Rett filen i malmappen.") from None


def _merged(name: str, override: Path | None) -> dict[str, dict[str, Any]]:
    data = _read(resource_dir("templates") / name)
    if override is not None and (override / name).is_file():
        for table, values in _read(override / name).items():
            if isinstance(values, dict):
                data.setdefault(table, {}).update(values)
    return data


@dataclass(frozen=True)
class Words:
    texts: dict[str, dict[str, Any]]
    questions: dict[str, dict[str, Any]]

    def text(self, table: str, key: str, **fields: Any) -> str:
        try:
            template = str(self.texts[table][key])
            return template.format(**fields)
        except KeyError as exc:
            raise OutputError(
                f"{TEXTS}: mangler [{table}] {key} eller feltet {exc} i teksten. Sjekk malmappen."
            ) from None

    def questions_for(self, theme: str, school_kind: str) -> list[str]:
        found = self.questions.get(theme, {})
        return [*found.get("alle", []), *found.get(school_kind, [])]


def load(override: Path | None = None) -> Words:
    return Words(_merged(TEXTS, override), _merged(QUESTIONS, override))
