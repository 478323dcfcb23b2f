#!/usr/bin/env bash
# The bridge's init and rekey crossing by QR code (issue 11: "stick and QR
# crossings work at every step"), against a real OpenBao, as
# bridge_qr.sh does for unseal and generate-root: the appliance and the
# bridge each have their own exchange folder and nothing passes between
# them but codes. The appliance's envelopes are drawn by conclave
# qr-encode and put where the bridge's recorded camera looks
# (--camera-frames: no V4L2 camera here); the bridge's are written as codes
# (--png-dir), which the appliance's own recorded camera films (conclave
# qr-scan --camera-frames) or which it reads as images (qr-decode).
#   1. A whole init: the roster of five holders, operator and witness, the
#      ceremony key's words confirmed on the bridge, the handouts with
#      decrypt proofs, the initial root token returned and revoked, close;
#      the proof's codes lost on the way, a bridge started again on the
#      request in view carries them again.
#   2. The bridge killed while it waits for the root token and started
#      again in camera mode: it finds the ceremony under way in its
#      folder, offers a new key as codes, the room compares the words
#      (conclave init repin) and the ceremony closes with one deviation.
#   3. A rekey of that cluster whose bridge is killed mid-session and
#      started again in camera mode on the appliance's sealed shares: the
#      session found under way, the rekey cancelled, the room told to
#      abandon. Then a whole rekey with verification, its six envelopes
#      every one by QR; the new shares unseal the cluster.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/crashresume.sh"

check "the test keys, quick to unlock" resume_fast_keys

# scan_codes CODES ENVNAME APPLIANCE_X: the appliance's camera films the
# bridge's codes of ENVNAME (once they are all written) into its folder.
scan_codes() {
	wait_for test -d "$1/$2" &&
	    "$CONCLAVE" qr-scan --exchange "$3" --camera-frames "$1/$2" --stall 5 \
	    >"$T_TMP/scan.log" 2>&1
}
# same_envelopes A_X B_X ID N: both folders hold ceremony ID's N
# envelopes, byte for byte the same.
same_envelopes() {
	local f
	[ "$(ls "$2/$3" | wc -l)" = "$4" ] &&
	    [ "$(ls "$1/$3")" = "$(ls "$2/$3")" ] || return 1
	for f in "$1/$3"/*.env; do cmp -s "$f" "$2/$3/$(basename "$f")" || return 1; done
}

# qr_init APPLIANCE BRIDGE ADDR CODES: the appliance's init request filmed
# for the bridge's camera (BRIDGE/cam), the bridge started on it (its codes
# in CODES) until it has written the init result; ID is the ceremony's id.
qr_init() {
	local req
	req=$(ls "$1"/x/*/000001-init-request.env) &&
	    ID=$(basename "$(dirname "$req")") && film "$req" "$2/cam" &&
	    bridge_init_start "$2" "$3" "$(key_words "$1")" \
	    --camera-frames "$2/cam" --png-dir "$4"
}

# --- 1. the whole init, every crossing by QR code ---
bao_start_shamir i1 --legacy-rekey || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr i1)
C=$T_TMP/c	# the appliance: $C/x, $C/state, the holders' sticks $C/stickK
B=$T_TMP/b	# the bridge: $B/x; its camera $B/cam, its codes $B/codes
mkdir -p "$B/x"
check "init begin: the roster, five holders, threshold 3 (the appliance's folder)" \
    ceremony_begin "$C" 3
check "1: the init request, filmed; the bridge scans it, the ceremony key's words confirmed, initialises" \
    qr_init "$C" "$B" "$addr" "$B/codes"
cid=$ID
check_output "  it shows the key that signed the request, the appliance's words" \
    "$(key_words "$C")" cat "$B/bridge.out"
check_output "  progress on the bridge: fragments received / needed" \
    'QR: [0-9]+ of [0-9]+ fragments' cat "$B/bridge.out"
check "2: the init result crosses as the bridge's codes (the appliance's camera)" \
    scan_codes "$B/codes" 000002-init-result "$C/x"
check_output "  a stream of several codes" '^.*000002-init-result/qr-0002\.png$' \
    sh -c "ls '$B/codes/000002-init-result'/qr-*.png"
check "init accept: every share encrypted to its holder" \
    "$CONCLAVE" init accept --state "$C/state"
for k in 1 2 3 4 5; do
	check "handout to holder $k with a decrypt proof" handout "$C" "$k"
done
check "shares 1, 3, 5 unseal the server" \
    bao_unseal i1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 3)" "$(gpg_share "$C" 5)"
