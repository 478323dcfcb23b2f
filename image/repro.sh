#!/usr/bin/env bash
# Builds the image twice and compares the artefacts' SHA-256 (make image-repro):
# first from the mirror into $IMAGE_OUT (default build/image), then without
# network, from the .debs the first build archived, into OFFLINE_OUT.
#   image/repro.sh [OFFLINE_OUT]     (default build/image-offline)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$(realpath -m "${IMAGE_OUT:-build/image}")
off=$(realpath -m "${1:-build/image-offline}")
t0=$(date +%s)
IMAGE_OUT=$out image/build.sh
t1=$(date +%s)
IMAGE_OUT=$off image/build.sh --offline "$out"
t2=$(date +%s)
echo "image-repro: online build $((t1 - t0)) s, offline build $((t2 - t1)) s"
if cmp -s "$out/SHA256SUMS" "$off/SHA256SUMS"; then
	echo "image-repro: both builds identical:"
	cat "$out/SHA256SUMS"
else
	echo "image-repro: the builds differ:" >&2
	diff "$out/SHA256SUMS" "$off/SHA256SUMS" >&2 || true
	exit 1
fi
