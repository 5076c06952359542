#!/usr/bin/env bash
# tls_certs: makes the test certificates in DIR with the openssl CLI (EC P-256, quick):
#   ca.pem/ca.key      a test CA
#   server.pem/.key    signed by it, for 127.0.0.1, ::1, localhost and pbx.example.test
#   ca2.pem/ca2.key    a second CA that has nothing to do with the first
#   other.pem/.key     signed by ca2, for the same names (a "wrong" server)
# Usage: tls_certs.sh DIR
set -euo pipefail
d=$1
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -sha256 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # name ca subject
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:pbx.example.test\nextendedKeyUsage=serverAuth,clientAuth\n' >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "session-core test CA"
leaf server ca "session-core test server"
ca ca2 "unrelated test CA"
leaf other ca2 "unrelated test server"
