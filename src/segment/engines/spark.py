"""The Spark session a ``data: {engine: spark}`` section runs on, and its Ibis backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from segment.engines.java import MIN_JAVA, java_available, java_major_version
from segment.engines.spec import EngineConfigError

#: session settings used unless the config's spark.conf says otherwise. Timestamps are
#: read and cut to dates in UTC (the internal schema's convention) -- a session in another
#: zone would move orders near midnight to another day, so a different value is refused.
SPARK_DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    # per-customer tables come back through Arrow (without it Spark pickles every row)
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
SPARK_LOCAL_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


def spark_session(master: str = "local[2]", *, app_name: str = "segment", conf: Mapping[str, Any] | None = None) -> Any:
    """A Spark session (``getOrCreate``: an active session with the same master is reused).

    ``local[N]`` runs Spark inside this machine (tests, small data); a cluster URL
    (``spark://host:7077``, ``yarn``, ``k8s://...``) submits to a cluster. Defaults:
    ``SPARK_DEFAULT_CONF`` (UTC session time zone, 8 shuffle partitions -- raise it on a
    cluster, e.g. to 2-3x the executor cores -- and Arrow for collecting results), plus
    no web UI in local mode; ``conf`` overrides them.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineConfigError("engine spark needs pyspark (installed by `make setup` from requirements.lock)") from None
    if java_available() is None:
        raise EngineConfigError("engine spark needs Java 17 or 21 (pyspark 4.0); none found on PATH or in JAVA_HOME")
    version = java_major_version()
    if version is not None and version < MIN_JAVA:
        raise EngineConfigError(f"engine spark needs Java {MIN_JAVA} or later (pyspark 4.0); {java_available()} is Java {version}")
    settings = {**SPARK_DEFAULT_CONF, **(SPARK_LOCAL_CONF if str(master).startswith("local") else {}), **dict(conf or {})}
    builder = SparkSession.builder.master(str(master)).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    check_spark_session(session)
    return session


def check_spark_session(session: Any) -> None:
    """Refuse a session whose time zone is not UTC (dates would shift near midnight)."""
    tz = session.conf.get("spark.sql.session.timeZone")
    if tz not in ("UTC", "Etc/UTC", "GMT", "Z"):
        raise EngineConfigError(f"the Spark session's spark.sql.session.timeZone is {tz!r}; set it to UTC "
                                "(timestamps are cut to UTC dates)")


def spark_backend(session: Any) -> Any:
    """The Ibis pyspark backend on ``session``: expressions built by segment run there."""
    import ibis

    check_spark_session(session)
    return ibis.pyspark.connect(session)
