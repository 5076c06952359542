#!/usr/bin/env python3
"""conf_rtp: the RTP side of tests/sip/test_conference.sh. For each party it binds one UDP port
on 127.0.0.1 (the port its SDP announced), sends a G.711 tone of its own frequency every 20 ms
to sessiond's RTP port of that party's session, records what comes back, and prints one JSON
object: per party the packets received, the RMS of what it heard and the amplitude of each
party's frequency in it (Goertzel over the capture after the first 400 ms).

usage: conf_rtp.py SECONDS NAME:LOCAL_PORT:REMOTE_PORT:CODEC:FREQ [...]
       CODEC is pcmu or pcma; FREQ 0 sends nothing (the party only listens)."""
import json
import math
import select
import socket
import struct
import sys
import time

AMP = 6000  # each tone's amplitude (two of them mixed stay far from saturation)
SKIP = 3200  # samples ignored at the start (the room gathers a backlog first)


def ulaw_encode(x):
    sign = 0
    if x < 0:
        x, sign = -x, 0x80
    x = min(x, 32635) + 0x84
    exp, mask = 7, 0x4000
    while exp > 0 and not x & mask:
        exp, mask = exp - 1, mask >> 1
    return ~(sign | (exp << 4) | ((x >> (exp + 3)) & 0x0F)) & 0xFF


def ulaw_decode(u):
    u = ~u & 0xFF
    x = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84
    return -x if u & 0x80 else x


ALAW_SEG_END = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]


def alaw_encode(x):
    x >>= 3
    if x >= 0:
        mask = 0xD5
    else:
        mask, x = 0x55, -x - 1
    seg = next((i for i, end in enumerate(ALAW_SEG_END) if x <= end), 8)
    if seg >= 8:
        return 0x7F ^ mask
    a = seg << 4
    a |= ((x >> 1) if seg < 2 else (x >> seg)) & 0x0F
    return a ^ mask


def alaw_decode(a):
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


CODECS = {"pcmu": (0, ulaw_encode, [ulaw_decode(i) for i in range(256)]),
          "pcma": (8, alaw_encode, [alaw_decode(i) for i in range(256)])}


def goertzel_amp(pcm, freq, rate=8000):
    n = len(pcm)
    if n == 0:
        return 0.0
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in pcm:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


class Party:
    def __init__(self, spec):
        name, lport, rport, codec, freq = spec.split(":")
        self.name, self.freq = name, float(freq)
        self.pt, self.enc, self.dec = CODECS[codec]
        self.dst = ("127.0.0.1", int(rport))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", int(lport)))
        self.sock.setblocking(False)
        self.seq, self.ts, self.ssrc = 0, 0, 0x1000 + int(lport)
        self.pcm, self.packets = [], 0

    def send(self):
        if not self.freq:
            return
        w = 2 * math.pi * self.freq / 8000
        payload = bytes(self.enc(int(AMP * math.sin(w * (self.ts + i)))) for i in range(160))
        hdr = struct.pack("!BBHII", 0x80, (0x80 if self.seq == 0 else 0) | self.pt, self.seq & 0xFFFF, self.ts,
                          self.ssrc)
        self.sock.sendto(hdr + payload, self.dst)
        self.seq += 1
        self.ts += 160

    def receive(self):
        while True:
            try:
                b = self.sock.recv(2048)
            except BlockingIOError:
                return
            if len(b) < 12 or b[0] >> 6 != 2 or (b[1] & 0x7F) != self.pt:
                continue
            hl = 12 + 4 * (b[0] & 0x0F)
            self.packets += 1
            self.pcm.extend(self.dec[x] for x in b[hl:])


def main():
    seconds = float(sys.argv[1])
    parties = [Party(s) for s in sys.argv[2:]]
    start = time.monotonic()
    next_send = start
    while True:
        now = time.monotonic()
        if now >= start + seconds:
            break
        if now >= next_send:
            for p in parties:
                p.send()
            next_send += 0.02
        r, _, _ = select.select([p.sock for p in parties], [], [], max(0.0, min(next_send, start + seconds) - now))
        for p in parties:
            if p.sock in r:
                p.receive()
    out = {}
    for p in parties:
        pcm = p.pcm[SKIP:]
        rms = math.sqrt(sum(x * x for x in pcm) / len(pcm)) if pcm else 0.0
        out[p.name] = {"packets": p.packets, "samples": len(pcm), "rms": round(rms, 1),
                       "hears": {q.name: round(goertzel_amp(pcm, q.freq), 1) for q in parties if q.freq}}
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
