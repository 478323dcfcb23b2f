#!/usr/bin/env bash
# A whole unseal ceremony with every crossing by QR code, both programs
# as the room runs them (issue 11, item 2): the guided UI (TERM=linux,
# 80x24 in tmux) and conclave-bridge against a real OpenBao, each with its
# own exchange folder and nothing shared. The appliance's envelopes (the
# request, the sealed shares) are shown with c, filmed off the pane,
# rasterised and put where the bridge's recorded camera looks
# (--camera-frames); the bridge's (the offer, the result) are written as
# codes (--png-dir) and scanned by the UI with v from its own recorded
# camera (--camera-frames: no V4L2 camera here). The server is unsealed,
# the transcript verifies, and both folders hold the same four envelopes.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
check "OpenBao initialised with 3 shares, threshold 2" bao_init s1 3 2
key() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir s1)/init.json"; }
C=$T_TMP/c	# the appliance: its folder, sticks and camera
B=$T_TMP/b	# the bridge: its folder, camera and codes
mkdir -p "$C/x" "$C/cam" "$B/x" "$B/cam"
holder_sticks "$C/sticks" s1
PASS=$(cat "$PASSFILE")

# to_bridge NAME: the pane's stream filmed, its distinct frames where the
# bridge's camera looks (each appearing whole; tmux hands out the same
# screen many times over); the envelope it carried in NAME.env.
to_bridge() {
	local t f sum seen=" " n=0
	ui_film "$1" "$T_TMP/$1.env" || return 1
	for t in "$T_TMP/frames-$1"/f*; do
		sum=$(md5sum <"$t" | cut -c1-32)
		case $seen in *" $sum "*) continue ;; esac
		seen+="$sum "
		f=$T_TMP/png-$1/$(basename "$t").png
		cp "$f" "$B/cam/.tmp" && mv "$B/cam/.tmp" "$B/cam/$1-$(basename "$f")" ||
		    return 1
		n=$((n + 1))
	done
	echo "# $1: $n distinct frames filmed for the bridge's camera"
}
# to_appliance ENVNAME: the bridge's codes of ENVNAME in front of the
# appliance's camera, alone (the UI scans what it sees first).
to_appliance() {
	wait_for test -d "$B/codes/$1" && rm -f "$C"/cam/*.png &&
	    cp "$B/codes/$1"/*.png "$C/cam/"
}

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --sticks "$C/sticks" --camera-frames "$C/cam" --rehearsal
ui_step "Which ceremony is this?" start
ui_keys Down Enter
ui_step "Begin the unseal ceremony? Type y to begin." begin
ui_keys y
ui_step "Ceremony key" begun
ui_keys Enter
ui_step "c show QR  v scan QR" waiting-offer
cid=$(basename "$(dirname "$(ls "$C"/x/*/000001-unseal-request.env)")")
ui_keys c
ui_step "sparser/denser  Esc: back" request-shown
check "1: the request, filmed off the appliance's screen" to_bridge request
check "  the codes carried the appliance's request" \
    cmp "$T_TMP/request.env" "$C/x/$cid/000001-unseal-request.env"
ui_keys Escape
bridge_bg "$B" unseal --exchange "$B/x" --address "$(bao_addr s1)" \
    --camera-frames "$B/cam" --png-dir "$B/codes" --wait 120
check "2: the bridge's offer as codes, before the appliance's camera" \
    to_appliance 000002-session-offer
ui_keys v
ui_step "The bridge's words:" sas
ui_type walt; ui_keys Enter
ui_type "$(bridge_sas "$B")"; ui_keys Enter
ui_quorum_turn alice "$PASS"
ui_quorum_turn bob "$PASS"
ui_step "Submit the shares? Type y." submit
ui_keys y
ui_step "c show QR  v scan QR" waiting-result
ui_keys c
ui_step "sparser/denser  Esc: back" submission-shown
check "3: the sealed shares, filmed off the appliance's screen" to_bridge submission
check "  the codes carried the appliance's submission" \
    cmp "$T_TMP/submission.env" "$C/x/$cid/000003-share-submission.env"
ui_keys Escape
check "4: the bridge's result as codes, before the appliance's camera" \
    to_appliance 000004-submission-result
ui_keys v
ui_review walt review
ui_step "Ceremony closed. Every node is unsealed." summary 60
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check "the bridge exits 0" bridge_wait "$B"
check_output "the server is unsealed" '^false$' seal_field s1 .sealed
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "  and records no refusal: every code was taken once" \
    '^0$' sh -c "grep -c '\"type\":\"refused\"' '$C/state/transcript.jsonl'"
same_folders() {
	local f
	[ "$(ls "$B/x/$cid" | grep -c '\.env$')" = 4 ] || return 1
	for f in "$B/x/$cid"/*.env; do cmp -s "$f" "$C/x/$cid/$(basename "$f")" || return 1; done
}
check "both folders hold the same four envelopes, byte for byte" same_folders
for f in "$UI_SNAPS"/*.txt; do ui_fits "$f" || bad=1; done
check "every screen fits 80x24" test "${bad:-0}" = 0
ui_no_secrets "$(key 1)" "$(key 2)" "$(key 3)" "$PASS"
finish
