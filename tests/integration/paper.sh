#!/usr/bin/env bash
# The paper (issue 17): the ceremony script and holder cards from a plan
# (conclave-bridge script, holder-cards) and the paper record of a real
# init ceremony against OpenBao (conclave record). Content is checked with
# pdftotext, pages with pdffonts/pdfinfo and pdftoppm; the record is
# rebuilt and compared byte for byte; a tampered transcript gets no record.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

P=$T_TMP/plan
mkdir -p "$P"
# pdftotext in drawing order (-raw: a column's lines stay together) with
# every run of white space as one space, since words wrap freely; hex
# digits wrap anywhere, so hexhas looks with no white space at all.
text() { pdftotext -raw "$1" - | tr -s ' \n\f' '  '; }
has() { text "$1" | grep -qF -- "$2"; }
hexhas() { pdftotext -raw "$1" - | tr -d ' \n\f' | grep -qF -- "$2"; }

cat >"$P/plan.json" <<JSON
{"format":"conclave-plan/1","kind":"init","server":"https://vault.example.org:8200",
 "date":"2026-12-10","place":"Room 4.12, Zürich","threshold":3,
 "operator":{"name":"olga","key":"$KEYS/operator.asc"},
 "holders":[{"name":"alice","key":"$KEYS/holder1.asc"},{"name":"bob","key":"$KEYS/holder2.asc"},
  {"name":"carol","key":"$KEYS/holder3.asc"},{"name":"dave","key":"$KEYS/holder4.asc"},
  {"name":"erin","key":"$KEYS/holder5.asc"}],
 "witnesses":[{"name":"walt","key":"$KEYS/witness.asc"},{"name":"wanda"}]}
JSON

# --- before the day: the script and the cards ---
check "conclave-bridge script prints the init script" \
    "$BRIDGE" script "$P/plan.json" --out "$P/script.pdf"
check "conclave-bridge holder-cards prints the cards (US Letter)" \
    "$BRIDGE" holder-cards "$P/plan.json" --out "$P/cards.pdf" --paper letter
check_output "the script is A4" 'Page size: +595.27[0-9]* x 841.8[0-9]* pts \(A4\)' pdfinfo "$P/script.pdf"
check_output "the cards are US Letter, one page per holder" '^Pages: +5$' pdfinfo "$P/cards.pdf"
check_output "the cards are US Letter" 'Page size: +612 x 792 pts \(letter\)' pdfinfo "$P/cards.pdf"
check_fails "every font is embedded" sh -c "pdffonts '$P/script.pdf' | tail -n +3 | awk '{print \$(NF-4)}' | grep -qv yes"
check_output "the script's date is the plan's, not the clock" 'CreationDate: .*Dec 10 00:00:00 2026' pdfinfo "$P/script.pdf"

# Every init step (protocol/steps.c), numbered as on the appliance's screens.
init_steps=("Choose the ceremony" "Roster: who takes part" "Quorum" \
    "Fingerprints: each member confirms their key" "Begin the ceremony" \
    "The server's answer" "Handout: one holder at a time" \
    "Closing: the initial root token is revoked" "Review and witness sign-off" \
    "Summary")
for s in "${init_steps[@]}"; do
	check "the script has the step \"$s\"" has "$P/script.pdf" "Screen: $s"
done
check "the script has the exceptions page" has "$P/script.pdf" "Exceptions Everything that did not go"
check "the script has the attestation with everyone's signature line" \
    sh -c "t=\$(pdftotext '$P/script.pdf' - | tr -s ' \n\f' '  '); for w in 'olga (operator)' 'alice (holder 1)' 'erin (holder 5)' 'walt (witness)' 'wanda (witness)'; do echo \"\$t\" | grep -qF \"\$w\" || exit 1; done"
check "the script has blanks for the words made on the day" \
    sh -c "t=\$(pdftotext '$P/script.pdf' - | tr -s ' \n\f' '  '); echo \"\$t\" | grep -qF \"The ceremony key's words\" && echo \"\$t\" | grep -qF 'The transcript head as words (16 words)'"

