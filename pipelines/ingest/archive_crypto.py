"""Encryption at rest of archived files that hold personal data (staffing lists), off by default.

When `CDS_ARCHIVE_KEY` holds a Fernet key (`cds archive-key` prints a new one), every staffing list kept in
`outputs/raw_archive/restricted/` is written encrypted, as `<sha256><suffix>.fernet` (AES-128-CBC with an
HMAC-SHA256, from the `cryptography` package), and plain copies an earlier run left there are encrypted in
place. `cds archive-open FILE --out PATH` gives the original bytes back. Without the key the archive keeps
plain copies readable by the pipeline's user only (0600 in a 0700 folder). Lose the key and the encrypted
copies are lost: keep it in the same safe as the pseudonym key, not beside the archive.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

SUFFIX = ".fernet"


class ArchiveKeyError(RuntimeError):
    """CDS_ARCHIVE_KEY is set but is not a Fernet key, or does not open a file."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise ArchiveKeyError(
            "CDS_ARCHIVE_KEY không phải khóa Fernet (CDS_ARCHIVE_KEY is not a Fernet key: 32 bytes in "
            "url-safe base64, as `cds archive-key` prints)"
        ) from error


def encrypt(data: bytes, key: str) -> bytes:
    return _fernet(key).encrypt(data)


def decrypt(data: bytes, key: str, name: str = "") -> bytes:
    try:
        return _fernet(key).decrypt(data)
    except InvalidToken as error:
        raise ArchiveKeyError(
            f"Không mở được {name or 'tệp'} bằng CDS_ARCHIVE_KEY ({name or 'the file'} does not open with "
            "CDS_ARCHIVE_KEY: another key, or the file was changed)"
        ) from error


def encrypted_name(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def open_archived(path: Path, key: str) -> bytes:
    """The original bytes of an archived file, encrypted or not."""
    data = path.read_bytes()
    return decrypt(data, key, path.name) if path.name.endswith(SUFFIX) else data
