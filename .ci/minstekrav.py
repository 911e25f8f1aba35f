"""Print pip constraints that pin every runtime dependency to its declared lower bound.

.ci/run installs tallkit with these into .venv-min and runs the suite there, so the lower bounds
in pyproject.toml are versions that have been seen to work, not hopes.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        # «name>=low» or «name>=low,<high»: the lower bound is what gets installed
        match = re.fullmatch(
            r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)(?:\s*,\s*<\s*[0-9][0-9.]*)?",
            requirement.strip(),
        )
        if match is None:
            print(f"minstekrav: forstår ikke «{requirement}»", file=sys.stderr)
            return 1
        print(f"{match.group(1)}=={match.group(2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
