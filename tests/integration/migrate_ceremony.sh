#!/usr/bin/env bash
# Seal migration and the recovery-key ceremonies against real OpenBao
# (issue 16, docs/migration.md):
#   A. one node, Shamir -> static (its unseal shares become recovery shares),
#      then root-token generation with those recovery shares, then
#      static -> Shamir (they are unseal shares again) and an unseal with
#      them after a restart. Bad inputs first: a node restarted without the
#      new seal stanza, and --to naming another seal: refused before any
#      offer, the state folder and the exchange folder unchanged.
#      A share of another server in the way back is refused by the server;
#      that ceremony is abandoned halfway and the node is left for the same
#      quorum.
#   B. a 3-node Raft cluster, Shamir -> transit (a second OpenBao as the
#      transit server) -> Shamir, every node through one ceremony each,
#      auto-unsealed after a restart in between, the recovery shares rekeyed
#      straight after the move (to two new holders), a root token generated
#      with the new recovery shares, and those shares taking the cluster back
#      to Shamir and unsealing it; then the same cluster Shamir -> static; a mixed cluster (one node not restarted with the new
#      stanza) is refused first.
# Every transcript verifies. Wall times go to stdout as "# migrate ..." lines
# (docs/figures.md).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

BAO_START_TIMEOUT=60
share() { quorum_share migrate "$@"; }
confirm() {
	"$CONCLAVE" migrate accept --state "$1/state" --witness walt \
	    --confirm-sas "$(bridge_sas "$1")"
}
# tree DIR: every file under DIR with its hash, for before/after checks.
tree() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
now() { date +%s.%N; }
took() { echo "# migrate $1: $(echo "$(now) - $2" | bc) s (wall, holders scripted)"; }

# migrate_run DIR TO ADDR... -- K[:FILE]...: one whole migrate ceremony,
# holder K bringing the share on their stick (or FILE).
migrate_run() {
	local C=$1 to=$2 k; shift 2
	local -a addrs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do addrs+=(--address "$1"); shift; done
	shift
	mkdir -p "$C/x"
	"$CONCLAVE" migrate begin --state "$C/state" --exchange "$C/x" >/dev/null || return 1
	quorum_bridge_start "$C" migrate --exchange "$C/x" "${addrs[@]}" --to "$to" \
	    --wait 120 || return 1
	confirm "$C" >/dev/null || return 1
	for k in "$@"; do
		share "$C" "$(holder_name "${k%%:*}")" "${k%%:*}" \
		    $([ "$k" != "${k#*:}" ] && echo "${k#*:}") >/dev/null || return 1
	done
	"$CONCLAVE" migrate submit --state "$C/state" >/dev/null || return 1
	wait_envelope "$C" 4 submission-result || return 1
	"$CONCLAVE" migrate result --state "$C/state" >"$C/result.out" 2>&1 || return 1
	bridge_wait "$C"
}
holder_name() { case $1 in 1) echo alice ;; 2) echo bob ;; 3) echo carol ;; 4) echo dave ;; 5) echo erin ;; esac; }

# Both parts go through seal "static", which only OpenBao has; Vault's
# migrations (Shamir <-> transit) are not in this test yet.
server_has static-seal ||
    skip_all "seal migration is tested through seal \"static\", which $SERVER_KIND has not"

# ---------------------------------------------------------------- A
bao_start_shamir m1 || { fail "OpenBao (Shamir) starts"; finish; }
check "m1 is initialised with 5 unseal shares, threshold 3" bao_init m1 5 3
check "the holders' sticks get their shares" quorum_sticks m1
key() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir m1)/init.json"; }
jq -r .root_token "$(bao_dir m1)/init.json" >"$T_TMP/m1-root"
check "m1 unseals" bao_unseal m1 "$(key 1)" "$(key 2)" "$(key 3)"

