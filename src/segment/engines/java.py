"""Which Java Spark would use, and its version (pyspark 4.0 needs Java 17 or 21)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

#: pyspark 4.0 runs on Java 17 and 21
MIN_JAVA = 17


def java_available() -> str | None:
    """Path of the java executable Spark would use (JAVA_HOME first), or None."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


def java_major_version(java: str | None = None) -> int | None:
    """Major version of the java Spark would use (17 for "17.0.15"), None if unknown."""
    java = java or java_available()
    if java is None:
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if m is None:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8
