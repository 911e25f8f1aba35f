"""Pseudonymisation: pupil ids become keyed HMAC-SHA256 pseudonyms before anything is stored.

The key is a random 32-byte secret kept in a file outside the database (see
:func:`tallkit.config.default_key_file`), created on first use, readable by its owner only. The
same key gives the same pseudonym for the same pupil every year, so cohorts can be followed; a
database ingested with one key refuses files under another (the store keeps a fingerprint).
Fødselsnummer are only 11 digits with two check digits: without the key, hashing alone could be
reversed by trying them all, which is why the key is secret and never beside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from tallkit.errors import FNR_LIKE, UsageError

PSEUDONYM_HEX_CHARS = 20  # 80 bits: no collisions in practice among millions of pupils
_BLOCK = 64  # SHA-256 block size, for HMAC's inner and outer pads
# Eleven digits, perhaps split after the birth date (01011385776, 010113 85776, 010113-85776),
# as DuckDB (RE2) patterns: a whole value, and anywhere inside a value.
FNR_WHOLE_SQL = r"[0-9]{6}[ .\-\x{00a0}]?[0-9]{5}"
FNR_INSIDE_SQL = r"(^|[^0-9])[0-9]{6}[ .\-\x{00a0}]?[0-9]{5}([^0-9]|$)"


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it (stored in the database)."""
        return hashlib.sha256(b"tallkit-nokkel:" + self.secret).hexdigest()[:16]

    @property
    def long(self) -> bool:
        """Longer than SHA-256's block: standard HMAC (RFC 2104) hashes such a key first."""
        return len(self.secret) > _BLOCK

    def pads(self) -> tuple[bytes, bytes]:
        """HMAC's (inner, outer) padded keys, so the database can compute HMAC in SQL."""
        key = hashlib.sha256(self.secret).digest() if self.long else self.secret
        key = key.ljust(_BLOCK, b"\0")
        inner = bytes(b ^ 0x36 for b in key)
        outer = bytes(b ^ 0x5C for b in key)
        return inner, outer

    def pseudonym(self, pupil_id: str) -> str:
        """Reference implementation (tests compare the SQL path against this)."""
        text = pupil_id.strip()
        if re.fullmatch(r"[0-9]{6}[ .\-\u00a0]?[0-9]{5}", text):
            text = re.sub(r"[^0-9]", "", text)  # the same pupil however the number is spaced
        digest = hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:PSEUDONYM_HEX_CHARS]


def load_or_create_key(
    path: Path, *, create: bool = True, expected: str | None = None
) -> PseudonymKey:
    """Read the key file, or create it (owner-only) when it does not exist yet.

    ``expected`` is the fingerprint a database already holds: then a missing key is an error
    that says how to restore it (a new key would silently cut every pupil off from their past).
    """
    try:
        _check_mode(path)
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create or expected is not None:
            raise UsageError(
                f"{path}: finner ikke pseudonymnøkkelen"
                + (
                    f", men databasen har elevdata laget med nøkkelen med fingeravtrykk {expected}. "
                    "Legg tilbake nøkkelfilen fra sikkerhetskopien (eller pek på den med "
                    "TALLKIT_NOKKELFIL); en ny nøkkel ville gjort at elevene ikke kan følges."
                    if expected is not None
                    else ". Angi riktig fil med TALLKIT_NOKKELFIL."
                )
            ) from None
        secret = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret.hex() + "\n")
    except IsADirectoryError:
        raise UsageError(
            f"{path}: er en mappe, ikke en nøkkelfil. Angi filen med TALLKIT_NOKKELFIL."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{path}: pseudonymnøkkelen er ødelagt (ikke heksadesimal).") from None
    except PermissionError:
        raise UsageError(f"{path}: har ikke lov til å lese pseudonymnøkkelen.") from None
    if len(secret) < 16:
        raise UsageError(f"{path}: pseudonymnøkkelen er for kort (minst 16 byte).")
    return PseudonymKey(secret)


def _check_mode(path: Path) -> None:
    """A key others can read is no secret: refuse it and say how to fix it (POSIX only)."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode  # FileNotFoundError goes to the caller
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(path)
    if mode & 0o077:
        raise UsageError(
            f"{path}: pseudonymnøkkelen kan leses av andre enn eieren (rettigheter "
            f"{stat.S_IMODE(mode):04o}). Kjør «chmod 600 {path}» og vurder om nøkkelen er "
            "kommet på avveie."
        )


def mask_fnr(text: str) -> str:
    """Text with every fødselsnummer-shaped run of 11 digits (any spacing) replaced."""
    return FNR_LIKE.sub("xxxxxxxxxxx", text)


_FNR_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def is_fodselsnummer(text: str) -> bool:
    """11 digits whose two control digits are right (also D- and H-numbers)."""
    if len(text) != 11 or not text.isdigit():
        return False
    digits = [int(c) for c in text]
    k1 = (11 - sum(w * d for w, d in zip(_FNR_W1, digits, strict=False)) % 11) % 11
    k2 = (11 - sum(w * d for w, d in zip(_FNR_W2, digits, strict=False)) % 11) % 11
    return k1 != 10 and k2 != 10 and digits[9] == k1 and digits[10] == k2