# The words: the bridge reads the fingerprints with conclave's own parser,
# the appliance (below) with gpg; they must print the same words.
C=$T_TMP/c1
check "init begin (the appliance reads the same keys with gpg)" ceremony_begin "$C" 3
# member_words REGEX: the fingerprint words begin printed under the roster
# member whose line matches REGEX (after the hex line, wrapped at 80).
member_words() {
	awk -v re="$1" '$0 ~ re { on = 1; n = 0; next } on && /warning:/ { exit }
	    on && /^            [^ ]/ { if (n++ == 0) next
	    sub(/^ +/, ""); w = w (w == "" ? "" : " ") $0; next }
	    on { exit } END { print w }' "$C/begin.out"
}
for k in 1 2 3 4 5; do
	words=$(member_words "^  share $k ")
	hex=$(grep -A1 "share $k " "$C/begin.out" | sed -n '2s/^ *//p')
	check "holder $k's fingerprint words in the script are the appliance's" has "$P/script.pdf" "$words"
	check "holder $k's card has their fingerprint words" has "$P/cards.pdf" "$words"
	check "holder $k's card has their fingerprint hex" has "$P/cards.pdf" "$hex"
done
check "a holder prints their own card from their own key" \
    "$BRIDGE" holder-cards --key "$KEYS/holder3.asc" --name carol --date 2026-12-01 --out "$P/own.pdf"
check "  with the words the appliance shows for that key" has "$P/own.pdf" \
    "$(member_words '^  share 3 ')"
check_output "  dated as asked" 'CreationDate: .*Dec  1 00:00:00 2026' pdfinfo "$P/own.pdf"
check_output "a secret key file is not a public key (CK_ERR_FORMAT)" CK_ERR_FORMAT \
    "$BRIDGE" holder-cards --key "$KEYS/holder3.sec.asc" --name carol --out "$P/own2.pdf"
check_fails "  and no card is written" test -e "$P/own2.pdf"
check_output "--key needs --name (usage error)" '^2$' \
    sh -c "'$BRIDGE' holder-cards --key '$KEYS/holder3.asc' --out '$P/own3.pdf' 2>/dev/null; echo \$?"
check "the witness's words are in the script too" has "$P/script.pdf" \
    "$(member_words ' walt$')"

# Pages to look at (docs/paper.md shows them).
check "pdftoppm renders the first step page" pdftoppm -gray -r 50 -f 2 -l 2 "$P/script.pdf" "$P/page"
check_output "the rendered page is black on white: mostly paper, some ink, no grey fill" '^ok$' \
    python3 -c "
d=open('$P/page-2.pgm','rb').read()
parts=d.split(None,4)
w,h=int(parts[1]),int(parts[2])
px=parts[4][-w*h:]
white=sum(1 for b in px if b>=240)/len(px)
ink=sum(1 for b in px if b<80)/len(px)
print('ok' if white>0.8 and ink>0.01 and white+ink>0.9 else (white,ink))"

# Bad plans: a specific error, no file.
bad() {	# NAME EXPECTED-ERROR JSON-EDIT (python expression on p)
	python3 -c "
import json,sys
p=json.load(open('$P/plan.json'))
$3
json.dump(p,open('$P/bad-$1.json','w'))"
	check_output "plan with $1 is refused ($2)" "$2" "$BRIDGE" script "$P/bad-$1.json" --out "$P/bad-$1.pdf"
	check_fails "  and no file is written" test -e "$P/bad-$1.pdf"
}
bad unknown-key CK_ERR_FORMAT "p['colour']='red'"
bad wrong-format CK_ERR_BAD_VERSION "p['format']='conclave-plan/2'"
bad unknown-kind CK_ERR_BAD_TYPE "p['kind']='seal-migrate'"
bad threshold CK_ERR_FORMAT "p['threshold']=6"
bad bad-date CK_ERR_FORMAT "p['date']='10/12/2026'"
bad twice-a-name CK_ERR_EXISTS "p['holders'][1]['name']='alice'"
bad twice-a-key CK_ERR_KEY_DUPLICATE "p['holders'][1]['key']=p['holders'][0]['key']"
bad secret-key CK_ERR_FORMAT "p['holders'][0]['key']='$KEYS/holder1.sec.asc'"
bad no-key CK_ERR_FORMAT "del p['holders'][0]['key']"
bad control-char CK_ERR_NOT_PRINTABLE "p['place']='Room\u0007'"
cp "$P/script.pdf" "$P/before.pdf"
check_output "an existing script is not replaced (CK_ERR_EXISTS)" CK_ERR_EXISTS \
    "$BRIDGE" script "$P/plan.json" --out "$P/script.pdf"
