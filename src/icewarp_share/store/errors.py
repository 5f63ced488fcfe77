"""Errors of the store, worded for the person who caused them.

Front ends map them to their own replies (IMAP NO with a response code,
HTTP 4xx, one line on stderr for the CLI); their text never contains
secrets, paths of the server or exception details.
"""


class StoreError(Exception):
    """A request the store refused; ``str()`` is safe to show a user."""


class NotFound(StoreError):
    """The account, group, domain or folder named does not exist."""


class Conflict(StoreError):
    """The thing to create exists already, or the change contradicts it."""


class Invalid(StoreError):
    """The request is malformed: a bad address, path, kind or rights."""


class Forbidden(StoreError):
    """The acting user lacks the right for this change."""
