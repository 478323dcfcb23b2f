#!/usr/bin/env bash
# The envelope for the bridge as QR codes on the appliance's own screen:
# the guided UI (TERM=linux, 80x24 in tmux) begins an init ceremony, and
# while it waits for the bridge, c shows the init request as an animated
# code in half blocks. The frames the screen draws are captured
# (capture-pane), rasterised (tests/tools/qr_text2png) and read with the
# programs' own readers (qr-decode: zxing-cpp, then zbar): the envelope
# they rebuild is byte for byte the one on the exchange folder, which is
# still written as before. The rate and density keys change what is
# drawn; Esc goes back to the waiting screen.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

T2P=$BUILD/tests/tools/qr_text2png
[ -x "$T2P" ] || make -s -C "$TOP" BUILD="$BUILD" "$T2P" >/dev/null
C=$T_TMP/c
mkdir -p "$C/keys" "$C/x" "$C/sticks"
roster_keys "$C"

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --keys "$C/keys" --sticks "$C/sticks" --rehearsal
ui_init_begun
ui_wait "Enter: wait for the bridge's answer" >/dev/null && ui_keys Enter
ui_step "c show QR  v scan QR" qr-offered
env=$(ls "$C"/x/*/000001-init-request.env)
check "the init request is on the exchange folder" test -s "$env"
sum_before=$(md5sum "$env")

ui_keys c
ui_step "sparser/denser  Esc: back" qr-shown
check "the code fits 80x24" ui_fits "$UI_SNAPS/$(printf %02d $UI_NSNAP)-qr-shown.txt"
hint=$(ui_screen | tail -n 1)
check_output "12 codes a second, the densest code 80x24 holds (81 bytes)" \
    '^12/s 81B k=[0-9]+ ' echo "$hint"
k=$(echo "$hint" | sed -n 's/.* k=\([0-9]*\) .*/\1/p')
check "the envelope is a stream of several codes" test "${k:-0}" -gt 1

# Film the screen: the pane's text as fast as tmux hands it out, for twice
# the time the stream needs (codes drawn while captured are torn, and a
# capture between two codes sees the same one twice), and again while the
# codes do not make the envelope yet (a loaded machine draws fewer), at
# most four times.
mkdir -p "$T_TMP/frames"
n=0
for try in 1 2 3 4; do
	end=$((SECONDS + 2 * k / 12 + 3))
	while [ $SECONDS -lt $end ]; do
		ui_screen >"$T_TMP/frames/f$(printf %05d $n)"
		n=$((n + 1))
	done
	rm -rf "$T_TMP/png"
	"$T2P" "$T_TMP/png" "$T_TMP"/frames/f* >/dev/null 2>&1
	"$CONCLAVE" qr-decode --out "$T_TMP/got.env" "$T_TMP"/png/*.png \
	    >"$T_TMP/decode.out" 2>&1 && break
done
echo "# $n screens captured in $try round(s), a stream of $k codes"
check "every captured screen became an image" \
    test "$(ls "$T_TMP/png" | wc -l)" = "$n"
check_output "qr-decode rebuilds the stream from the screens" \
    "envelope of [0-9]+ bytes written" cat "$T_TMP/decode.out"
check "the codes carried the exchange folder's envelope byte for byte" \
    cmp "$env" "$T_TMP/got.env"

# The keys: rate, density, back.
ui_keys + +
ui_wait "14/s 81B" 5 >/dev/null
check_output "+ shows codes faster" '^14/s 81B' sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
ui_keys - - - -
ui_wait "10/s" 5 >/dev/null
check_output "- shows them slower" '^10/s 81B' sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
ui_keys s
ui_wait "10/s 64B" 5 >/dev/null
ui_snap qr-sparser
check_output "s: sparser codes, more of them" '^10/s 64B k=[0-9]+' sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
k2=$(ui_screen | tail -n 1 | sed -n 's/.* k=\([0-9]*\) .*/\1/p')
check "a sparser stream has more fragments ($k -> $k2)" test "${k2:-0}" -gt "$k"
ui_keys d
ui_wait "10/s 81B" 5 >/dev/null
check_output "d: denser again, no denser than the screen holds" '^10/s 81B' sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
ui_keys d
sleep 0.5
check_output "d at the densest the screen holds changes nothing" '^10/s 81B' sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
ui_keys Escape
ui_step "Waiting for the bridge's init result" qr-back
check_output "back at the waiting screen, the QR offer still there" \
    "c show QR  v scan QR" ui_screen
check "the envelope on the exchange folder did not change" \
    test "$(md5sum "$env")" = "$sum_before"
check "nothing but the init request is on the exchange folder" \
    test "$(ls "$C"/x/*/ | wc -l)" = 1
ui_keys '?'
check "the waiting screen's help names the QR keys" \
    ui_wait "QR code instead of the stick: c (or F3)"
check_output "  v too" 'v \(or F4\) scans the bridge.s' ui_screen
ui_screen >"$T_TMP/help.txt"
check "  and it fits 80x24" ui_fits "$T_TMP/help.txt"
ui_keys Escape
ui_stop
finish
