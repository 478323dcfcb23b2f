#!/usr/bin/env bash
# Builds the image twice, from two checkouts in different folders, and
# compares the artefacts' SHA-256 (make image-repro): first from the mirror,
# in this checkout, into $IMAGE_OUT (default build/image); then without
# network, from the .debs the first build archived, in a copy of this
# checkout's files under /tmp (or the folder given), into its build/image.
# Where a checkout lives must not change a bit of the image.
#   image/repro.sh [OTHER_CHECKOUT]    (default: a new folder under /tmp)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$(realpath -m "${IMAGE_OUT:-build/image}")
if [ -n "${1:-}" ]; then
	other=$(realpath -m "$1")
	[ ! -e "$other" ] || { echo "image-repro: $other exists" >&2; exit 2; }
	mkdir -p "$other"
else
	other=$(mktemp -d /tmp/conclave-repro.XXXXXX)
fi
# Both builds take the time of the same commit.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
# The second checkout: this one's files (tracked and new, not ignored ones
# such as build/), as they are now.
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar -c --null -T - -f - | tar -x -C "$other" -f -
t0=$(date +%s)
IMAGE_OUT=$out image/build.sh
t1=$(date +%s)
(cd "$other" && IMAGE_OUT=$other/build/image image/build.sh --offline "$out")
t2=$(date +%s)
echo "image-repro: online build in $top $((t1 - t0)) s, offline build in $other $((t2 - t1)) s"
if cmp -s "$out/SHA256SUMS" "$other/build/image/SHA256SUMS"; then
	echo "image-repro: both builds identical:"
	cat "$out/SHA256SUMS"
	rm -rf --one-file-system "$other"
else
	echo "image-repro: the builds differ (the second is kept in $other/build/image):" >&2
	diff "$out/SHA256SUMS" "$other/build/image/SHA256SUMS" >&2 || true
	exit 1
fi
