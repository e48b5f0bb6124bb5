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


def test_workers_write_results_into_shared_memory_that_this_process_reads():
    """Local workers write their chunks' rows into the parent's shared memory (found by
    its address, not pickled), and refuse values laid out otherwise."""
    import multiprocessing

    import numpy as np
    import pytest

    from aiscale.scenarios.execution import SharedArrays

    if not SharedArrays.available() or "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs Linux's memfd")
    template = {"a": np.empty((0, 3)), "b": {"c": np.empty(0, dtype=np.int8), "d": np.empty((0, 2), dtype=bool)}}
    shared = SharedArrays(template, 5)
    rows = {"a": np.arange(6.0).reshape(2, 3), "b": {"c": np.array([4, 5], np.int8), "d": np.ones((2, 2), bool)}}
    with multiprocessing.get_context("fork").Pool(1) as pool:
        wrote = pool.apply(shared.write, (slice(1, 3), rows))
        scattered = pool.apply(shared.write, (np.array([0, 4]), rows))
        refused = pool.apply(shared.write, (slice(0, 1), {"a": np.ones((1, 2)), "b": rows["b"]}))
    shared.close()
    assert wrote and scattered and not refused
    np.testing.assert_array_equal(shared.arrays["a"][[0, 1, 2, 4]], np.concatenate([rows["a"]] * 2)[[0, 0, 1, 1]])
    np.testing.assert_array_equal(shared.arrays["b"]["c"][[0, 1, 2, 4]], [4, 4, 5, 5])
    assert shared.arrays["b"]["d"][1:3].all() and shared.arrays["b"]["c"].dtype == np.int8


def test_fixed_step_chunks_hold_whole_blocks():
    """Fixed-step chunks are rounded up to whole blocks of the kernel (64 members computed
    together), so that no chunk pads a partial block; adaptive chunks keep their size."""
    from aiscale.scenarios.ensemble import DEFAULT_CHUNK, fixed_step_chunk

    assert [fixed_step_chunk(c) for c in (1, 64, 65, DEFAULT_CHUNK, 256)] == [64, 64, 128, 256, 256]