# Bad input: the node was restarted, but without the new seal stanza.
check "m1 restarted with its old configuration" bao_restart m1
C=$T_TMP/a0
mkdir -p "$C/x"
check "migrate begin writes the request" \
    "$CONCLAVE" migrate begin --state "$C/state" --exchange "$C/x"
before_state=$(tree "$C/state"); before_x=$(tree "$C/x")
"$BRIDGE" migrate --exchange "$C/x" --address "$(bao_addr m1)" --wait 5 \
    >"$C/bridge.out" 2>&1
check "the bridge refuses a node not migrating (exit 1)" test $? = 1
check_output "and names what is missing" 'reports no seal migration.*new seal stanza' \
    joined cat "$C/bridge.out"
check_output "nothing was offered" '^$' sh -c "ls '$C'/x/*/ | grep offer"
check "the appliance's state folder is unchanged" test "$before_state" = "$(tree "$C/state")"
check "the exchange folder is unchanged" test "$before_x" = "$(tree "$C/x")"

# Bad input: the new stanza is in place, but --to names another seal.
bao_set_seal m1 static
check "m1 restarted with seal \"static\" added" bao_restart m1
check_output "m1 waits for a migration to static" '^true static true$' \
    seal_field m1 '"\(.migration) \(.type) \(.sealed)"'
"$BRIDGE" migrate --exchange "$C/x" --address "$(bao_addr m1)" --to transit \
    --wait 5 >"$C/bridge.out" 2>&1
check "--to transit on a node migrating to static is refused" test $? = 1
check_output "naming both seals" 'migrates to seal "static", not "transit"' joined cat "$C/bridge.out"
check "the state folder is still unchanged" test "$before_state" = "$(tree "$C/state")"
check "the exchange folder is still unchanged" test "$before_x" = "$(tree "$C/x")"
check "the first request is abandoned (never offered)" rm -rf "$C"

# Shamir -> static, through the ceremony.
C=$T_TMP/a1
t0=$(now)
check "migrate Shamir -> static: the whole ceremony" \
    migrate_run "$C" static "$(bao_addr m1)" -- 1 3 5
took "shamir->static (1 node)" "$t0"
check_output "the room is told the shares are now recovery shares" \
    'shamir -> static.*|now RECOVERY shares' cat "$C/result.out"
check_output "m1 is unsealed on the static seal, recovery shares" \
    '^false static true false$' \
    seal_field m1 '"\(.sealed) \(.type) \(.recovery_seal) \(.migration)"'
check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check "stock minisign verifies it" minisign -Vm "$C/state/transcript.jsonl" \
    -p "$C/state/transcript.jsonl.pub" -q
check_output "the record names the seal before and after" \
    '"seal":{"from":"shamir","to":"static"}' cat "$C/state/transcript.jsonl"
check_output "and each node's seal type after" '"seal_type":"static"' \
    cat "$C/state/transcript.jsonl"
check "m1 restarted" bao_restart m1
sleep 1
check_output "m1 unseals itself now (auto-unseal)" '^false$' seal_field m1 .sealed

# A recovery-key ceremony: root-token generation with the old unseal shares.
C=$T_TMP/a2
mkdir -p "$C/x"
check "generate-root begin (recovery shares)" \
    "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
check "the bridge starts the attempt" quorum_bridge_start_token "$C" generate-root \
    --exchange "$C/x" --address "$(bao_addr m1)" --token-file "$T_TMP/m1-root" \
    --token-out "$C/new-token" --wait 60
check "accept" "$CONCLAVE" generate-root accept --state "$C/state" --witness walt \
    --confirm-sas "$(bridge_sas "$C")"
for k in 2 4 5; do
	check "holder $k's recovery share" quorum_share generate-root "$C" "$(holder_name $k)" $k
done
check "submit" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge answers" wait_envelope "$C" 4 generate-root-result
check_output "a new root token from recovery shares" '^Accessor ' \
    "$CONCLAVE" generate-root result --state "$C/state"
