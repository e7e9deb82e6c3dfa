#!/usr/bin/env python3
"""A token server for a docker-registry configured with `auth: token`
(the Docker/OCI token protocol), for tests/integration/push.sh.

usage: tokenserver.py KEY.pem CERT.pem ISSUER USER:PASSWORD LOG PORTFILE

GET /token?service=S&scope=repository:NAME:pull,push with the right Basic
credentials answers {"token": JWT, "access_token": JWT}: an RS256 JWT
signed with KEY (by the openssl CLI) whose x5c header carries CERT, which
the registry's rootcertbundle trusts.  Wrong or missing credentials: 401.
Each request is logged as "GET /token?... auth=basic|none|bad".
Standard library only.
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

key, cert, issuer, userpass, log, portfile = sys.argv[1:7]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64():
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


X5C = cert_der_b64()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=signing_input.encode(), check=True,
                         capture_output=True).stdout
    return signing_input + "." + b64url(sig)


def access_for(scopes):
    out = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) == 3 and parts[0] == "repository":
            out.append({"type": "repository", "name": parts[1],
                        "actions": parts[2].split(",")})
    return out


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        got = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(userpass.encode()).decode()
        state = "none" if not got else ("basic" if got == want else "bad")
        with open(log, "a") as f:
            f.write("GET %s auth=%s\n" % (self.path, state))
        if u.path != "/token":
            self.send_error(404)
            return
        if state != "basic":
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"details":"bad credentials"}')
            return
        now = int(time.time())
        claims = {"iss": issuer, "sub": userpass.split(":")[0],
                  "aud": q.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(),
                  "access": access_for(q.get("scope", []))}
        token = sign(claims)
        body = json.dumps({"token": token, "access_token": token,
                           "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
