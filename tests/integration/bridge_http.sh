#!/usr/bin/env bash
# client/http against a hostile HTTP server (tests/tools/hostile_http.py):
# oversize, duplicate-key, trailing and NUL bodies, unprintable and overlong
# error messages, redirects, and the headers and bodies really sent. Runs
# the server half of tests/unit/test_http.c, which skips itself without
# CONCLAVE_TEST_HOSTILE_ADDR.
. "$(dirname "$0")/../lib.sh"

python3 "$TOP/tests/tools/hostile_http.py" "$T_TMP/addr" 2>"$T_TMP/server.log" &
pid=$!
on_exit "kill $pid"
for i in $(seq 1 100); do
	[ -f "$T_TMP/addr" ] && break
	sleep 0.05
done
if [ ! -f "$T_TMP/addr" ]; then
	fail "hostile server starts"
	finish
fi
out=$(CONCLAVE_TEST_HOSTILE_ADDR=$(cat "$T_TMP/addr") "$BUILD/tests/test_http" 2>&1)
rc=$?
echo "$out" | sed 's/^/    | /'
check "test_http against the hostile server passes" [ "$rc" -eq 0 ]
check_fails "no hostile-server test was skipped" grep -q SKIPPED <<<"$out"
finish