tok=$(cat "$C/new-token")
check_output "it is a root token" '^root$' sh -c "curl -s -H 'X-Vault-Token: $tok' \
    $(bao_addr m1)/v1/auth/token/lookup-self | jq -r '.data.policies[0]'"
quorum_give_token "$C" "$tok"
check "the bridge revokes it" bridge_wait "$C"
check "close" "$CONCLAVE" generate-root close --state "$C/state"
check_output "the transcript verifies (recovery generate-root)" '^OK' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"

# static -> Shamir: the old stanza disabled, the recovery shares submitted.
bao_set_seal m1 static-disabled
check "m1 restarted with seal \"static\" disabled" bao_restart m1
# Bad input: a share of another generation (another server's key) in the
# quorum. The server refuses it; the ceremony is abandoned halfway, the
# record says where it stopped, and the node is left as it was: sealed,
# still migrating, for the same quorum.
bao_start_shamir o1 || { fail "another OpenBao starts"; finish; }
check "the other server is initialised" bao_init o1 5 3
encrypt_share 1 "$(jq -r '.keys[0]' "$(bao_dir o1)/init.json")" >"$T_TMP/stick1/other.gpg"
bao_stop o1
C=$T_TMP/a3x
mkdir -p "$C/x"
check "migrate begin (wrong share)" "$CONCLAVE" migrate begin --state "$C/state" --exchange "$C/x"
check "the bridge offers (wrong share)" quorum_bridge_start "$C" migrate --exchange "$C/x" \
    --address "$(bao_addr m1)" --to shamir --wait 60
check "accept (wrong share)" confirm "$C"
check "alice brings a share of another server" share "$C" alice 1 "$T_TMP/stick1/other.gpg"
check "bob" share "$C" bob 2
check "carol" share "$C" carol 3
check "submit (wrong share)" "$CONCLAVE" migrate submit --state "$C/state"
check "the bridge answers (wrong share)" wait_envelope "$C" 4 submission-result
check_output "the server refused the shares" 'refused: CK_ERR_SHARE_REFUSED' \
    "$CONCLAVE" migrate result --state "$C/state"
check_output "abandon closes the ceremony" 'closed as abandoned' \
    "$CONCLAVE" migrate abandon --state "$C/state"
check "the bridge wipes and exits 0 (wrong share)" bridge_wait "$C"
check_output "the transcript verifies (abandoned)" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check_output "the record names the node left behind" '"nodes_left":\[\{"address":"[^"]*","result":"refused"' \
    cat "$C/state/transcript.jsonl"
check_output "m1 is left sealed and still migrating" '^true true$' \
    seal_field m1 '"\(.sealed) \(.migration)"'

C=$T_TMP/a3
t0=$(now)
check "migrate static -> Shamir: the whole ceremony" \
    migrate_run "$C" shamir "$(bao_addr m1)" -- 2 3 4
took "static->shamir (1 node)" "$t0"
check_output "the room is told the shares are unseal shares again" \
    'now UNSEAL shares' cat "$C/result.out"
check_output "the record names the way back" '"seal":{"from":"auto-unseal","to":"shamir"}' \
    cat "$C/state/transcript.jsonl"
check_output "the transcript verifies (back)" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
bao_set_seal m1
check "m1 restarted on Shamir alone" bao_restart m1
check_output "m1 is sealed after the restart" '^true shamir$' \
    seal_field m1 '"\(.sealed) \(.type)"'
check "the same holders' shares unseal it" bao_unseal m1 "$(key 1)" "$(key 4)" "$(key 5)"

# ---------------------------------------------------------------- B
bao_start_transit tr || { fail "the transit server starts, with its unseal key"; finish; }
ok "the transit server starts, with its unseal key"

