"""Redaction of personal data in the examples a report shows.

E-mail addresses, phone numbers (national ones in groups, international
ones after "+" however grouped, and digits said to be a phone: "phone:
4155550100"), payment card numbers (Luhn-checked, so an
ordinary 16-digit reference is not touched unless it is a valid card
number), IBANs (mod-97 checked) and US Social Security numbers written
123-45-6789 or 123 45 6789 (not a number the SSA never issues, such as
000-, 666- or 9xx-) are replaced by ``[email]``, ``[phone]``, ``[card]``,
``[iban]`` and ``[ssn]``. Amounts ("$1,250.00") and dates ("03/15/2024",
"2024-03-15") are left alone.
"""
from __future__ import annotations

import re

__all__ = ["redact"]

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_CARD = re.compile(r"(?<![\d\-])(?:\d[ \-]?){12,18}\d(?![\d\-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# Not inside a longer run of digit groups (a phone or reference number).
_SSN = re.compile(r"(?<![\w\-/.+])(?<!\d )(?!000|666|9)\d{3}([\- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w\-/])(?! \d)")
_PHONE = re.compile(
    # Not inside a longer run of digit groups ("1234 5678 9012 3456" is a
    # reference number, not a phone): no digit group just before or after.
    r"(?<![\w$€£.,/\-])(?<!\d )(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)[\s.\-]?|\d{2,4}[\s.\-])\d{3,4}[\s.\-]?\d{3,4}(?![\w.,/\-]*\d)(?! \d)"
    r"|(?<![\w$€£.,/\-])\+\d{9,14}\b"
)


# International numbers: "+" and a country code, then groups of any size
# ("+33 1 23 45 67 89", "+91 98765 43210"), 8 to 15 digits in all.
_PHONE_INTL = re.compile(r"(?<![\w$€£.,/\-+])\+\d[\d\s.\-()]{6,22}\d(?![\w.,/\-]*\d)(?! \d)")
# North American numbers with the leading 1: "1-800-555-0199".
_PHONE_NANP = re.compile(r"(?<![\w$€£.,/\-])1[\s.\-]\d{3}[\s.\-]\d{3}[\s.\-]\d{4}(?![\w.,/\-]*\d)(?! \d)")
# Digits said to be a phone number, grouped by spaces, hyphens or
# parentheses (not dots: "phone 15.03.2024" is a date), 9 to 15 of them:
# "phone: 4155550100", "tel 020 12 3456 7890".
_PHONE_SAID = re.compile(
    r"(?i)(\b(?:tel|telephone|phone|mobile|cell|cellphone|whatsapp|fax)(?:\s*(?:number|no\.?|#))?[\s:#]*)"
    r"(\+?\(?\d(?:[\s\-]?\(?\d\)?){8,14})(?![\w.,/\-]*\d)(?![\s\-]?\d)"
)


def _intl(match: "re.Match[str]") -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return "[phone]" if 8 <= digits <= 15 else match.group(0)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: "re.Match[str]") -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return "[card]"
    return match.group(0)


def _iban(match: "re.Match[str]") -> str:
    raw = match.group(0).replace(" ", "")
    if not 15 <= len(raw) <= 34:
        return match.group(0)
    moved = raw[4:] + raw[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return "[iban]" if int(number) % 97 == 1 else match.group(0)


def redact(text: str) -> str:
    """Replace e-mails, phone numbers, card numbers, IBANs and US Social
    Security numbers in ``text``.

    >>> redact("Call me on +44 7911 123456 or mail jo@example.com")
    'Call me on [phone] or mail [email]'
    >>> redact("card 4111 1111 1111 1111 charged $1,250.00 on 03/15/2024")
    'card [card] charged $1,250.00 on 03/15/2024'
    >>> redact("my SSN 123-45-6789 was on the report dated 2024-03-15")
    'my SSN [ssn] was on the report dated 2024-03-15'
    """
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(_iban, text)
    text = _CARD.sub(_card, text)
    text = _SSN.sub("[ssn]", text)
    text = _PHONE_SAID.sub(lambda m: m.group(1) + "[phone]", text)
    text = _PHONE_INTL.sub(_intl, text)
    text = _PHONE_NANP.sub("[phone]", text)
    text = _PHONE.sub("[phone]", text)
    return text
