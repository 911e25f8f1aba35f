"""A real browser opens a Læringsspeil from disk with the network off: the school's name and its
charts are there, the console is silent, and printing to PDF works. Needs Debian's chromium
(.ci/run installs it); skipped where it is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tallkit import api
from tallkit.config import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium er ikke installert"),
]


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: nothing may be fetched
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_console_check_sees_an_error_on_a_broken_page(tmp_path: Path) -> None:
    broken = tmp_path / "feil.html"
    broken.write_text("<!DOCTYPE html><script>console.error('feil')</script>", encoding="utf-8")
    result = _chromium(tmp_path / "profil", "--dump-dom", broken.as_uri())
    assert _console(result.stderr), "the console check would not notice an error"


def test_report_opens_offline_with_charts_and_prints_to_pdf(
    sample: Settings, tmp_path: Path
) -> None:
    report = api.speil(
        ["Nordby ungdomsskole"], formats=["html"], ut=tmp_path, dato="2026-11-23", settings=sample
    )
    page = next(p for p in report.written if p.suffix == ".html")
    shown = _chromium(tmp_path / "profil1", "--dump-dom", page.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "Nordby ungdomsskole" in shown.stdout
    assert shown.stdout.count("<svg") >= 3
    assert _console(shown.stderr) == []
    pdf = tmp_path / "speil.pdf"
    printed = _chromium(
        tmp_path / "profil2", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()
    )
    assert (
        printed.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    )
    # A4 (595 × 842 pt), not US Letter, and a typical ungdomsskole in at most six pages
    raw = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", raw)
    assert boxes and all(
        abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes
    ), boxes[:3]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", raw))
    assert 1 <= pages <= 6, pages


def test_kommune_report_opens_offline_with_charts_and_prints_to_a4(
    sample: Settings, tmp_path: Path
) -> None:
    report = api.rapport("9901", formats=["html"], ut=tmp_path, dato="2026-11-23", settings=sample)
    page = next(p for p in report.written if p.suffix == ".html")
    shown = _chromium(tmp_path / "profil1", "--dump-dom", page.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "Fjordvik" in shown.stdout and "Nordby ungdomsskole" in shown.stdout
    assert shown.stdout.count("<svg") >= 10  # trends and the named funnels
    assert _console(shown.stderr) == []
    pdf = tmp_path / "rapport.pdf"
    printed = _chromium(
        tmp_path / "profil2", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()
    )
    assert printed.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-"
    raw = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", raw)
    assert boxes and all(
        abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes
    ), boxes[:3]
