#!/usr/bin/env bash
# The bridge on the operator's terminal (issue 11, item 2): conclave-bridge
# unseal runs in an 80x24 tmux pane against a real OpenBao, scanning the
# appliance's codes from a recorded camera (--camera-frames; no V4L2
# camera here) and showing its own with --qr-show. The pane's text is
# captured while it shows the session offer, rasterised
# (tests/tools/qr_text2png) and read by the appliance (conclave qr-decode):
# byte for byte the envelope on the bridge's folder. Enter brings back what
# was printed before (the ceremony key's words). Then the camera goes
# while the bridge scans for the sealed shares: it says so and offers the
# exchange folder; the operator copies the stick's envelope there and
# presses Enter, and the same session goes on: the node is unsealed and the
# result is shown as codes too.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir q1 || { fail "OpenBao (Shamir) starts"; finish; }
check "OpenBao initialises (sealed, 5 shares, threshold 3)" bao_init q1 5 3
check "the holders' sticks get their encrypted shares" quorum_sticks q1
addr=$(bao_addr q1)

C=$T_TMP/c	# the appliance
B=$T_TMP/b	# the bridge
mkdir -p "$C/x" "$B/x"
"$CONCLAVE" unseal begin --state "$C/state" --exchange "$C/x" >/dev/null
cid=$(basename "$(dirname "$(ls "$C"/x/*/000001-unseal-request.env)")")
check "the unseal request, filmed" film "$C/x/$cid/000001-unseal-request.env" "$B/cam"
ui_start "$BRIDGE" unseal --exchange "$B/x" --address "$addr" \
    --camera-frames "$B/cam" --qr-show --wait 120
check "the session offer as codes on the operator's terminal" \
    ui_wait "Enter once the appliance has it"
ui_screen >"$T_TMP/offer.txt"
check "  the code and its status line fit 80x24" ui_fits "$T_TMP/offer.txt"
check_output "  its status line: code n of k, 12 a second, Enter when read" \
    'code [0-9]+ of [0-9]+, 12/s: \+ faster' cat "$T_TMP/offer.txt"
check "the appliance reads the codes off the terminal" \
    ui_film offer "$T_TMP/offer.env"
check "  byte for byte the offer on the bridge's folder" \
    cmp "$T_TMP/offer.env" "$B/x/$cid/000002-session-offer.env"
ui_keys Enter
check "Enter: the short authentication string follows" \
    ui_wait "Short authentication string"
check_output "  and the ceremony key's words printed before are back" \
    'Compare these words with the appliance' ui_screen
check "the bridge scans for the sealed shares, the request passed over" \
    ui_wait "already taken; waiting for 3"
sas=$(uitmux capture-pane -p -S -100 -t "$UI_TARGET" |
    grep -A1 '^Short authentication string' | tail -n 1 | sed 's/^ *//')

cp "$T_TMP/offer.env" "$C/x/$cid/000002-session-offer.env"
check "the witness confirms the words" \
    "$CONCLAVE" unseal accept --state "$C/state" --confirm-sas "$sas"
for h in alice:1 carol:3 erin:5; do
	check "${h%:*}'s share is sealed" quorum_share unseal "$C" "${h%:*}" "${h#*:}"
done
check "submit" "$CONCLAVE" unseal submit --state "$C/state"

# The camera goes: the bridge offers the exchange folder on its terminal.
rm -rf "$B/cam"
check "the camera goes: said" ui_wait "the camera is gone"
check "  and the exchange folder offered" ui_wait "Enter to read the envelope from there"
check "  nothing written meanwhile" test "$(ls "$B/x/$cid" | wc -l)" = 2
cp "$C/x/$cid/000003-share-submission.env" "$B/x/$cid/"
ui_keys Enter
check "the same session reads it from the folder and answers, as codes" \
    ui_wait "Enter once the appliance has it" 60
check "the appliance reads the result off the terminal" \
    ui_film result "$T_TMP/result.env"
check "  byte for byte the bridge's" \
    cmp "$T_TMP/result.env" "$B/x/$cid/000004-submission-result.env"
ui_keys Enter
check "the bridge exits 0" ui_wait "[ui exited 0]"
cp "$T_TMP/result.env" "$C/x/$cid/000004-submission-result.env"
check_output "result: the node is unsealed, the ceremony closed" 'Ceremony closed' \
    "$CONCLAVE" unseal result --state "$C/state"
check_output "the server is unsealed" '^false$' seal_field q1 .sealed
ui_stop
finish
