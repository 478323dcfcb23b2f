#!/usr/bin/env bash
# The exchange stick leaves the operator's workstation between crossings and
# comes back: a new mount at the same path, every folder and file on it a
# new inode. The bridge, waiting for the appliance's shares, must find them
# on the stick put back, not in the folder it saw before (it held that one
# open for the whole session, and so never saw the shares: the booted-image
# ceremony test found it, where the host unmounts the stick's image). Here
# the stick's coming and going is a copy: the folder is moved away (the
# workstation's mount point empty), then copied back to the same path.
# One unseal of a real OpenBao, 3 of 5 shares.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

bao_start_shamir e1 && bao_init e1 5 3 || { fail "OpenBao starts and initialises"; finish; }
key() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir e1)/init.json"; }
check "the holders' sticks get their encrypted shares" quorum_sticks e1
check "the server restarts sealed" bao_restart e1
share() { quorum_share unseal "$@"; }

C=$T_TMP/c
mkdir -p "$C/x"
check "unseal begin" "$CONCLAVE" unseal begin --state "$C/state" --exchange "$C/x"
check "bridge unseal offers a session" quorum_bridge_start "$C" \
    unseal --exchange "$C/x" --address "$(bao_addr e1)" --wait 60
sas=$(bridge_sas "$C")
# The stick out of the workstation (its mount point left empty for a
# moment), then in again: the same path, new folders and files.
mv "$C/x" "$C/away" && mkdir "$C/x" && sleep 0.3 && rmdir "$C/x" &&
    cp -a "$C/away" "$C/x" && rm -rf "$C/away"
check "the witness confirms the words" "$CONCLAVE" unseal accept --state "$C/state" \
    --witness walt --confirm-sas "$sas"
for k in 1 2 3; do check "share $k is sealed" share "$C" "h$k" "$k"; done
check "submit" "$CONCLAVE" unseal submit --state "$C/state"
check "the bridge finds the shares on the stick put back and answers" \
    wait_envelope "$C" 4 submission-result
check "result: unsealed, the ceremony closed" "$CONCLAVE" unseal result --state "$C/state"
check "the bridge exits 0" bridge_wait "$C"
check_output "the server is unsealed" '^false$' seal_field e1 .sealed
finish
