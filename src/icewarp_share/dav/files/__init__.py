"""WebDAV files folders at ``/webdav/<address>/<folder>/`` through wsgidav.

``make_app(store)`` is the WSGI application the HTTP layer mounts at
``/webdav/``. It does not import the CalDAV front end, nor it this one.
"""

from icewarp_share.dav.files.app import make_app

__all__ = ["make_app"]
