#!/usr/bin/env bash
# The witnesses' review of a ceremony begun on the command line with
# --review --witness walt --witness vera, taken up in the guided UI: the
# UI asks the declared witnesses in turn (walt confirms; vera could not
# stay, x records her absent, by the appliance), refuses a name nobody
# declared (on the record once), as conclave review does, offers no
# abandon, and closes. Against a real OpenBao and the real bridge.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"
. "$TOP/tests/uidrive.sh"

bao_start_shamir r1 || { fail "OpenBao (Shamir) starts"; finish; }
check "the server is initialised (sealed)" bao_init r1 5 3
check "the holders' sticks get their encrypted shares" quorum_sticks r1
C=$T_TMP/c
S=$C/state
T=$S/transcript.jsonl
mkdir -p "$C/x"
check "unseal begin --review, walt and vera witnessing" "$CONCLAVE" unseal \
    begin --review --witness walt --witness vera --state "$S" --exchange "$C/x"
check "the bridge offers a session" quorum_bridge_start "$C" unseal \
    --exchange "$C/x" --address "$(bao_addr r1)" --wait 60
check "accept with the SAS" "$CONCLAVE" unseal accept --state "$S" \
    --witness walt --confirm-sas "$(bridge_sas "$C")"
for k in 1 2 3; do
	n=$(echo alice bob carol | cut -d' ' -f$k)
	check "$n's share" quorum_share unseal "$C" "$n" "$k"
done
check "submit" "$CONCLAVE" unseal submit --state "$S"
check "the bridge answers" wait_envelope "$C" 4 submission-result
check_output "result: held for the review" 'stays open for the witnesses. review' \
    "$CONCLAVE" unseal result --state "$S"

ui_start env TERM=linux "$CONCLAVE" --state "$S" --exchange "$C/x" --rehearsal
ui_step "An open ceremony is in the state folder" resume
check "at the review it offers no abandon" ui_wait "Enter resume  Ctrl-Q leave" 2
ui_keys Enter
ui_step "walt (witness): does this match what you saw?" review-walt 30
ui_keys y
ui_step "vera (witness): does this match what you saw?" review-vera
ui_keys x
ui_step "Every witness has answered" review-done
ui_keys a
ui_wait "Witness, your name:" >/dev/null
ui_type mallory; ui_keys Enter
check "a name nobody declared is refused" ui_wait "CK_ERR_NOT_A_WITNESS" 5
check "  naming the declared witnesses" ui_wait "(walt, vera)" 2
ui_keys Escape
ui_wait "Every witness has answered" >/dev/null
ui_keys Enter
ui_step "Ceremony closed." summary 30
ui_keys q
ui_wait "[ui exited 0]" 10 >/dev/null && ok "q leaves with status 0" || fail "q leaves with status 0"

check_output "the transcript verifies" '^OK' "$CONCLAVE" verify "$T"
check_output "walt confirmed, vera recorded absent by the appliance, then the close" \
    '^witness-confirmation:walt deviation:appliance:vera close:appliance $' sh -c \
    "jq -r 'select(.type == \"witness-confirmation\" or .type == \"deviation\" or .type == \"close\") | [.type, .actor, .details.witness // empty] | join(\":\")' '$T' | tr '\n' ' '"
check_output "mallory's refusal is on the record once" '^1$' \
    sh -c "grep -c '\"error\":\"CK_ERR_NOT_A_WITNESS\"' '$T'"
check "the bridge exits 0" bridge_wait "$C"
ui_check_screens review-declared
finish
