#!/usr/bin/env bash
# The whole init ceremony against a real server (SERVER; issue 3's "done when"):
# 5 holders (RSA-3072, RSA-4096, Curve25519), t = 3, through the exchange
# folder; stock gpg opens every holder's share; shares 1,3,5 and then 2,4,5
# unseal the server; the initial root token is revoked; the transcript
# verifies with conclave verify and stock minisign. Then the same with
# recovery shares on OpenBao's static seal (Vault: a transit seal).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

# --- Shamir seal: unseal shares ---
bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr s1)
C=$T_TMP/c1
check "init begin writes the signed init request" ceremony_begin "$C" 3
check "bridge init answers it and waits for the root token" \
    bridge_init_start "$C" "$addr"
check "init accept: every share is encrypted to its holder" \
    "$CONCLAVE" init accept --state "$C/state"

for k in 1 2 3 4 5; do
	check "handout to holder $k with a decrypt proof" handout "$C" "$k"
done
check_fails "a second handout to holder 2 is refused" handout "$C" 2
check_output "close before the root token is revoked is refused" 'CK_ERR_NOT_FOUND' \
    "$CONCLAVE" init close --state "$C/state"
for k in 1 2 3 4 5; do
	check_output "stock gpg decrypts holder $k's share file" '^[0-9a-f]{66}$' \
	    gpg_share "$C" "$k"
done
# A Shamir server is sealed after init: holders 1, 3, 5 unseal it.
check "shares 1, 3, 5 unseal the server" \
    bao_unseal s1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 3)" "$(gpg_share "$C" 5)"

root=$(operator_root_token "$C")
check_output "the root token decrypts with the operator's key (stock gpg)" \
    "^${SERVER_TOKEN_PREFIX//./\\.}[A-Za-z0-9]{24}\$" echo "$root"
# The operator's initial configuration: a policy and a user who may seal.
check "operator configures auth with the root token" configure_server "$addr" "$root"
check "bridge revokes the root token and proves it" bridge_init_finish "$C" "$root"
check_output "a lookup with the initial root token is refused" '^403$' \
    curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $root" \
    "$addr/v1/auth/token/lookup-self"
check "init close: closing result accepted, transcript signed" \
    sh -c "'$CONCLAVE' init close --state '$C/state' >'$C/close.out'"

T=$C/state/transcript.jsonl
check_output "conclave verify accepts the transcript" '^OK' "$CONCLAVE" verify "$T"
check_output "conclave verify checks the ceremony: 5 of 5 proven, root token revoked" \
    '5 of 5 shares handed out with a decrypt proof, threshold 3, initial root token revoked' \
    "$CONCLAVE" verify "$T"
check "stock minisign verifies the transcript" minisign -Vm "$T" -p "$T.pub" -q
check_output "transcript records 5 proofs" '^5$' \
    sh -c "grep -c '\"type\":\"share-handed-out\"' '$T'"
check_output "transcript records the revocation" 'root-token-revoked' cat "$T"
check "no share text in the transcript, state or exchange" no_share_text "$C"
check_output "verify and close show the same head words" \
    "$(joined cat "$C/close.out" | sed -n 's/^Head [0-9a-f]* //p')" \
    "$CONCLAVE" verify "$T"

seal_with_sealer "$addr"
check_output "the sealer (configured with the root token) sealed it" '^true$' \
    seal_field s1 .sealed
check "shares 2, 4, 5 unseal it too" \
    bao_unseal s1 "$(gpg_share "$C" 2)" "$(gpg_share "$C" 4)" "$(gpg_share "$C" 5)"

# --- static seal: recovery shares ---
bao_start_static r1 || { fail "OpenBao (static seal) starts"; finish; }
R=$T_TMP/c2
check "recovery: init begin --recovery" ceremony_begin "$R" 3 --recovery
check "recovery: bridge init" bridge_init_start "$R" "$(bao_addr r1)"
check "recovery: accept" "$CONCLAVE" init accept --state "$R/state"
rroot=$(operator_root_token "$R")
check "recovery: revoke" bridge_init_finish "$R" "$rroot"
for k in 1 2 3 4 5; do
	check "recovery: handout to holder $k" handout "$R" "$k"
done
check "recovery: close" "$CONCLAVE" init close --state "$R/state"
check_output "recovery: transcript verifies, 5 of 5 proven, revoked" \
    '5 of 5 shares handed out with a decrypt proof, threshold 3, initial root token revoked' \
    "$CONCLAVE" verify "$R/state/transcript.jsonl"
check "recovery: stock minisign verifies" minisign -Vm "$R/state/transcript.jsonl" \
    -p "$R/state/transcript.jsonl.pub" -q
check_output "recovery: seal-status reports recovery_seal with n=5 t=3" \
    '^true 5 3$' seal_field r1 '"\(.recovery_seal) \(.n) \(.t)"'
check_output "recovery: stock gpg opens a recovery share" '^[0-9a-f]{66}$' gpg_share "$R" 4
check "every line the bridge printed fits 80 columns (issue 10)" bridge_fits80
# And every line conclave printed: the roster with its fingerprint words,
# the close with the head words, verify's listing and facts (issue 10).
check "conclave's begin and close fit 80 columns (issue 10)" \
    fits80 cat "$C/begin.out" "$C/close.out"
check "conclave verify --facts fits 80 columns" fits80 "$CONCLAVE" verify --facts "$T"
# Holders with the longest names a roster takes (64 bytes, not ASCII only).
L=$T_TMP/long
long="Dr. Maximiliane Ø. von Wittelsbach-Hohenzollern-Sigmaringen 1"
mkdir -p "$L/x"
check "init begin with long names" sh -c "'$CONCLAVE' init begin --state '$L/state' \
    --exchange '$L/x' -t 2 --holder '$long=$KEYS/holder5.asc' \
    --holder '${long%1}2=$KEYS/holder2.asc' --operator '${long%1}3=$KEYS/operator.asc' \
    --witness '${long%1}4=$KEYS/witness.asc' >'$L/begin.out' 2>&1"
check "  its roster fits 80 columns" fits80 cat "$L/begin.out"
check_output "  each name whole" "^  share 1 +$long\$" cat "$L/begin.out"
finish
