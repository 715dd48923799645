#!/usr/bin/env bash
# Makes the TLS material of the compose stack's OTLP receivers, with openssl:
#
#   compose/make-certs.sh [--force] [DIR]        (DIR defaults to compose/certs)
#
#   DIR/agents/ca.pem       a private certificate authority for this stack: what the agents trust
#                           (OTEL_EXPORTER_OTLP_CERTIFICATE); the demo service mounts DIR/agents
#   DIR/ca-key.pem          its key (mode 600, mounted nowhere; needed only to make certificates
#                           again: keep it off the machines that run the stack)
#   DIR/collector/collector-cert.pem  the Collector's certificate, signed by that CA, for the names
#                           collector (inside the compose network), localhost and 127.0.0.1 (the
#                           published ports), and any extra names in TOKENLEDGER_COLLECTOR_TLS_NAMES
#                           (comma-separated DNS names or IP addresses)
#   DIR/collector/collector-key.pem   its key (mode 644: the Collector image runs as an unprivileged
#                           user that must read it through the read-only mount of DIR/collector)
#
# Certificates are valid for 825 days (TOKENLEDGER_CERT_DAYS). An existing set is kept unless --force.
set -euo pipefail

force=0
dir=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-certs.sh: unknown option $arg" >&2; exit 2 ;;
    *) dir="$arg" ;;
  esac
done
dir="${dir:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/certs}"
days="${TOKENLEDGER_CERT_DAYS:-825}"
command -v openssl >/dev/null 2>&1 || { echo "make-certs.sh: needs openssl on PATH" >&2; exit 1; }

mkdir -p "$dir/collector" "$dir/agents"
if [ "$force" -eq 0 ] && [ -f "$dir/collector/collector-cert.pem" ]; then
  echo "make-certs.sh: $dir already has a certificate (use --force to make a new set)"
  exit 0
fi

names="DNS:collector,DNS:localhost,IP:127.0.0.1"
IFS=',' read -r -a extra <<< "${TOKENLEDGER_COLLECTOR_TLS_NAMES:-}"
for n in "${extra[@]}"; do
  n="$(printf '%s' "$n" | tr -d '[:space:]')"
  [ -z "$n" ] && continue
  if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then names="$names,IP:$n"; else names="$names,DNS:$n"; fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca-key.pem" 2>/dev/null
openssl req -x509 -new -key "$work/ca-key.pem" -sha256 -days "$days" -subj "/CN=TokenLedger compose CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$work/ca.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/collector-key.pem" 2>/dev/null
openssl req -new -key "$work/collector-key.pem" -subj "/CN=collector" -out "$work/collector.csr"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
  "$names" > "$work/collector.ext"
openssl x509 -req -in "$work/collector.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" -CAcreateserial \
  -days "$days" -sha256 -extfile "$work/collector.ext" -out "$work/collector-cert.pem" 2>/dev/null
openssl verify -CAfile "$work/ca.pem" "$work/collector-cert.pem" >/dev/null

install -m 600 "$work/ca-key.pem" "$dir/ca-key.pem"
install -m 644 "$work/ca.pem" "$dir/agents/ca.pem"
install -m 644 "$work/collector-cert.pem" "$dir/collector/collector-cert.pem"
install -m 644 "$work/collector-key.pem" "$dir/collector/collector-key.pem"
echo "make-certs.sh: wrote $dir/ca-key.pem, $dir/agents/ca.pem and $dir/collector/collector-{cert,key}.pem for $names"