start_cluster() {
	bao_start_raft3 r && bao_init r1 5 3 && return 0
	for n in r1 r2 r3; do bao_stop "$n"; done
	rm -rf "$T_TMP/bao/r1" "$T_TMP/bao/r2" "$T_TMP/bao/r3"
	bao_start_raft3 r && bao_init r1 5 3
}
start_cluster || { fail "a 3-node Raft cluster starts and initialises"; finish; }
ok "a 3-node Raft cluster starts and initialises"
rkey() { jq -r ".keys[$(($1 - 1))]" "$(bao_dir r1)/init.json"; }
node_joined() { seal_field "$1" .initialized | grep -qx true; }
check "r1 unseals" bao_unseal r1 "$(rkey 1)" "$(rkey 2)" "$(rkey 3)"
for n in r2 r3; do
	check "$n joins" wait_for node_joined "$n"
	check "$n unseals" bao_unseal "$n" "$(rkey 1)" "$(rkey 2)" "$(rkey 3)"
done
check "the holders' sticks get the cluster's shares" quorum_sticks r1
restart_all() {
	local n
	for n in r1 r2 r3; do bao_stop "$n"; done
	for n in r1 r2 r3; do bao_restart "$n" || return 1; done
}
addrs() { echo "$(bao_addr r1) $(bao_addr r2) $(bao_addr r3)"; }

# Mixed: r3 keeps its old configuration.
for n in r1 r2; do bao_set_seal "$n" transit:tr; done
check "the cluster restarted, r3 without the transit stanza" restart_all
C=$T_TMP/b0
mkdir -p "$C/x"
check "migrate begin (mixed)" "$CONCLAVE" migrate begin --state "$C/state" --exchange "$C/x"
before_x=$(tree "$C/x")
"$BRIDGE" migrate --exchange "$C/x" $(for a in $(addrs); do echo --address "$a"; done) \
    --wait 5 >"$C/bridge.out" 2>&1
check "a mixed cluster is refused" test $? = 1
check_output "naming the node that is not migrating" "$(bao_addr r3) reports no seal migration" \
    cat "$C/bridge.out"
check "nothing offered (mixed)" test "$before_x" = "$(tree "$C/x")"
rm -rf "$C"

bao_set_seal r3 transit:tr
check "the cluster restarted, every node with the transit stanza" restart_all
C=$T_TMP/b1
t0=$(now)
check "migrate Shamir -> transit, 3 nodes, one ceremony" \
    migrate_run "$C" transit $(addrs) -- 1 2 5
took "shamir->transit (3 Raft nodes)" "$t0"
for n in r1 r2 r3; do
	check_output "$n is unsealed on transit" '^false transit$' \
	    seal_field "$n" '"\(.sealed) \(.type)"'
done
check_output "every node's result names transit" '"seal_type":"transit".*"seal_type":"transit".*"seal_type":"transit"' \
    sh -c "grep unseal-result '$C/state/transcript.jsonl'"
check_output "the transcript verifies (transit)" '^OK' "$CONCLAVE" verify "$C/state/transcript.jsonl"
check "the cluster restarted on transit" restart_all
unsealed3() {
	for n in r1 r2 r3; do seal_field "$n" .sealed | grep -qx false || return 1; done
}
check "every node unseals itself through transit" wait_for unsealed3

# A rekey straight after: the recovery shares, now on transit, rotated to
# carol and dave (2 of 2) through sys/rotate/recovery on the active node.
active() {
	local leader n
	leader=$(curl -s "$(bao_addr r1)/v1/sys/leader" | jq -r .leader_address)
	for n in r1 r2 r3; do [ "$(bao_addr $n)" = "$leader" ] && echo $n; done
}
has_active() { [ -n "$(active)" ]; }
jq -r .root_token "$(bao_dir r1)/init.json" >"$T_TMP/r-root"
wait_for has_active
act=$(active)
check "an active node is elected ($act)" test -n "$act"
check "recovery rekey on transit: alice, bob, erin -> carol and dave, 2 of 2" \
    rotate_ceremony "$T_TMP/rk" "$(bao_addr "$act")" "$T_TMP/r-root" --recovery
