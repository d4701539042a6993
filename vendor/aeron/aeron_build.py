"""Fetch and build the pinned Aeron release for aeron-cffi.

    python vendor/aeron/aeron_build.py         # fetch (if needed) and build; prints the paths

Where Aeron comes from (DESIGN.md section 2):

* The release named in ``aeron.pin``. Its source tree, with the archive client's
  SBE C codecs already generated, is the crates package
  ``libaeron_archive_c_client-sys`` of the same version. ``cargo fetch`` gets it
  through a throwaway manifest and its lock file; the lock file's checksum and the
  downloaded file are both checked against the pin before anything is unpacked.
* ``AERON_SOURCE_DIR`` names an existing checkout of the same release instead; the
  codecs are then taken from ``AERON_CODEC_DIR`` or generated with SBE's own tool
  (``uk.co.real-logic:sbe-all`` via Maven, at the version the tree's Gradle build names).

The tree is built by our CMake glue (``CMakeLists.txt`` beside this file) with Ninja
into ``build/<key>/``; a stamp makes the second run a no-op. Nothing here is
committed: ``src/`` and ``build/`` are git-ignored.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PIN_FILE = HERE / "aeron.pin"
CRATE = "libaeron_archive_c_client-sys"

# What the extension links, in link order (archive client -> driver -> client).
STATIC_LIBS = ("aeron_archive_c_client_static", "aeron_driver_static", "aeron_static")
# Executables: the statically linked driver shipped in the package (aeronmd_s), and the C samples the benchmarks run.
EXECUTABLES = ("aeronmd_s", "streaming_publisher", "rate_subscriber", "cping", "cpong")


@dataclasses.dataclass(frozen=True)
class AeronBuild:
    """Paths of one finished build of the pinned release."""

    version: str
    source_dir: pathlib.Path
    binary_dir: pathlib.Path

    @property
    def include_dirs(self) -> list[pathlib.Path]:
        return [
            self.source_dir / "aeron-client/src/main/c",
            self.source_dir / "aeron-driver/src/main/c",
            self.source_dir / "aeron-archive/src/main/c/client",
        ]

    @property
    def headers(self) -> dict[str, pathlib.Path]:
        """The three public headers, by the name C code includes them as."""
        return {
            "aeronc.h": self.source_dir / "aeron-client/src/main/c/aeronc.h",
            "aeronmd.h": self.source_dir / "aeron-driver/src/main/c/aeronmd.h",
            "aeron_archive.h": self.source_dir / "aeron-archive/src/main/c/client/aeron_archive.h",
        }

    @property
    def static_libs(self) -> list[pathlib.Path]:
        return [self.binary_dir / "aeron/lib" / f"lib{name}.a" for name in STATIC_LIBS]

    def executable(self, name: str) -> pathlib.Path:
        return self.binary_dir / "aeron/binaries" / name


def read_pin() -> dict[str, str]:
    """The ``KEY=VALUE`` lines of aeron.pin."""
    pin = {}
    for line in PIN_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pin[key.strip()] = value.strip()
    return pin


def _log(message: str) -> None:
    print(f"[aeron-build] {message}", file=sys.stderr, flush=True)


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(cmd: list[str], **kwargs) -> None:
    _log(" ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def _cargo_home() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo"))


def _tool(name: str) -> str:
    """cmake/ninja from their PyPI packages when installed (Aeron needs CMake >= 3.30,
    newer than many distributions ship), else from PATH."""
    try:
        module = __import__(name)
        candidate = pathlib.Path(getattr(module, "CMAKE_BIN_DIR", None) or module.BIN_DIR) / name
        if candidate.is_file():
            return str(candidate)
    except (ImportError, AttributeError):
        pass
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: pip install {name}")
    return found


def static_libuuid() -> pathlib.Path | None:
    """libuuid's static archive as the C compiler finds it (Debian's uuid-dev has one), or None."""
    compiler = os.environ.get("CC", "cc").split()
    try:
        found = subprocess.run([*compiler, "-print-file-name=libuuid.a"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
    return pathlib.Path(found).resolve() if os.path.isabs(found) and os.path.isfile(found) else None


def cached_crate(version: str, expected_sha256: str) -> pathlib.Path | None:
    """The pinned ``.crate`` file in cargo's download cache, if one there has the pinned checksum."""
    for found in sorted(glob.glob(str(_cargo_home() / "registry/cache/*" / f"{CRATE}-{version}.crate"))):
        if _sha256(pathlib.Path(found)) == expected_sha256:
            return pathlib.Path(found)
    return None


def _cargo_fetch(version: str, expected_sha256: str) -> pathlib.Path:
    """Download the pinned crate with cargo (lock file checked first) and return the cached file."""
    if shutil.which("cargo") is None:
        raise SystemExit(
            f"aeron-cffi needs the Aeron {version} sources: install cargo (Rust) to fetch the crate "
            f"{CRATE} {version}, or set AERON_SOURCE_DIR to an Aeron {version} source tree")
    with tempfile.TemporaryDirectory(prefix="aeron-fetch-") as tmp:
        manifest = pathlib.Path(tmp)
        (manifest / "src").mkdir()
        (manifest / "src/lib.rs").write_text("")
        (manifest / "Cargo.toml").write_text(
            '[package]\nname = "aeron-cffi-fetch"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[dependencies]\n{CRATE} = "={version}"\n'
        )
        _run(["cargo", "generate-lockfile", "--quiet"], cwd=manifest)
        locked = _locked_checksum(manifest / "Cargo.lock", version)
        if locked != expected_sha256:
            raise SystemExit(f"{CRATE} {version}: registry checksum {locked} is not the pinned {expected_sha256}")
        _run(["cargo", "fetch", "--locked", "--quiet"], cwd=manifest)
    crate = cached_crate(version, expected_sha256)
    if crate is None:
        raise SystemExit(f"{CRATE}-{version}.crate with sha256 {expected_sha256} not found after cargo fetch")
    return crate


