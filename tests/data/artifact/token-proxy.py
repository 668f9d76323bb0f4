#!/usr/bin/python3 -S
# A registry front with the distribution token flow, for tests/cli/artifact.sh:
# /v2/... without "Authorization: Bearer <token>" gets 401 and a Bearer
# challenge naming /token; /token hands out the token for Basic user:secret
# only, and logs each scope asked for; authorised requests go on to the
# registry behind (argv[2], a local docker-registry) and its answer comes back.
#   token-proxy.py PORTFILE BACKEND_PORT LOG
import base64
import http.client
import http.server
import sys

TOKEN = "t0ken-for-the-test"
USER = base64.b64encode(b"user:secret").decode()
backend = int(sys.argv[2])
log = open(sys.argv[3], "a", buffering=1)


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        port = self.server.server_address[1]
        if self.path.startswith("/token"):
            log.write("token %s %s\n" % (self.path, "basic" if self.headers.get("Authorization") == "Basic " + USER else "none"))
            if self.headers.get("Authorization") != "Basic " + USER:
                return self.reply(401, [("Content-Type", "application/json")], b'{"details":"bad credentials"}')
            return self.reply(200, [("Content-Type", "application/json")], ('{"token":"%s"}' % TOKEN).encode())
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            log.write("challenge %s %s\n" % (self.command, self.path))
            return self.reply(401, [("Content-Type", "application/json"),
                                    ("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:%d/token",service="sysfence-test",scope="repository:x:pull"' % port)],
                              b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        c = http.client.HTTPConnection("127.0.0.1", backend)
        fwd = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
        c.request(self.command, self.path, body=body if self.command in ("PUT", "POST", "PATCH") else None, headers=fwd)
        r = c.getresponse()
        data = r.read()
        hdrs = []
        for k, v in r.getheaders():
            if k.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if k.lower() == "location":
                v = v.replace("127.0.0.1:%d" % backend, "127.0.0.1:%d" % port)
            hdrs.append((k, v))
        self.reply(r.status, hdrs, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
