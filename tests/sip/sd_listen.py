#!/usr/bin/env python3
"""sd_listen: the receiving end of what sessiond tells systemd and the system logs, for the wire
tests: binds a Unix datagram socket at PATH and writes one JSON line per datagram to OUT.

  sd_listen.py notify PATH OUT    sd_notify messages: {"t": seconds, "lines": ["READY=1", ...]}
  sd_listen.py journal PATH OUT   journal native protocol: {"t": ..., "fields": {"MESSAGE": ...}}
  sd_listen.py syslog PATH OUT    syslog datagrams: {"t": ..., "line": "<30>... sessiond[PID]: ..."}

Writes PATH.ready once bound. Runs until killed."""
import json
import os
import socket
import struct
import sys
import time


def journal_fields(data):
    """Native journal protocol: NAME=value\\n, or NAME\\n<u64 LE length><value>\\n for values
    with newlines."""
    fields = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode("utf-8", "replace")
    return fields


def main():
    mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    open(path + ".ready", "w").close()
    with open(out, "a") as f:
        while True:
            data = s.recv(1 << 20)
            rec = {"t": time.monotonic()}
            if mode == "notify":
                rec["lines"] = data.decode("utf-8", "replace").split("\n")
            elif mode == "journal":
                rec["fields"] = journal_fields(data)
            else:
                rec["line"] = data.decode("utf-8", "replace")
            f.write(json.dumps(rec) + "\n")
            f.flush()


if __name__ == "__main__":
    main()
