"""Files written whole or not at all, and never over the file being read."""
from __future__ import annotations

import contextlib
import os
from typing import Iterable, Iterator, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def replaced(path: PathLike) -> Iterator[str]:
    """A temporary path next to ``path`` to write to instead.

    Its name ends with ``path``'s own name, so its extension still says the
    format (and the compression). When the block succeeds the temporary
    file replaces ``path`` in one step; when it fails (a full disk, an
    interrupt) it is removed and ``path`` is left as it was: last month's
    model is not lost to half of this month's.
    """
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    tmp = os.path.join(folder, f".partial-{os.getpid()}-{name}")
    try:
        yield tmp
        os.replace(tmp, os.fspath(path))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same file (links followed)."""
    x, y = os.path.realpath(os.fspath(a)), os.path.realpath(os.fspath(b))
    if x == y:
        return True
    try:
        return os.path.exists(x) and os.path.exists(y) and os.path.samefile(x, y)
    except OSError:
        return False


def input_overwritten(inputs: Iterable[Optional[PathLike]], outputs: Iterable[Optional[PathLike]]) -> Optional[str]:
    """The first output that is one of the inputs, else ``None`` (``None``
    entries are no file)."""
    ins = [i for i in inputs if i]
    for out in outputs:
        if out and any(same_file(out, i) for i in ins):
            return os.fspath(out)
    return None
