#!/usr/bin/env bash
# Root-token generation and rekey through a standby of a 3-node Raft cluster
# (issue 14, part 3): the bridge is given a standby's address only.
# generate-root as the vault CLI does it: with request forwarding (the
# default) the standby forwards to the active node; with --no-forwarding it
# answers 307 and the bridge follows to the active node that the standby
# announces in sys/leader. Rekey goes to that active node from the start
# (OpenBao 2.6's standbys answer sys/rotate/... themselves, with shares the
# cluster never takes). Each ceremony ends with a working (then revoked)
# root token or new shares that the cluster holds, and a transcript that
# verifies.
# (Unseal addresses every node itself: unseal_ceremony.sh; init has no
# standby yet.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_raft3 h --legacy-rekey --legacy-generate-root ||
    { fail "a 3-node Raft cluster starts"; finish; }
check "h1 is initialised 5/3" bao_init h1 5 3
key() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir h1)/init.json"; }
check "h1 is unsealed" bao_unseal h1 "$(key 1)" "$(key 2)" "$(key 3)"
node_joined() {
	local i
	for i in $(seq 1 100); do
		[ "$(seal_field "$1" .initialized)" = true ] && return 0
		sleep 0.2
	done
	return 1
}
for n in h2 h3; do
	check "$n joins and is unsealed" eval 'node_joined $n && bao_unseal $n "$(key 1)" "$(key 2)" "$(key 3)"'
done
check "h1 is the active node" bao_wait_active h1
jq -r .root_token "$(bao_dir h1)/init.json" >"$T_TMP/root"
check "the holders' sticks" quorum_sticks h1
active=$(bao_addr h1)
standby=$(bao_addr h2)
check_output "h2 is a standby that names h1 as the active node" "^false $active\$" \
    sh -c "curl -s '$standby/v1/sys/leader' | jq -r '\"\(.is_self // false) \(.leader_address)\"'"
lookup() {	# ADDR TOKEN: the token's policies
	curl -s -H "X-Vault-Token: $2" "$1/v1/auth/token/lookup-self" | jq -r '(.data.policies // []) | join(",")'
}

# otp_ceremony DIR BRIDGE-ARGS...: generate-root in OTP mode through the
# standby with the shares of alice, bob and carol, up to the token handed
# back for revocation and the close.
otp_ceremony() {
	local d=$1 tok; shift
	mkdir -p "$d/x"
	"$CONCLAVE" generate-root begin --state "$d/state" --exchange "$d/x" >/dev/null &&
	quorum_bridge_start_token "$d" generate-root --exchange "$d/x" --address "$standby" \
	    --token-out "$d/new-token" --wait 60 "$@" &&
	"$CONCLAVE" generate-root accept --state "$d/state" --witness walt \
	    --confirm-sas "$(bridge_sas "$d")" >/dev/null &&
	quorum_share generate-root "$d" alice 1 && quorum_share generate-root "$d" bob 2 &&
	quorum_share generate-root "$d" carol 3 &&
	"$CONCLAVE" generate-root submit --state "$d/state" &&
	wait_envelope "$d" 4 generate-root-result || return 1
	tok=$(cat "$d/new-token") || return 1
	[ "$(lookup "$active" "$tok")" = root ] || { echo "the new token is no root token"; return 1; }
	"$CONCLAVE" generate-root result --state "$d/state" >/dev/null || return 1
	quorum_give_token "$d" "$tok"
	bridge_wait "$d" &&
	[ -z "$(lookup "$active" "$tok")" ] &&
	"$CONCLAVE" generate-root close --state "$d/state" >/dev/null &&
	"$CONCLAVE" verify "$d/state/transcript.jsonl" | grep -q '^OK'
}

# --- generate-root through the standby, which forwards ---
check "generate-root through a standby (forwarded), token revoked, verified" \
    otp_ceremony "$T_TMP/fwd" --token-file "$T_TMP/root"

# --- the same where the standby redirects (307) instead ---
endpoint=sys/generate-root-token/attempt
server_has generate-root-token || endpoint=sys/generate-root/attempt
check_output "asked not to forward, the standby answers 307 to the active node" \
    "^307 $active/v1/$endpoint\$" \
    curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'X-Vault-No-Request-Forwarding: true' \
    -H "X-Vault-Token: $(cat "$T_TMP/root")" "$standby/v1/$endpoint"
check "generate-root through a redirecting standby, token revoked, verified" \
    otp_ceremony "$T_TMP/redir" --token-file "$T_TMP/root" --no-forwarding
check "the same on the unauthenticated endpoint (no token)" \
    otp_ceremony "$T_TMP/redir-legacy" --no-forwarding

# --- rekey given the standby's address: 5/3 -> 2/2, verified ---
check "rekey 5/3 -> 2/2 given a standby's address, verified" \
    rotate_ceremony "$T_TMP/rk" "$standby" "$T_TMP/root"
check_output "the bridge says it went to the active node" \
    "$standby is a standby: the rekey goes to the active node it announces, $active" \
    joined cat "$T_TMP/rk/bridge.out"
check_output "the active node holds 2 shares, threshold 2" '^2 2$' seal_field h1 '"\(.n) \(.t)"'
check_output "the transcript verifies (rekey)" '^OK' "$CONCLAVE" verify "$T_TMP/rk/state/transcript.jsonl"
rk_plain() {	# DIR K HOLDER: new share K in plain text, as its holder decrypts it
	gpg_decrypt_as "holder$3" "$KEYS/holder$3.sec.asc" <"$(ls "$1/n$2"/*.gpg)"
}
check "h3 restarted (sealed)" bao_restart h3
check "the two new shares unseal it" bao_unseal h3 "$(rk_plain "$T_TMP/rk" 1 3)" "$(rk_plain "$T_TMP/rk" 2 4)"

# --- again on the unauthenticated sys/rekey, with --no-forwarding ---
encrypt_share 1 "$(rk_plain "$T_TMP/rk" 1 3)" >"$T_TMP/stick1/share.gpg"
encrypt_share 2 "$(rk_plain "$T_TMP/rk" 2 4)" >"$T_TMP/stick2/share.gpg"
REKEY_CURRENT=(alice:1 bob:2)
BRIDGE_EXTRA=(--no-forwarding)
check "rekey 2/2 -> 2/2 on sys/rekey given the standby, verified" \
    rotate_ceremony "$T_TMP/rk2" "$standby" -
BRIDGE_EXTRA=()
check_output "the bridge used sys/rekey" 'Rekey started on sys/rekey ' cat "$T_TMP/rk2/bridge.out"
check "h3 restarted again" bao_restart h3
check_fails "the first rekey's shares no longer unseal it" \
    bao_unseal h3 "$(rk_plain "$T_TMP/rk" 1 3)" "$(rk_plain "$T_TMP/rk" 2 4)"
curl -s -X PUT -d '{"reset":true}' "$(bao_addr h3)/v1/sys/unseal" >/dev/null
check "the second rekey's shares do" bao_unseal h3 "$(rk_plain "$T_TMP/rk2" 1 3)" "$(rk_plain "$T_TMP/rk2" 2 4)"
finish
