#!/usr/bin/env python3
"""tcp_pause.py LISTEN_PORT TARGET_PORT: a TCP relay on 127.0.0.1 that the test controls, to cut
one node off its store without touching the others (the cluster test's split brain). SIGUSR1
pauses it: the connections stay open but nothing passes either way (a partition, not a reset);
SIGUSR2 lets traffic pass again. Prints "ready" once it listens."""
import selectors
import signal
import socket
import sys
import time

paused = False


def on_signal(signum, frame):
    global paused
    paused = signum == signal.SIGUSR1


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGUSR2, on_signal)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(64)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    print("ready", flush=True)
    while True:
        if paused:  # the bytes wait in the kernel's buffers: nothing passes, nothing is closed
            time.sleep(0.05)
            continue
        for key, _ in sel.select(timeout=0.05):
            if key.data is None:
                client, _ = srv.accept()
                upstream = socket.create_connection(("127.0.0.1", target_port))
                client.setblocking(False)
                upstream.setblocking(False)
                sel.register(client, selectors.EVENT_READ, upstream)
                sel.register(upstream, selectors.EVENT_READ, client)
                continue
            src, dst = key.fileobj, key.data
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                    s.close()
                continue
            dst.sendall(data)


if __name__ == "__main__":
    main()
