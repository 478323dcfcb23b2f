#!/usr/bin/env bash
# The init ceremony against a real OpenBao with every envelope crossing the
# airgap by QR code instead of a shared folder: the appliance and the bridge
# each have their own exchange folder, every envelope is rendered to PNG
# codes by one program, a fifth of the codes is lost, and the other program
# reads the rest into its own folder (qr-decode --exchange). Both directions:
# init-request A->B, init-result (about 10 KB with RSA-4096 holders) and
# closing-result B->A. The shares then unseal the server.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

# qr_cross FROM TO ENVFILE TO_EXCHANGE TAG: encode, lose every 5th code, decode.
qr_cross() {
	local from=$1 to=$2 env=$3 xdir=$4 tag=$5
	"$from" qr-encode "$env" --png-dir "$T_TMP/png-$tag" >/dev/null || return 1
	ls "$T_TMP/png-$tag"/qr-*.png | awk 'NR % 5 != 3' |
	    xargs "$to" qr-decode --exchange "$xdir" 2>"$T_TMP/qr-$tag.log"
}

bao_start_shamir q1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr q1)
C=$T_TMP/c	# the appliance: its exchange folder is $C/x
B=$T_TMP/b	# the bridge: its exchange folder is $B/x
mkdir -p "$B/x"
check "init begin writes the init request (appliance folder)" ceremony_begin "$C" 3
req=$(ls "$C"/x/*/000001-init-request.env)
cid=$(basename "$(dirname "$req")")
check "init-request crosses A->B by QR" qr_cross "$CONCLAVE" "$BRIDGE" "$req" "$B/x" req
check "the bridge's copy is the appliance's envelope" cmp -s "$req" "$B/x/$cid/000001-init-request.env"
check "the bridge, on its own folder, answers with the init result" \
    bridge_init_start "$B" "$addr" "$(key_words "$C")"
res=$B/x/$cid/000002-init-result.env
check_output "the init result needs a stream of codes" 'any large enough subset decodes' \
    sh -c "'$BRIDGE' qr-encode '$res' --png-dir '$T_TMP/probe'"
check "init-result crosses B->A by QR" qr_cross "$BRIDGE" "$CONCLAVE" "$res" "$C/x" res
check "init accept reads it from the appliance folder" \
    "$CONCLAVE" init accept --state "$C/state" --exchange "$C/x"
for k in 1 2 3 4 5; do
	check "handout to holder $k" handout "$C" "$k"
done
# A Shamir server is sealed after init: the shares that crossed by QR open it.
check "shares 1, 3, 5 unseal the server" \
    bao_unseal q1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 3)" "$(gpg_share "$C" 5)"
check "the bridge revokes the root token and writes its proof" \
    bridge_init_finish "$B" "$(operator_root_token "$B")"
check "closing-result crosses B->A by QR" \
    qr_cross "$BRIDGE" "$CONCLAVE" "$B/x/$cid/000003-closing-result.env" "$C/x" close
check "init close: transcript signed" "$CONCLAVE" init close --state "$C/state" --exchange "$C/x"
check_output "conclave verify: 5 of 5 proven, root token revoked" \
    '5 of 5 shares handed out with a decrypt proof, threshold 3, initial root token revoked' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_fails "an envelope is placed once: a second crossing is refused" \
    qr_cross "$BRIDGE" "$CONCLAVE" "$res" "$C/x" again
check_output "and says why" 'already exists' cat "$T_TMP/qr-again.log"
finish
