#!/usr/bin/env bash
# The README's main command keeps working: `make rehearsal` runs a whole
# init ceremony and ends with a transcript that both verifiers accept.
. "$(dirname "$0")/../lib.sh"

out=$T_TMP/rehearsal.out
TMPDIR=$T_TMP "$TOP/scripts/rehearse" >"$out" 2>&1
check "scripts/rehearse exits 0" test $? -eq 0
check_output "it says REHEARSAL and names the demo keys as throwaway" \
    'REHEARSAL: demo keys are software keys .*throwaway' cat "$out"
check_output "the transcript verifies with the ceremony's rules" \
    'ceremony: init, 5 of 5 shares handed out with a decrypt proof' cat "$out"
check_output "stock minisign verifies it" 'Signature and comment signature verified' cat "$out"
check_output "it completes" 'Rehearsal complete' cat "$out"
paper=$(sed -n 's/.*paper: \(.*\) (script.pdf.*/\1/p' "$out")
for f in script holder-cards record; do
	check "it prints the paper: $f.pdf" sh -c "pdfinfo '$paper/$f.pdf' >/dev/null"
done
# (the bracket keeps pgrep from matching its own command line)
check "no OpenBao server is left running" \
    sh -c "! pgrep -f '${T_TMP}/conclave-test[.].*/bao/demo' >/dev/null"
finish
