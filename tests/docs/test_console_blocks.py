"""Every ```console transcript of the docs site is run, as a user would type it, and its
output checked; the ```sh blocks are checked too, or listed with the reason they are not.

A transcript is ``$ command`` lines, each followed by what it printed (stdout and stderr,
as a terminal shows them), and, when the command failed, a last line ``(exit status N)``;
a command without one must exit 0. One page is one shell session: a single ``bash`` runs
the page's commands in the order of the page, in a scratch directory, so what one block
records the next can list, and ``&`` / ``kill %1`` work as in a terminal. The session's
environment puts the test's interpreter first on ``PATH`` (``aeron-cffi``, ``pytest``,
``python``) and ``COLUMNS=80``; ``SESSIONS`` below starts the real parts a page says it
ran against (a C media driver, Java archives, a cluster), and gives their places
through the environment variables the page names.

What the output must be, line by line (trailing spaces ignored):

* a line is compared exactly, except that ``…`` in it stands for any text within the
  line (a pid, a timestamp, a session id, a scratch path): the transcripts write ``…``
  where a real run prints something different each time;
* a line that is only ``…`` stands for any number of lines (none included): the
  transcript shows a part of a long output.

A command ending in ``&`` runs in the background; the session waits (``BACKGROUND_WAIT_S``)
for the lines the transcript shows under it, and what it prints later appears under the
commands that follow, as in a terminal.

A Python block marked ``<!-- docs-test: console FILE -->`` is a file the page's commands use
(``publish.py``, a test module for ``pytest``): it is written as ``FILE`` in the session's
directory before the first command runs, and runs only there.

``NOT_RUN`` lists the blocks that do not run here, each with its reason and what is
checked instead; a test checks that list stays exact. No transcript may show a path of the
machine it was made on (the checkout, the home directory).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aeron_cffi.testing import AeronTestbed, LocalCluster

from docs_support import DOCS, REPOSITORY, environment, fenced_blocks

SHELL_BLOCK = re.compile(r"^```(?P<language>console|sh)\n(?P<text>.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_BLOCK = re.compile(r"^<!-- docs-test: console (?P<name>[\w.-]+) -->\n```python\n(?P<code>.*?)^```$",
                        re.MULTILINE | re.DOTALL)
EXIT_STATUS = re.compile(r"\(exit status (\d+)\)")
ANY = "…"
# bash prints it after each command's status; no command's output holds it
MARK = "\x1e"
COMMAND_TIMEOUT_S = 90
BACKGROUND_WAIT_S = 20

# page:line of the fence -> why it is not run here, and what is checked instead.
NOT_RUN = {
    "index.md:10": "installs release files (a wheel, an sdist) that a checkout does not hold: tests/packaging "
                   "builds both and installs each into a fresh venv",
    "benchmarks.md:3": "the benchmarks take minutes: test_benchmark_commands_parse runs each command's --help, "
                       "tests/test_benchmarks.py runs `benchmarks/run --quick`",
    "tools/containers.md:7": "runs a test suite in containers: ci/test runs the client, archive and plugin suites "
                             "with `--aeron-backend docker` after the host run; tests/containers runs the page's "
                             "Python example",
}


def _page_blocks() -> dict[str, list[tuple[str, str, str]]]:
    """Each page's shell blocks, in page order: (page:line of the fence, language, text)."""
    pages: dict[str, list[tuple[str, str, str]]] = {}
    for page, where, match in fenced_blocks(SHELL_BLOCK, "text"):
        pages.setdefault(page, []).append((where, match["language"], match["text"]))
    return pages


def _commands(text: str) -> list[tuple[str, list[str], int]]:
    """A transcript's (command, the lines it printed, its exit status)."""
    commands: list[tuple[str, list[str], int]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], [], 0))
        else:
            assert commands, f"a transcript starts with output, not a `$ ` command: {line!r}"
            commands[-1][1].append(line)
    with_status = []
    for command, output, _ in commands:
        status = EXIT_STATUS.fullmatch(output[-1]) if output else None
        with_status.append((command, output[:-1], int(status[1])) if status else (command, output, 0))
    return with_status


def _pattern(expected: list[str]) -> re.Pattern[str]:
    """The masking rule of the module's docstring, as one regular expression."""
    parts = []
    for line in expected:
        if line.strip() == ANY:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(piece) for piece in line.rstrip().split(ANY)) + r"[ \t]*\n")
    return re.compile("".join(parts))


