#!/usr/bin/env bash
# What privilege separation costs (make bench-privsep; prints, asserts nothing):
# - start: `conclave qr-decode` (usage error) starts the monitor's guards and
#   its parser child; `conclave --version` starts neither; the same user.
# - decode: the same QR stream of PNG files decoded by conclave (each PNG
#   and each image cross the socket to the child) and by conclave-bridge
#   (the same code, in its own process).
set -u
BUILD=${BUILD:-build}
C=$BUILD/conclave B=$BUILD/conclave-bridge N=${N:-50}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
ms() {	# CMD...: mean wall milliseconds over N runs
	local s e i
	s=$(date +%s%N)
	for ((i = 0; i < N; i++)); do "$@" >/dev/null 2>&1; done
	e=$(date +%s%N)
	echo $(((e - s) / N / 1000000))
}
echo "start, no child:    $(ms "$C" --version) ms (conclave --version, mean of $N)"
echo "start, with child:  $(ms "$C" qr-decode) ms (conclave qr-decode: guards, child, usage)"
head -c 9000 /dev/urandom >"$d/m.env"
"$B" qr-encode "$d/m.env" --png-dir "$d/q" >/dev/null
n=$(ls "$d"/q/*.png | wc -l)
N=$((N / 5))
echo "decode $n PNGs, in the child:   $(ms "$C" qr-decode --out "$d/o1" "$d"/q/*.png) ms (conclave, mean of $N)"
echo "decode $n PNGs, in-process:     $(ms "$B" qr-decode --out "$d/o2" "$d"/q/*.png) ms (conclave-bridge, mean of $N)"
