#!/usr/bin/env bash
# The bridge's ceremony commands crossing by QR code (issue 11, item 2):
# a whole unseal ceremony against a real OpenBao in which EVERY envelope
# crosses as codes, none by a shared folder. The appliance and the bridge
# each have their own exchange folder. The appliance's envelopes are drawn
# as codes (conclave qr-encode, real qrencode) and filmed into the folder
# the bridge's recorded camera reads (--camera-frames: no V4L2 camera can
# be had here, so recorded frames stand behind the same interface); the
# bridge writes its own envelopes' codes (--png-dir), which the appliance
# reads (conclave qr-decode --exchange, real zbar/zxing). The bridge's
# folder keeps a copy of every envelope, both ways, byte for byte the
# appliance's. Before it, the bad inputs, each refused by name with the
# bridge's exchange folder and codes folder byte-identical before and
# after: another ceremony's codes mid-session, a stalled (truncated)
# stream, a camera folder that disappears mid-scan or is not there, a
# tampered envelope, a session a stopped bridge left under way. In it, the
# bridge killed once its result is written, before the appliance took
# its codes: started again in camera mode it says the ceremony finished
# (no refusal of the envelope in view) and carries the result again. After
# it, a whole generate-root (OTP) the same way, its five envelopes all by
# QR, its bridge killed and started again the same way at the last.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

# read_codes CODES ENVNAME APPLIANCE_X: the appliance reads the bridge's
# codes of ENVNAME (once they are all written) into its own folder.
read_codes() {
	wait_for test -d "$1/$2" &&
	    "$CONCLAVE" qr-decode --exchange "$3" "$1/$2"/qr-*.png 2>"$T_TMP/decode.log"
}

bao_start_shamir q1 || { fail "OpenBao (Shamir) starts"; finish; }
check "OpenBao initialises (sealed, 5 shares, threshold 3)" bao_init q1 5 3
check "the holders' sticks get their encrypted shares" quorum_sticks q1
addr=$(bao_addr q1)
check_output "the server is sealed" '^true$' seal_field q1 .sealed

# --- bad inputs ---

# Another ceremony's codes while a session waits: the bridge is in a
# session of ceremony F (its offer written and shown), and the appliance
# screen in front of its camera shows an envelope of ceremony G.
F=$T_TMP/f; G=$T_TMP/g
mkdir -p "$F/x" "$F/bx" "$G/x"
"$CONCLAVE" unseal begin --state "$F/state" --exchange "$F/x" >/dev/null
"$CONCLAVE" unseal begin --state "$G/state" --exchange "$G/x" >/dev/null
fid=$(basename "$(dirname "$(ls "$F"/x/*/000001-unseal-request.env)")")
gid=$(basename "$(dirname "$(ls "$G"/x/*/000001-unseal-request.env)")")
check "ceremony F's request is filmed" film "$F/x/$fid/000001-unseal-request.env" "$F/cam"
bridge_bg "$F" unseal --exchange "$F/bx" --address "$addr" \
    --camera-frames "$F/cam" --png-dir "$F/codes" --wait 60
check "the bridge scans F's request and writes its offer's codes" \
    wait_for test -d "$F/codes/000002-session-offer"
check "  and keeps a copy of the scanned request, the appliance's bytes" \
    cmp -s "$F/x/$fid/000001-unseal-request.env" "$F/bx/$fid/000001-unseal-request.env"
before_x=$(snap "$F/bx"); before_codes=$(snap "$F/codes")
check "ceremony G's request comes before the camera" \
    film "$G/x/$gid/000001-unseal-request.env" "$F/cam"
check "the bridge stops" wait_for sh -c "! kill -0 $(cat "$F/bridge.pid") 2>/dev/null"
wait "$(cat "$F/bridge.pid")"; rc=$?
check "  with exit status 1" test "$rc" = 1
check_output "  F's own request, still in view, was passed over" \
    'that is envelope 1, already taken; waiting for 3' cat "$F/bridge.out"
check_output "  G's codes are refused by name, both ceremonies' ids" \
    "CK_ERR_WRONG_CEREMONY.*another ceremony \($gid, this is $fid\)" joined cat "$F/bridge.out"
check "  the bridge's exchange folder is unchanged" test "$(snap "$F/bx")" = "$before_x"
check "  its codes folder is unchanged" test "$(snap "$F/codes")" = "$before_codes"

# Started again with the camera on F's request, the bridge finds in its
# folder that F's session was under way (its key died with the bridge
# that stopped): it says so, checks the node and writes nothing.
check "F's request alone before the camera again" \
    film "$F/x/$fid/000001-unseal-request.env" "$F/cam2"
