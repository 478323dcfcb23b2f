#!/usr/bin/env bash
# The first unseal of a fresh 3-node Raft cluster, right after init (issue
# 10, "fresh clusters"): the joiners are not initialised until the first
# node is unsealed; the offer says so (not "sealed"), and the bridge waits
# for them to join (bounded by --join-wait, with progress lines), then
# unseals them in the same ceremony: no `conclave unseal retry`. Against a
# real server (SERVER).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_raft3 f || { fail "a 3-node Raft cluster starts"; finish; }
check "f1 is initialised 5/3 (the others are not yet)" bao_init f1 5 3
check_output "f2 is not initialised right after init" '^false$' seal_field f2 .initialized
check "the holders' sticks" quorum_sticks f1
C=$T_TMP/c
mkdir -p "$C/x"
check "unseal begin" "$CONCLAVE" unseal begin --state "$C/state" --exchange "$C/x"
check "bridge unseal offers a session for the three nodes" quorum_bridge_start "$C" \
    unseal --exchange "$C/x" --address "$(bao_addr f1)" --address "$(bao_addr f2)" \
    --address "$(bao_addr f3)" --wait 120
check_output "the bridge labels the joiners not initialised" \
    "$(bao_addr f2) +not initialised \\(a Raft joiner" cat "$C/bridge.out"
check_output "the witness confirms the words; the appliance too says not initialised" \
    "$(bao_addr f3) +not initialised \\(a Raft joiner" \
    "$CONCLAVE" unseal accept --state "$C/state" --witness walt \
    --confirm-sas "$(bridge_sas "$C")"
for k in 1 3 5; do
	check "holder $k's share is sealed" quorum_share unseal "$C" "h$k" "$k"
done
check "submit" "$CONCLAVE" unseal submit --state "$C/state"
check "the bridge answers" wait_envelope "$C" 4 submission-result
check_output "the bridge waited for the joiners, saying so" \
    'Waiting up to 120 s for 2 nodes to join the cluster' cat "$C/bridge.out"
check_output "... and each joined and was unsealed" \
    "$(bao_addr f3) +joined the cluster after [0-9]+ s" cat "$C/bridge.out"
"$CONCLAVE" unseal result --state "$C/state" >"$T_TMP/result.out" 2>&1
check_output "result: every node unsealed, none failed" '^3$' \
    grep -cE '^  http[^ ]+ +unsealed' "$T_TMP/result.out"
check "the bridge exits 0 (every node unsealed)" bridge_wait "$C" ||
    sed 's/^/    | /' "$C/bridge.out" "$T_TMP/result.out"
for n in f1 f2 f3; do
	check_output "$n is unsealed" '^false$' seal_field "$n" .sealed
done

finish
