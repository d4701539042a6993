"""Every ```python block of the docs site's pages is executed, each in its own interpreter.

How a block runs is said in the Markdown by an HTML comment on the line just before its
fence (invisible on the site); a block without one must be a complete program:

* (no comment): run as it is; it must exit 0.
* ``<!-- docs-test: prelude -->``: a fragment, run after a prelude this test provides and
  indented into it (``PRELUDE`` below): a ``with AeronTestbed() as bed:`` holding an
  embedded C media driver ``driver``, a client ``aeron`` connected to it, and on
  ``aeron:ipc`` stream 1001 a ``subscription`` and a ``publication`` that has already
  sent one message (``b"hello"``). It must exit 0, and the testbed stops what it started.
* ``<!-- docs-test: cluster-prelude -->``: a fragment run the same way inside
  ``CLUSTER_PRELUDE``: a one-node ``LocalCluster`` running a service that does nothing
  and a cluster client ``client`` (an ``AeronCluster``) connected to its leader.
* ``<!-- docs-test: console FILE -->``: a file the page's ```console transcripts use (a
  program they run, a test module they give ``pytest``): ``test_console_blocks.py`` writes
  it as ``FILE`` into the page's shell session and checks what the commands print (a
  pytest run's passed and failed tests, and its exit status, included).

``NOT_YET_EXECUTED`` lists the blocks that need parts no prelude gives (Docker); a block
that needs root (network namespaces) runs, as ``tests/hosts`` does: CI runs as root. A
test checks that list stays exact, so a new block cannot slip through unexecuted.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docs_support import environment, fenced_blocks

BLOCK = re.compile(r"(?:<!-- docs-test: (?P<mode>[a-z-]+)(?: [\w.-]+)? -->\n)?^```python\n(?P<code>.*?)^```$",
                   re.MULTILINE | re.DOTALL)
BLOCK_TIMEOUT_S = 120

PRELUDE = '''\
from aeron_cffi.testing import AeronTestbed
from aeron_cffi.testing.waiting import wait_until

with AeronTestbed() as bed:
    driver = bed.driver("embedded")
    aeron = bed.client(driver)
    subscription = aeron.add_subscription("aeron:ipc", 1001)
    publication = aeron.add_publication("aeron:ipc", 1001, timeout=5)
    wait_until(lambda: publication.offer(b"hello") > 0, "the prelude's message sent")
'''

CLUSTER_PRELUDE = '''\
from aeron_cffi.cluster import AeronCluster, ClusteredService, ClusteredServiceContainer
from aeron_cffi.testing import LocalCluster

with LocalCluster(1) as cluster:
    node = cluster.nodes[0]
    with ClusteredServiceContainer.launch(ClusteredService(), cluster_dir=node.cluster_dir, aeron_dir=node.aeron_dir):
        cluster.leader()
        with AeronCluster.connect(ingress_endpoints=cluster.ingress_endpoints, ingress_channel=cluster.ingress_channel,
                                  aeron_directory_name=str(node.aeron_dir)) as client:
'''

# docs-test mode -> (prelude, the indentation of its innermost block, where the fragment goes)
PRELUDES = {"prelude": (PRELUDE, 4), "cluster-prelude": (CLUSTER_PRELUDE, 12)}

# page:line of the fence -> why it is not executed here.
NOT_YET_EXECUTED = {
    "tools/containers.md:64": "needs a Docker daemon: run by tests/containers (test_the_docs_example_runs)",
}


BLOCKS = [(where, match["mode"], match["code"]) for _, where, match in fenced_blocks(BLOCK, "code")]
EXECUTED = [block for block in BLOCKS if block[0] not in NOT_YET_EXECUTED and block[1] != "console"]


def test_the_unexecuted_list_is_exact() -> None:
    assert set(NOT_YET_EXECUTED) <= {where for where, _, _ in BLOCKS}, "a listed block is gone"
    assert len(EXECUTED) >= 5


@pytest.mark.parametrize(("where", "mode", "code"), EXECUTED, ids=[block[0] for block in EXECUTED])
def test_block_runs(where: str, mode: str | None, code: str, tmp_path: Path) -> None:
    assert mode is None or mode in PRELUDES, f"{where}: unknown docs-test mode {mode!r}"
    if mode is None:
        program = code
    else:
        prelude, indentation = PRELUDES[mode]
        program = prelude + textwrap.indent(code, " " * indentation)
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=environment(), capture_output=True,
                            text=True, timeout=BLOCK_TIMEOUT_S)
    assert result.returncode == 0, f"{where} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
