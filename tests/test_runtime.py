"""Long runs: progress reporting and Ctrl-C / kernel interrupts."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import pytest

from painpoints import _painpoints
from conftest import synthetic


def test_progress_callback_sees_monotonic_progress():
    seen = []
    texts = synthetic(2000)[0]
    _painpoints.fit(texts, json.dumps({"min_size": 5}), None, lambda d, t: seen.append((d, t)))
    assert seen, "the progress callback was never called"
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert all(0 <= d <= t for d, t in seen)


def test_progress_bar_runs(capsys):
    import painpoints as pp

    r = pp.analyze(synthetic(500)[0], progress=True, min_size=5)
    assert len(r.problems) == 3


def test_progress_true_without_tqdm_says_so(monkeypatch):
    import painpoints as pp

    # tqdm not importable, as on a machine without it.
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.warns(UserWarning, match="pip install tqdm"):
        pp.analyze(synthetic(500)[0], progress=True, min_size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pp.analyze(synthetic(500)[0], progress=None, min_size=5)


def test_ctrl_c_stops_a_long_run_and_leaves_the_process_usable():
    script = textwrap.dedent(
        """
        import os, signal, threading, time
        import painpoints as pp
        words = ["card", "refund", "late", "transfer", "fee", "charged", "twice", "pending",
                 "app", "pin", "blocked", "cash", "delivery", "parcel", "login", "crash"]
        texts = [" ".join(words[(i * k) % 16] for k in (1, 3, 5, 7, 11)) + f" w{i % 5000}" for i in range(3_000_000)]
        fired = []
        def interrupt():
            time.sleep(1.0)
            fired.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)
        threading.Thread(target=interrupt, daemon=True).start()
        start = time.monotonic()
        try:
            pp.analyze(texts, progress=False)
            print("FINISHED", time.monotonic() - start)
        except KeyboardInterrupt:
            print("INTERRUPTED", round(time.monotonic() - fired[0], 3))
        r = pp.analyze(["late delivery", "refund not received"] * 20, progress=False)
        print("USABLE", len(r.labels))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert "INTERRUPTED" in lines, out.stdout
    assert float(lines["INTERRUPTED"]) < 1.5
    assert lines["USABLE"] == "40"


def test_the_default_bar_shows_only_where_someone_watches(monkeypatch):
    from painpoints._progress import make_progress

    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

        def write(self, text):
            return len(text)

        def flush(self):
            pass

    # A batch job's log: no bar unless asked for.
    monkeypatch.setattr(sys, "stderr", Stream(False))
    assert make_progress(None, "fit") is None
    assert make_progress(True, "fit") is not None
    monkeypatch.setattr(sys, "stderr", Stream(True))
    assert make_progress(None, "fit") is not None
    assert make_progress(False, "fit") is None