check_output "the bridge used sys/rotate/recovery" 'Rekey started on sys/rotate/recovery' \
    cat "$T_TMP/rk/bridge.out"
check_output "the cluster has 2 recovery shares, threshold 2" '^true 2 2$' \
    seal_field "$act" '"\(.recovery_seal) \(.n) \(.t)"'
check_output "the transcript verifies (recovery rekey)" '^OK' \
    "$CONCLAVE" verify "$T_TMP/rk/state/transcript.jsonl"
new_share() { ls "$T_TMP/rk/n$1"/*.gpg; }

# Root-token generation with the new recovery shares on transit.
C=$T_TMP/b-gr
mkdir -p "$C/x"
check "generate-root begin (transit, new recovery shares)" \
    "$CONCLAVE" generate-root begin --state "$C/state" --exchange "$C/x"
check "the bridge starts the attempt on the active node" quorum_bridge_start_token "$C" \
    generate-root --exchange "$C/x" --address "$(bao_addr "$act")" \
    --token-file "$T_TMP/r-root" --token-out "$C/new-token" --wait 60
check "accept (transit)" "$CONCLAVE" generate-root accept --state "$C/state" \
    --witness walt --confirm-sas "$(bridge_sas "$C")"
check "carol's new recovery share" quorum_share generate-root "$C" carol 3 "$(new_share 1)"
check "dave's new recovery share" quorum_share generate-root "$C" dave 4 "$(new_share 2)"
check "submit (transit)" "$CONCLAVE" generate-root submit --state "$C/state"
check "the bridge answers (transit)" wait_envelope "$C" 4 generate-root-result
check_output "a root token from the new recovery shares" '^Accessor ' \
    "$CONCLAVE" generate-root result --state "$C/state"
quorum_give_token "$C" "$(cat "$C/new-token")"
check "the bridge revokes it (transit)" bridge_wait "$C"
check "close (transit)" "$CONCLAVE" generate-root close --state "$C/state"
check_output "the transcript verifies (transit generate-root)" '^OK' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"

for n in r1 r2 r3; do bao_set_seal "$n" transit-disabled:tr; done
check "the cluster restarted with transit disabled" restart_all
C=$T_TMP/b2
t0=$(now)
check "migrate transit -> Shamir, 3 nodes, with the new recovery shares" \
    migrate_run "$C" shamir $(addrs) -- "3:$(new_share 1)" "4:$(new_share 2)"
took "transit->shamir (3 Raft nodes)" "$t0"
check_output "the transcript verifies (back to Shamir)" '^OK' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"
for n in r1 r2 r3; do bao_set_seal "$n"; done
check "the cluster restarted on Shamir alone" restart_all
check_output "r1 is sealed" '^true$' seal_field r1 .sealed
plain() { gpg_decrypt_as "holder$2" "$KEYS/holder$2.sec.asc" <"$(new_share "$1")"; }
for n in r1 r2 r3; do
	check "$n unseals with carol's and dave's shares" bao_unseal "$n" "$(plain 1 3)" "$(plain 2 4)"
done

# And the same cluster Shamir -> static: one static key for every node.
(umask 077 && head -c 32 /dev/urandom >"$T_TMP/cluster-static.key")
for n in r1 r2 r3; do
	cp "$T_TMP/cluster-static.key" "$(bao_dir $n)/static.key"
	bao_set_seal "$n" static
done
check "the cluster restarted with a static seal stanza" restart_all
C=$T_TMP/b3
t0=$(now)
check "migrate Shamir -> static, 3 nodes, carol and dave" \
    migrate_run "$C" static $(addrs) -- "3:$(new_share 1)" "4:$(new_share 2)"
took "shamir->static (3 Raft nodes)" "$t0"
check_output "the transcript verifies (static, 3 nodes)" '^OK' \
    "$CONCLAVE" verify "$C/state/transcript.jsonl"
check "the cluster restarted on static" restart_all
check "every node unseals itself with the static key" wait_for unsealed3
finish
