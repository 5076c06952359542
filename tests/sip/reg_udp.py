#!/usr/bin/env python3
"""reg_udp.py: the raw REGISTER/INVITE client of the registrar wire tests (test_registrar_*,
test_auth_server_*): sends one request from a bound loopback address, prints the response's
status line and headers; can answer a digest challenge (MD5 or SHA-256, qop=auth) like a
phone, or with deliberately broken credentials. Only loopback addresses.

usage: reg_udp.py SRC_IP SRC_PORT DST_PORT CASE [ARGS...]
"""
import hashlib
import re
import socket
import sys
import time

src_ip, src_port, dst_port, case = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
args = sys.argv[5:]
assert src_ip.startswith("127.")
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((src_ip, src_port))
sock.settimeout(3)
cseq = [0]
sent = [0]  # requests sent: each gets its own Via branch
call_id = "reg-%d-%s@%s" % (src_port, case, src_ip)


def request(extra, method="REGISTER", ruri="sip:pbx.test", user="bob", contact=None, expires="300"):
    cseq[0] += 1
    sent[0] += 1
    contact = contact if contact is not None else "<sip:%s@%s:%d>" % (user, src_ip, src_port)
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%d;rport" % (src_ip, src_port, case, sent[0]),
        "From: <sip:%s@pbx.test>;tag=f%d" % (user, src_port),
        "To: <sip:%s@pbx.test>" % user,
        "Call-ID: " + call_id,
        "CSeq: %d %s" % (cseq[0], method),
        "Max-Forwards: 70",
    ]
    if contact:
        lines.append("Contact: " + contact)
    if expires is not None:
        lines.append("Expires: " + expires)
    lines += extra
    lines += ["Content-Length: 0", "", ""]
    sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", dst_port))
    while True:
        data, _ = sock.recvfrom(65535)
        text = data.decode(errors="replace")
        if not text.startswith("SIP/2.0 1"):
            return text


def challenge(resp, alg):
    for line in resp.split("\r\n"):
        if line.lower().startswith(("www-authenticate:", "proxy-authenticate:")) and "algorithm=%s," % alg in line:
            return re.search(r'nonce="([^"]*)"', line).group(1)
    raise SystemExit("no %s challenge in:\n%s" % (alg, resp))


