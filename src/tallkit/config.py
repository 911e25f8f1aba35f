"""Settings: ``tallkit.toml`` and ``TALLKIT_*`` environment variables, read once, frozen.

Precedence (highest first): command-line options, environment, ``tallkit.toml``, defaults.
``tallkit.toml`` is ``--konfig``, else ``$TALLKIT_KONFIG``, else the nearest one in the working
directory or a parent (like git and ruff find theirs). Every key is checked: an unknown key or a
wrong type is an error that names the key and the closest valid one.
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
CONFIG_ENV = "TALLKIT_KONFIG"

# The keys tallkit.toml may hold and their types (README: «Konfigurasjon»).
_SCHEMA: dict[str, Any] = {
    "db": str,
    "kommune": {"nummer": (str, int)},
    "personvern": {"minste_gruppe": int, "nokkelfil": str},
    "rapport": {"maler": str, "sporringer": str, "anonym": bool},
    "sammenligning": {"kommuner": list, "gruppe": str},
    "usikkerhet": {
        "klasse_icc": (int, float),
        "gruppestorrelse": (int, float),
        "uavhengige_elever": bool,
    },
    "standard": [
        {
            "navn": str,
            "prove": str,
            "trinn": int,
            "minst": (int, float),
            "hoyst": (int, float),
            "mestringsnivaa": int,
        }
    ],
}
_TYPE_NAMES = {str: "tekst", int: "heltall", float: "tall", bool: "sann/usann", list: "liste"}
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
    # TALLKIT_PROSESSER: processes speil may use (1: no extra ones; None: one per core)
    processes: int | None = None
    # where each setting came from: field name -> «standard», «FIL», «TALLKIT_DB», «--db»
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def with_db(self, db: Path | None) -> Settings:
        if db is None:
            return self
        return replace(self, db_path=db, sources={**self.sources, "db_path": "--db"})


def load_settings(db: Path | None = None, config: Path | None = None) -> Settings:
    """Build settings from defaults, ``tallkit.toml`` and the environment."""
    settings = Settings()
    path = find_config(config)
    if path is not None:
        settings = _apply_toml(settings, path)
        how = "--konfig" if config is not None else CONFIG_ENV if os.environ.get(CONFIG_ENV) else ""
        settings.sources["config_path"] = how or "funnet i arbeidsmappen eller en foreldremappe"
    settings = _apply_env(settings)
    return settings.with_db(db)


def find_config(explicit: Path | None = None, start: Path | None = None) -> Path | None:
    """``--konfig``, else ``$TALLKIT_KONFIG``, else the nearest ``tallkit.toml`` in ``start``
    (the working directory) or one of its parents."""
    if explicit is not None:
        return explicit
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_CONFIG
        if candidate.is_file():
            return candidate
    return None


def _closest(key: str, valid: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    if close:
        return f" Mente du «{close[0]}»?"
    return f" Gyldige nøkler her: {', '.join(valid)}."


def _check(data: Any, schema: Any, where: str, path: Path) -> None:
    """Raise a usage error for the first unknown key or wrong type in ``data``."""
    if isinstance(schema, dict):
        if not isinstance(data, dict):
            raise UsageError(f"{path}: «{where}» skal være en tabell ([{where}]).")
        for key, value in data.items():
            name = f"{where}.{key}" if where else key
            if key not in schema:
                place = f"i [{where}]" if where else "på øverste nivå"
                raise UsageError(
                    f"{path}: ukjent nøkkel «{key}» {place}.{_closest(key, list(schema))}"
                )
            _check(value, schema[key], name, path)
        return
    if isinstance(schema, list):
        if not isinstance(data, list):
            raise UsageError(f"{path}: «{where}» skal være en liste av tabeller ([[{where}]]).")
        for index, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise UsageError(f"{path}: [[{where}]] nr. {index} skal være en tabell.")
            _check(item, schema[0], where, path)
        return
    types = schema if isinstance(schema, tuple) else (schema,)
    fits = isinstance(data, bool) if bool in types else not isinstance(data, bool)
    if not fits or not isinstance(data, types):
        wanted = " eller ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
        raise UsageError(
            f"{path}: «{where}» skal være {wanted}, ikke {_describe(data)}. "
            f"Eksempel: {where.rsplit('.', 1)[-1]} = {_example(types[0])}"
        )


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "sann/usann"
    if isinstance(value, str):
        return f"teksten «{value}»"
    if isinstance(value, dict):
        return "en tabell"
    if isinstance(value, list):
        return "en liste"
    return f"tallet {value}"


def _example(kind: type) -> str:
    return {str: '"tekst"', int: "10", float: "50.0", bool: "true", list: '["4204"]'}.get(
        kind, "..."
    )


def _apply_toml(settings: Settings, path: Path) -> Settings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: finner ikke konfigurasjonsfilen. Sjekk stien til --konfig "
            f"(eller ${CONFIG_ENV})."
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: ugyldig TOML ({exc}). Rett filen og prøv igjen.") from None
    _check(data, _SCHEMA, "", path)
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
    changes["standards"] = tuple(standards)
    sources = dict(settings.sources)
    sources.update({k: "tallkit.toml" for k in changes if k not in ("config_path", "standards")})
    if standards:
        sources["standards"] = "tallkit.toml"
    return replace(settings, **changes, sources=sources)


def _apply_env(settings: Settings) -> Settings:
    changes: dict[str, Any] = {}
    sources = dict(settings.sources)
    if db := os.environ.get("TALLKIT_DB"):
        changes["db_path"] = Path(db)
        sources["db_path"] = "TALLKIT_DB"
    if key := os.environ.get("TALLKIT_NOKKELFIL"):
        changes["key_file"] = Path(key)
        sources["key_file"] = "TALLKIT_NOKKELFIL"
    if group := os.environ.get("TALLKIT_MINSTE_GRUPPE"):
        changes["min_group"] = _min_group(group, "TALLKIT_MINSTE_GRUPPE")
        sources["min_group"] = "TALLKIT_MINSTE_GRUPPE"
    if processes := os.environ.get("TALLKIT_PROSESSER"):
        changes["processes"] = _processes(processes, "TALLKIT_PROSESSER")
        sources["processes"] = "TALLKIT_PROSESSER"
    return replace(settings, **changes, sources=sources)


def describe(settings: Settings) -> list[dict[str, str]]:
    """The effective settings, one row each: the tallkit.toml name, value and where it came
    from (``standard`` when nothing set it)."""
    rows = [
        ("konfigurasjonsfil", settings.config_path, "config_path"),
        ("db", settings.db_path, "db_path"),
        ("kommune.nummer", settings.kommunenr, "kommunenr"),
        ("personvern.minste_gruppe", settings.min_group, "min_group"),
        ("personvern.nokkelfil", settings.key_file, "key_file"),
        ("rapport.maler", settings.templates_dir, "templates_dir"),
        ("rapport.sporringer", settings.queries_dir, "queries_dir"),
        ("rapport.anonym", settings.anonymous, "anonymous"),
        ("sammenligning", ", ".join(settings.comparison), "comparison"),
        ("standard", len(settings.standards), "standards"),
        ("usikkerhet.klasse_icc", settings.class_icc, "class_icc"),
        ("usikkerhet.gruppestorrelse", settings.group_size, "group_size"),
        ("usikkerhet.uavhengige_elever", settings.independent_pupils, "independent_pupils"),
    ]
    result = []
    for name, value, field_name in rows:
        source = settings.sources.get(field_name, "innebygd standard")
        if field_name == "config_path" and value is None:
            source = "ingen tallkit.toml funnet"
        # as tallkit.toml writes it (the names are its keys): false, not Python's False
        shown = (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
        if field_name == "standards":
            shown = f"{value} mål"
        result.append({"innstilling": name, "verdi": shown, "kilde": source})
    return result


def _number(value: object, low: float, high: float, key: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise UsageError(f"{path}: [usikkerhet] {key} må være et tall fra {low:g} til {high:g}.")
    return float(value)


def _comparison(section: object, path: Path) -> tuple[str, ...]:
    from tallkit.sammenligning import resolve

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
    return resolve([str(e) for e in entries], group, f"{path}: [sammenligning]")


def _processes(value: object, where: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise UsageError(
            f"{where}: antall prosesser må være et heltall fra 1 til 64 (1: ingen ekstra)."
        )
    return int(text)


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
