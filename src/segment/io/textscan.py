"""The byte pass over a text file: SHA-256, line breaks and a strict decode, never writing to it.

One streaming pass over the bytes: SHA-256, count of line breaks, and a strict decode in the
given encoding (an undecodable byte is a ``DataContractError`` naming the line and the
bytes; nothing is ever replaced). Files not in UTF-8 (GBK, GB18030, Latin-1, ...) are
transcoded to a temporary UTF-8 copy in the same pass.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from segment.hashing import CHUNK_BYTES
from segment.io.contract import DataContractError, Problem


@dataclass
class TextScan:
    sha256: str
    size: int
    #: lines holding something: line breaks, plus an unterminated last line, minus the blank
    #: lines at the very end of the file (readers skip them)
    physical_lines: int
    has_content: bool
    utf8_path: str | None  # temporary UTF-8 copy (non-UTF-8 input); delete after use


def scan_text_file(path: str | Path, encoding: str, label: str) -> TextScan:
    """One pass: SHA-256, line breaks, strict decode (and a UTF-8 copy when not UTF-8)."""
    codec = codecs.lookup(encoding).name
    utf8 = codec in ("utf-8", "utf-8-sig", "ascii")
    digest = hashlib.sha256()
    newlines = size = 0
    has_content = False
    last = b""
    tail = b""
    out = None
    if not utf8:
        fd, tmp = tempfile.mkstemp(prefix="segment-utf8-", suffix=".csv")
        out = os.fdopen(fd, "wb")
    try:
        with open(path, "rb") as fh:
            pending = b""
            first = True
            while True:
                block = fh.read(CHUNK_BYTES)
                if block:
                    digest.update(block)
                    size += len(block)
                    last = block[-1:]
                    tail = (tail + block)[-4096:]
                    data = pending + block
                    cut = data.rfind(b"\n") + 1
                    if cut == 0:
                        pending = data
                        continue
                    chunk, pending = data[:cut], data[cut:]
                else:
                    chunk, pending = pending, b""
                    if not chunk:
                        break
                body = chunk[3:] if first and utf8 and chunk.startswith(codecs.BOM_UTF8) else chunk
                first = False
                try:
                    text = body.decode("utf-8" if codec == "utf-8-sig" else codec)
                except UnicodeDecodeError as exc:
                    raise _undecodable(label, encoding, body, exc, newlines) from None
                if not has_content and text.strip():
                    has_content = True
                if out is not None:
                    out.write(text.encode("utf-8"))
                newlines += chunk.count(b"\n")
                if not block:
                    break
    except BaseException:
        if out is not None:
            out.close()
            os.unlink(tmp)
        raise
    if out is not None:
        out.close()
    content = tail.rstrip(b"\r\n \t")
    trailing = tail[len(content):].count(b"\n") - 1 if last == b"\n" and content else 0
    physical = newlines + (0 if last == b"\n" else 1) - max(trailing, 0)
    return TextScan(digest.hexdigest(), size, physical, has_content, tmp if out is not None else None)


def _undecodable(label: str, encoding: str, body: bytes, exc: UnicodeDecodeError, lines_before: int) -> DataContractError:
    line = lines_before + body.count(b"\n", 0, exc.start) + 1
    start = body.rfind(b"\n", 0, exc.start) + 1
    end = body.find(b"\n", exc.start)
    raw_line = body[start: end if end >= 0 else len(body)]
    bad = body[exc.start: exc.end]
    hint = ""
    for other in ("gb18030", "utf-8", "latin-1"):
        if codecs.lookup(other).name == codecs.lookup(encoding).name:
            continue
        try:
            raw_line.decode(other)
        except UnicodeDecodeError:
            continue
        hint = f"; the line does decode as {other}: is that the file's encoding?"
        break
    check = (f"text in the {encoding} encoding: byte(s) {bad!r} at byte {exc.start - start + 1} of the line "
             f"cannot be decoded (never replaced silently){hint}")
    return DataContractError(label, [Problem(label, line, None, raw_line, check)])

