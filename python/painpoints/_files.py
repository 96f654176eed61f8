"""Files written whole or not at all, and never over the file being read."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterable, Iterator, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def replaced(path: PathLike) -> Iterator[str]:
    """A temporary path to write ``path``'s new contents to instead.

    It lies in a fresh folder beside the file (through a link, beside the
    file the link names) and has the file's own name, so its extension
    still says the format and a compressed file records the right name.
    When the block succeeds, the new file is flushed to disk, takes the old
    one's permissions and replaces it in one step; when it fails (a full
    disk, an interrupt) it is removed and ``path`` is left as it was: last
    month's model is not lost to half of this month's.
    """
    target = os.path.realpath(os.fspath(path))
    folder, name = os.path.split(target)
    scratch = tempfile.mkdtemp(prefix=".partial-", dir=folder)
    tmp = os.path.join(scratch, name)
    try:
        yield tmp
        try:  # (best effort: some systems refuse fsync on a file opened to read)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            pass
        if os.path.exists(target):
            shutil.copymode(target, tmp)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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
