#!/usr/bin/env bash
# The guided UI when the bridge is started again at init (issue 10, item
# 1): the bridge is killed (kill -9) while the closing screen waits for its
# proof; started again, it offers a new session key. The closing screen
# asks a witness for the bridge's words: other words are refused (on the
# record, nothing pinned), the same words typed as heard pin it, and the
# new bridge's closing result closes the ceremony with the deviation on
# the record once. Screens kept (tests/ui/screens/repin-init-*.txt).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"
. "$TOP/tests/crashresume.sh"

check "the test keys, quick to unlock" resume_fast_keys
bao_start_shamir s1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr s1)
C=$T_TMP/c
init_folders "$C"
names=(alice bob carol)
PASS=$(cat "$PASSFILE")
T=$C/state/transcript.jsonl

ui_start env TERM=linux "$CONCLAVE" --state "$C/state" --exchange "$C/x" \
    --keys "$C/keys" --sticks "$C/sticks" --rehearsal
ui_init_begun
check "bridge init answers the request" \
    bridge_init_start "$C" "$addr" "$(ui_key_words)"
ui_keys Enter
ui_wait "Enter: start the handouts" 60 >/dev/null
ui_keys Enter
for k in 1 2 3; do
	n=${names[$k - 1]}
	ui_wait "Is $n at the appliance?" 30 >/dev/null || ui_keys o "$k"
	ui_step "Is $n at the appliance?" "handout-$n"
	ui_keys y
	ui_wait "Holder's stick (folder):" >/dev/null
	ui_keys Enter
	ui_wait "passphrase of your key file" 60 >/dev/null
	ui_type "$PASS"; ui_keys Enter
	ui_step "is on $n's stick and proven" "handout-$n-done" 60
	ui_keys Enter
done
ui_step "Waiting for the closing result" closing
check "bob's and carol's shares unseal the server" bao_unseal s1 \
    "$(gpg_decrypt_as holder2 "$KEYS/holder2.sec.asc" <"$C"/sticks/bob/*.gpg)" \
    "$(gpg_decrypt_as holder3 "$KEYS/holder3.sec.asc" <"$C"/sticks/carol/*.gpg)"
tok=$(operator_root_token "$C")

# The bridge dies while it waits for the token; the operator starts it again.
kill -9 "$(cat "$C/bridge.pid")"
bridge_init_restart "$C" "$addr" "$C/bridge2.out"
words=$REPIN_WORDS
check "the restarted bridge shows its new key's words" test -n "$words"

ui_step "The bridge was started again" repin 30
# The command line's repin while the UI holds the ceremony: refused,
# naming the UI and its pid, nothing changed.
before=$(sha256sum "$T" "$C/state/ceremony.json")
check_output "init repin while the UI runs: refused, naming the UI" \
    "CK_ERR_BUSY.*the guided UI \\(conclave ui, pid $(ui_pid)\\) holds this state folder's ceremony" \
    joined "$CONCLAVE" init repin --state "$C/state" --exchange "$C/x" --confirm-sas "$words"
check "  and nothing changed" test "$(sha256sum "$T" "$C/state/ceremony.json")" = "$before"
ui_type walt; ui_keys Enter
wrong=$(echo "$words" | awk '{ $2 = ($2 == "aardvark" ? "absurd" : "aardvark"); print }')
ui_type "$wrong"; ui_keys Enter
ui_step "The words differ. STOP" repin-mismatch
check_output "other words: refused on the record, naming the word" \
    '^1 word 2 of 5' jq -rs '[.[] | select(.type == "refused" and .details.what == "bridge-repin")] |
    "\(length) \(.[0].details.reason)"' "$T"
ui_type "$(echo "$words" | tr a-z A-Z)"; ui_keys Enter
ui_step "Waiting for the closing result" closing-repinned
check "the new key is pinned, recorded once as a deviation" test "$(jq -s \
    '[.[] | select(.type == "deviation" and .details.text == "bridge restarted, key re-pinned")] | length' "$T")" = 1
printf '%s\n' "$tok" >&"$TOKEN_FD"
exec {TOKEN_FD}>&-
check "the restarted bridge revokes the root token" wait "$BPID2"
ui_wait "Witness" 60 >/dev/null
ui_review walt
ui_step "Ceremony closed. The initial root token is revoked." summary 60
check "the summary counts the re-pin among the deviations" \
    grep -q "1 deviation" "$UI_SNAPS/$(printf %02d $UI_NSNAP)-summary.txt"
ui_keys q q
ui_wait "[ui exited 0]" 10 >/dev/null
check_output "the transcript verifies, the re-pin on it" '1 refusal, 1 deviation' \
    "$CONCLAVE" verify "$T"
ui_check_screens repin-init
finish