unchanged "a session a stopped bridge left under way" "$F/bx" "$F/codes" -- \
    "$BRIDGE" unseal --exchange "$F/bx" --address "$addr" --camera-frames "$F/cam2" \
    --png-dir "$F/codes"
check_output "  is found, and cannot go on" \
    "Ceremony $fid: a session was under way when a bridge stopped" joined cat "$T_TMP/out"
check_output "  the room is told to abandon it" 'abandon that ceremony' joined cat "$T_TMP/out"
check "  in lines that fit 80 columns" fits80 cat "$T_TMP/out"

# A stalled stream: a request drawn as many small codes, fewer of them in
# view than it needs.
S=$T_TMP/s
mkdir -p "$S/bx" "$S/codes"
check "a request drawn as small codes" \
    film "$F/x/$fid/000001-unseal-request.env" "$S/all" --fragment 32
mkdir -p "$S/cam" && cp "$(ls "$S"/all/*.png | head -n 1)" "$S/cam/"
unchanged "a stalled stream" "$S/bx" "$S/codes" -- "$BRIDGE" unseal \
    --exchange "$S/bx" --address "$addr" --camera-frames "$S/cam" \
    --png-dir "$S/codes" --stall 2
check_output "  says it stalled, fragments received of needed" \
    'QR scan: .*CK_ERR_QR_STALLED.*nothing new for 2 s \(1 of [0-9]+ fragments\); nothing was written' \
    joined cat "$T_TMP/out"
check_output "  progress: fragments received / needed" 'QR: 1 of [0-9]+ fragments' \
    cat "$T_TMP/out"
check_output "  and offers the exchange stick" 'Carry this envelope on the exchange stick' \
    joined cat "$T_TMP/out"

# A camera that disappears mid-scan: the folder of frames is removed while
# the bridge scans it (one fragment in, more needed).
V=$T_TMP/v
mkdir -p "$V/bx" "$V/codes" "$V/cam"
cp "$(ls "$S"/all/*.png | head -n 2 | tail -n 1)" "$V/cam/"
before_x=$(snap "$V/bx"); before_codes=$(snap "$V/codes")
bridge_bg "$V" unseal --exchange "$V/bx" --address "$addr" \
    --camera-frames "$V/cam" --png-dir "$V/codes" --stall 60
check "the bridge is scanning (a fragment in)" wait_for grep -q 'QR: 1 of' "$V/bridge.out"
rm -rf "$V/cam"
check "the camera goes: the bridge stops" \
    wait_for sh -c "! kill -0 $(cat "$V/bridge.pid") 2>/dev/null"
wait "$(cat "$V/bridge.pid")"; rc=$?
check "  with exit status 1" test "$rc" = 1
check_output "  saying the camera is gone" \
    "$V/cam: .*CK_ERR_MEDIA_GONE.*the camera is gone; nothing was written" \
    joined cat "$V/bridge.out"
check "  the bridge's exchange folder is unchanged" test "$(snap "$V/bx")" = "$before_x"
check "  its codes folder is unchanged" test "$(snap "$V/codes")" = "$before_codes"

# A tampered code: the request with one byte of its signed payload changed,
# drawn as good codes (the stream is whole; the envelope is not).
X=$T_TMP/t
mkdir -p "$X/bx" "$X/codes"
cp "$F/x/$fid/000001-unseal-request.env" "$X/req.env"
printf 'Z' | dd of="$X/req.env" bs=1 seek=$(($(stat -c %s "$X/req.env") - 80)) \
    conv=notrunc status=none
check "the tampered request is filmed" film "$X/req.env" "$X/cam"
unchanged "a tampered envelope" "$X/bx" "$X/codes" -- "$BRIDGE" unseal \
    --exchange "$X/bx" --address "$addr" --camera-frames "$X/cam" \
    --png-dir "$X/codes" --stall 5
check_output "  refused by its signature" \
    'QR codes: .*CK_ERR_BAD_SIGNATURE.*nothing was written' joined cat "$T_TMP/out"
unchanged "no camera there" "$X/bx" "$X/codes" -- "$BRIDGE" unseal \
    --exchange "$X/bx" --address "$addr" --camera-frames "$X/none" --png-dir "$X/codes"
check_output "  said" "$X/none: .*CK_ERR_NOT_FOUND.*no camera there; nothing was written" \
    joined cat "$T_TMP/out"
check_output "  and the stick offered" 'Carry this envelope on the exchange stick' \
    cat "$T_TMP/out"
for cmd in init unseal migrate rekey generate-root dr-token; do
	check_output "conclave-bridge $cmd takes the QR crossing" \
	    '--camera DEVICE.*--camera-frames DIR.*--stall S.*--qr-show.*--png-dir DIR' \
	    joined "$BRIDGE" "$cmd" --help
