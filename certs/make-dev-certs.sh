#!/usr/bin/env bash
# Makes a throwaway development PKI for impala-ha-proxy, its demo and its tests:
#   ca.pem / ca-key.pem                 dev CA (ECDSA P-256)
#   proxy.pem / proxy-key.pem           the proxy's front-end certificate
#   coordinator.pem / coordinator-key.pem   shared by the simulated coordinators
#   client.pem / client-key.pem         a client certificate (mutual TLS, upstream client auth)
#   rogue-ca.pem, rogue.pem / rogue-key.pem  a certificate from another CA (verification must fail)
# All leaf certificates are valid for localhost, 127.0.0.1 and ::1.
# ECDSA P-256 on purpose: impyla and impala-shell <= 4.5 do a full TLS handshake per RPC, and an
# ECDSA handshake costs the server a fraction of an RSA-2048 one.
# Usage: certs/make-dev-certs.sh [OUT_DIR]   (default: certs/dev beside this script)
set -euo pipefail
out=${1:-"$(cd "$(dirname "$0")" && pwd)/dev"}
mkdir -p "$out"
cd "$out"
days=825
san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() { # name subject
  new_key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -sha256 -days "$days" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

make_leaf() { # name subject ca usage
  new_key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "$2" -out "$1.csr"
  printf '%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' \
    "$san" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -sha256 \
    -days "$days" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

make_ca ca "/CN=impala-ha-proxy dev CA"
make_leaf proxy "/CN=impala-ha-proxy" ca serverAuth
make_leaf coordinator "/CN=impala coordinator (simulated)" ca serverAuth,clientAuth
make_leaf client "/CN=impala-ha-proxy client" ca clientAuth
make_ca rogue-ca "/CN=some other CA"
make_leaf rogue "/CN=impala coordinator (wrong CA)" rogue-ca serverAuth
rm -f ./*.srl
chmod 600 ./*-key.pem
echo "dev certificates written to $out"
