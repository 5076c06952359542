#!/usr/bin/env python3
"""webhook_app: the application a webhook test calls (python3's http.server, loopback only).

Usage: webhook_app.py PORT_FILE LOG_FILE VIP_PORT TOKEN_FILE KEY_FILE
Binds 127.0.0.1 on a free port (written to PORT_FILE once listening) and appends one JSON line
per request to LOG_FILE: {"path", "body" (the parsed JSON), "auth_ok", "sig_ok", "at" (time)}.
Routes (POST):
  /vip    guard: {"result": true} when the caller's URI names port VIP_PORT, else false
  /crm    action: {"set": {"crm_ticket": "T-<n>"}} (/crm2: "V2-<n>")
  /agent  action: {"set": {"agent": "alice"}, "event": "AgentReady"}
  /fail   500
  /stall  answers after 3 s (longer than the table's timeout)
  /slow   answers {} after 2 s
"""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, LOG_FILE, VIP_PORT, TOKEN_FILE, KEY_FILE = sys.argv[1:6]
TOKEN = open(TOKEN_FILE).readline().strip()
KEY = open(KEY_FILE).readline().strip().encode()
lock = threading.Lock()
counter = [0]


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the log file says what came
        pass

    def answer(self, status, obj=None):
        data = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("X-Signature", "")
        want = "sha256=" + hmac.new(KEY, raw, hashlib.sha256).hexdigest()
        entry = {
            "path": self.path,
            "auth_ok": self.headers.get("Authorization", "") == "Bearer " + TOKEN,
            "sig_ok": hmac.compare_digest(sig, want),
            "at": time.time(),
        }
        try:
            entry["body"] = json.loads(raw)
        except ValueError:
            entry["body"] = None
        with lock:
            counter[0] += 1
            n = counter[0]
            with open(LOG_FILE, "a") as f:
                f.write(json.dumps(entry) + "\n")
        body = entry["body"] or {}
        if self.path == "/vip":
            caller = body.get("fields", {}).get("remote_uri", "")
            self.answer(200, {"result": (":%s" % VIP_PORT) in caller})
        elif self.path == "/crm":
            self.answer(200, {"set": {"crm_ticket": "T-%d" % n}})
        elif self.path == "/crm2":  # the same action after a reload moved it
            self.answer(200, {"set": {"crm_ticket": "V2-%d" % n}})
        elif self.path == "/agent":
            self.answer(200, {"set": {"agent": "alice"}, "event": "AgentReady"})
        elif self.path == "/fail":
            self.answer(500, {"error": "boom"})
        elif self.path == "/stall":
            time.sleep(3)
            self.answer(200, {})
        elif self.path == "/slow":
            time.sleep(2)
            self.answer(200, {})
        else:
            self.answer(404, {})


server = ThreadingHTTPServer(("127.0.0.1", 0), App)
server.daemon_threads = True
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
