#!/usr/bin/env bash
# client/vault's typed calls against a real server (SERVER): the server half of
# tests/unit/test_vault.c (init with vault_init_ceremony, sealed 503,
# unseal and reset, a disabled legacy endpoint, root token lookup and
# revocation proof; init with recovery shares on a static seal, Vault's
# transit), which skips itself without CONCLAVE_TEST_BAO_ADDR /
# CONCLAVE_TEST_BAO_STATIC_ADDR.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"

bin="$BUILD/tests/test_vault"
if ! bao_start_shamir v || ! bao_start_static vs; then
	fail "OpenBao server starts"
	finish
fi
server_has unauthed-off || export CONCLAVE_TEST_UNAUTHED_ON=1
out=$(CONCLAVE_TEST_BAO_ADDR=$(bao_addr v) CONCLAVE_TEST_BAO_STATIC_ADDR=$(bao_addr vs) \
    CONCLAVE_TEST_BAO_STATIC_TYPE=$SERVER_AUTOSEAL "$bin" 2>&1)
rc=$?
echo "$out" | sed 's/^/    | /'
check "test_vault against a real $SERVER_KIND passes" [ "$rc" -eq 0 ]
check_fails "no server test was skipped" grep -q SKIPPED <<<"$out"
check_output "the server is left initialised and unsealed" '^true false$' \
    sh -c "curl -s --noproxy '*' '$(bao_addr v)/v1/sys/seal-status' | jq -r '\"\(.initialized) \(.sealed)\"'"
finish
