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
import secrets
from dataclasses import dataclass
from pathlib import Path

from tallkit.errors import UsageError

PSEUDONYM_HEX_CHARS = 20  # 80 bits: no collisions in practice among millions of pupils
_BLOCK = 64  # SHA-256 block size, for HMAC's inner and outer pads


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it (stored in the database)."""
        return hashlib.sha256(b"tallkit-nokkel:" + self.secret).hexdigest()[:16]

    def pads(self) -> tuple[bytes, bytes]:
        """HMAC's (inner, outer) padded keys, so the database can compute HMAC in SQL."""
        key = self.secret.ljust(_BLOCK, b"\0")
        inner = bytes(b ^ 0x36 for b in key)
        outer = bytes(b ^ 0x5C for b in key)
        return inner, outer

    def pseudonym(self, pupil_id: str) -> str:
        """Reference implementation (tests compare the SQL path against this)."""
        digest = hmac.new(self.secret, pupil_id.strip().encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:PSEUDONYM_HEX_CHARS]


def load_or_create_key(path: Path, *, create: bool = True) -> PseudonymKey:
    """Read the key file, or create it (owner-only) when it does not exist yet."""
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            raise UsageError(
                f"{path}: finner ikke pseudonymnøkkelen. Angi riktig fil med TALLKIT_NOKKELFIL."
            ) from None
        secret = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret.hex() + "\n")
    except ValueError:
        raise UsageError(f"{path}: pseudonymnøkkelen er ødelagt (ikke heksadesimal).") from None
    if len(secret) < 16:
        raise UsageError(f"{path}: pseudonymnøkkelen er for kort (minst 16 byte).")
    return PseudonymKey(secret)


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
