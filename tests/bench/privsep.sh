#!/usr/bin/env bash
# What privilege separation costs (make bench-privsep; prints, asserts nothing):
# - start: `conclave qr-decode` (usage error) starts the monitor's guards and
#   its parser child; `conclave --version` starts neither; the same user.
# - decode: the same QR stream of PNG files decoded by conclave (each PNG
#   file handed to the child, each image crossing the socket) and by
#   conclave-bridge (the same code, in its own process).
# - verify: `conclave verify` of a closed transcript of R records: the file
#   handed to the child, which verifies, audits and builds its record and
#   sends it back fact by fact.
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
R=${R:-1000}
"$BUILD/tests/tools/transcript_tool" write "$d/t.jsonl" "$R" >/dev/null
echo "verify $(wc -l <"$d/t.jsonl") records ($(($(wc -c <"$d/t.jsonl") / 1024)) KiB): $(ms "$C" verify "$d/t.jsonl") ms (conclave verify, mean of $N)"
