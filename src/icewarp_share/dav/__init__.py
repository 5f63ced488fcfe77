"""The DAV front ends: CalDAV and CardDAV (``caldav``), WebDAV files (``files``).

Each is a WSGI application mounted by the HTTP site, which has already
authenticated the user. The two packages share nothing but the store and
the ACL core, and never import each other.
"""
