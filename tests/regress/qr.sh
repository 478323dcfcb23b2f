#!/usr/bin/env bash
# Envelopes cross by QR code through rendered PNG images, both ways
# (appliance -> bridge and bridge -> appliance), with codes lost on the way,
# and the bad inputs are named: foreign codes, other envelopes, other
# barcodes, damaged images, too small terminals, no camera. The ceremony
# steps over QR are in tests/integration/qr_ceremony.sh.
. "$(dirname "$0")/../lib.sh"

head -c 9000 /dev/urandom >"$T_TMP/big.env"
printf 'CONCLAVE-ENVELOPE small one\n' >"$T_TMP/small.env"

# cross FROM TO FILE DIR: encode with FROM, drop every 5th code, decode with TO.
cross() {
	local from=$1 to=$2 file=$3 dir=$4
	"$from" qr-encode "$file" --png-dir "$dir" >/dev/null || return 1
	ls "$dir"/qr-*.png | awk 'NR % 5 != 2' | xargs "$to" qr-decode --out "$dir.out" \
	    2>"$dir.log" || return 1
	cmp -s "$file" "$dir.out"
}
check "appliance -> bridge, stream, 20% of codes lost" \
    cross "$CONCLAVE" "$BRIDGE" "$T_TMP/big.env" "$T_TMP/a2b"
check "bridge -> appliance, stream, 20% of codes lost" \
    cross "$BRIDGE" "$CONCLAVE" "$T_TMP/big.env" "$T_TMP/b2a"
check_output "progress is reported per image" \
    'frames seen, [0-9]+ useful, 0 refused; [0-9]+/[0-9]+ fragments' cat "$T_TMP/b2a.log"
check_output "a small envelope is one static code" 'one static code' \
    "$CONCLAVE" qr-encode "$T_TMP/small.env" --png-dir "$T_TMP/one"
check "one code decodes" "$BRIDGE" qr-decode --out "$T_TMP/one.out" "$T_TMP/one/qr-0000.png"
check "one code is the envelope" cmp -s "$T_TMP/small.env" "$T_TMP/one.out"

# Density and error correction are adjustable and still cross.
"$BRIDGE" qr-encode "$T_TMP/big.env" --png-dir "$T_TMP/m" --fragment 900 --ecc M --frames 20 >/dev/null
check "--fragment 900 --ecc M decodes" "$CONCLAVE" qr-decode --out "$T_TMP/m.out" "$T_TMP"/m/qr-*.png
check_output "bad --ecc is a usage error" 'bad option value' "$CONCLAVE" qr-encode x --png-dir y --ecc X

check_output "--exchange takes only signed envelopes" 'no valid envelope.*CK_ERR_BAD_MAGIC' \
    "$BRIDGE" qr-decode --exchange "$T_TMP/xch" "$T_TMP"/a2b/qr-*.png
check "nothing placed in the exchange folder" test ! -e "$T_TMP/xch"
check_output "--out and --exchange together is a usage error" 'need images and --out' \
    "$BRIDGE" qr-decode --exchange "$T_TMP/xch" --out "$T_TMP/o" "$T_TMP/a2b/qr-0000.png"

# A stream larger than any envelope is refused on its first frame.
head -c 300000 /dev/urandom >"$T_TMP/huge.env"
"$CONCLAVE" qr-encode "$T_TMP/huge.env" --png-dir "$T_TMP/huge" --fragment 2000 --frames 1 >/dev/null
check_output "an oversized stream is named" 'larger than any envelope.*0/0 fragments' \
    "$BRIDGE" qr-decode --out "$T_TMP/huge.out" "$T_TMP/huge/qr-0000.png"

