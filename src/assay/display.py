"""Text that is safe to show: credentials masked in URLs, terminal controls made visible.

Repository URLs may carry a credential (``https://deploy:TOKEN@host/x.git``); every
message, table and report that shows one passes it through :func:`mask_url` first.
Anything printed to a terminal may also hold text someone else wrote (a file name in a
CI artefact, a service name, a framework title): :func:`terminal_safe` turns control
characters, which a terminal would obey (clear the screen, set the clipboard, reorder
the line), into visible ``\\uXXXX`` escapes. The escape is the JSON spelling, so JSON
text stays valid and decodes to the same value.
"""

from __future__ import annotations

import re

#: What a masked credential reads as.
MASK = "***"

#: Schemes whose bare user name is a secret (``https://TOKEN@host/``): over HTTP a user
#: name alone is how tokens are commonly passed. Over ssh it is a login name, kept.
_TOKEN_USER_SCHEMES = frozenset({"http", "https"})

#: ``scheme://userinfo@``: the user information ends at the last ``@`` before the path.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*)://(?P<userinfo>[^/\s?#'\"<>]*)@")


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme = match.group("scheme")
    user, colon, _secret = match.group("userinfo").partition(":")
    if colon:
        return f"{scheme}://{user}:{MASK}@"
    if scheme.lower() in _TOKEN_USER_SCHEMES:
        return f"{scheme}://{MASK}@"
    return match.group(0)


def mask_url(url: str) -> str:
    """``url`` with its password (or a token given as the user name over http/https)
    replaced by ``***``; a URL without one is returned unchanged."""
    return _USERINFO.sub(_mask_userinfo, url)


def without_credentials(url: str) -> str:
    """``url`` with no secret left in it, to keep on disk: the password dropped, and over
    http/https the whole user information (where a bare user name is commonly a token)."""

    def strip(match: re.Match[str]) -> str:
        scheme = match.group("scheme")
        user = match.group("userinfo").partition(":")[0]
        if scheme.lower() in _TOKEN_USER_SCHEMES or not user:
            return f"{scheme}://"
        return f"{scheme}://{user}@"

    return _USERINFO.sub(strip, url)


def mask_credentials(text: str) -> str:
    """Every URL in free text masked as :func:`mask_url` does."""
    if "://" not in text:
        return text
    return _USERINFO.sub(_mask_userinfo, text)


def _controls() -> list[int]:
    return [
        *range(0x00, 0x20),  # C0, ESC among them
        0x7F,  # DEL
        *range(0x80, 0xA0),  # C1: CSI, OSC, ... as single characters
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2066, 0x206A),  # bidi isolates
    ]


def _table(keep: str) -> dict[int, str]:
    return {code: f"\\u{code:04x}" for code in _controls() if chr(code) not in keep}


_LINES = _table("\n\t")
_ONE_LINE = _table("")
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str, *, keep_breaks: bool = True) -> str:
    """``text`` fit for a terminal or a CI log: credentials in URLs masked, and every
    control character (C0 and C1, DEL, bidi overrides and isolates) shown as a
    ``\\uXXXX`` escape. Line feeds and tabs are kept when ``keep_breaks`` (a message may
    span lines); a table cell or any one-line value passes ``keep_breaks=False``."""
    text = mask_credentials(text)
    if _ANY_CONTROL.search(text) is None:
        return text
    return text.translate(_LINES if keep_breaks else _ONE_LINE)
