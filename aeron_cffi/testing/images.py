"""Container images of the real parts, built from local files only (no base image is pulled).

* ``driver_image()``: ``FROM scratch`` with the packaged ``aeronmd`` and exactly the shared
  libraries it links (found with ``ldd``: it links libuuid, libm and libc dynamically);
* ``java_image()``: ``FROM scratch`` with a Java runtime reduced by ``jlink`` from the
  installed JDK (the modules the pinned ``aeron-all`` jar needs), the libraries that runtime
  links, and the jar: it runs the Java archive, and ``ClusteredMediaDriver`` cluster nodes.

Each image is tagged ``aeron-cffi-<part>:<Aeron version>-<our version>`` and labelled with a
hash of its inputs (the files copied in and the recipe); an image whose label matches is
reused, so an image is rebuilt only when its inputs change. The build context is made in a
cache folder (``AERON_CFFI_IMAGE_CACHE``, default ``~/.cache/aeron-cffi/images``).

``Dockerfile`` at the top of the repository builds the same layout from public base images,
for machines that can pull them; these from-scratch builds are what the tests use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
from typing import Any

from aeron_cffi._native import aeron_version
from aeron_cffi._version import __version__
from aeron_cffi.executables import aeronmd_path
from aeron_cffi.testing.jar import aeron_all_jar

__all__ = ["IN_IMAGE_AERONMD", "IN_IMAGE_JAR", "IN_IMAGE_JAVA", "ImageBuildError", "driver_image", "java_image"]

IN_IMAGE_AERONMD = "/usr/local/bin/aeronmd"
IN_IMAGE_JAVA = "/opt/jre/bin/java"
IN_IMAGE_JAR = "/opt/aeron/aeron-all.jar"
# What aeron-all needs of the JDK: Agrona's off-heap buffers use sun.misc.Unsafe
# (jdk.unsupported), the archive and consensus module read their JVM's pid (java.management).
JAVA_MODULES = ("java.base", "java.management", "jdk.unsupported")
_INPUTS_LABEL = "aeron-cffi.inputs"
_LDD_PATH = re.compile(r"(/\S+) \(0x")


class ImageBuildError(RuntimeError):
    """An image could not be built; the message says which and why, in its first line."""


@dataclasses.dataclass(frozen=True)
class _Recipe:
    name: str
    files: dict[str, pathlib.Path]  # path in the image -> file or directory on this machine
    dockerfile: str


def _shared_libraries(*binaries: pathlib.Path) -> set[pathlib.Path]:
    """The shared libraries (and the loader) ``binaries`` load, as ``ldd`` resolves them."""
    found: set[pathlib.Path] = set()
    for binary in binaries:
        result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
        if result.returncode != 0:
            continue  # not a dynamic executable or library
        for line in result.stdout.splitlines():
            if "not found" in line and "=>" in line and not line.strip().startswith("libjvm"):
                raise ImageBuildError(f"{binary} needs a library ldd cannot find: {line.strip()}")
            match = _LDD_PATH.search(line)
            if match:
                found.add(pathlib.Path(match[1]))
    return found


def _with_libraries(files: dict[str, pathlib.Path], *binaries: pathlib.Path) -> dict[str, pathlib.Path]:
    inside = dict(files)
    for library in _shared_libraries(*binaries):
        if not str(library).startswith(tuple(str(b.parent) for b in binaries)):
            inside[str(library)] = library.resolve()  # the file, at the path the loader looks for
    return inside


def _inputs_hash(recipe: _Recipe) -> str:
    digest = hashlib.sha256(recipe.dockerfile.encode())
    for inside, source in sorted(recipe.files.items()):
        digest.update(inside.encode())
        paths = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in paths:
            stat = path.stat()
            digest.update(f"{path.relative_to(source) if source.is_dir() else ''}:{stat.st_size}:"
                          f"{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("AERON_CFFI_IMAGE_CACHE", pathlib.Path.home() / ".cache/aeron-cffi/images"))


def _build(client: Any, recipe: _Recipe) -> str:
    """The tag of ``recipe``'s image, built unless an image with the same inputs exists."""
    import docker.errors  # type: ignore[import-untyped]  # docker ships no type hints (no types-docker here)

    tag = f"aeron-cffi-{recipe.name}:{aeron_version()}-{__version__}"
    inputs = _inputs_hash(recipe)
    try:
        if client.images.get(tag).labels.get(_INPUTS_LABEL) == inputs:
            return tag
    except docker.errors.ImageNotFound:
        pass
    context = _cache_dir() / recipe.name
    shutil.rmtree(context, ignore_errors=True)
    rootfs = context / "rootfs"
    rootfs.mkdir(parents=True)
    for inside, source in recipe.files.items():
        target = rootfs / inside.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target)
    (context / "Dockerfile").write_text(recipe.dockerfile)
    try:
        client.images.build(path=str(context), tag=tag, rm=True, forcerm=True, pull=False,
                            labels={_INPUTS_LABEL: inputs})
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise ImageBuildError(f"building the {recipe.name} image failed: {exc}") from None
    return tag


def driver_image(client: Any) -> str:
    """The media driver image (``aeronmd`` as its entry point); returns its tag."""
    aeronmd = aeronmd_path()
    files = _with_libraries({IN_IMAGE_AERONMD: aeronmd}, aeronmd)
    dockerfile = f'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["{IN_IMAGE_AERONMD}"]\n'
    return _build(client, _Recipe("driver", files, dockerfile))


def _jlinked_runtime() -> pathlib.Path:
    """A Java runtime with ``JAVA_MODULES`` only, made once per JDK in the cache folder."""
    jlink = shutil.which("jlink")
    if jlink is None:
        raise ImageBuildError("jlink not found: the Java image needs a JDK (jlink) on PATH")
    java_home = pathlib.Path(jlink).resolve().parent.parent
    runtime = _cache_dir() / f"jre-{hashlib.sha256(str(java_home).encode()).hexdigest()[:12]}"
    if not (runtime / "bin" / "java").exists():
        shutil.rmtree(runtime, ignore_errors=True)
        runtime.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([jlink, "--add-modules", ",".join(JAVA_MODULES), "--strip-debug",
                                 "--no-header-files", "--no-man-pages", "--compress=2", "--output", str(runtime)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(runtime, ignore_errors=True)
            raise ImageBuildError(f"jlink failed: {(result.stderr or result.stdout).strip().splitlines()[-1:]}")
    return runtime


def java_image(client: Any) -> str:
    """The Java image (a jlinked runtime and the pinned ``aeron-all`` jar; ``java`` as its
    entry point): the archive and cluster nodes run in it. Returns its tag."""
    runtime = _jlinked_runtime()
    binaries = [runtime / "bin" / "java", *runtime.glob("lib/*.so"), *runtime.glob("lib/server/*.so")]
    files = _with_libraries({"/opt/jre": runtime, IN_IMAGE_JAR: aeron_all_jar()}, *binaries)
    # /tmp: the JVM and Aeron's Java client write temporary files
    dockerfile = f'FROM scratch\nCOPY rootfs/ /\nWORKDIR /tmp\nENTRYPOINT ["{IN_IMAGE_JAVA}"]\n'
    return _build(client, _Recipe("java", files, dockerfile))
