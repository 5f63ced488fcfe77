"""Every answer this front end writes itself, named by meaning.

Clients never see exception text: wsgidav's own errors are answered by
status code from this table too, and unexpected faults become the
generic ``error`` reply while the traceback goes to the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A canned response: status code, reason phrase and a sentence."""

    status: int
    reason: str
    message: str

    @property
    def status_line(self) -> str:
        """The WSGI status string."""
        return f"{self.status} {self.reason}"


REPLIES: Mapping[str, Reply] = MappingProxyType({
    "login": Reply(401, "Unauthorized",
                   "Sign in with your full e-mail address."),
    "created": Reply(201, "Created", "Created."),
    "not-found": Reply(404, "Not Found", "Nothing is here."),
    "forbidden": Reply(403, "Forbidden",
                       "Your rights on this folder do not allow this."),
    "folders-by-admin": Reply(
        403, "Forbidden", "Files and directories go inside a files "
        "folder; new files folders are created by the owner or the "
        "administrator."),
    "listing-read-only": Reply(
        403, "Forbidden", "This level only lists accounts and folders; "
        "it cannot be changed over WebDAV."),
    "folder-root": Reply(
        403, "Forbidden", "A files folder itself cannot be deleted or "
        "moved over WebDAV."),
    "flat-folder": Reply(
        403, "Forbidden", "This folder holds files only, no "
        "subdirectories."),
    "finite-depth": Reply(
        403, "Forbidden", "PROPFIND with Depth: infinity is not served; "
        "ask with Depth 0 or 1."),
    "bad-xml": Reply(400, "Bad Request",
                     "The request body is not acceptable XML."),
    "xml-declarations": Reply(
        400, "Bad Request", "XML document type declarations and entities "
        "are not accepted."),
    "bad-path": Reply(400, "Bad Request", "The request path is not valid."),
    "bad-destination": Reply(400, "Bad Request",
                             "The Destination header is not valid."),
    "path-too-long": Reply(414, "URI Too Long",
                           "The path or a name in it is too long."),
    "too-large": Reply(413, "Content Too Large",
                       "The upload is larger than this server accepts."),
    "body-too-large": Reply(413, "Content Too Large",
                            "The request body is too large."),
    "too-many-properties": Reply(
        413, "Content Too Large",
        "A PROPPATCH may set or remove at most 256 properties."),
    "unavailable": Reply(503, "Service Unavailable",
                         "The server cannot reach its storage."),
    "error": Reply(500, "Internal Server Error",
                   "The server could not complete the request."),
})

# wsgidav's own refusals, answered by status with a sentence of ours.
BY_STATUS: Mapping[int, Reply] = MappingProxyType({
    400: Reply(400, "Bad Request", "The request is not valid."),
    403: REPLIES["forbidden"],
    404: REPLIES["not-found"],
    405: Reply(405, "Method Not Allowed",
               "This method does not apply to this resource."),
    409: Reply(409, "Conflict",
               "The parent collection does not exist."),
    412: Reply(412, "Precondition Failed",
               "A condition of the request does not hold."),
    413: REPLIES["too-large"],
    415: Reply(415, "Unsupported Media Type",
               "The request body type is not supported."),
    416: Reply(416, "Range Not Satisfiable",
               "The requested range is outside the file."),
    423: Reply(423, "Locked", "The resource is locked."),
    424: Reply(424, "Failed Dependency",
               "A related operation failed."),
    501: Reply(501, "Not Implemented",
               "This server does not support that."),
    502: Reply(502, "Bad Gateway",
               "The destination is not on this WebDAV server."),
    507: Reply(507, "Insufficient Storage",
               "There is no room left for this file."),
})

StartResponse = Callable[..., Any]


def for_status(status: int) -> Reply:
    """Our reply for a status wsgidav chose, generic when unknown."""
    found = BY_STATUS.get(status)
    if found is not None:
        return found
    if status >= 500:
        return REPLIES["error"]
    return Reply(status, "Error", "The request could not be completed.")


def send(reply: Reply, start_response: StartResponse,
         headers: Iterable[tuple[str, str]] = (),
         head: bool = False) -> list[bytes]:
    """Start the response and return its body (plain text)."""
    body = b"" if head else reply.message.encode() + b"\n"
    extra = list(headers)
    if reply.status == 401:
        extra.append(("WWW-Authenticate",
                      'Basic realm="icewarp-share", charset="UTF-8"'))
    start_response(reply.status_line, [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(reply.message.encode()) + 1)),
        *extra,
    ])
    return [body]


FINITE_DEPTH_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n')


def send_finite_depth(start_response: StartResponse) -> list[bytes]:
    """403 with the RFC 4918 9.1 precondition element, for clients."""
    start_response(REPLIES["finite-depth"].status_line, [
        ("Content-Type", "application/xml; charset=utf-8"),
        ("Content-Length", str(len(FINITE_DEPTH_BODY))),
    ])
    return [FINITE_DEPTH_BODY]