# Absurd images are named as images, not as streams (issue 13).
png_header() {	# W H FILE: a PNG whose header claims W x H (tiny, bogus data)
	python3 - "$@" <<'PY'
import struct, sys, zlib
w, h, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
data += chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
open(path, "wb").write(data)
PY
}
png_header 100000 100000 "$T_TMP/vast.png"
png_header 8193 2 "$T_TMP/wide.png"
head -c $((33 * 1024 * 1024)) /dev/zero >"$T_TMP/fat.png"
for f in vast wide fat; do
	check_output "a $f PNG is named as an image over the reader's limits" \
	    "$f.png: an image over the reader's limits" \
	    "$CONCLAVE" qr-decode --out "$T_TMP/x.out" "$T_TMP/$f.png"
done

# --out with a bare file name writes it in the current folder.
check "qr-decode --out with a bare file name" sh -c "cd '$T_TMP' &&
    '$BRIDGE' qr-decode --out bare.env one/qr-0000.png 2>/dev/null"
check "... the file is the envelope" cmp -s "$T_TMP/bare.env" "$T_TMP/one.out"

# Too few codes: exit 3 and the stick is offered.
"$CONCLAVE" qr-encode "$T_TMP/big.env" --png-dir "$T_TMP/few" >/dev/null
few=$(ls "$T_TMP"/few/qr-*.png | head -n 5)
check_output "too few codes: incomplete, use the stick" 'incomplete: 5 of [0-9]+ fragments.*USB stick' \
    "$BRIDGE" qr-decode --out "$T_TMP/few.out" $few
"$BRIDGE" qr-decode --out "$T_TMP/few.out" $few 2>/dev/null
check "incomplete exits 3" test $? -eq 3
check "nothing written when incomplete" test ! -e "$T_TMP/few.out"

# Codes of two envelopes mixed: the other one is named, the first completes.
"$CONCLAVE" qr-encode "$T_TMP/small.env" --png-dir "$T_TMP/other" >/dev/null
check_output "a frame of another envelope is named" 'different envelope, ignored' \
    "$BRIDGE" qr-decode --out "$T_TMP/mix.out" "$T_TMP/a2b/qr-0000.png" "$T_TMP/other/qr-0000.png" \
    "$T_TMP"/a2b/qr-00*.png
check "mixed codes still give the first envelope" cmp -s "$T_TMP/big.env" "$T_TMP/mix.out"

# A QR code that is not ours, a plain image, a damaged PNG.
if command -v qrencode >/dev/null; then
	qrencode -o "$T_TMP/url.png" 'https://example.org/'
	check_output "a foreign QR code is named" 'not a conclave envelope frame' \
	    "$CONCLAVE" qr-decode --out "$T_TMP/x.out" "$T_TMP/url.png"
else
	fail "qrencode(1) missing (scripts/packages/base.txt)"
fi
head -c 300 "$T_TMP/a2b/qr-0001.png" >"$T_TMP/cut.png"
check_output "a truncated PNG is named" 'cut.png: input is truncated' \
    "$CONCLAVE" qr-decode --out "$T_TMP/x.out" "$T_TMP/cut.png"

# Terminal rendering: sized to the terminal, refused when it cannot fit.
check_output "qr-show draws half blocks" $'\xe2\x96\x80' \
    "$BRIDGE" qr-show "$T_TMP/small.env" --size 120x60
check_output "qr-show refuses a small terminal, says what fits" \
    'does not fit on this 80x24 terminal: enlarge it, use --fragment [0-9]+ or less, or use the USB stick' \
    "$BRIDGE" qr-show "$T_TMP/big.env" --size 80x24
f=$("$BRIDGE" qr-show "$T_TMP/big.env" --size 80x24 2>&1 | sed -n 's/.*--fragment \([0-9]*\) or less.*/\1/p')
check_output "and that fragment does fit" 'code 0, stream' \
    "$BRIDGE" qr-show "$T_TMP/big.env" --size 80x24 --fragment "${f:-0}" --frames 1
check_output "qr-show streams N codes" 'code 2, stream of [0-9]+ fragments' \
    "$CONCLAVE" qr-show "$T_TMP/big.env" --size 200x100 --frames 3 --fps 30
