#!/usr/bin/env bash
# `conclave-bridge status` against real OpenBao servers: Shamir and static
# seal, several nodes at once, JSON output, an unreachable node, and TLS
# (trusted through --ca-cert or VAULT_CACERT, refused without).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"

js() { "$BRIDGE" status --format=json "$@" 2>/dev/null; }

# The name a real cluster may be given (its config's cluster_name, reported
# once unsealed): long, and not ASCII only.
long_name=ceremony-room-cluster-eu-west-1-production-vault-københavn-été-2026
if ! bao_start_shamir sh || ! bao_start_static st --cluster-name "$long_name"; then
	fail "OpenBao servers start"
	finish
fi
a=$(bao_addr sh)
b=$(bao_addr st)

check_output "shamir: uninitialised and sealed" '^shamir false true 0 0$' \
    sh -c "$(declare -f js); BRIDGE='$BRIDGE' js --address '$a' | jq -r '.[0] | \"\(.type) \(.initialized) \(.sealed) \(.t) \(.n)\"'"
check_output "static: recovery seal" '^static false true$' \
    sh -c "$(declare -f js); BRIDGE='$BRIDGE' js --address '$b' | jq -r '.[0] | \"\(.type) \(.initialized) \(.recovery_seal)\"'"
check_output "table lists the node" "^$a +shamir +no +yes +0/0" "$BRIDGE" status --address "$a"
check_output "VAULT_ADDR is the default address" "^$b +static" env VAULT_ADDR="$b" "$BRIDGE" status
check_output "BAO_ADDR when VAULT_ADDR is unset" "^$a +shamir" env -u VAULT_ADDR BAO_ADDR="$a" "$BRIDGE" status

# After init (recovery shares on the static seal) the status follows.
bao_init st 3 2 || fail "static: init"
check_output "static: initialised, auto-unsealed, t/n of the recovery config" \
    '^true false 2 3 true$' sh -c "$(declare -f js); BRIDGE='$BRIDGE' js --address '$b' | \
    jq -r '.[0] | \"\(.initialized) \(.sealed) \(.t) \(.n) \(.cluster_id | length == 36)\"'"

# Issue 10: every line of the table fits 80 columns, whatever the length
# of the values the servers report or the addresses given; nothing is cut
# (the long cluster name is there whole, the output valid UTF-8).
far=https://vault-node-3.ceremony-room.eu-west-1.compute.internal.invalid:8200
check "status fits 80 columns: a long cluster name, three nodes" \
    fits80 "$BRIDGE" status --address "$a,$b,$b"
check "status fits 80 columns: a long unresolvable address" \
    fits80 "$BRIDGE" status --address "$b,$far"
check_output "  the long cluster name is shown whole" "cluster $long_name\$" \
    "$BRIDGE" status --address "$a,$b"
check "  as valid UTF-8" sh -c "'$BRIDGE' status --address '$a,$b,$far' 2>&1 |
    iconv -f UTF-8 -t UTF-8 >/dev/null"
check_output "  a short table stays a table" "^ADDRESS +TYPE +INIT +SEALED" \
    "$BRIDGE" status --address "$a"

# Several nodes: repeated and comma-separated, in order.
check_output "three nodes, comma-separated and repeated" '^sh,st,sh$' sh -c \
    "$(declare -f js); BRIDGE='$BRIDGE' js --address '$a,$b' --address '$a' | \
    jq -r '[.[].type | if . == \"shamir\" then \"sh\" else \"st\" end] | join(\",\")'"
check "all reachable: exit 0" "$BRIDGE" status --address "$a,$b"

# An address nothing listens on (a port that was just free).
dead=http://127.0.0.1:$(_bao_port)
while curl -s --noproxy '*' -o /dev/null "$dead" 2>/dev/null; do dead=http://127.0.0.1:$(_bao_port); done
check_output "unreachable: CK_ERR_UNREACHABLE's message" "$dead: server unreachable" \
    "$BRIDGE" status --address "$dead"
check_fails "unreachable: non-zero exit" "$BRIDGE" status --address "$dead"
check_fails "one unreachable among good nodes: non-zero exit" "$BRIDGE" status --address "$a,$dead"
check_output "unreachable: JSON names the error" '^CK_ERR_UNREACHABLE$' sh -c \
    "$(declare -f js); BRIDGE='$BRIDGE' js --address '$a,$dead' | jq -r '.[1].error'"
check_output "unresolvable host: unreachable" "server unreachable" \
    "$BRIDGE" status --address http://no-such-host.invalid:8200
check_fails "a bad address is refused" "$BRIDGE" status --address ftp://127.0.0.1:1
check_fails "an unknown format is refused" "$BRIDGE" status --address "$a" --format=yaml
check_output "--help" "usage: conclave-bridge status" "$BRIDGE" status --help

# TLS: the CA made by the harness, never the system's.
if bao_start_shamir tl --tls; then
	t=$(bao_addr tl)
	check "TLS: trusted with --ca-cert" "$BRIDGE" status --address "$t" --ca-cert "$(bao_cacert)"
	check "TLS: trusted with VAULT_CACERT" env VAULT_CACERT="$(bao_cacert)" "$BRIDGE" status --address "$t"
	mkdir -p "$T_TMP/cadir" && cp "$(bao_cacert)" "$T_TMP/cadir/" && openssl rehash "$T_TMP/cadir" 2>/dev/null
	check "TLS: trusted with --ca-path (hashed CA directory)" \
	    "$BRIDGE" status --address "$t" --ca-path "$T_TMP/cadir"
	check_output "TLS: refused without the CA, with a TLS message" \
	    "TLS verification failed: SSL certificate problem" "$BRIDGE" status --address "$t"
	check_fails "TLS: refused without the CA, non-zero exit" "$BRIDGE" status --address "$t"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T_TMP/other.key" -out "$T_TMP/other.pem" -days 1 \
	    -subj "/CN=another CA" >/dev/null 2>&1
	check_output "TLS: another CA is a TLS failure" "TLS verification failed" \
	    "$BRIDGE" status --address "$t" --ca-cert "$T_TMP/other.pem"
	check_output "TLS: the name must match (localhost is not in the certificate)" \
	    "TLS verification failed" "$BRIDGE" status --ca-cert "$(bao_cacert)" \
	    --address "https://localhost:$(cat "$(bao_dir tl)/port")"
	check_output "--insecure-skip-verify works and warns loudly" \
	    "WARNING: --insecure-skip-verify" "$BRIDGE" status --address "$t" --insecure-skip-verify
	check_fails "VAULT_SKIP_VERIFY is not honoured" env VAULT_SKIP_VERIFY=1 "$BRIDGE" status --address "$t"
else
	fail "TLS server starts"
fi
finish
