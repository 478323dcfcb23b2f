#!/usr/bin/env bash
# The text armor (docs/envelope.md §6) wired (issue 13: its parser had no
# caller): conclave and conclave-bridge print an envelope as armored text,
# conclave-bridge reads it back, to a file or into the exchange folder with
# the signature checked; altered text is refused by name. The appliance
# offers no dearmor: its untrusted input is parsed in the parser child.
. "$(dirname "$0")/../lib.sh"
ENV_TOOL=$BUILD/tests/tools/envelope_tool
id=0123456789abcdef0123456789abcdef
echo '{"kind":"init","note":"armored"}' | "$ENV_TOOL" forge init-request "$id" 1 >"$T_TMP/e.env"

check "conclave armor prints the armored text" sh -c \
    "'$CONCLAVE' armor '$T_TMP/e.env' >'$T_TMP/e.asc'"
check_output "... which starts with the armor line" \
    '^-----BEGIN CONCLAVE ENVELOPE 000001 init-request-----$' head -n 1 "$T_TMP/e.asc"
check "conclave-bridge armor prints the same text" sh -c \
    "'$BRIDGE' armor '$T_TMP/e.env' | cmp -s - '$T_TMP/e.asc'"
check "conclave-bridge dearmor --out gives the envelope back" sh -c \
    "'$BRIDGE' dearmor --out '$T_TMP/back.env' '$T_TMP/e.asc' 2>/dev/null &&
    cmp -s '$T_TMP/e.env' '$T_TMP/back.env'"
mkdir -p "$T_TMP/x"
check "dearmor from standard input into the exchange folder" sh -c \
    "'$BRIDGE' dearmor --exchange '$T_TMP/x' <'$T_TMP/e.asc' 2>/dev/null &&
    cmp -s '$T_TMP/e.env' '$T_TMP/x/$id/000001-init-request.env'"

# Altered text: each refusal named, nothing written.
sed '2s/^./!/' "$T_TMP/e.asc" >"$T_TMP/bad64.asc"
check_output "a character outside base64 is named" 'not an armored envelope.*CK_ERR_ENCODING' \
    "$BRIDGE" dearmor --out "$T_TMP/o1" "$T_TMP/bad64.asc"
{ cat "$T_TMP/e.asc"; echo "more"; } >"$T_TMP/trail.asc"
check_output "text after the end line is named" 'CK_ERR_TRAILING' \
    "$BRIDGE" dearmor --out "$T_TMP/o2" "$T_TMP/trail.asc"
head -n 2 "$T_TMP/e.asc" >"$T_TMP/cut.asc"
check_output "text cut short is named" 'CK_ERR_TRUNCATED' \
    "$BRIDGE" dearmor --out "$T_TMP/o3" "$T_TMP/cut.asc"
sed '1s/init-request/closing-result/' "$T_TMP/e.asc" >"$T_TMP/type.asc"
check_output "a header that disagrees with the body is named" 'CK_ERR_FORMAT' \
    "$BRIDGE" dearmor --out "$T_TMP/o4" "$T_TMP/type.asc"
check "nothing was written for any of them" sh -c \
    "[ ! -e '$T_TMP/o1' ] && [ ! -e '$T_TMP/o2' ] && [ ! -e '$T_TMP/o3' ] && [ ! -e '$T_TMP/o4' ]"
check_output "the appliance has no dearmor" "unknown command" "$CONCLAVE" dearmor --out "$T_TMP/o5"
finish
