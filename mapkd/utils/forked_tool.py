"""Run a Python tool script in a forked child of an already-importing process.

``python tools/train.py ...`` spends ~6 s importing torch, mmengine, scikit-learn and mapkd on a slow
2-core machine; a pipeline that runs a dozen tools (tools/quickstart.py) pays that a dozen times.
:func:`start_forked_tool` forks the current process, which has imported those modules once
(:func:`preload`), and runs the script in the child exactly as ``python script args`` would
(``__name__ == '__main__'``, ``sys.argv``, the script's folder first on ``sys.path``), with its
stdout and stderr sent to a pipe. Every run is still its own process: a run cannot leak state into
the next one, and the exit status is the script's.

Only for CPU-only machines, and only from a process that has imported but not computed: a process
that has initialised CUDA must not fork (the quickstart uses plain subprocesses when a GPU is
present), and one that has run parallel torch ops has an OpenMP thread pool that does not survive
fork (the child's first parallel op would hang). tools/quickstart.py runs no torch op itself.
"""
from __future__ import annotations

import importlib
import os
import os.path as osp
import runpy
import sys
import traceback
from typing import IO, Sequence

# what the tools import at start-up (the slow part of their start)
PRELOAD_MODULES = ('torch', 'torchvision', 'cv2', 'sklearn.cluster', 'sklearn.preprocessing', 'scipy.optimize',
                   'mmengine.runner', 'mapkd.models', 'mapkd.datasets', 'mapkd.evaluation', 'mapkd.engine',
                   'mapkd.engine.launch')


def preload(modules: Sequence[str] = PRELOAD_MODULES) -> None:
    """Import ``modules`` in this process so that forked tools start without importing them."""
    for name in modules:
        importlib.import_module(name)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _stop_child_processes() -> None:
    """Shut down what the tool left running before the child leaves with ``os._exit``.

    A new Python process would do this at exit: unreferenced DataLoader iterators (an infinite
    sampler's, still prefetching) are collected and stop their workers; any worker still alive
    after that is terminated. Without it, a worker blocked on a full queue outlives the tool and
    holds the output pipe open, and the parent waits for it for ever.
    """
    import gc
    import multiprocessing
    gc.collect()
    for proc in multiprocessing.active_children():
        proc.terminate()
    for proc in multiprocessing.active_children():
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()


def _run_in_child(script: str, args: Sequence[str], cwd: str, write_fd: int) -> None:
    """The forked child: stdout/stderr -> ``write_fd``, run ``script`` as ``__main__``, ``os._exit``."""
    code = 1
    try:
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        # new line-buffered streams on fds 1 and 2 (the inherited sys.stdout may be a replacement
        # that does not write to fd 1, e.g. pytest's capture)
        sys.stdout = open(1, 'w', buffering=1, encoding='utf-8', errors='replace', closefd=False)
        sys.stderr = open(2, 'w', buffering=1, encoding='utf-8', errors='replace', closefd=False)
        os.chdir(cwd)
        sys.argv = [script, *args]
        sys.path.insert(0, osp.dirname(osp.abspath(script)))
        try:
            runpy.run_path(script, run_name='__main__')
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:  # the child must never return into the parent's code
            traceback.print_exc()
            code = 1
    finally:
        try:
            _stop_child_processes()
            import atexit
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def start_forked_tool(script: str, args: Sequence[str], cwd: str) -> tuple[int, IO[str]]:
    """Fork and run ``script args`` in the child; returns its pid and its combined output (text lines).

    Wait for it with :func:`wait_forked_tool` after reading the output to its end.
    """
    if not osp.isfile(osp.join(cwd, script)):
        raise FileNotFoundError(f'tool script not found: {osp.join(cwd, script)}')
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_in_child(script, args, cwd, write_fd)
    os.close(write_fd)
    return pid, os.fdopen(read_fd, 'r', encoding='utf-8', errors='replace')


def wait_forked_tool(pid: int) -> int:
    """The exit status of a forked tool (a signal that killed it as ``128 + signal``)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