def digest(alg, user, password, method, uri, nonce, cnonce="c0ffee", nc="00000001"):
    h = (lambda s: hashlib.md5(s.encode()).hexdigest()) if alg == "MD5" else (
        lambda s: hashlib.sha256(s.encode()).hexdigest())
    ha1 = h("%s:pbx.test:%s" % (user, password))
    ha2 = h("%s:%s" % (method, uri))
    return h("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))


def authorization(alg, nonce, password="s3cret", user="bob", method="REGISTER", uri="sip:pbx.test", hname="Authorization"):
    resp = digest(alg, user, password, method, uri, nonce)
    return ('%s: Digest username="%s", realm="pbx.test", nonce="%s", uri="%s", response="%s", '
            'algorithm=%s, qop=auth, nc=00000001, cnonce="c0ffee"' % (hname, user, nonce, uri, resp, alg))


def show(resp):
    print(resp.split("\r\n\r\n")[0])
    print("----")


if case == "malformed":  # credentials without a response
    show(request(['Authorization: Digest username="bob", realm="pbx.test", nonce="abc", uri="sip:pbx.test"']))
elif case == "garbage":  # not even parameters
    show(request(['Authorization: Digest ,,,="']))
elif case == "algorithm":  # an algorithm we do not offer
    show(request(['Authorization: Digest username="bob", realm="pbx.test", nonce="abc", uri="sip:pbx.test", '
                  'response="00", algorithm=SHA-512-256']))
elif case == "huge_nonce":
    show(request(['Authorization: Digest username="bob", realm="pbx.test", nonce="%s", uri="sip:pbx.test", '
                  'response="00"' % ("n" * 4000)]))
elif case == "register":  # ARGS: ALG [PASSWORD] [EXPIRES] [WAIT_S]: challenge, (wait), answer
    alg = args[0]
    password = args[1] if len(args) > 1 else "s3cret"
    expires = args[2] if len(args) > 2 else "300"
    first = request([], expires=expires)
    show(first)
    nonce = challenge(first, alg)
    if len(args) > 3:
        time.sleep(float(args[3]))
    show(request([authorization(alg, nonce, password)], expires=expires))
elif case == "plain":  # ARGS: CONTACT EXPIRES: no credentials (a trusted source)
    show(request([], contact=args[0], expires=args[1] if args[1] != "-" else None))
elif case == "invite":  # ARGS: ALG|none: INVITE (challenged 407: ACK, then with Proxy-Authorization)
    alg = args[0]
    first = request([], method="INVITE", ruri="sip:echo@pbx.test", user="bob", expires=None)
    show(first)
    to_tag = re.search(r"^To:.*tag=([^;\r\n]+)", first, re.M).group(1)
    ack = ("ACK sip:echo@pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKinvite1;rport\r\n"
           "From: <sip:bob@pbx.test>;tag=f%d\r\nTo: <sip:bob@pbx.test>;tag=%s\r\nCall-ID: %s\r\n"
           "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (src_ip, src_port, src_port, to_tag, call_id))
    sock.sendto(ack.encode(), ("127.0.0.1", dst_port))
    if first.startswith("SIP/2.0 407") and alg != "none":
        nonce = challenge(first, alg)
        ok = request([authorization(alg, nonce, method="INVITE", uri="sip:echo@pbx.test",
                                    hname="Proxy-Authorization")],
                     method="INVITE", ruri="sip:echo@pbx.test", expires=None)
        show(ok)
        if ok.startswith("SIP/2.0 200") and len(args) > 1:  # ARGS: ALG REFER_TARGET: ACK, then REFER
            tag = re.search(r"^To:.*tag=([^;\r\n]+)", ok, re.M).group(1)
            target = re.search(r"^Contact:\s*<([^>]+)>", ok, re.M).group(1)
            dialog = ("From: <sip:bob@pbx.test>;tag=f%d\r\nTo: <sip:bob@pbx.test>;tag=%s\r\nCall-ID: %s\r\n"
                      % (src_port, tag, call_id))
            sock.sendto(("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKack2;rport\r\n%s"
                         "CSeq: %d ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                         % (target, src_ip, src_port, dialog, cseq[0])).encode(), ("127.0.0.1", dst_port))
            sock.sendto(("REFER %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKrefer1;rport\r\n%s"
                         "CSeq: %d REFER\r\nMax-Forwards: 70\r\nContact: <sip:bob@%s:%d>\r\n"
                         "Refer-To: <%s>\r\nContent-Length: 0\r\n\r\n"
                         % (target, src_ip, src_port, dialog, cseq[0] + 1, src_ip, src_port, args[1])).encode(),
                        ("127.0.0.1", dst_port))
            while True:
                data, _ = sock.recvfrom(65535)
                text = data.decode(errors="replace")
                if text.startswith("SIP/2.0") and "REFER" in text.split("\r\n\r\n")[0]:
                    show(text)
                    break
elif case == "seq":  # ARGS: one JSON list of requests from a trusted source, each
    # {"user", "contacts": [...] or null, "expires" (header, or null), "cseq", "call_id"}
    import json
    for r in json.loads(args[0]):
        if "call_id" in r:
            call_id = r["call_id"]
        if "cseq" in r:
            cseq[0] = r["cseq"] - 1
        contacts = r.get("contacts") or []
        extra = ["Contact: " + c for c in contacts[1:]]
        show(request(extra, user=r.get("user", "bob"), contact=contacts[0] if contacts else "",
                     expires=r.get("expires")))
else:
    raise SystemExit("unknown case " + case)
