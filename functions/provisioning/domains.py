"""`allowed_domains` for a publishable key: ThunderPhone's rules and more, checked before ThunderPhone is called.

ThunderPhone (shared/thunderphone-api.md section 3): at least one entry; exact hostnames and `*.sub`
wildcards; bare `*` and `*.*` rejected; `*.example.com` does NOT match `example.com`; `localhost` and
`127.0.0.1` are always allowed. On top of that we accept hostnames only (no scheme, port, path,
user info), `*.` only as the whole leftmost label and over at least two labels (no `*.com`), LDH labels
of 1-63 characters, 253 characters at most, and we normalise: trim, lowercase, drop a trailing dot,
IDNs to punycode, duplicates removed (first occurrence kept).

IDNs are converted with Python's stdlib `idna` codec, which implements IDNA 2003. Browsers follow
UTS #46 (non-transitional), which differs for a few characters: IDNA 2003 maps `ß` to `ss` and
final sigma to sigma, so `faß.de` becomes `fass.de` here while a browser visits `xn--fa-hia.de`. For such names
list the punycode form (`xn--...`) directly; it is accepted as is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_DOMAINS = 50  # our cap; ThunderPhone's own limit is UNCONFIRMED
MAX_HOSTNAME = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_FORBIDDEN = {
    "/": "a path",
    "?": "a query",
    "#": "a fragment",
    "@": "user info",
    ":": "a port",
    "\\": "a backslash",
}


class InvalidDomains(ValueError):
    """One or more entries are not acceptable; `problems` maps each bad entry to the reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        listed = "; ".join(f"{entry!r}: {reason}" for entry, reason in problems.items())
        super().__init__(
            f"allowed_domains has {len(problems)} invalid entr{'y' if len(problems) == 1 else 'ies'}: {listed}"
        )


@dataclass(frozen=True)
class Domains:
    domains: tuple[str, ...]
    warnings: tuple[str, ...]


def normalise_domains(entries: Sequence[str]) -> Domains:
    """The cleaned list and warnings, or InvalidDomains naming every bad entry."""
    if not entries:
        raise InvalidDomains({"(empty list)": "list at least one hostname (ThunderPhone requires one)"})
    if len(entries) > MAX_DOMAINS:
        raise InvalidDomains({f"({len(entries)} entries)": f"list at most {MAX_DOMAINS} hostnames"})
    problems: dict[str, str] = {}
    cleaned: list[str] = []
    for entry in entries:
        try:
            host = normalise_domain(entry)
        except ValueError as exc:
            problems[str(entry)] = str(exc)
            continue
        if host not in cleaned:
            cleaned.append(host)
    if problems:
        raise InvalidDomains(problems)
    warnings = tuple(
        f"'{host}' does not cover '{host[2:]}' itself; add '{host[2:]}' if the widget also runs there"
        for host in cleaned
        if host.startswith("*.") and host[2:] not in cleaned
    )
    return Domains(tuple(cleaned), warnings)


def normalise_domain(entry: str) -> str:
    """One entry in canonical form, or ValueError saying what is wrong with it."""
    if not isinstance(entry, str):
        raise ValueError("must be a string")
    text = entry.strip()
    if not text:
        raise ValueError("is empty")
    if text.startswith("["):
        raise ValueError("is an IPv6 literal; only hostnames and IPv4 addresses are supported")
    if "://" in text:
        raise ValueError("has a scheme; give the hostname only, e.g. 'www.example.com'")
    for char, what in _FORBIDDEN.items():
        if char in text:
            raise ValueError(f"has {what}; give the hostname only, e.g. 'www.example.com'")
    if any(char.isspace() for char in text):
        raise ValueError("contains whitespace")
    text = text.lower()
    if text.endswith("."):
        text = text[:-1]
    wildcard = text.startswith("*.")
    base = text[2:] if wildcard else text
    if text in ("*", "*.*"):
        raise ValueError("matches every site; list the hostnames the widget runs on")
    if "*" in base:
        raise ValueError("'*' is only allowed as the whole leftmost label, as in '*.example.com'")
    host = _ascii(base)
    labels = host.split(".")
    if any(not label for label in labels):
        raise ValueError("has an empty label (two dots in a row, or a leading dot)")
    if len(host) + (2 if wildcard else 0) > MAX_HOSTNAME:
        raise ValueError(f"is longer than {MAX_HOSTNAME} characters")
    for label in labels:
        if not _LABEL.match(label):
            raise ValueError(
                f"label '{label}' must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen"
            )
    if labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError("is neither a hostname (its last label is numeric) nor an IPv4 address") from None
        if wildcard:
            raise ValueError("a wildcard cannot cover an IP address")
    if wildcard and len(labels) < 2:
        raise ValueError("a wildcard must cover a registered domain, as in '*.example.com', not a top-level domain")
    return f"*.{host}" if wildcard else host


def _ascii(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("is not a valid internationalised domain name") from None
