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
C=$T_TMP/c
mkdir -p "$C/xb"
check "init begin writes the init request (appliance folder)" ceremony_begin "$C" 3
req=$(ls "$C"/x/*/000001-init-request.env)
cid=$(basename "$(dirname "$req")")
check "init-request crosses A->B by QR" qr_cross "$CONCLAVE" "$BRIDGE" "$req" "$C/xb" req
check "the bridge's copy is the appliance's envelope" cmp -s "$req" "$C/xb/$cid/000001-init-request.env"

# The bridge works on its own folder only.
mkfifo "$C/token.fifo"
"$BRIDGE" init --exchange "$C/xb" --address "$addr" --root-token-fd 3 \
    3<"$C/token.fifo" >"$C/bridge.out" 2>&1 &
echo $! >"$C/bridge.pid"
on_exit "kill $(cat "$C/bridge.pid") 2>/dev/null"
exec {TOKEN_FD}>"$C/token.fifo"
check "the bridge answers with the init result" \
    wait_for test -e "$C/xb/$cid/000002-init-result.env"
res=$C/xb/$cid/000002-init-result.env
check_output "the init result needs a stream of codes" '[0-9]+ fragment' \
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
root=$(operator_root_token "$C")
printf '%s\n' "$root" >&"$TOKEN_FD"
exec {TOKEN_FD}>&-
wait "$(cat "$C/bridge.pid")"
check "the bridge revoked the root token and wrote its proof" \
    test -e "$C/xb/$cid/000003-closing-result.env"
check "closing-result crosses B->A by QR" \
    qr_cross "$BRIDGE" "$CONCLAVE" "$C/xb/$cid/000003-closing-result.env" "$C/x" close
check "init close: transcript signed" "$CONCLAVE" init close --state "$C/state" --exchange "$C/x"
check_output "conclave verify: 5 of 5 proven, root token revoked" \
    '5 of 5 shares handed out with a decrypt proof, threshold 3, initial root token revoked' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_fails "an envelope is placed once: a second crossing is refused" \
    qr_cross "$BRIDGE" "$CONCLAVE" "$res" "$C/x" again
check_output "and says why" 'already exists' cat "$T_TMP/qr-again.log"
finish