root=$(operator_root_token "$B")
check "the operator configures auth with the root token" configure_server "$addr" "$root"
check "the bridge revokes the root token it is given back" bridge_init_finish "$B" "$root"
check_output "  a lookup with it is refused" '^403$' \
    curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $root" \
    "$addr/v1/auth/token/lookup-self"
# The codes of the proof die before the appliance takes them (the
# terminal that showed them closed; here a new codes folder): the bridge
# started again on the request still in view carries them again.
check "the bridge started again on the request in view" \
    sh -c "'$BRIDGE' init --exchange '$B/x' --address '$addr' --camera-frames '$B/cam' \
    --png-dir '$B/codes2' --stall 5 >'$B/bridge2.out' 2>&1"
check_output "  finds the closing result written: only the appliance's copy missing" \
    "finished on the server side: a bridge that stopped wrote its last result \\(000003-closing-result\\.env\\)\\. Only the appliance's copy is missing: it is carried again as codes\\. Nothing else is left for the bridge\\. Next: conclave init close on the appliance\\." \
    joined cat "$B/bridge2.out"
check "3: the revocation's proof crosses as its codes" \
    scan_codes "$B/codes2" 000003-closing-result "$C/x"
check_output "init close: the root token revoked, the transcript signed" \
    'root token is revoked' "$CONCLAVE" init close --state "$C/state"
check_output "verify: 5 of 5 proven, the root token revoked" \
    '5 of 5 shares handed out with a decrypt proof, threshold 3, initial root token revoked' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"
check "stock minisign verifies the transcript" minisign -Vm "$C/state/transcript.jsonl" \
    -p "$C/state/transcript.jsonl.pub" -q
check "the bridge's folder holds the three envelopes, the appliance's bytes" \
    same_envelopes "$C/x" "$B/x" "$cid" 3

# --- 2. the bridge restarted in camera mode while it waits for the token ---
bao_start_shamir i2 || { fail "OpenBao (Shamir) starts"; finish; }
addr2=$(bao_addr i2)
P=$T_TMP/p	# the appliance
Q=$T_TMP/q	# the bridge
mkdir -p "$P/x" "$Q/x"
check "init begin: two holders, threshold 2" "$CONCLAVE" init begin --state "$P/state" \
    --exchange "$P/x" -t 2 --holder alice="$KEYS/holder1.asc" \
    --holder bob="$KEYS/holder2.asc" --operator olga="$KEYS/operator.asc" \
    --witness walt="$KEYS/witness.asc"
"$CONCLAVE" init status --state "$P/state" >"$P/begin.out"
check "1: the init request, filmed; the bridge scans it and initialises" \
    qr_init "$P" "$Q" "$addr2" "$Q/codes1"
pid=$ID
check "  and waits for the root token" \
    wait_for grep -q 'give the initial root token' "$Q/bridge.out"
ptok=$(operator_root_token "$Q")
# Killed before the appliance took its init result: the codes it showed
# died with it (--png-dir here: the new bridge writes to a new folder).
kill -9 "$(cat "$Q/bridge.pid")"
wait "$(cat "$Q/bridge.pid")" 2>/dev/null
# Started again as it was, its camera on the appliance's screen, which
# still shows its last envelope (the request).
bridge_init_restart "$Q" "$addr2" "$Q/bridge2.out" \
    --camera-frames "$Q/cam" --png-dir "$Q/codes" --stall 5
check "the bridge started again on the request in view offers a new key" \
    test -n "$REPIN_WORDS"
check_output "  and the root token for the operator again" \
    "encrypted to the operator's key" cat "$Q/bridge2.out"
check "2: the init result the stopped bridge wrote crosses as the new one's codes" \
    scan_codes "$Q/codes" 000002-init-result "$P/x"
check "accept" "$CONCLAVE" init accept --state "$P/state"
check "handout 1" handout "$P" 1
check "handout 2" handout "$P" 2
check "the holders unseal the server" \
    bao_unseal i2 "$(gpg_share "$P" 1)" "$(gpg_share "$P" 2)"
check "3: the re-pin crosses as codes" scan_codes "$Q/codes" 000003-bridge-repin "$P/x"
check_output "the room compares the words: the new key is pinned" 'new key is pinned' \
    "$CONCLAVE" init repin --state "$P/state" --witness walt --confirm-sas "$REPIN_WORDS"
# Killed once more before the token came; the appliance now waits for
# the bridge's code and shows none: the camera sees a screen without one.
kill -9 "$BPID2"
wait "$BPID2" 2>/dev/null
echo 'Waiting for the closing result' >"$T_TMP/screen.txt"
"$BUILD/tests/tools/qr_text2png" "$Q/blank" "$T_TMP/screen.txt"
bridge_init_restart "$Q" "$addr2" "$Q/bridge3.out" \
    --camera-frames "$Q/blank" --png-dir "$Q/codes" --stall 2
