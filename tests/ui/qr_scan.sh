#!/usr/bin/env bash
# The bridge's answer by QR code into the guided UI: the init request
# crosses to a real bridge (its own exchange folder, against a real
# OpenBao), the bridge's init result is rendered as a stream of PNG codes
# (qr-encode), and the UI, waiting for the result, scans them with v from
# a recorded-frame camera (--camera-frames: there is no camera here and
# v4l2loopback cannot be loaded on this kernel). Before that: no camera
# (said, the stick offered); another ceremony's stream (refused, named,
# on the record once, nothing else changed); a stream that cannot
# complete (progress, then the stall rule offers the stick); frames
# removed mid-stream (the camera is gone, the stick offered).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
C=$T_TMP/c
mkdir -p "$C/keys" "$C/x" "$C/sticks" "$C/b/x"
roster_keys "$C"
CAM=$C/cam

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --keys "$C/keys" --sticks "$C/sticks" --rehearsal --camera-frames "$CAM"
ui_init_begun
words=$(ui_key_words)
ui_keys Enter
ui_step "v scan QR" scan-offered
req=$(ls "$C"/x/*/000001-init-request.env)
id=$(basename "$(dirname "$req")")

# No camera: said, and the waiting screen (the stick) stays.
ui_keys v
ui_step "No camera at" scan-no-camera
check_output "no camera is named, and the stick offered" \
    "No camera at .*cam \(CK_ERR_NOT_FOUND\): use the exchange stick" joined ui_screen

state_sums() { (cd "$C" && md5sum state/ceremony.json x/*/*); }
records() { wc -l <"$C/state/transcript.jsonl"; }

# Another ceremony's stream: refused by name, on the record once, the
# state and the exchange folder unchanged.
check "another ceremony begins" ceremony_begin "$T_TMP/other" 3
mkdir -p "$CAM"
"$CONCLAVE" qr-encode "$(ls "$T_TMP"/other/x/*/000001-init-request.env)" \
    --png-dir "$CAM" >/dev/null 2>&1
before=$(state_sums); n0=$(records)
ui_keys v
ui_step "The codes were refused" scan-other-ceremony
check_output "the other ceremony's stream is named" \
    "an envelope of another ceremony .*CK_ERR_WRONG_CEREMONY" joined ui_screen
check "the state and the exchange folder are unchanged" \
    test "$(state_sums)" = "$before"
check "the refusal is on the record once" test "$(records)" = $((n0 + 1))
check_output "as a qr-stream refusal" '"qr-stream"' tail -n 1 "$C/state/transcript.jsonl"
ui_keys v
sleep 2
check "the same refusal again is not recorded twice" test "$(records)" = $((n0 + 1))

# The bridge answers on its own folder (the request crossed by stick).
mkdir -p "$C/b/x/$id"
cp "$req" "$C/b/x/$id/"
check "bridge init answers on its own exchange folder" \
    bridge_init_start "$C/b" "$(bao_addr s1)" "$words"
res=$(ls "$C"/b/x/*/000002-init-result.env)
rm -rf "$CAM" "$T_TMP/codes"
"$CONCLAVE" qr-encode "$res" --png-dir "$T_TMP/codes" --fragment 200 >/dev/null 2>&1
total=$(ls "$T_TMP/codes" | wc -l)
check "the init result is a stream of several codes" test "$total" -gt 4

# Too few codes: progress, then the stall rule offers the stick.
mkdir -p "$CAM"
cp "$T_TMP"/codes/qr-000[0-2].png "$CAM/"
ui_keys v
ui_step "Fragments 3 of" scan-partial 10
check_output "the progress bar counts fragments received / needed" \
    "Fragments 3 of [0-9]+ +\[#" ui_screen
ui_step "The scan stalled" scan-stalled 40
check_output "a stalled scan offers the stick" \
    "nothing new for 20 s \(3 of [0-9]+ fragments\)\. Use the exchange stick" joined ui_screen
check "nothing was written to the exchange folder" test "$(ls "$C"/x/*/ | wc -l)" = 1

# The camera disappears mid-scan.
ui_keys v
ui_wait "Fragments" 10 >/dev/null
rm -rf "$CAM"
ui_step "The camera is gone" scan-camera-gone 10
check_output "a camera that is gone offers the stick" \
    "camera is gone \(CK_ERR_MEDIA_GONE\): use the exchange stick" joined ui_screen
check "nothing was written to the exchange folder" test "$(ls "$C"/x/*/ | wc -l)" = 1

# The whole stream, a fifth of it lost: the init result arrives by QR.
mkdir -p "$CAM"
i=0
for f in "$T_TMP"/codes/*.png; do
	i=$((i + 1)); [ $((i % 5)) = 0 ] || cp "$f" "$CAM/"
done
ui_keys v
ui_step "Init result accepted." scan-accepted 60
check "the envelope the codes carried is the bridge's, byte for byte" \
    cmp "$res" "$C/x/$id/000002-init-result.env"
for f in "$UI_SNAPS"/*.txt; do ui_fits "$f" || bad=1; done
check "every screen fits 80x24" test "${bad:-0}" = 0
ui_stop
finish
