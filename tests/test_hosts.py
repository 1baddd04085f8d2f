"""Hosts read from URLs, domains and authorities: one normal form, or None, never a silent ""."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.hosts import authority_host, host_of, normalize
from auditor.model import Collection, Location

FULL_WIDTH_YOUTUBE = "\uff59\uff4f\uff55\uff54\uff55\uff42\uff45"  # y o u t u b e, full width

YOUTUBE = [
    f"{FULL_WIDTH_YOUTUBE}.com",
    f"{FULL_WIDTH_YOUTUBE}\uff0e\uff43\uff4f\uff4d",  # full-width full stop and "com"
    "youtube\u3002com",  # ideographic full stop
    "youtube\uff61com",  # halfwidth ideographic full stop
    "you\u00adtube.com",  # soft hyphen
    "you\u200btube.com",  # zero-width space
    "YouTube.COM.",
    "youtube.com:443",
    "youtube.com:443/watch?v=x",
    "https://youtube.com",
    "HTTPS://YOUTUBE.COM/x",
    "//youtube.com/x",
    "you%74ube.com",  # percent-encoded
    "youtube.com?x=1",
    "youtube.com#top",
    "youtube.com\\x",
    " youtube.com ",
    "*.youtube.com",
    ".youtube.com",
]


@pytest.mark.parametrize("value", YOUTUBE)
def test_look_alike_forms_read_as_the_host(value: str) -> None:
    assert normalize(value) == "youtube.com"


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("https://user:pw@www.youtube.com:443/watch?v=x", "www.youtube.com"),
        ("https://www.youtube.com", "www.youtube.com"),
        ("http://[2001:DB8::1]:80/x", "2001:db8::1"),
        ("192.0.2.1:8080", "192.0.2.1"),
        ("m\u00fcnchen.de", "xn--mnchen-3ya.de"),
        ("M\u00dcNCHEN.de", "xn--mnchen-3ya.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("r1---sn-abc.googlevideo.com", "r1---sn-abc.googlevideo.com"),  # real, not IDNA2008
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("localhost:8080", "localhost"),
    ],
)
def test_hosts_in_normal_form(value: str, host: str) -> None:
    assert normalize(value) == host


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "not a url",
        "exa mple.com",
        "a..b",
        "youtube.com..",
        "https:///youtube.com",  # no authority
        "https:youtube.com",
        "mailto:someone@youtube.com",  # a URL, but no host in it
        "urn:isbn:0451450523",
        "999.1.1.1",
        "[nope]",
        "%ff.com",  # not UTF-8
        "i\u2764.ws",  # not allowed in IDNA2008
        "a\u200d.com",  # a joiner out of context
        "youtube.com\uff1a443",  # full-width colon: a forbidden character once mapped
        "youtube.com\uff20evil.example",  # full-width @, likewise
        "https\uff1a\uff0f\uff0fyoutube.com",  # full-width "://"
        "*",
    ],
)
def test_values_without_a_readable_host_are_none(value: str) -> None:
    assert normalize(value) is None


def test_authorities_are_read_without_a_scheme() -> None:
    assert authority_host("u:p@WWW.Example.co.uk:8443") == "www.example.co.uk"
    assert authority_host("[2001:db8::1%25eth0]:80") == "2001:db8::1"
    assert authority_host("") is None
    assert authority_host("www.youtube.com\n") is None  # not a host that reads as youtube.com


def test_a_collection_is_read_from_its_url_or_its_domain() -> None:
    here = Location(path="m.yaml")
    assert host_of(Collection(domain="https://www.youtube.com", location=here)) == (
        "www.youtube.com"
    )
    assert host_of(Collection(domain="youtube.com:443", location=here)) == "youtube.com"
    assert host_of(Collection(url="https://you\u200btube.com/x", location=here)) == "youtube.com"
    assert host_of(Collection(domain="", location=here)) is None


@given(st.text())
def test_reading_never_raises_and_the_form_is_stable(value: str) -> None:
    for host in (normalize(value), authority_host(value)):
        if host is not None:
            assert host and host.isascii() and host == host.lower()
            assert ":" in host or normalize(host) == host


def test_a_nul_inside_a_host_is_no_host() -> None:
    """`youtube.com\\0.evil.com` must be neither youtube.com nor evil.com: no host at all."""
    assert normalize("https://youtube.com\x00.evil.com/x") is None
    assert normalize("youtube.com\x00.evil.com") is None