check "started again with no code in view, it offers another key" \
    test -n "$REPIN_WORDS"
check_output "  having found the ceremony under way on its folder" \
    "under way on the exchange folder .* this bridge goes on from there" \
    joined cat "$Q/bridge3.out"
check "  its scan's stall not said as a failure" \
    sh -c "! grep -e CK_ERR_QR_STALLED -e 'nothing was written' '$Q/bridge3.out'"
check_output "  the stopped bridges' codes kept where they are" \
    'codes/000003-bridge-repin still' joined cat "$Q/bridge3.out"
check "4: that re-pin crosses as codes" scan_codes "$Q/codes" 000004-bridge-repin "$P/x"
check_output "the room compares its words: pinned" 'new key is pinned' \
    "$CONCLAVE" init repin --state "$P/state" --witness walt --confirm-sas "$REPIN_WORDS"
printf '%s\n' "$ptok" >&"$TOKEN_FD"
exec {TOKEN_FD}>&-
check "the restarted bridge revokes the root token" wait "$BPID2"
check_output "  a lookup with it is refused" '^403$' \
    curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $ptok" \
    "$addr2/v1/auth/token/lookup-self"
check "5: the revocation's proof crosses as codes" \
    scan_codes "$Q/codes" 000005-closing-result "$P/x"
check_output "init close on the re-pinned key's proof" 'root token is revoked' \
    "$CONCLAVE" init close --state "$P/state"
check_output "verify: 2 of 2 proven, the root token revoked" \
    '2 of 2 shares handed out with a decrypt proof, threshold 2, initial root token revoked' \
    "$CONCLAVE" verify "$P/state/transcript.jsonl"
check_output "  the two re-pins on the record, two deviations" '^record: 0 refusals, 2 deviations' \
    "$CONCLAVE" verify "$P/state/transcript.jsonl"
check "both folders hold the same five envelopes" same_envelopes "$P/x" "$Q/x" "$pid" 5

# --- 3. a whole rekey with verification, every crossing by QR code ---
# The cluster just initialised, its shares on the holders' sticks.
kaddr=$addr
# First a rekey whose bridge is killed while it waits for the shares:
# started again, its camera sees the appliance's last envelope, the
# sealed shares (envelope 3), not the request. Its folder shows the
# session under way: the rekey on the server is cancelled (the old
# shares stay the only ones) and the room told to abandon, as on the
# stick.
R=$T_TMP/r0
K=$T_TMP/k0
mkdir -p "$R/x" "$K/x"
"$CONCLAVE" rekey begin --state "$R/state" --exchange "$R/x" --threshold 2 \
    --holder carol="$KEYS/holder3.asc" --holder dave="$KEYS/holder4.asc" >/dev/null
kid=$(basename "$(dirname "$(ls "$R"/x/*/000001-rekey-request.env)")")
film "$R/x/$kid/000001-rekey-request.env" "$K/cam"
bridge_bg "$K" rekey --exchange "$K/x" --address "$kaddr" \
    --camera-frames "$K/cam" --png-dir "$K/codes" --wait 120
# current_shares: alice's, bob's and erin's shares from their sticks.
current_shares() {
	local h
	for h in alice:1 bob:2 erin:5; do
		quorum_share rekey "$R" "${h%:*}" "${h#*:}" \
		    "$(ls "$C/stick${h#*:}"/*.gpg)" || return 1
	done
}
if scan_codes "$K/codes" 000002-session-offer "$R/x" &&
    "$CONCLAVE" rekey accept --state "$R/state" --confirm-sas "$(bridge_sas "$K")" &&
    current_shares >/dev/null && "$CONCLAVE" rekey submit --state "$R/state" >/dev/null; then
	ok "a rekey under way: the offer by codes, the current shares sealed and submitted"
else fail "a rekey under way: the offer by codes, the current shares sealed and submitted"; fi
kill -9 "$(cat "$K/bridge.pid")"
wait "$(cat "$K/bridge.pid")" 2>/dev/null
check "the bridge killed; the appliance's screen shows its envelope 3" \
    film "$R/x/$kid/000003-share-submission.env" "$K/cam2"
unchanged "the bridge started again on it" "$K/x" -- "$BRIDGE" rekey --exchange "$K/x" \
    --address "$kaddr" --camera-frames "$K/cam2" --png-dir "$K/codes" --stall 5
check_output "  finds the session under way in its folder" \
    "the appliance shows its envelope 3; the exchange folder holds the ceremony" \
    joined cat "$T_TMP/out"
check "  the envelope in view not said as refused" \
    sh -c "! grep -e CK_ERR_OUT_OF_ORDER -e 'refused; nothing was written' '$T_TMP/out'"
check "  in lines that fit 80 columns" fits80 cat "$T_TMP/out"
check_output "  cancels its rekey on the server" 'Its rekey on the server \(nonce .*\) is cancelled' \
    joined cat "$T_TMP/out"
check_output "  and tells the room to abandon" 'abandon that ceremony' joined cat "$T_TMP/out"
check_output "the server has no rekey in progress" '"started":false' \
    curl -s "$kaddr/v1/sys/rekey/init"
check "the appliance abandons" "$CONCLAVE" rekey abandon --state "$R/state" \
    --reason "the bridge stopped mid-session"

R=$T_TMP/r	# the appliance: $R/x, $R/state, the new holders' sticks $R/nK
K=$T_TMP/k	# the bridge: $K/x, $K/cam, $K/codes
mkdir -p "$R/x" "$K/x"
check "rekey begin: carol and dave, threshold 2" "$CONCLAVE" rekey begin \
    --state "$R/state" --exchange "$R/x" --threshold 2 \
    --holder carol="$KEYS/holder3.asc" --holder dave="$KEYS/holder4.asc"
kid=$(basename "$(dirname "$(ls "$R"/x/*/000001-rekey-request.env)")")
check "1: the rekey request, filmed" film "$R/x/$kid/000001-rekey-request.env" "$K/cam"
bridge_bg "$K" rekey --exchange "$K/x" --address "$kaddr" \
    --camera-frames "$K/cam" --png-dir "$K/codes" --wait 120
