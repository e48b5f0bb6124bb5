"""Where chunks run: local worker processes share the chunks out, one at a time."""

import os
import time

from aiscale.scenarios.execution import Chunk, execute


def meet(_scenario, chunk, directory, wait_seconds):
    """Say this chunk has started, then wait until as many chunks have started as there
    are workers: true only if the chunks run at the same time."""
    with open(os.path.join(directory, f"{chunk.index}-{os.getpid()}"), "w"):
        pass
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if len(os.listdir(directory)) >= 2:
            return True
        time.sleep(0.01)
    return False


def test_two_local_workers_run_two_chunks_at_once(tmp_path):
    """Dask's process scheduler batches six ready tasks into one submission by default,
    which put whole ensembles on one worker; each chunk is now submitted on its own."""
    chunks = [Chunk(i, 10 * i, 10) for i in range(4)]
    met = execute(meet, chunks, (None, str(tmp_path), 20.0), workers=2)
    assert all(met)
    assert len({name.split("-")[1] for name in os.listdir(tmp_path)}) == 2


def test_the_command_line_chunks_as_the_library_does():
    from aiscale.cli import build_parser
    from aiscale.scenarios.ensemble import DEFAULT_CHUNK

    for verb in ("ensemble", "sensitivity"):
        assert build_parser().parse_args([verb]).chunk_size == DEFAULT_CHUNK
