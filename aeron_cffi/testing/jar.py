"""Locate (and if needed fetch with Maven) the aeron-all jar of the compiled-in release."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

from aeron_cffi._native import aeron_version

__all__ = ["aeron_all_jar"]


def _maven_local_path(version: str) -> pathlib.Path:
    repo = pathlib.Path(os.environ.get("MAVEN_LOCAL_REPOSITORY", pathlib.Path.home() / ".m2" / "repository"))
    return repo / "io" / "aeron" / "aeron-all" / version / f"aeron-all-{version}.jar"


def aeron_all_jar(fetch: bool = True) -> pathlib.Path:
    """``io.aeron:aeron-all`` at the same version as the compiled-in C client.

    ``AERON_ALL_JAR`` names a jar explicitly; otherwise the jar is taken from Maven's
    local repository, where ``ci/bootstrap`` (or, with ``fetch``, this function
    through ``mvn dependency:get``) puts it.
    """
    explicit = os.environ.get("AERON_ALL_JAR")
    if explicit:
        path = pathlib.Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"AERON_ALL_JAR={explicit} does not exist")
        return path

    version = aeron_version()
    path = _maven_local_path(version)
    if not path.is_file() and fetch:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise FileNotFoundError(f"{path} is missing and mvn is not installed to fetch io.aeron:aeron-all:{version}")
        subprocess.run(
            [mvn, "-q", "dependency:get", f"-Dartifact=io.aeron:aeron-all:{version}"],
            check=True, stdout=subprocess.DEVNULL,
        )
    if not path.is_file():
        raise FileNotFoundError(f"io.aeron:aeron-all:{version} is not at {path}; set AERON_ALL_JAR")
    return path
