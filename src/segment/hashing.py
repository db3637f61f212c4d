"""File fingerprints: the SHA-256 of a file's bytes (standard library only)."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK_BYTES = 16 << 20  # read in blocks: a large file is never held in memory whole


def file_sha256(path: str | Path) -> str:
    """The hex SHA-256 of the file at ``path``; the file is only read."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
