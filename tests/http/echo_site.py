"""A real HTTP front with echo applications, for tests of ``http.py``.

Run as ``python echo_site.py CONFIG PORT``: it opens the store of CONFIG,
serves the front on 127.0.0.1:PORT and answers every mounted request with
a JSON echo of what the application received.
"""

import json
import sys

from twisted.internet import reactor

from icewarp_share import config as configuration, http, logs
from icewarp_share.auth import Authenticator
from icewarp_share.store import Store


def echo(name):
    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        seen = {k: v for k, v in environ.items()
                if k.startswith("HTTP_") or k in (
                    "SCRIPT_NAME", "PATH_INFO", http.ACCOUNT_KEY)}
        seen["app"] = name
        seen["body_length"] = len(body)
        payload = json.dumps(seen).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(payload)))])
        return [payload]
    return app


def main():
    config = configuration.load(sys.argv[1])
    logs.configure("info")
    store = Store(config)
    apps = {name: echo(name) for name in ("dav", "webdav", "web")}
    site = http.make_site(config, Authenticator(store.directory,
                                                config.security),
                          apps, reactor, ready=lambda: True)
    reactor.listenTCP(int(sys.argv[2]), site, interface="127.0.0.1")
    reactor.run()


if __name__ == "__main__":
    main()
