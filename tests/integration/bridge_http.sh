#!/usr/bin/env bash
# client/http against a hostile HTTP server (tests/tools/hostile_http.py):
# oversize, duplicate-key, trailing and NUL bodies, unprintable and overlong
# error messages, redirects, and the headers and bodies really sent; and
# conclave-bridge generate-root against a node that answers 500. Runs
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

# generate-root with a token against a node whose token endpoint answers 500
# (the active node failing behind a standby) and whose legacy endpoint is
# disabled: the 500 is reported with the node that gave it, not taken for a
# missing endpoint and turned into "disabled ... or give a token".
addr=$(cat "$T_TMP/addr")
mkdir -p "$T_TMP/x"
printf 's.test-token\n' >"$T_TMP/token"
"$CONCLAVE" generate-root begin --state "$T_TMP/state" --exchange "$T_TMP/x" >/dev/null 2>&1 ||
    fail "generate-root begin"
check_output "a 500 on sys/generate-root-token is reported as the node's 500" \
    "generate-root-token: .*CK_ERR_SERVER.*$addr answered HTTP 500: local node not active" \
    joined "$BRIDGE" generate-root --exchange "$T_TMP/x" --address "$addr" --token-file "$T_TMP/token" --wait 5
check_fails "and not as a disabled endpoint" sh -c \
    "'$BRIDGE' generate-root --exchange '$T_TMP/x' --address '$addr' --token-file '$T_TMP/token' --wait 5 2>&1 | grep -q DISABLED"
finish
