#!/usr/bin/env bash
# The codes on a framebuffer: with --framebuffer (here a file standing in
# for one, 1024x768 of XRGB8888, --framebuffer-size), c draws the init
# request's codes in pixels between the first text row and the hint row,
# far denser than the 81 bytes 80x24 text cells hold. The file's frames,
# copied as the codes change, are read with the programs' own readers
# (qr-decode): the envelope they rebuild is byte for byte the exchange
# folder's. The text rows stay text, the density keys reach what the
# pixels hold, and Esc goes back. --framebuffer off draws text codes.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

W=1024 H=768
C=$T_TMP/c
FB=$T_TMP/fb
mkdir -p "$C/keys" "$C/x" "$C/sticks"
roster_keys "$C"
truncate -s $((W * H * 4)) "$FB"

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --keys "$C/keys" --sticks "$C/sticks" --rehearsal \
    --framebuffer "$FB" --framebuffer-size ${W}x$H
ui_init_begun
ui_wait "Enter: wait for the bridge's answer" >/dev/null && ui_keys Enter
ui_wait "c show QR  v scan QR" >/dev/null
env=$(ls "$C"/x/*/000001-init-request.env)
sum_before=$(md5sum "$env")

ui_keys c
ui_step "sparser/denser  Esc: back" fb-shown
check_output "the first row says where the code is" \
    "drawn on the framebuffer: film the code" ui_screen
hint=$(ui_screen | tail -n 1)
check_output "12 codes a second at the default density, 560 bytes (text: 81)" \
    '^12/s 560B k=[0-9]+ ' echo "$hint"
k=$(echo "$hint" | sed -n 's/.* k=\([0-9]*\) .*/\1/p')
check "the envelope is a stream of several codes" test "${k:-0}" -gt 1
check "no text cell between the first row and the hint row" \
    test "$(ui_screen | sed -n '2,23p' | tr -d ' \n' | wc -c)" = 0

# Film the framebuffer: its file, copied as fast as the machine allows for
# twice the stream's time (a copy taken while a code is drawn is torn), and
# again while the copies do not make the envelope yet, at most four times.
mkdir -p "$T_TMP/frames"
n=0
for try in 1 2 3 4; do
	end=$((SECONDS + 2 * k / 12 + 2))
	while [ $SECONDS -lt $end ]; do
		cp "$FB" "$T_TMP/frames/f$(printf %05d $n)"
		n=$((n + 1))
	done
	rm -rf "$T_TMP/png"
	python3 "$TOP/tests/tools/fb2png.py" $W $H "$T_TMP/png" "$T_TMP"/frames/f*
	"$CONCLAVE" qr-decode --out "$T_TMP/got.env" "$T_TMP"/png/*.png \
	    >"$T_TMP/decode.out" 2>&1 && break
done
echo "# $n framebuffer copies in $try round(s), a stream of $k codes"
check_output "qr-decode rebuilds the stream from the framebuffer" \
    "envelope of [0-9]+ bytes written" cat "$T_TMP/decode.out"
check "the codes carried the exchange folder's envelope byte for byte" \
    cmp "$env" "$T_TMP/got.env"
check "the first and last text rows' pixels were left alone" \
    test "$(head -c $((W * 4 * 32)) "$FB" | tr -d '\0' | wc -c)" = 0 -a \
    "$(tail -c $((W * 4 * 32)) "$FB" | tr -d '\0' | wc -c)" = 0

# The densest code the pixels hold at 4 a module, and what it carries.
ui_keys d d d d d d d d d d d d
sleep 1
hint=$(ui_screen | tail -n 1)
f=$(echo "$hint" | sed -n 's/^[0-9]*\/s \([0-9]*\)B .*/\1/p')
echo "# densest on ${W}x$H: $hint"
check "d: denser codes than the default, up to what the pixels hold ($f bytes)" \
    test "${f:-0}" -gt 560
ui_keys d
sleep 0.5
check_output "d at the densest changes nothing" "^12/s ${f}B" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
rm -rf "$T_TMP/frames" "$T_TMP/png"
mkdir -p "$T_TMP/frames"
kd=$(echo "$hint" | sed -n 's/.* k=\([0-9]*\) .*/\1/p')
for i in $(seq 0 $((4 * kd + 8))); do
	cp "$FB" "$T_TMP/frames/f$(printf %05d $i)"
	sleep 0.05
done
python3 "$TOP/tests/tools/fb2png.py" $W $H "$T_TMP/png" "$T_TMP"/frames/f*
check_output "the densest codes read back too" "envelope of [0-9]+ bytes written" \
    "$CONCLAVE" qr-decode --out "$T_TMP/got2.env" "$T_TMP"/png/*.png
check "  byte for byte" cmp "$env" "$T_TMP/got2.env"
ui_keys - -
ui_wait "10/s ${f}B" 5 >/dev/null
check_output "- shows them slower" "^10/s ${f}B" \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"

ui_keys Escape
ui_step "Waiting for the bridge's init result" fb-back
check_output "back at the waiting screen, the QR offer still there" \
    "c show QR  v scan QR" ui_screen
check "the envelope on the exchange folder did not change" \
    test "$(md5sum "$env")" = "$sum_before"
ui_stop

# --framebuffer off: the text codes, whatever the terminal.
C=$T_TMP/c2
mkdir -p "$C/keys" "$C/x" "$C/sticks"
roster_keys "$C"
ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --keys "$C/keys" --sticks "$C/sticks" --rehearsal --framebuffer off
ui_init_begun
ui_wait "Enter: wait for the bridge's answer" >/dev/null && ui_keys Enter
ui_wait "c show QR  v scan QR" >/dev/null
ui_keys c
ui_wait "sparser/denser  Esc: back" >/dev/null
check_output "--framebuffer off: text codes, 81 bytes at 80x24" '^12/s 81B ' \
    sh -c "tmux -L '$UI_SOCKET' capture-pane -p -t ui | tail -n 1"
ui_keys Escape
ui_stop
check_output "--framebuffer-size without a framebuffer is refused" "usage:" \
    "$CONCLAVE" ui --framebuffer off --framebuffer-size 10x10
finish
