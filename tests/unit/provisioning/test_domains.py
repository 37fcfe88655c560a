"""allowed_domains validation: ThunderPhone's rules plus ours (hostnames only, normalised)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.provisioning.domains import InvalidDomains, normalise_domain, normalise_domains

LABEL = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20)
HOSTNAME = st.lists(LABEL, min_size=1, max_size=4).map(lambda labels: ".".join([*labels, "com"]))


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("Www.Example.COM", "www.example.com"),
        ("  shop.example.com  ", "shop.example.com"),
        ("example.com.", "example.com"),
        ("*.Example.com", "*.example.com"),
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_normalise_domain_accepts_and_canonicalises(entry: str, expected: str) -> None:
    assert normalise_domain(entry) == expected


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("https://example.com", "scheme"),
        ("example.com:8443", "port"),
        ("example.com/path", "path"),
        ("user@example.com", "user info"),
        ("*", "every site"),
        ("*.*", "every site"),
        ("*.com", "top-level"),
        ("www.*.example.com", "leftmost"),
        ("ex*ample.com", "leftmost"),
        ("-bad.example.com", "hyphen"),
        ("under_score.example.com", "hyphen"),
        ("a..example.com", "empty label"),
        ("999.1.1.1", "IPv4"),
        ("*.10.0.0.1", "IP address"),
        ("[::1]", "IPv6"),
        ("", "empty"),
        ("a" * 64 + ".example.com", "1-63"),
    ],
)
def test_normalise_domain_rejects_with_reason(entry: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalise_domain(entry)


def test_normalise_domains_names_every_bad_entry() -> None:
    # Given two bad entries among good ones; When validated; Then both are named, with reasons
    with pytest.raises(InvalidDomains) as caught:
        normalise_domains(["ok.example.com", "https://a.example.com", "*"])
    assert set(caught.value.problems) == {"https://a.example.com", "*"}
    assert "scheme" in caught.value.problems["https://a.example.com"]


def test_normalise_domains_requires_one_entry() -> None:
    with pytest.raises(InvalidDomains, match="at least one"):
        normalise_domains([])


def test_normalise_domains_removes_duplicates_keeping_order() -> None:
    result = normalise_domains(["B.example.com", "a.example.com", "b.example.com."])
    assert result.domains == ("b.example.com", "a.example.com")


def test_normalise_domains_warns_when_only_the_wildcard_is_listed() -> None:
    only_wildcard = normalise_domains(["*.example.com"])
    both = normalise_domains(["*.example.com", "example.com"])
    assert len(only_wildcard.warnings) == 1
    assert "does not cover 'example.com'" in only_wildcard.warnings[0]
    assert both.warnings == ()


@given(st.lists(st.one_of(HOSTNAME, HOSTNAME.map(lambda h: "*." + h), HOSTNAME.map(str.upper)), min_size=1))
def test_normalise_domains_output_is_canonical_and_stable(entries: list[str]) -> None:
    result = normalise_domains(entries)
    assert len(result.domains) == len(set(result.domains))
    assert all(domain == domain.lower() and domain.isascii() for domain in result.domains)
    # Normalising again changes nothing (idempotent).
    assert normalise_domains(list(result.domains)).domains == result.domains


@given(HOSTNAME, st.sampled_from(["https://", "http://", "//"]), st.sampled_from(["", ":443", "/", "/page?q=1"]))
def test_normalise_domain_rejects_anything_but_a_hostname(host: str, prefix: str, suffix: str) -> None:
    entry = f"{prefix}{host}{suffix}" if prefix != "//" else f"{host}{suffix or '/x'}"
    with pytest.raises(ValueError):
        normalise_domain(entry)


@given(st.text(max_size=40))
def test_normalise_domain_never_fails_unexpectedly(entry: str) -> None:
    # Any text either normalises to an ASCII hostname or raises ValueError with a reason.
    try:
        host = normalise_domain(entry)
    except ValueError as exc:
        assert str(exc)
    else:
        assert host.isascii()
        assert host not in ("*", "*.*")
        assert "*" not in host[1:]
        assert not any(char in host for char in "/:@?# ")
