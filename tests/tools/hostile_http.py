#!/usr/bin/env python3
"""A deliberately hostile HTTP server for client/http's tests.

Serves canned bad answers (oversize, duplicate keys, trailing bytes, NUL,
terminal escapes in error messages, redirects, HTML error pages) on
127.0.0.1 with a free port, written to the file named by argv[1] once the
server listens. /v1/echo-headers and /v1/echo-body return what the client
sent, so tests can see the headers and bodies the bridge really puts on the
wire. /v1/redirect-* answer 307 to places a client must not follow (another
scheme, another path, itself for ever, a host that is neither a named member
nor the leader sys/leader announces) and to one it may (the announced
leader, reached as "localhost"); /v1/stranger-hits counts requests that
reached "localhost" on a path that must never be followed. Used by
tests/integration/bridge_http.sh; test data only.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIG = 5 * 1024 * 1024  # above HTTP_MAX_RESPONSE (4 MiB)


def canned(path):
    """(status, headers, body bytes) for a path, or None."""
    js = {"Content-Type": "application/json"}
    table = {
        "/v1/dup": (200, js, b'{"a":1,"a":2}'),
        "/v1/trailing": (200, js, b'{"a":1} x'),
        "/v1/nul": (200, js, b'{"a":"x\x00y"}'),
        "/v1/escape": (400, js, b'{"errors":["evil \\u001b[2J text"]}'),
        "/v1/long-error": (400, js, json.dumps({"errors": ["x" * 2000]}).encode()),
        # Four-byte characters: the 5xx prefix ("<node> answered HTTP 500: ")
        # shifts them so the clip falls inside one (a crash fuzz-smoke found).
        "/v1/long-error-5xx": (500, js, json.dumps(
            {"errors": ["\U0001f512" * 600]}, ensure_ascii=False).encode()),
        "/v1/multi": (400, js, b'{"errors":["one","two\\n\\tthree"]}'),
        "/v1/html": (502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>"),
        "/v1/sealed": (503, js, b'{"errors":["Vault is sealed"]}'),
        "/v1/unavailable": (503, js, b'{"errors":["standby"]}'),
        "/v1/redirect": (307, {"Location": "http://127.0.0.1:1/v1/x"}, b""),
        "/v1/empty": (204, {}, b""),
        # An active node failing behind a standby (issue 14), and the
        # legacy endpoint disabled: the failure must be reported as it is.
        "/v1/sys/generate-root-token/attempt": (
            500, js, b'{"errors":["local node not active but active cluster node not found"]}'),
        "/v1/sys/generate-root/attempt": (405, js, b'{"errors":["unsupported operation"]}'),
        "/v1/big": (200, js, b" " * BIG + b"{}"),
    }
    return table.get(path)


# What sys/seal-status and sys/leader say depends on the request before:
# the "node" that answered 503 is sealed or not, the redirect that names
# "localhost" is to the announced leader or not.
STATE = {"sealed": False, "leader": "http://127.0.0.1:1", "stranger_hits": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers, body, length=True):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except ConnectionError:
            # The client gave up on an oversize body, as it should.
            self.close_connection = True
            return
        if not length:
            self.close_connection = True

    def redirects(self):
        """True if the path was one of the redirect cases (answered)."""
        port = self.server.server_address[1]
        here = "http://127.0.0.1:%d" % port
        alias = "http://localhost:%d" % port
        on_alias = self.headers.get("Host", "").startswith("localhost")
        p = self.path
        if p == "/v1/sys/seal-status":
            self.reply(200, {}, json.dumps({"sealed": STATE["sealed"]}).encode())
        elif p == "/v1/sys/leader":
            self.reply(200, {}, json.dumps({"leader_address": STATE["leader"]}).encode())
        elif p == "/v1/stranger-hits":
            self.reply(200, {}, json.dumps({"hits": STATE["stranger_hits"]}).encode())
        elif p == "/v1/redirect-scheme":
            self.reply(307, {"Location": "https://127.0.0.1:%d%s" % (port, p)}, b"")
        elif p == "/v1/redirect-loop":
            self.reply(307, {"Location": here + p}, b"")
        elif p in ("/v1/redirect-stranger", "/v1/redirect-announced",
                   "/v1/redirect-member") and on_alias:
            if p == "/v1/redirect-stranger":
                STATE["stranger_hits"] += 1
            h = {k.lower(): v for k, v in self.headers.items()}
            self.reply(200, {}, json.dumps({"followed": True, "headers": h}).encode())
        elif p in ("/v1/redirect-stranger", "/v1/redirect-member"):
            STATE["leader"] = "http://127.0.0.1:1"
            self.reply(307, {"Location": alias + p}, b"")
        elif p == "/v1/redirect-announced":
            STATE["leader"] = alias
            self.reply(307, {"Location": alias + p}, b"")
        else:
            return False
        return True

    def answer(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n > 0 else b""
        if self.path in ("/v1/sealed", "/v1/unavailable"):
            STATE["sealed"] = self.path == "/v1/sealed"
        if self.redirects():
            return
        if self.path == "/v1/echo-headers":
            h = {k.lower(): v for k, v in self.headers.items()}
            self.reply(200, {}, json.dumps(h).encode())
        elif self.path == "/v1/echo-body":
            self.reply(200, {}, json.dumps({"method": self.command,
                                            "body": body.decode("latin-1")}).encode())
        elif self.path == "/v1/slow":
            time.sleep(3)
            self.reply(200, {}, b"{}")
        elif self.path == "/v1/big-unsized":
            # No Content-Length: only the client's running cap can stop it.
            self.reply(200, {}, b" " * BIG + b"{}", length=False)
        else:
            c = canned(self.path)
            if c is None:
                self.reply(404, {}, b'{"errors":[]}')
            else:
                self.reply(*c)

    do_GET = do_PUT = do_POST = do_DELETE = answer


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("http://127.0.0.1:%d\n" % srv.server_address[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
