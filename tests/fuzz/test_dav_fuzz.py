"""Fuzzing DAV request paths and XML bodies over a real socket.

Hypothesis builds paths (odd segments, percent escapes, dot segments,
very long names) under ``/dav/`` and ``/webdav/`` and XML bodies
(malformed documents, entity expansion bombs, external entities, deep
nesting, huge attributes) for PROPFIND, REPORT, PROPPATCH, LOCK, MKCOL
and PUT. Every answer must come within a timeout, never be a 5xx, carry
no traceback or exception text nor the content of a local file, and the
server must still answer a fresh client afterwards.
"""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RunningServer
from tests.fuzz.fuzzing import (
    EXAMPLES,
    LEAK,
    OWNER,
    PASSWORD,
    RANDOM,
    XXE,
    alive,
    server,
)

__all__ = ["server"]

segment = st.one_of(
    st.sampled_from(["Calendar", "Documents", "Contacts", "..", ".", "",
                     "~alice@example.com", "bob@example.com", OWNER,
                     "%2e%2e", "%00", "%ff%fe", "a%2fb", "%", "%zz",
                     "CON", "x.ics", "y.vcf", ";", "?", "#"]),
    st.text(alphabet="abc%/.~@-_ \t", max_size=12),
    st.integers(200, 5000).map(lambda n: "n" * n))
paths = st.tuples(st.sampled_from(["/dav/", "/webdav/", "/dav/" + OWNER
                                   + "/", "/webdav/" + OWNER + "/"]),
                  st.lists(segment, max_size=5)).map(
    lambda t: t[0] + "/".join(t[1]))

BOMB = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "'
                  + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
        + ']><propfind xmlns="DAV:"><prop><i>&i;</i></prop></propfind>')
XXE_BODY = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM '
            '"file:///etc/passwd">]><propfind xmlns="DAV:"><prop>'
            '<displayname>&x;</displayname></prop></propfind>')
PARAMETER_ENTITY = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM '
                    '"file:///etc/passwd"> %p;]><propfind xmlns="DAV:"/>')


def _deep(depth: int) -> str:
    return ('<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
            + "<x>" * depth + "</x>" * depth + "</prop></propfind>")


bodies = st.one_of(
    st.sampled_from([BOMB, XXE_BODY, PARAMETER_ENTITY, "", "<", "<a>",
                     ('<?xml version="1.0"?><propfind xmlns="DAV:">'
                     "<allprop/></propfind>"),
                     '<propfind xmlns="DAV:"><prop><getetag/>',
                     "<?xml version='1.0' encoding='x-unknown'?><a/>",
                     ('<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:'
                     'caldav"><C:filter><C:comp-filter name="VCALENDAR">'
                     '<C:time-range start="garbage"/></C:comp-filter>'
                     "</C:filter></C:calendar-query>")]),
    st.integers(50, 20000).map(_deep),
    st.integers(1000, 300000).map(
        lambda n: '<propfind xmlns="DAV:" a="' + "v" * n + '"/>'),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
methods = st.sampled_from(["PROPFIND", "REPORT", "PROPPATCH", "LOCK",
                           "MKCOL", "PUT", "GET", "DELETE", "MOVE", "COPY",
                           "OPTIONS", "BREW"])
headers = st.fixed_dictionaries({}, optional={
    "Depth": st.sampled_from(["0", "1", "infinity", "2", "-1", "x"]),
    "Destination": paths,
    "Overwrite": st.sampled_from(["T", "F", "maybe"]),
    "If": st.sampled_from(["(<urn:uuid:nope>)", "(", "<x> (Not <y>)"]),
    "Timeout": st.sampled_from(["Second-99999999999999", "Infinite",
                                "junk"]),
    "Content-Type": st.sampled_from(["application/xml", "text/calendar",
                                     "text/vcard", "a/b; charset=nope"]),
})


@settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None,
          database=None, suppress_health_check=list(HealthCheck))
@given(method=methods, path=paths, body=bodies, sent=headers,
       user=st.sampled_from([OWNER, "bob@example.com"]))
def test_dav_survives_bad_paths_and_bodies(
        server: RunningServer, method: str, path: str, body: str,
        sent: dict[str, str], user: str) -> None:
    """No 5xx, no exception text, no local file in any answer."""
    if "Destination" in sent:
        sent["Destination"] = server.http_url + sent["Destination"]
    answer = requests.request(
        method, server.http_url + path, data=body.encode(),
        headers=sent, auth=(user, PASSWORD), timeout=20)
    assert answer.status_code < 500, (answer.status_code,
                                      answer.text[:500])
    assert not LEAK.search(answer.text), answer.text[:2000]
    assert not XXE.search(answer.text), "a local file was read"


def test_server_still_answers_after_dav_fuzzing(
        server: RunningServer) -> None:
    """After the fuzzing the server answers a plain PROPFIND."""
    alive(server)
    answer = requests.request(
        "PROPFIND", f"{server.http_url}/dav/{OWNER}/", auth=(OWNER, PASSWORD),
        headers={"Depth": "0"}, timeout=20)
    assert answer.status_code == 207


# XML entity declarations are refused (no expansion, no external files);
# the refusal must be a 4xx with a canned body, not a server error.


@pytest.mark.parametrize("body", [BOMB, XXE_BODY], ids=["bomb", "external"])
@pytest.mark.parametrize("path", ["/webdav/", f"/webdav/{OWNER}/"])
def test_files_entity_bodies_are_refused_without_expansion(
        server: RunningServer, path: str, body: str) -> None:
    """WebDAV: a PROPFIND declaring entities is a 4xx, nothing expanded."""
    answer = requests.request(
        "PROPFIND", server.http_url + path, data=body.encode(),
        auth=(OWNER, PASSWORD), headers={"Depth": "0"}, timeout=20)
    assert 400 <= answer.status_code < 500, answer.status_code
    assert not XXE.search(answer.text)


@pytest.mark.parametrize("body", [BOMB, XXE_BODY], ids=["bomb", "external"])
def test_caldav_entity_bodies_are_bad_requests(
        server: RunningServer, body: str) -> None:
    """CalDAV: a PROPFIND declaring entities is 400, not 500."""
    answer = requests.request(
        "PROPFIND", f"{server.http_url}/dav/{OWNER}/", data=body.encode(),
        auth=(OWNER, PASSWORD), headers={"Depth": "0"}, timeout=20)
    assert not XXE.search(answer.text)
    assert 400 <= answer.status_code < 500, answer.status_code


def test_caldav_unknown_charset_is_a_client_error(
        server: RunningServer) -> None:
    """CalDAV: PROPFIND with ``charset=nope`` is a 4xx, not 500."""
    answer = requests.request(
        "PROPFIND", f"{server.http_url}/dav/", data=b"<",
        auth=(OWNER, PASSWORD),
        headers={"Depth": "0", "Content-Type": "a/b; charset=nope"},
        timeout=20)
    assert 400 <= answer.status_code < 500, answer.status_code


def test_caldav_empty_propfind_is_not_a_server_error(
        server: RunningServer) -> None:
    """CalDAV: ``<propfind xmlns="DAV:"/>`` is no server error."""
    body = '<propfind xmlns="DAV:"/>'
    answer = requests.request(
        "PROPFIND", f"{server.http_url}/dav/", data=body.encode(),
        auth=(OWNER, PASSWORD), headers={"Depth": "0"}, timeout=20)
    assert answer.status_code < 500, answer.status_code
