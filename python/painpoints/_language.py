"""Whether the complaints are in English, the language painpoints reads."""
from __future__ import annotations

import os
import re
import sys
import warnings
from types import FrameType
from typing import Optional, Sequence

# Words of letters (CJK text, written without spaces, is one long "word").
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# A letter of another script than the Latin one (Greek, Cyrillic, Arabic,
# Hebrew, Indic, CJK, ...).
_OTHER_SCRIPT = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]")
# English's commonest words, which text in another language written in
# Latin letters rarely uses ("on", "in", "a", "no" are left out: French,
# German, Spanish and Italian use them too) ...
_ENGLISH = frozenset(
    "the and my was were have has had this that you your with for is are not it i i'm it's "
    "don't can't didn't been be to of".split()
)
# ... and the commonest of Spanish, French, German, Italian, Portuguese and
# Dutch that English does not use.
_FOREIGN = frozenset(
    "que del por para una pero muy cuando nadie nunca mismo veces tengo hay sin como esta este "
    "und der das ich nicht mit ist je les pas une il avec mais che di sono não uma você het een niet ik".split()
)
# Letters English does not write (outside a loanword or two, outnumbered by
# the complaint's English words).
_FOREIGN_LETTERS = re.compile("[ñáíóúãõçßäöü]")
# Addresses and links, whose pieces ("com", "es") are no language.
_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\b\S+\.(?:com|org|net|es|fr|de|it|nl|pt|br)\b", re.IGNORECASE)
# How many complaints are looked at, spread over the input, and how few of
# them make no verdict.
_CHECKED, _FEWEST = 2000, 20


def english_share(rows: Sequence[Optional[str]]) -> Optional[float]:
    """The share of complaints in English among those whose words tell
    (up to 2,000, spread over ``rows``): a complaint tells when it uses one
    of English's commonest words, or of six other European languages', or
    letters of another script; it is English when its English words are at
    least as many as the others. ``None`` when fewer than 20 tell (titles
    such as "Spring MVC Hibernate integration" tell nothing)."""
    step = max(1, len(rows) // (4 * _CHECKED))
    english = checked = 0
    for text in rows[::step]:
        if not text:
            continue
        words = _WORD.findall(_ADDRESS.sub(" ", text.lower()))
        ours = sum(w in _ENGLISH for w in words)
        theirs = sum(w in _FOREIGN or _OTHER_SCRIPT.search(w) is not None or _FOREIGN_LETTERS.search(w) is not None
                     for w in words)
        if ours + theirs == 0:
            continue
        checked += 1
        english += ours >= theirs
        if checked == _CHECKED:
            break
    return english / checked if checked >= _FEWEST else None


def not_english_warning(rows: Sequence[Optional[str]]) -> Optional[str]:
    """A warning when a quarter or more of the complaints are not in
    English (see ``english_share``), else ``None``."""
    share = english_share(rows)
    if share is None or share > 0.75:
        return None
    return (f"{1 - share:.0%} of the complaints checked are not in English: painpoints reads English (stop words, "
            "stemming, negation, word vectors), so complaints in another language group only by the words "
            "they share, function words included, and unrelated problems can merge. Check each problem's "
            "examples, or fit each language apart")


def warn_if_not_english(rows: Sequence[Optional[str]]) -> None:
    """Warn (``UserWarning``, pointing at the caller's line outside the
    package) when a quarter or more of ``rows`` are not in English."""
    message = not_english_warning(rows)
    if message is None:
        return
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    level = 1
    frame: Optional[FrameType] = sys._getframe(0)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)