check "2: the session offer crosses as the bridge's codes" \
    scan_codes "$K/codes" 000002-session-offer "$R/x"
check_output "  the server's rekey is started, verification required" \
    '"started":true.*"t":2.*"n":2.*"verification_required":true' \
    curl -s "$kaddr/v1/sys/rekey/init"
check "the witness confirms the words" "$CONCLAVE" rekey accept --state "$R/state" \
    --witness walt --confirm-sas "$(bridge_sas "$K")"
check "alice's, bob's and erin's current shares are sealed" current_shares
# rekey_round MINE THEIRS: the appliance's submission, envelope MINE,
# filmed for the bridge, whose answer THEIRS crosses back as its codes.
rekey_round() {
	"$CONCLAVE" rekey submit --state "$R/state" &&
	    film "$R/x/$kid/$1.env" "$K/cam" && scan_codes "$K/codes" "$2" "$R/x"
}
check "submit; 3: the sealed current shares, filmed; 4: the new encrypted shares cross as the bridge's codes" \
    rekey_round 000003-share-submission 000004-rekey-result
check_output "result: 2 new shares, each to its new holder" '^2 new encrypted shares' \
    "$CONCLAVE" rekey result --state "$R/state"
for k in 1 2; do
	mkdir -p "$R/n$k"
	check "handout of new share $k with a decrypt proof" "$CONCLAVE" rekey handout \
	    --state "$R/state" --holder "$k" --stick "$R/n$k" \
	    --secret-key "$KEYS/holder$((k + 2)).sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
check "verify: the new shares next" "$CONCLAVE" rekey verify --state "$R/state"
for h in carol:1 dave:2; do
	check "${h%:*}'s new share is sealed" "$CONCLAVE" rekey share --state "$R/state" \
	    --holder "${h%:*}" --share-file "$(ls "$R/n${h#*:}"/*.gpg)" \
	    --secret-key "$KEYS/holder$((${h#*:} + 2)).sec.asc" --passphrase-fd 3 3<"$PASSFILE"
done
check "submit; 5: the sealed new shares, filmed; 6: the verification's result crosses as the bridge's codes" \
    rekey_round 000005-rekey-verify-submission 000006-submission-result
check "finish: the new shares in force, the transcript signed" \
    "$CONCLAVE" rekey finish --state "$R/state"
check "the bridge exits 0" bridge_wait "$K"
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$R/state/transcript.jsonl"
check "the bridge's folder holds the six envelopes, the appliance's bytes" \
    same_envelopes "$R/x" "$K/x" "$kid" 6
newshare() { gpg_decrypt_as "holder$(($1 + 2))" "$KEYS/holder$(($1 + 2)).sec.asc" <"$R/n$1"/*.gpg; }
check "the sealer the operator configured at init seals the server" \
    seal_with_sealer "$kaddr"
check_output "  it is sealed" '^true$' seal_field i1 .sealed
check "the two new shares unseal it" bao_unseal i1 "$(newshare 1)" "$(newshare 2)"
check "every line the bridges printed fits 80 columns (issue 10)" bridge_fits80
check "  the restarted ones' too" fits80 cat "$B/bridge2.out" "$Q/bridge2.out" "$Q/bridge3.out"

finish