def _matches(expected: list[str], printed: str) -> bool:
    text = "\n".join(line.rstrip() for line in printed.splitlines())
    return _pattern(expected).fullmatch(text + "\n" if text else "") is not None


class ShellSession:
    """One ``bash`` reading commands from a pipe, its stdout and stderr in one file, as a
    terminal would interleave them; a line ``MARK status MARK`` ends each command's output."""

    def __init__(self, directory: Path, environment: dict[str, str]) -> None:
        self._transcript_path = directory.parent / f"{directory.name}.transcript"
        self._transcript = open(self._transcript_path, "wb")
        self._read = 0
        self._process = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                         stdout=self._transcript, stderr=subprocess.STDOUT, cwd=directory,
                                         env=environment, text=True, start_new_session=True)

    def run(self, command: str, expected: list[str]) -> tuple[str, int]:
        """``command``'s output and exit status; for a background command, the output
        up to the lines ``expected`` (or ``BACKGROUND_WAIT_S``)."""
        assert self._process.stdin is not None
        syntax = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True)
        assert syntax.returncode == 0, f"`{command}` is not a bash command: {syntax.stderr}"
        # its own stdin is /dev/null, so a command cannot read the commands that follow
        self._process.stdin.write(f"{{ {command}\n}} </dev/null\nprintf '{MARK}%s{MARK}\\n' \"$?\"\n")
        self._process.stdin.flush()
        done = re.compile(f"{MARK}(\\d+){MARK}\n")
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while not (end := done.search(text := self._unread())):
            assert time.monotonic() < deadline, f"`{command}` did not finish in {COMMAND_TIMEOUT_S} s:\n{text}"
            time.sleep(0.02)
        status = int(end[1])
        if command.rstrip().endswith("&"):
            deadline = time.monotonic() + BACKGROUND_WAIT_S
            while not _matches(expected, (text := self._unread()).replace(end[0], "")) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
        self._read += len(text.encode(errors="surrogateescape"))
        return text.replace(end[0], ""), status

    def _unread(self) -> str:
        """What the shell printed since the last command; bytes that are not UTF-8 survive
        as surrogates, so the length read stays exact."""
        with open(self._transcript_path, "rb") as transcript:
            transcript.seek(self._read)
            return transcript.read().decode(errors="surrogateescape")

    def close(self) -> None:
        """Ends the shell and everything it started (its background jobs)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._transcript.close()


# -- the parts each page's session says it ran against ----------------------------------

#: The samples' service that cli.md's cluster runs (in the aeron-all jar).
AUCTION_SERVICE = "io.aeron.samples.cluster.tutorial.BasicAuctionClusteredService"


@contextlib.contextmanager
def _cli_session() -> Iterator[dict[str, str]]:
    """cli.md: the packaged driver (Aeron's default 16 MiB terms) in ``$AERON_DIR``, a Java
    archive on Aeron's default control port 8010 with recording events on 8030, a second
    one on 8011, a third on 8012 with 128 KiB segment files, and a one-node cluster running
    the auction service whose node's cluster directory is ``$CLUSTER_DIR``."""
    with AeronTestbed() as bed, LocalCluster(1) as cluster, ThreadPoolExecutor(1) as background:
        node = cluster.nodes[0]
        # the cluster's service JVM and election go on while the archives' JVMs start
        elected = background.submit(lambda: (cluster.java_service(node, AUCTION_SERVICE), cluster.leader()))
        driver = bed.driver("process", term_buffer_length=16 << 20)
        bed.java_archive(driver, control_port=8010, recording_events=True, properties={
            "aeron.archive.recording.events.channel": "aeron:udp?control-mode=dynamic|control=localhost:8030"})
        bed.java_archive(driver, control_port=8011)
        bed.java_archive(driver, control_port=8012, segment_file_length=128 * 1024)
        elected.result()
        yield {"AERON_DIR": str(driver.dir), "CLUSTER_DIR": str(node.cluster_dir)}


#: page -> the parts its transcripts ran against, as a context manager yielding the
#: environment variables that name them; a page not here needs none (its commands start
#: what they use).
SESSIONS: dict[str, Callable[[], contextlib.AbstractContextManager[dict[str, str]]]] = {
    "tools/cli.md": _cli_session,
}


# What tools read to tell a CI job from a terminal (pytest then stops cutting its summary
# lines to the width): the transcripts show a user's terminal.
CI_VARIABLES = ("CI", "BUILD_NUMBER")


def _environment(parts: dict[str, str]) -> dict[str, str]:
    session = environment(**parts, COLUMNS="80",
                          PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    for name in CI_VARIABLES:
        session.pop(name, None)
    return session


PAGES = _page_blocks()
RUN_PAGES = sorted(page for page, blocks in PAGES.items() if any(where not in NOT_RUN for where, _, _ in blocks))


def test_the_not_run_list_is_exact() -> None:
    blocks = {where: language for page in PAGES.values() for where, language, _ in page}
    assert set(NOT_RUN) <= set(blocks), f"listed blocks that are gone: {set(NOT_RUN) - set(blocks)}"
    assert {where for where, language in blocks.items() if language == "sh"} <= set(NOT_RUN), \
        "an sh block is neither run as a transcript (make it ```console) nor listed"
    assert sum(len(page) for page in PAGES.values()) - len(NOT_RUN) >= 19
    for page in sorted(DOCS.rglob("*.md")):
        for file in FILE_BLOCK.finditer(page.read_text()):
            where = page.relative_to(DOCS)
            assert str(where) in RUN_PAGES and any(
                file["name"] in text for block, _, text in PAGES[str(where)] if block not in NOT_RUN), \
                f"{where}: no transcript that runs uses {file['name']}"


def test_no_transcript_shows_this_machine() -> None:
    machine_paths = {str(REPOSITORY), str(REPOSITORY.parent), str(Path.home())} - {"/", tempfile.gettempdir()}
    for blocks in PAGES.values():
        for where, _, text in blocks:
            for path in machine_paths:
                assert not re.search(rf"(?<![\w.-]){re.escape(path)}(?![\w.-])", text), \
                    f"{where} shows {path}, a path of this machine: write what a reader would see"


def test_benchmark_commands_parse() -> None:
    """benchmarks.md's commands exist, and the parser of each entry point (what
    ``benchmarks/run`` dispatches to) takes the options it shows, strictly: an unknown
    option or a bad value fails here (``--help`` would have hidden both)."""
    from benchmarks import __main__ as run, percall, recoverylog

    (where, _, text), = PAGES["benchmarks.md"]
    assert where in NOT_RUN
    for line in text.splitlines():
        command = [word for word in shlex.split(line, comments=True) if not word.startswith("[")]
        if command == ["bash", "ci/bootstrap"]:
            assert (REPOSITORY / "ci" / "bootstrap").is_file()
            continue
        if command[:2] == ["benchmarks/run", "recoverylog"]:
            parser, arguments = recoverylog.argument_parser(), command[2:]
        elif command[:1] == ["benchmarks/run"]:
            parser, arguments = run.argument_parser(), command[1:]
        else:
            assert command[1:3] == ["-m", "benchmarks.percall"], f"benchmarks.md: a command this test does not know: {line}"
            parser, arguments = percall.argument_parser(), command[3:]
        assert (REPOSITORY / "benchmarks" / "run").is_file()
        parser.parse_args(arguments)  # (SystemExit on an unknown option or a bad value)


@pytest.mark.parametrize("page", RUN_PAGES)
def test_page_transcripts(page: str, tmp_path: Path) -> None:
    directory = tmp_path / "session"
    directory.mkdir()
    text = (DOCS / page).read_text()
    for file in FILE_BLOCK.finditer(text):
        (directory / file["name"]).write_text(file["code"])
    with SESSIONS.get(page, lambda: contextlib.nullcontext({}))() as parts:
        environment = _environment(parts)
        shell = ShellSession(directory, environment)
        try:
            for where, _, block in PAGES[page]:
                if where in NOT_RUN:
                    continue
                for command, expected, expected_status in _commands(block):
                    printed, status = shell.run(command, expected)
                    assert _matches(expected, printed) and status == expected_status, (
                        f"{where}: `{command}` printed (exit status {status}):\n{printed}\n"
                        f"the transcript shows (exit status {expected_status}):\n" + "\n".join(expected))
        finally:
            shell.close()
