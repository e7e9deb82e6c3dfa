#!/usr/bin/env python3
"""A small HTTP/1.1 file server for mkbase's remote-repository tests.

Serves DIR on 127.0.0.1 with Range support, logs every request, and injects
faults read from FAULTS (a JSON file, re-read on every request) keyed by
URL path:
  {"/Packages/x.rpm": {"kind": "500", "count": 1}}   500 for the first request(s)
  "drop"      send half the body, then close the connection (count times)
  "corrupt"   flip a byte in the middle of the body (always)
  "extra"     append 4096 bytes beyond the file (always)
  "redirect"  302 to the URL in "to"
  "hang"      accept and never answer
Requests for absolute URIs (as sent to a proxy) are served by their path,
so the server doubles as an HTTP proxy for the proxy test.
Usage: faultserver.py DIR FAULTS LOG PORTFILE
"""
import json
import os
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, FAULTS, LOG, PORTFILE = sys.argv[1:5]
lock = threading.Lock()
used = {}


def fault_for(path):
    try:
        with open(FAULTS) as f:
            faults = json.load(f)
    except (OSError, ValueError):
        return None
    fl = faults.get(path)
    if not fl:
        return None
    with lock:
        n = used.get(path, 0)
        used[path] = n + 1
    if "count" in fl and n >= fl["count"]:
        return None
    return fl


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self, status):
        with lock, open(LOG, "a") as f:
            f.write("%s %s %s range=%s\n" % (self.command, self.path, status,
                                           self.headers.get("Range", "-")))

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        fl = fault_for(path)
        kind = fl["kind"] if fl else None
        if kind == "hang":
            self.log("hang")
            time.sleep(3600)
            return
        if kind == "500":
            self.log(500)
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "redirect":
            self.log(302)
            self.send_response(302)
            self.send_header("Location", fl["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        full = os.path.join(ROOT, path.lstrip("/"))
        if ".." in path.split("/") or not os.path.isfile(full):
            self.log(404)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(full, "rb") as f:
            data = f.read()
        if kind == "corrupt":
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        if kind == "extra":
            data = data + b"\0" * 4096
        start, status = 0, 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and kind not in ("extra",):
            start = int(rng[6:].split("-")[0])
            status = 206
        body = data[start:]
        self.log(status)
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if kind == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
# Stop by itself after a while, whatever happens to the test.
threading.Timer(600, lambda: os._exit(0)).start()
srv.serve_forever()
