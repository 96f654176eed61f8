"""Progress bars for long runs: tqdm where installed (it also renders in notebooks)."""
from __future__ import annotations

import sys
import time
import warnings
from typing import Any, Callable, Optional

__all__ = ["make_progress"]

# Runs shorter than this never show a bar.
_DELAY_SECONDS = 2.0


class _Bar:
    def __init__(self, description: str) -> None:
        self._description = description
        self._start = time.monotonic()
        self._bar: Any = None  # a tqdm bar once shown
        self._unavailable = False

    def __call__(self, done: int, total: int) -> None:
        if self._unavailable or total <= 0:
            return
        if self._bar is None:
            if time.monotonic() - self._start < _DELAY_SECONDS:
                return
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self._unavailable = True
                return
            self._bar = tqdm(total=total, desc=self._description, unit="step", leave=False)
        self._bar.total = total
        self._bar.n = min(done, total)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _watched() -> bool:
    """Whether standard error is a terminal or a notebook's output."""
    stream = sys.stderr
    try:
        if stream is not None and stream.isatty():
            return True
    except (AttributeError, ValueError):  # replaced or closed streams
        pass
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def make_progress(progress: Optional[bool], description: str) -> Optional[_Bar]:
    """A progress callback, or None when progress is off.

    ``progress=None`` (the default) shows a bar only for runs longer than a
    couple of seconds, and only where someone watches: a terminal or a
    notebook, not a batch job's log; ``False`` never shows one; ``True``
    shows it as soon as possible, wherever standard error goes.
    """
    if progress is False or (progress is None and not _watched()):
        return None
    bar = _Bar(description)
    if progress is True:
        # Said here, before the run: the bar's callback runs inside it.
        try:
            import tqdm.auto  # noqa: F401
        except ImportError:
            warnings.warn("progress=True shows its bar with tqdm, which is not installed: pip install tqdm",
                          UserWarning, stacklevel=3)
            return None
        bar._start -= _DELAY_SECONDS
    return bar


ProgressCallback = Callable[[int, int], None]