def fetch_crate(pin: dict[str, str]) -> pathlib.Path:
    """Unpack the pinned crate into src/ and return the unpacked root (cached). A crate
    already in cargo's cache with the pinned checksum is used as it is: no cargo needed."""
    version, expected = pin["AERON_VERSION"], pin["AERON_CRATE_SHA256"]
    root = HERE / "src" / f"{CRATE}-{version}"
    stamp = root / ".aeron-cffi-unpacked"
    if stamp.is_file() and stamp.read_text() == expected:
        return root

    crate = cached_crate(version, expected) or _cargo_fetch(version, expected)
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(crate) as tar:
        tar.extractall(root.parent, filter="data")
    stamp.write_text(expected)
    return root


def _locked_checksum(lock_file: pathlib.Path, version: str) -> str:
    text = lock_file.read_text()
    match = re.search(
        rf'name = "{re.escape(CRATE)}"\nversion = "{re.escape(version)}"\n'
        r'source = "[^"]*"\nchecksum = "([0-9a-f]{64})"',
        text,
    )
    if not match:
        raise SystemExit(f"{CRATE} {version} is not in the generated lock file")
    return match.group(1)


def generate_codecs(source_dir: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    """Generate the archive C codecs with SBE's tool, as Aeron's Gradle build does."""
    if (out_dir / "c/aeron_archive_client/messageHeader.h").is_file():
        return out_dir
    versions = (source_dir / "gradle/libs.versions.toml").read_text()
    sbe_version = re.search(r'^sbe\s*=\s*"([^"]+)"', versions, re.M).group(1)
    jar_dir = out_dir / "sbe"
    _run([
        "mvn", "-q", "dependency:copy",
        f"-Dartifact=uk.co.real-logic:sbe-all:{sbe_version}",
        f"-DoutputDirectory={jar_dir}",
    ])
    schema_dir = source_dir / "aeron-archive/src/main/resources/archive"
    _run([
        "java", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        f"-Dsbe.output.dir={out_dir / 'c'}",
        "-Dsbe.target.language=C",
        "-Dsbe.target.namespace=aeron.archive.client",
        "-Dsbe.validation.stop.on.error=true",
        "-cp", jar_dir / f"sbe-all-{sbe_version}.jar",
        "uk.co.real_logic.sbe.SbeTool",
        schema_dir / "aeron-archive-codecs.xml",
    ])
    return out_dir


def locate_sources(pin: dict[str, str]) -> tuple[pathlib.Path, pathlib.Path, str]:
    """(Aeron source tree, codec dir, build key) from AERON_SOURCE_DIR or the crate."""
    version = pin["AERON_VERSION"]
    user_tree = os.environ.get("AERON_SOURCE_DIR")
    if not user_tree:
        root = fetch_crate(pin)
        return root / "aeron", root / "generated", version

    source_dir = pathlib.Path(user_tree).resolve()
    found = (source_dir / "version.txt").read_text().strip()
    if found != version:
        raise SystemExit(f"AERON_SOURCE_DIR={source_dir} is Aeron {found}; aeron.pin pins {version}")
    key = f"{version}-{hashlib.sha256(str(source_dir).encode()).hexdigest()[:12]}"
    codec_dir = os.environ.get("AERON_CODEC_DIR")
    if codec_dir:
        return source_dir, pathlib.Path(codec_dir).resolve(), key
    return source_dir, generate_codecs(source_dir, HERE / "build" / key / "codecs"), key


def build() -> AeronBuild:
    """Build (or reuse) the pinned release and return where its parts are."""
    pin = read_pin()
    source_dir, codec_dir, key = locate_sources(pin)
    binary_dir = HERE / "build" / key
    result = AeronBuild(pin["AERON_VERSION"], source_dir, binary_dir)
    stamp = binary_dir / ".aeron-cffi-built"
    fingerprint = json.dumps({"pin": pin, "source": str(source_dir), "glue": _sha256(HERE / "CMakeLists.txt")})
    outputs = result.static_libs + [result.executable(name) for name in EXECUTABLES]
    if stamp.is_file() and stamp.read_text() == fingerprint and all(p.exists() for p in outputs):
        return result

    cmake = _tool("cmake")
    _run([
        cmake, "-S", HERE, "-B", binary_dir, "-G", "Ninja",
        f"-DCMAKE_MAKE_PROGRAM={_tool('ninja')}",
        "-DCMAKE_BUILD_TYPE=Release",
        f"-DAERON_SOURCE_DIR={source_dir}",
        f"-DAERON_CODEC_DIR={codec_dir}",
        f"-DAERON_LIBUUID_STATIC={static_libuuid() or ''}",
    ], stdout=subprocess.DEVNULL)
    _run([cmake, "--build", binary_dir, "--target", *STATIC_LIBS, *EXECUTABLES])
    missing = [str(p) for p in outputs if not p.exists()]
    if missing:
        raise SystemExit(f"Aeron build finished without {missing}")
    stamp.write_text(fingerprint)
    return result


if __name__ == "__main__":
    built = build()
    print(json.dumps({
        "version": built.version,
        "source_dir": str(built.source_dir),
        "static_libs": [str(p) for p in built.static_libs],
        "aeronmd": str(built.executable("aeronmd_s")),
    }, indent=2))