check_output "qr-show on a missing framebuffer is named" 'fbX: not found' \
    "$CONCLAVE" qr-show "$T_TMP/small.env" --fb /dev/fbX

# A screen filmed at an angle (the simulated webcam, screen turned 20
# degrees): zbar alone reads none of these frames; both programs put the
# envelope back together (the appliance in its parser child).
"$BUILD/tests/tools/qr_camshot" "$T_TMP/big.env" "$T_TMP/tilt" 20 24
check "zbar alone reads none of 24 tilted camera frames" \
    sh -c "! zbarimg -q '$T_TMP'/tilt/cam-*.png"
check "the appliance reads the tilted frames" \
    "$CONCLAVE" qr-decode --out "$T_TMP/tilt-a.out" "$T_TMP"/tilt/cam-*.png
check "... to the same bytes" cmp -s "$T_TMP/big.env" "$T_TMP/tilt-a.out"
check "the bridge reads the tilted frames" \
    "$BRIDGE" qr-decode --out "$T_TMP/tilt-b.out" "$T_TMP"/tilt/cam-*.png
check "... to the same bytes" cmp -s "$T_TMP/big.env" "$T_TMP/tilt-b.out"

# On a terminal (script gives it one), + and - change a stream's rate while
# it runs; Ctrl-C ends it with the signal's status and the terminal back
# in line mode with echo.
cat >"$T_TMP/keys.sh" <<EOF
trap '' INT
"$CONCLAVE" qr-show "$T_TMP/big.env" --size 200x100 --fps 2
echo "exit=\$? \$(stty -a | grep -Eo -- '-?icanon|-?echo ' | tr '\n' ' ')"
EOF
(sleep 1; printf '++'; sleep 1.5; printf '\003'; sleep 2) |
    script -qec "sh $T_TMP/keys.sh" /dev/null >"$T_TMP/keys.out" 2>&1
check_output "qr-show on a terminal: + raises the rate while it runs" \
    'stream of [0-9]+ fragments, 4 codes/s' cat "$T_TMP/keys.out"
check_output "qr-show on a terminal: Ctrl-C stops it, the terminal restored" \
    'exit=130 icanon echo' cat "$T_TMP/keys.out"
# Read-back without a camera: skipped, said so, and the stream still shown.
check_output "qr-show --readback without a camera says it skipped" \
    'read-back skipped: no camera at /dev/videoX' \
    "$CONCLAVE" qr-show "$T_TMP/big.env" --size 200x100 --frames 2 --readback /dev/videoX
check_output "qr-show --readback without a camera still shows the stream" \
    'code 1, stream of [0-9]+ fragments' \
    "$CONCLAVE" qr-show "$T_TMP/big.env" --size 200x100 --frames 2 --readback /dev/videoX
# No camera on this machine: the error names the device.
check_output "qr-scan without a camera is named" '/dev/videoX: not found' \
    "$BRIDGE" qr-scan --out "$T_TMP/cam.out" --camera /dev/videoX
# Recorded frames behind the camera's interface (--camera-frames): the
# tilted camera frames make the envelope; frames that go away mid-scan are
# a camera that is gone.
check_output "qr-scan reads recorded camera frames" 'envelope of [0-9]+ bytes written' \
    "$BRIDGE" qr-scan --out "$T_TMP/rec.out" --camera-frames "$T_TMP/tilt"
check "... to the same bytes" cmp -s "$T_TMP/big.env" "$T_TMP/rec.out"
mkdir -p "$T_TMP/camgone"
cp "$T_TMP"/tilt/cam-000[0-2].png "$T_TMP/camgone/"
( sleep 1; rm -rf "$T_TMP/camgone" ) &
check_output "frames gone mid-scan: the camera is gone" \
    'camgone: the camera is gone \(CK_ERR_MEDIA_GONE\); use the USB stick instead' \
    "$CONCLAVE" qr-scan --out "$T_TMP/camgone.out" --camera-frames "$T_TMP/camgone"
wait
check "and nothing was written" test ! -e "$T_TMP/camgone.out"
finish
