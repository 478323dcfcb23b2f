#!/usr/bin/env bash
# conclave's minisign code against the stock minisign program (Debian's
# minisign 0.11), both ways: stock `minisign -V` accepts what conclave signs
# (a closed transcript, and an arbitrary file), conclave accepts what stock
# minisign signs, and a tampered file fails under both. Also `conclave
# verify` on a real transcript, its exit codes and messages.
. "$(dirname "$0")/../lib.sh"

TOOL="$BUILD/tests/tools/transcript_tool"
MINISIGN=$(command -v minisign) || { fail "minisign is not installed"; finish; }
cd "$T_TMP" || exit 1

# conclave writes and signs a transcript; stock minisign verifies it.
check "transcript_tool writes a closed transcript" "$TOOL" write t.jsonl 4
check "stock minisign -V verifies conclave's transcript signature" \
	"$MINISIGN" -V -q -m t.jsonl -p t.jsonl.pub
pk=$(sed -n 2p t.jsonl.pub)
check "stock minisign -V -P <key> verifies it too" "$MINISIGN" -V -q -m t.jsonl -P "$pk"
check_output "stock minisign shows the signed head hash" \
	"Trusted comment: conclave transcript.records:6.head:[0-9a-f]{64}" \
	"$MINISIGN" -V -m t.jsonl -p t.jsonl.pub
# (grep -F: base64 has '+', a regex operator)
check "the opening record names the same key" grep -qF "\"pubkey\":\"$pk\"" t.jsonl
check_output "conclave verify accepts it" "^OK t.jsonl: 6 records" "$CONCLAVE" verify t.jsonl
check_output "conclave verify --pubkey accepts it" "^OK t.jsonl: 6 records.*as given" \
	"$CONCLAVE" verify t.jsonl --pubkey t.jsonl.pub
head=$(sed -n 's/.*head:\([0-9a-f]*\)$/\1/p' t.jsonl.minisig)
check_output "conclave verify prints the signed head hash" "head $head\$" "$CONCLAVE" verify t.jsonl

check_output "conclave verify gives the head hash as PGP words" \
	"^head as words: ([A-Za-z-]+ ){15}[A-Za-z-]+\$" "$CONCLAVE" verify t.jsonl

# A transcript resumed after a crash is signed by the resume's new key.
check "transcript_tool writes a resumed transcript" "$TOOL" resumed r.jsonl
check "stock minisign verifies it with the new key" "$MINISIGN" -V -q -m r.jsonl -p r.jsonl.pub
openkey=$(head -n 1 r.jsonl | sed 's/.*"pubkey":"\([^"]*\)".*/\1/')
check_fails "stock minisign refuses it under the opening key" \
	"$MINISIGN" -V -q -m r.jsonl -P "$openkey"
check_output "conclave verify says it was resumed and names the key" \
	"^note: resumed 1 time\(s\).*must name key [0-9A-F]{16}" "$CONCLAVE" verify r.jsonl
check_output "the record count includes open, resume and close" "^OK r.jsonl: 5 records" \
	"$CONCLAVE" verify r.jsonl --pubkey r.jsonl.pub

# A tampered transcript: both verifiers refuse it.
cp t.jsonl t2.jsonl && cp t.jsonl.minisig t2.jsonl.minisig
sed -i '3s/"step":1/"step":9/' t2.jsonl
check_fails "stock minisign refuses the tampered transcript" \
	"$MINISIGN" -V -q -m t2.jsonl -p t.jsonl.pub
check_output "conclave verify names the first bad record" \
	"line 4 \(seq 3\): prev is not the hash of the record before \[CK_ERR_CHAIN\]" \
	"$CONCLAVE" verify t2.jsonl
"$CONCLAVE" verify t2.jsonl >/dev/null 2>&1
check "conclave verify exits 1 on a bad transcript" test $? -eq 1
# The last record changed: only the signature covers it.
cp t.jsonl t3.jsonl && cp t.jsonl.minisig t3.jsonl.minisig
sed -i '$s/"actor":"operator"/"actor":"Operator"/' t3.jsonl
check_output "conclave verify refuses a changed close record" "close record \(line 6\) or the .minisig was changed \[CK_ERR_BAD_SIGNATURE\]" \
	"$CONCLAVE" verify t3.jsonl
check_fails "stock minisign refuses it too" "$MINISIGN" -V -q -m t3.jsonl -p t.jsonl.pub
# Another key.
"$MINISIGN" -G -W -p other.pub -s other.key >/dev/null 2>&1
check_output "conclave verify --pubkey with another key: wrong key" "CK_ERR_WRONG_KEY" \
	"$CONCLAVE" verify t.jsonl --pubkey other.pub
rm t3.jsonl.minisig
check_output "a missing signature file is named" "no signature file.*CK_ERR_NOT_FOUND" \
	"$CONCLAVE" verify t3.jsonl

# Stock minisign signs; conclave's verifier accepts, and refuses tampering.
head -c 3000 /dev/urandom >blob
check "stock minisign signs a file" "$MINISIGN" -S -W -s other.key -m blob -t "stock	signed" -x blob.sig
check_output "conclave verifies stock minisign's signature" "^CK_OK$" \
	"$TOOL" verify blob blob.sig other.pub
check_output "conclave returns the trusted comment" "trusted comment: stock	signed" \
	"$TOOL" verify blob blob.sig other.pub
printf 'x' >>blob
check_output "conclave refuses the tampered file" "^CK_ERR_BAD_SIGNATURE$" \
	"$TOOL" verify blob blob.sig other.pub
check_fails "stock minisign refuses it too" "$MINISIGN" -V -q -x blob.sig -m blob -p other.pub
check_output "conclave refuses a signature from another key" "^CK_ERR_WRONG_KEY$" \
	"$TOOL" verify t.jsonl t.jsonl.minisig other.pub
check "stock minisign signs in the legacy format" \
	"$MINISIGN" -S -l -W -s other.key -m blob -x legacy.sig
check_output "conclave refuses legacy (non-prehashed) signatures" "^CK_ERR_UNSUPPORTED$" \
	"$TOOL" verify blob legacy.sig other.pub

# conclave signs an arbitrary file (empty, then binary); stock verifies.
: >empty
check "conclave signs an empty file" "$TOOL" sign empty
check "stock minisign verifies it" "$MINISIGN" -V -q -m empty -p empty.pub
check "conclave signs a binary file" "$TOOL" sign blob
check "stock minisign verifies it" "$MINISIGN" -V -q -m blob -p blob.pub
printf 'y' >>blob
check_fails "stock minisign refuses it after a change" "$MINISIGN" -V -q -m blob -p blob.pub

# Usage errors exit 2.
"$CONCLAVE" verify >/dev/null 2>&1
check "conclave verify without a file exits 2" test $? -eq 2
"$CONCLAVE" verify t.jsonl --pubkey >/dev/null 2>&1
check "--pubkey without a file exits 2" test $? -eq 2
"$CONCLAVE" verify t.jsonl --pubkey blob >/dev/null 2>&1
check "--pubkey with a file that is not a key exits 2" test $? -eq 2
check_output "conclave verify --help" "usage: conclave verify FILE" "$CONCLAVE" verify --help
finish