check "  and keeps its bytes" cmp "$P/script.pdf" "$P/before.pdf"

# --- the day: a real init ceremony, then its record ---
bao_start_shamir p1 || { fail "OpenBao (Shamir) starts"; finish; }
addr=$(bao_addr p1)
check "bridge init" bridge_init_start "$C" "$addr"
check "init accept" "$CONCLAVE" init accept --state "$C/state"
for k in 1 2 3 4 5; do check "handout $k" handout "$C" "$k"; done
check "shares 1, 3, 5 unseal the server" \
    bao_unseal p1 "$(gpg_share "$C" 1)" "$(gpg_share "$C" 3)" "$(gpg_share "$C" 5)"
root=$(operator_root_token "$C")
check "operator configures auth with the root token" configure_server "$addr" "$root"
check "bridge revokes the root token" bridge_init_finish "$C" "$root"
check "init close" sh -c "'$CONCLAVE' init close --state '$C/state' >'$C/close.out'"
T=$C/state/transcript.jsonl

check "conclave record prints the record" "$CONCLAVE" record "$T" --out "$C/record.pdf"
check "rebuilt from the transcript, the record is byte-identical" \
    sh -c "sleep 1; '$CONCLAVE' record '$T' --out '$C/again.pdf' && cmp '$C/record.pdf' '$C/again.pdf'"
check "US Letter too" "$CONCLAVE" record "$T" --out "$C/letter.pdf" --paper letter
check_output "  which is US Letter" 'Page size: +612 x 792' pdfinfo "$C/letter.pdf"
closed=$(tail -n 1 "$T" | jq -r .time)
check_output "the record is dated by the close record ($closed)" \
    "CreationDate: .*$(date -u -d "$closed" '+%b %e %H:%M:%S %Y' | sed 's/  */ +/g')" pdfinfo "$C/record.pdf"
headwords=$(joined cat "$C/close.out" | sed -n 's/^Head [0-9a-f]* //p')
check "the record has the head words the close screen showed" has "$C/record.pdf" "$headwords"
check "the record has the head hash" hexhas "$C/record.pdf" \
    "$(sed -n 's/^Head //p' "$C/close.out")"
n=1
for s in "${init_steps[@]}"; do
	check "the record has step $n \"$s\"" has "$C/record.pdf" "Step $n: $s"
	n=$((n + 1))
done
for k in 1 2 3 4 5; do
	c=$(jq -r "select(.type==\"share-handed-out\" and .details.share==$k) | .details.commitment" "$T")
	check "the record has share $k's decrypt proof (commitment)" hexhas "$C/record.pdf" "$c"
done
check "the record has the revocation proof" has "$C/record.pdf" "a lookup afterwards was refused"
check "the record names the chain's start" has "$C/record.pdf" "the chain of this cluster starts here"
check "the record says no exceptions" has "$C/record.pdf" "Exceptions and refusals None on record."
check_output "verify --facts prints the same facts" "^Step 7: Handout: one holder at a time: " \
    "$CONCLAVE" verify "$T" --facts

# Tampered: one byte of one record. No record, no file.
cp -a "$C/state" "$C/bad"
sed -i '5s/"x_tag":/"x_tag":1/' "$C/bad/transcript.jsonl"
check_output "a tampered transcript refuses to print" 'CK_ERR_CHAIN|CK_ERR_BAD_SIGNATURE' \
    "$CONCLAVE" record "$C/bad/transcript.jsonl" --out "$C/bad.pdf"
check_fails "  and no record file exists" test -e "$C/bad.pdf"
check_output "an existing record is not replaced" CK_ERR_EXISTS \
    "$CONCLAVE" record "$T" --out "$C/record.pdf"
finish
