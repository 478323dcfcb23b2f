#!/usr/bin/env bash
# The server test harness (tests/openbao.sh) itself, on the server SERVER
# names: each server kind starts from its real config and behaves as that
# kind must; the Raft cluster forms and every node needs its own unseal
# (DESIGN §4.2).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"

st() { bao_seal_status "$1" | jq -r "$2"; }
echo "# server under test: $SERVER_KIND $SERVER_VERSION ($BAO)"

t0=$(date +%s%N)
if bao_start_shamir sh; then
	ok "shamir server starts ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
	check_output "shamir: uninitialised, sealed, type shamir" '^shamir false true$' \
	    st sh '"\(.type) \(.initialized) \(.sealed)"'
	check "shamir: init 3/2" bao_init sh 3 2
	keys=($(jq -r '.keys[]' "$(bao_dir sh)/init.json"))
	check_fails "shamir: one share does not unseal" bao_unseal sh "${keys[0]}"
	check "shamir: second share unseals" bao_unseal sh "${keys[2]}"
	if server_has unauthed-off; then
		check_output "shamir: legacy rekey off by default (405)" "^405 $" \
		    bao_curl sh -w "%{http_code} " -o /dev/stdout -X PUT -d "{}" "$(bao_addr sh)/v1/sys/rekey/init"
	else
		check_output "shamir: unauthenticated rekey on (Vault)" '"started":false' \
		    bao_curl sh "$(bao_addr sh)/v1/sys/rekey/init"
	fi
else
	fail "shamir server starts"
fi

# A taken port is retried: the first port offered is the running server's.
busy=$(cat "$(bao_dir sh)/port")
eval "_orig_$(declare -f _bao_port)"
_bao_port() {
	if [ ! -f "$T_TMP/offered" ]; then : >"$T_TMP/offered"; echo "$busy"; else _orig__bao_port; fi
}
if bao_start_shamir collide; then
	check_fails "a taken port is retried on another" [ "$(cat "$(bao_dir collide)/port")" = "$busy" ]
else
	fail "a taken port is retried on another"
fi
eval "$(declare -f _orig__bao_port | sed 's/^_orig__bao_port/_bao_port/')"

if bao_start_shamir legacy --legacy-rekey --legacy-generate-root; then
	check "legacy: init 1/1" bao_init legacy 1 1
	check "legacy: unseal" bao_unseal legacy "$(jq -r '.keys[0]' "$(bao_dir legacy)/init.json")"
	check_output "legacy: unauthenticated rekey/init answers" '"started":false' \
	    bao_curl legacy "$(bao_addr legacy)/v1/sys/rekey/init"
	check_output "legacy: unauthenticated generate-root answers, OTP length $SERVER_OTP_LENGTH" \
	    "\"otp_length\":$SERVER_OTP_LENGTH" \
	    bao_curl legacy "$(bao_addr legacy)/v1/sys/generate-root/attempt"
else
	fail "legacy server starts"
fi

t0=$(date +%s%N)
if bao_start_static st; then
	ok "static-seal server starts ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
	check_output "static: uninitialised, recovery seal, type $SERVER_AUTOSEAL" \
	    "^$SERVER_AUTOSEAL false true\$" \
	    st st '"\(.type) \(.initialized) \(.recovery_seal)"'
	check "static: init with recovery shares 3/2" bao_init st 3 2
	check_output "static: three recovery keys" '^3$' jq '.recovery_keys | length' "$(bao_dir st)/init.json"
	check_output "static: auto-unsealed after init" '^false$' st st .sealed
else
	fail "static-seal server starts"
fi

t0=$(date +%s%N)
if bao_start_shamir tls --tls; then
	ok "TLS server starts ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
	check "TLS: trusted with its CA" bao_curl tls -f "$(bao_addr tls)/v1/sys/seal-status" -o /dev/null
	check_output "TLS: refused without the CA" 'certificate' \
	    curl -sS --noproxy '*' "$(bao_addr tls)/v1/sys/seal-status"
else
	fail "TLS server starts"
fi

t0=$(date +%s%N)
if bao_start_raft3 r --tls; then
	ok "raft: three TLS nodes start ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
	check "raft: init node 1 (3/2)" bao_init r1 3 2
	keys=($(jq -r '.keys[]' "$(bao_dir r1)/init.json"))
	check "raft: unseal node 1" bao_unseal r1 "${keys[0]}" "${keys[1]}"
	# Joiners find the leader through retry_join (every 2 s upstream) and
	# then wait, sealed, for their own shares.
	for n in r2 r3; do
		joined=0
		for i in $(seq 1 100); do
			if [ "$(st "$n" .initialized)" = true ]; then joined=1; break; fi
			sleep 0.2
		done
		check "raft: $n joined and reports initialised" [ "$joined" = 1 ]
		check_output "raft: $n still sealed after join" '^true$' st "$n" .sealed
		check "raft: $n unseals with the same shares" bao_unseal "$n" "${keys[1]}" "${keys[2]}"
	done
	check_output "raft: three voters" '"node_id":"r3"' bao_curl r1 \
	    -H "X-Vault-Token: $(jq -r .root_token "$(bao_dir r1)/init.json")" \
	    "$(bao_addr r1)/v1/sys/storage/raft/configuration"
else
	fail "raft: three TLS nodes start"
fi
finish
