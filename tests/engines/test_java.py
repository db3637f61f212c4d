"""Which Java Spark would use and its major version (segment.engines.java)."""

from __future__ import annotations

from segment.engines.java import java_available, java_major_version


def test_java_version_is_read(tmp_path):
    """`java -version` prints e.g. 'openjdk version "17.0.15"' (or '"1.8.0_392"' for Java 8) on stderr."""
    for text, major in (('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_392"', 8),
                        ('openjdk version "21" 2023-09-19', 21)):
        fake = tmp_path / f"java{major}"
        fake.write_text(f"#!/bin/sh\necho '{text}' >&2\n")
        fake.chmod(0o755)
        assert java_major_version(str(fake)) == major


def test_java_home_comes_first(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    java = tmp_path / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"21\"' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert java_available() == str(java) and java_major_version() == 21
    unreadable = tmp_path / "nothing"
    assert java_major_version(str(unreadable)) is None