done
check_output "both camera options at once are a usage error" 'usage' \
    "$BRIDGE" unseal --exchange "$X/bx" --camera /dev/video0 --camera-frames "$X/cam"

# said DIR: what the bridge started again printed, on one line (\n
# between its lines).
said() { joined cat "$1/again.out" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/\\n/g'; }
# no_refusal DIR: what the bridge started again said on stderr is its
# scan's progress and where its codes are, no refusal (the envelope in
# view is no error).
no_refusal() {
	! joined cat "$1/again.err" | grep -v -e ': scanning the appliance' \
	    -e ': QR: [0-9]* of [0-9]* fragments$' -e ': its codes are in ' | grep . >&2
}

# finished_again D A ID ENV CMD NEXT ARGS...: the bridge of D (its folder
# D/x) killed once it wrote ENV of ceremony ID, before the appliance (its
# folder A/x) took its codes, which die with it: started again in camera
# mode (conclave-bridge CMD ARGS, its codes in D/codes2) on the
# appliance's envelope 3 still in view, it says first what it found, then
# that the ceremony is finished (Next: conclave CMD NEXT), no refusal; the
# appliance takes ENV from its codes.
finished_again() {
	local d=$1 a=$2 id=$3 env=$4 cmd=$5 next=$6; shift 6
	check "$env: the bridge writes it" wait_for test -f "$d/x/$id/$env.env"
	kill -9 "$(cat "$d/bridge.pid")" 2>/dev/null
	wait "$(cat "$d/bridge.pid")" 2>/dev/null
	check "the bridge killed; the appliance's screen shows its envelope 3" \
	    film "$a/x/$id/000003-share-submission.env" "$d/cam2"
	if "$BRIDGE" "$cmd" "$@" --camera-frames "$d/cam2" --png-dir "$d/codes2" \
	    --stall 5 >"$d/again.out" 2>"$d/again.err"
	then ok "the bridge started again in camera mode exits 0"
	else fail "the bridge started again in camera mode exits 0"; fi
	check_output "  says the ceremony is finished, only the appliance's copy missing" \
	    "^finished on the server side: a bridge that stopped wrote its last result \\($env\\.env\\)\\. Only the appliance's copy is missing: it is carried again as codes\\. Nothing else is left for the bridge\\. Next: conclave $cmd $next on the appliance\\.$" \
	    joined cat "$d/again.out"
	check_output "  the first thing it says: the ceremony in view, found in its folder" \
	    "^Ceremony $id:\\\\nthe appliance shows its envelope 3; the exchange folder holds the ceremony, answered by a bridge that stopped\\.\\\\nCeremony " \
	    said "$d"
	check "  and no refusal of the envelope in view" no_refusal "$d"
	check "  in lines that fit 80 columns" fits80 cat "$d/again.out" "$d/again.err"
	check "$env crosses as the codes of the bridge started again" \
	    read_codes "$d/codes2" "$env" "$a/x"
}

# --- the whole unseal ceremony, every crossing by QR code ---
C=$T_TMP/c	# the appliance: $C/x, $C/state
B=$T_TMP/b	# the bridge: $B/x; its camera $B/cam, its codes $B/codes
mkdir -p "$C/x" "$B/x" "$B/cam"
check "unseal begin (the appliance's folder)" \
    "$CONCLAVE" unseal begin --state "$C/state" --exchange "$C/x"
cid=$(basename "$(dirname "$(ls "$C"/x/*/000001-unseal-request.env)")")
check "1: the unseal request, filmed" film "$C/x/$cid/000001-unseal-request.env" "$B/cam"
bridge_bg "$B" unseal --exchange "$B/x" --address "$addr" \
    --camera-frames "$B/cam" --png-dir "$B/codes" --wait 120
check "2: the session offer crosses as the bridge's codes" \
    read_codes "$B/codes" 000002-session-offer "$C/x"
check_output "  progress on the bridge: fragments received / needed" \
    'QR: [0-9]+ of [0-9]+ fragments' cat "$B/bridge.out"
sas=$(bridge_sas "$B")
check "the witness confirms the words" \
    "$CONCLAVE" unseal accept --state "$C/state" --witness walt --confirm-sas "$sas"
for h in alice:1 carol:3 erin:5; do
	check "${h%:*}'s share is sealed" quorum_share unseal "$C" "${h%:*}" "${h#*:}"
done
check "submit" "$CONCLAVE" unseal submit --state "$C/state"
check "3: the sealed shares, filmed" \
    film "$C/x/$cid/000003-share-submission.env" "$B/cam"
# The bridge is killed once its result is written, before the appliance
# took its codes (they die with it: the appliance reads a new codes
# folder). Started again in camera mode on the appliance's last envelope
# still in view, it finds the ceremony finished and carries the result
# again.
finished_again "$B" "$C" "$cid" 000004-submission-result unseal result \
    --exchange "$B/x" --address "$addr"
check_output "result: the node is unsealed, the ceremony closed" 'Ceremony closed' \
    "$CONCLAVE" unseal result --state "$C/state"
check_output "the server is unsealed" '^false$' seal_field q1 .sealed
check_output "  the request still in view was passed over while the holders came" \
    'that is envelope 1, already taken; waiting for 3' cat "$B/bridge.out"
same_folders() {
	local f
	[ "$(ls "$C/x/$cid")" = "$(ls "$B/x/$cid")" ] || return 1
	for f in "$C/x/$cid"/*.env; do cmp -s "$f" "$B/x/$cid/$(basename "$f")" || return 1; done
}
check "the bridge's folder holds every envelope, the appliance's bytes" same_folders
check_output "4 envelopes crossed" '^4$' sh -c "ls '$B/x/$cid' | wc -l"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"

# --- generate-root (OTP), five crossings, every one by QR code ---
# The closing result too: the bridge revokes the new root token given
# back to it and carries the proof as codes.
bao_start_shamir g1 --legacy-generate-root || { fail "OpenBao (legacy generate-root) starts"; finish; }
gkey() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir g1)/init.json"; }
if bao_init g1 5 3 && bao_unseal g1 "$(gkey 1)" "$(gkey 2)" "$(gkey 3)" &&
    quorum_sticks g1; then ok "g1 initialised and unsealed, its holders' sticks"
else fail "g1 initialised and unsealed, its holders' sticks"; finish; fi
gaddr=$(bao_addr g1)
A=$T_TMP/ga	# the appliance
D=$T_TMP/gd	# the bridge: $D/x, $D/cam, $D/codes
mkdir -p "$A/x" "$D/x" "$D/cam"
check "generate-root begin (OTP)" \
    "$CONCLAVE" generate-root begin --state "$A/state" --exchange "$A/x"
greq=$(ls "$A"/x/*/000001-*.env)
gid=$(basename "$(dirname "$greq")")
check "1: the request, filmed" film "$greq" "$D/cam"
check "the bridge scans it, starts the attempt, offers a session" \
    quorum_bridge_start_token "$D" generate-root --exchange "$D/x" --address "$gaddr" \
    --camera-frames "$D/cam" --png-dir "$D/codes" --token-out "$D/new-token" --wait 60
check "2: the offer crosses as the bridge's codes" \
    read_codes "$D/codes" 000002-session-offer "$A/x"
check "the witness confirms the words" "$CONCLAVE" generate-root accept \
    --state "$A/state" --witness walt --confirm-sas "$(bridge_sas "$D")"
for h in alice:1 bob:2 carol:3; do
	check "${h%:*}'s share is sealed" quorum_share generate-root "$A" "${h%:*}" "${h#*:}"
done
check "submit" "$CONCLAVE" generate-root submit --state "$A/state"
check "3: the sealed shares, filmed" film "$A/x/$gid/000003-share-submission.env" "$D/cam"
check "4: the result crosses as the bridge's codes" \
    read_codes "$D/codes" 000004-generate-root-result "$A/x"
check_output "result: the new token's accessor" '^Accessor ' \
    "$CONCLAVE" generate-root result --state "$A/state"
tok=$(cat "$D/new-token")
quorum_give_token "$D" "$tok"
# Killed once the revocation's proof is written, before the appliance
# took its codes: started again, it carries the proof again.
finished_again "$D" "$A" "$gid" 000005-closing-result generate-root close \
    --exchange "$D/x" --address "$gaddr"
check_output "the token no longer works" '^$' sh -c "curl -s -H 'X-Vault-Token: $tok' \
    '$gaddr/v1/auth/token/lookup-self' | jq -r '(.data.policies // []) | join(\",\")'"
check_output "close records the revocation" 'revoked. Ceremony closed' \
    "$CONCLAVE" generate-root close --state "$A/state"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$A/state/transcript.jsonl"
check "the bridge's folder holds the five envelopes, the appliance's bytes" \
    sh -c "[ \$(ls '$D/x/$gid' | wc -l) = 5 ] && for f in '$A/x/$gid'/*.env; do
        cmp -s \"\$f\" '$D/x/$gid'/\$(basename \"\$f\") || exit 1; done"
check "every line the bridge printed fits 80 columns (issue 10)" bridge_fits80
finish
