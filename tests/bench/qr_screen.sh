#!/usr/bin/env bash
# What the guided UI's QR codes (c, on a screen waiting for the bridge)
# carry on each kind of screen (make bench-qr-screen; docs/qr.md, "In the
# guided flow"; prints, asserts nothing). An init request is written, then
# for each screen the codes are shown at the default density and at the
# densest the screen holds (d until it changes nothing); one line each:
#   qr-screen: SCREEN default=NB k=K densest=NB k=K envelope=NB
# (payload bytes a code, fragments in the stream). Text: half blocks in
# the terminal's cells. Framebuffer WxH: a file standing in for one
# (--framebuffer-size), under a console of W/8 x H/16 cells (an 8x16
# font), the code between the first text row and the hint row at 4 pixels
# a module at the densest.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

hint() { uitmux capture-pane -p -t ui | tail -n 1; }

# measure NAME COLS ROWS [W H]
measure() {
	local name=$1 cols=$2 rows=$3 w=${4:-} h=${5:-} C=$T_TMP/$1 fb=() \
	    d1 d2 prev i
	mkdir -p "$C/keys" "$C/x" "$C/sticks"
	roster_keys "$C"
	if [ -n "$w" ]; then
		truncate -s $((w * h * 4)) "$C/fb"
		fb=(--framebuffer "$C/fb" --framebuffer-size "${w}x$h")
	else
		fb=(--framebuffer off)
	fi
	ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
	    --keys "$C/keys" --sticks "$C/sticks" --rehearsal "${fb[@]}"
	uitmux resize-window -t ui -x "$cols" -y "$rows"
	ui_init_begun
	ui_wait "Enter: wait for the bridge's answer" >/dev/null && ui_keys Enter
	ui_wait "c show QR  v scan QR" >/dev/null
	ui_keys c
	ui_wait "sparser/denser" >/dev/null
	d1=$(hint)
	prev=
	for i in $(seq 40); do
		ui_keys d
		sleep 0.3
		[ "$(hint)" = "$prev" ] && break
		prev=$(hint)
	done
	d2=$(hint)
	printf 'qr-screen: %s default=%s k=%s densest=%s k=%s envelope=%sB\n' \
	    "$name" "$(echo "$d1" | sed 's/^[0-9]*\/s \([0-9]*B\) .*/\1/')" \
	    "$(echo "$d1" | sed -n 's/.* k=\([0-9]*\) .*/\1/p')" \
	    "$(echo "$d2" | sed 's/^[0-9]*\/s \([0-9]*B\) .*/\1/')" \
	    "$(echo "$d2" | sed -n 's/.* k=\([0-9]*\) .*/\1/p')" \
	    "$(stat -c %s "$C"/x/*/000001-init-request.env)"
	ui_stop
}

measure text-80x24 80 24
measure text-128x48 128 48
measure fb-1024x768 128 48 1024 768
measure fb-1280x800 160 50 1280 800
measure fb-1920x1080 240 67 1920 1080
