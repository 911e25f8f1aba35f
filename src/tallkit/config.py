"""Settings: ``tallkit.toml`` and ``TALLKIT_*`` environment variables, read once, frozen.

Precedence (highest first): command-line options, environment, ``tallkit.toml``, defaults.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tallkit.errors import UsageError

DEFAULT_DB = "tallkit.duckdb"
DEFAULT_CONFIG = "tallkit.toml"
DEFAULT_MIN_GROUP = 10  # Udir's own threshold; PRODUCT.md §6


def default_key_file() -> Path:
    """Where the pseudonymisation key lives unless configured: the user's config folder.

    Deliberately *not* beside the database: whoever gets a copy of the database should not
    get the key that links pseudonyms back to pupil ids.
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "tallkit" / "nokkel"


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path(DEFAULT_DB)
    config_path: Path | None = None
    kommunenr: str | None = None
    min_group: int = DEFAULT_MIN_GROUP
    key_file: Path = field(default_factory=default_key_file)
    templates_dir: Path | None = None
    queries_dir: Path | None = None
    standards: tuple[dict[str, Any], ...] = ()
    # [usikkerhet]: the class component when the kommune's pupil data cannot give it
    class_icc: float = 0.05
    group_size: float = 20.0
    independent_pupils: bool = False
    # [sammenligning]: comparison kommuner for the kommune report (numbers, groups expanded)
    comparison: tuple[str, ...] = ()
    # [rapport] anonym: the kommune report without school names (a public version)
    anonymous: bool = False

    def with_db(self, db: Path | None) -> Settings:
        return self if db is None else replace(self, db_path=db)


def load_settings(db: Path | None = None, config: Path | None = None) -> Settings:
    """Build settings from defaults, ``tallkit.toml`` (explicit or in the cwd) and the environment."""
    settings = Settings()
    path = config
    if path is None and Path(DEFAULT_CONFIG).is_file():
        path = Path(DEFAULT_CONFIG)
    if path is not None:
        settings = _apply_toml(settings, path)
    settings = _apply_env(settings)
    return settings.with_db(db)


def _apply_toml(settings: Settings, path: Path) -> Settings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: finner ikke konfigurasjonsfilen. Sjekk stien til --konfig."
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: ugyldig TOML ({exc}). Rett filen og prøv igjen.") from None
    base = path.parent
    kommune = data.get("kommune", {})
    privacy = data.get("personvern", {})
    report = data.get("rapport", {})
    changes: dict[str, Any] = {"config_path": path}
    if "db" in data:
        changes["db_path"] = base / str(data["db"])
    if "nummer" in kommune:
        changes["kommunenr"] = str(kommune["nummer"])
    if "minste_gruppe" in privacy:
        changes["min_group"] = _min_group(privacy["minste_gruppe"], str(path))
    if "nokkelfil" in privacy:
        changes["key_file"] = base / Path(str(privacy["nokkelfil"])).expanduser()
    if "maler" in report:
        changes["templates_dir"] = base / str(report["maler"])
    if "sporringer" in report:
        changes["queries_dir"] = base / str(report["sporringer"])
    uncertainty = data.get("usikkerhet", {})
    if "klasse_icc" in uncertainty:
        changes["class_icc"] = _number(uncertainty["klasse_icc"], 0.0, 0.5, "klasse_icc", path)
    if "gruppestorrelse" in uncertainty:
        size = uncertainty["gruppestorrelse"]
        changes["group_size"] = _number(size, 1.0, 200.0, "gruppestorrelse", path)
    if "uavhengige_elever" in uncertainty:
        if not isinstance(uncertainty["uavhengige_elever"], bool):
            raise UsageError(f"{path}: [usikkerhet] uavhengige_elever må være true eller false.")
        changes["independent_pupils"] = uncertainty["uavhengige_elever"]
    if "anonym" in report:
        if not isinstance(report["anonym"], bool):
            raise UsageError(f"{path}: [rapport] anonym må være true eller false.")
        changes["anonymous"] = report["anonym"]
    comparison = data.get("sammenligning", {})
    if comparison:
        changes["comparison"] = _comparison(comparison, path)
    standards = data.get("standard", [])
    if not isinstance(standards, list):
        raise UsageError(f"{path}: [[standard]] må være en liste av tabeller.")
    changes["standards"] = tuple(standards)
    return replace(settings, **changes)


def _apply_env(settings: Settings) -> Settings:
    changes: dict[str, Any] = {}
    if db := os.environ.get("TALLKIT_DB"):
        changes["db_path"] = Path(db)
    if key := os.environ.get("TALLKIT_NOKKELFIL"):
        changes["key_file"] = Path(key)
    if group := os.environ.get("TALLKIT_MINSTE_GRUPPE"):
        changes["min_group"] = _min_group(group, "TALLKIT_MINSTE_GRUPPE")
    return replace(settings, **changes)


def _number(value: object, low: float, high: float, key: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise UsageError(f"{path}: [usikkerhet] {key} må være et tall fra {low:g} til {high:g}.")
    return float(value)


def _comparison(section: object, path: Path) -> tuple[str, ...]:
    from tallkit.sammenligning import GROUPS, expand

    if not isinstance(section, dict):
        raise UsageError(f"{path}: [sammenligning] må være en tabell.")
    unknown = sorted(set(section) - {"kommuner", "gruppe"})
    if unknown:
        raise UsageError(
            f"{path}: ukjent nøkkel «{unknown[0]}» i [sammenligning]. Gyldige: kommuner, gruppe."
        )
    entries = section.get("kommuner", [])
    group = section.get("gruppe")
    if not isinstance(entries, list) or (group is not None and not isinstance(group, str)):
        raise UsageError(
            f'{path}: [sammenligning] kommuner må være en liste (["4204", "ASSS"]) og gruppe '
            "en tekst."
        )
    try:
        return expand([str(e) for e in entries], group)
    except KeyError as exc:
        raise UsageError(
            f"{path}: [sammenligning] «{exc.args[0]}» er verken et kommunenummer (fire sifre) "
            f"eller en kjent gruppe ({', '.join(GROUPS)})."
        ) from None


def _min_group(value: object, where: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < DEFAULT_MIN_GROUP:
        # Below Udir's own threshold would publish what Udir suppresses.
        raise UsageError(
            f"{where}: minste gruppestørrelse må være et heltall på minst {DEFAULT_MIN_GROUP}."
        )
    return number
