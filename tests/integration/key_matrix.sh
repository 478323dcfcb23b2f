#!/usr/bin/env bash
# The key-type matrix (docs/compatibility.md) against the server the
# harness starts (tests/openbao.sh: $BAO; scripts/compat-matrix runs it once
# per server). For every key in the table below:
#   - what the roster says: `conclave init begin` accepts it (with the
#     warnings it prints, the ECDH one naming the curve) or refuses it with
#     the expected CK_ERR_* and writes nothing;
#   - what the server does at sys/init: the accepted keys go through one
#     real init ceremony (bridge, accept, handout), and the server must
#     encrypt each share to exactly the subkey written in the table, which
#     is also the roster's prediction; each refused key is sent to a fresh
#     server's sys/init directly, to record what the server itself says;
#   - whether stock gpg decrypts the share file the handout wrote;
#   - whether the appliance's decrypt proof (init handout) passes.
# With KEY_MATRIX_OUT=FILE the measured rows are written there (TSV) for
# scripts/compat-matrix; without it, the rows must match the committed
# docs/compatibility.md section for this server, so a changed outcome or a
# stale document fails here.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/openbao.sh"
. "$TOP/tests/ceremony.sh"

# key | what it is | roster: ok or the CK_ERR_* it refuses with |
# the key id the server must encrypt to and the roster must predict (for
# multisub, rebound, twinsub and mixedsub the one go-crypto's rule picks
# among several [E] subkeys; crypto/pgp.h)
MATRIX='
rsa2048|RSA-2048 primary [SC] + RSA-2048 [E]|ok|3c4b57f9a8fa88b2
holder1|RSA-3072 primary [SC] + RSA-3072 [E]|ok|d480a4c39b6657e2
holder2|RSA-4096 primary [SC] + RSA-4096 [E]|ok|3975a92b50a5f9f7
holder3|Ed25519 primary [SC] + Cv25519 [E]|ok|2d7ee3d42e05c608
nistp256|ECDSA NIST P-256 [SC] + ECDH P-256 [E]|ok|6424e36d6b9e52d2
nistp384|ECDSA NIST P-384 [SC] + ECDH P-384 [E]|ok|e1315e29616c067d
nistp521|ECDSA NIST P-521 [SC] + ECDH P-521 [E]|ok|c8ae81406c54f1c3
brainpoolp256|ECDSA brainpoolP256r1 [SC] + ECDH [E]|ok|f3a78d8d50280e8b
brainpoolp384|ECDSA brainpoolP384r1 [SC] + ECDH [E]|ok|aa00a99656fab7d1
brainpoolp512|ECDSA brainpoolP512r1 [SC] + ECDH [E]|ok|fe65c6fe8e85058a
secp256k1|ECDSA secp256k1 [SC] + ECDH secp256k1 [E]|ok|676c7fa3cc5b3e50
dsaelg|DSA-2048 [SC] + ElGamal-2048 [E]|ok|a531be91893285c4
certonly|Ed25519 certify-only primary [C] + Cv25519 [E]|ok|53ee7bbc2913fc80
rsaprimary|RSA-3072 primary [SCE], no subkey|ok|90dd330e94440d5d
multisub|Cv25519 [E] subkeys of 2021, 2022 and 2023 (expired)|ok|3eb0e100f339940e
rebound|Cv25519 [E] of 2021 (re-bound in 2023) + one of 2022|ok|7660a3b33a00bd2a
twinsub|two Cv25519 [E] bound in the same second|ok|4fc9ce081d322bd4
mixedsub|Cv25519 [E] 2021 + one revoked (2022) + one expired (2023)|ok|4c290fabb21c2f3d
nopass|Ed25519 + Cv25519 [E], no passphrase on the secret key|ok|d0dfb245714f54eb
signonly|Ed25519 [SC], no encryption key|CK_ERR_KEY_NO_ENCRYPT|
expiredsub|Ed25519 [SC] + Cv25519 [E] expired|CK_ERR_KEY_EXPIRED|
revokedsub|Ed25519 [SC] + Cv25519 [E] revoked|CK_ERR_KEY_REVOKED|
expired|whole key expired|CK_ERR_KEY_EXPIRED|
revoked|whole key revoked|CK_ERR_KEY_REVOKED|
'

server=$("$BAO" version | awk '{sub(/,$/, "", $2); print $1, $2}')
rows=$T_TMP/rows.tsv
: >"$rows"

cell() { tr '\n|' ' /' | sed 's/  */ /g; s/^ //; s/ $//'; }

# gpg's name for a key id's algorithm ("cv25519", "rsa3072", ...).
algo_of() {	# NAME KEYID
	gpg --batch --with-colons --show-keys "$KEYS/$1.asc" 2>/dev/null |
	    awk -F: -v k="$2" 'toupper(k) == $5 {
		if ($17 != "") print $17
		else if ($4 == 16) print "elg" $3
		else print "rsa" $3
		exit }'
}

# The passphrase, or an empty line for the key that has none.
pass_of() { if [ "$1" = nopass ]; then echo; else cat "$PASSFILE"; fi; }

good=() bad=()
while IFS='|' read -r name what want kid; do
	[ -n "$name" ] || continue
	if [ "$want" = ok ]; then good+=("$name"); else bad+=("$name"); fi
done <<<"$MATRIX"
field() { echo "$MATRIX" | awk -F'|' -v n="$1" -v f="$2" '$1 == n {print $f}'; }
want_kid() { field "$1" 4; }

# --- refused keys: the roster's error, nothing written; the server's own answer ---
probes=0
for name in "${bad[@]}"; do
	C=$T_TMP/bad-$name
	mkdir -p "$C/x"
	"$CONCLAVE" init begin --state "$C/state" --exchange "$C/x" -t 2 \
	    --holder "$name=$KEYS/$name.asc" --holder alice="$KEYS/holder1.asc" \
	    --operator olga="$KEYS/operator.asc" >"$C/begin.out" 2>&1
	rc=$?
	want=$(field "$name" 3)
	check "$name: conclave init begin refuses it" test "$rc" -ne 0
	check_output "$name: the refusal names $want" "key of $name .*\\($want\\)" cat "$C/begin.out"
	check "$name: the refused begin wrote nothing" \
	    sh -c "[ ! -e '$C/state' ] && [ -z \"\$(ls -A '$C/x')\" ]"
	roster="refused: $(joined cat "$C/begin.out" | sed -n "s/^conclave init begin: key of $name ([^)]*): //p" | cell)"

	# A fresh server for every probe: on Raft storage a refused sys/init
	# leaves state behind ("cluster already has state"), so a second
	# probe on the same server would record that instead of the key's fate.
	probes=$((probes + 1))
	if ! bao_start_shamir "probe$probes"; then
		fail "$name: a server for the probe starts"
		continue
	fi
	p=probe$probes
	k=$(gpg --batch --dearmor <"$KEYS/$name.asc" | base64 -w0)
	code=$(bao_curl "$p" -o "$C/init.json" -w '%{http_code}' -X PUT \
	    -d "{\"secret_shares\":1,\"secret_threshold\":1,\"pgp_keys\":[\"$k\"]}" \
	    "$(bao_addr "$p")/v1/sys/init")
	if [ "$code" = 200 ]; then
		got=$(jq -r '.keys_base64[0]' "$C/init.json" | base64 -d |
		    "$BUILD/tests/tools/pgp_tool" recipients /dev/stdin)
		srv="accepted: encrypts to $got"
	else
		srv="refuses (HTTP $code): $(jq -r '.errors | join("; ")' "$C/init.json" | cell)"
	fi
	bao_stop "$p"
	check_output "$name: the server refuses it too" '^refuses' echo "$srv"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$name" "$(field "$name" 2)" \
	    "$roster" "$srv" "-" "-" "-" >>"$rows"
done

# --- accepted keys: one init ceremony, every one of them a holder ---
C=$T_TMP/good
mkdir -p "$C/x"
args=()
for name in "${good[@]}"; do args+=(--holder "$name=$KEYS/$name.asc"); done
check "conclave init begin accepts all ${#good[@]} keys" \
    "$CONCLAVE" init begin --state "$C/state" --exchange "$C/x" -t 2 "${args[@]}" \
    --operator olga="$KEYS/operator.asc" >"$C/begin.out" 2>&1 ||
    sed 's/^/    /' "$C/begin.out"
bao_start_shamir good || { fail "the server starts"; finish; }
check "bridge init sends the roster's pgp_keys to sys/init" \
    bridge_init_start "$C" "$(bao_addr good)"
check "init accept: every share is encrypted to the subkey the roster predicted" \
    "$CONCLAVE" init accept --state "$C/state"

shares=()
for i in "${!good[@]}"; do
	name=${good[$i]} k=$((i + 1))
	kid=$(want_kid "$name")
	# What begin printed for this holder: its warnings, if any.
	# (A member's block starts at a line indented by two spaces; a
	# warning wrapped at 80 columns goes on at the same indent.)
	warn=$(awk -v n="$name" '/^  [^ ]/ {if (w) print t; on = ($1 == "share" && $3 == n); w = 0; next}
	    on && /warning:/ {if (w) print t; sub(/^ *warning: */, ""); t = $0; w = 1; next}
	    on && w && /^ +[^ ]/ {sub(/^ +/, ""); t = t " " $0; next}
	    w {print t; w = 0} END {if (w) print t}' "$C/begin.out" | cell)
	roster="accepted${warn:+; warns: $warn}"
	mkdir -p "$C/stick$k"
	pass_of "$name" >"$C/pass$k"
	"$CONCLAVE" init handout --state "$C/state" --holder "$k" --stick "$C/stick$k" \
	    --secret-key "$KEYS/$name.sec.asc" --passphrase-fd 3 3<"$C/pass$k" \
	    >"$C/handout$k.out" 2>&1
	if [ $? -eq 0 ]; then proof=passes; else proof="fails: $(cell <"$C/handout$k.out")"; fi
	check_output "$name: the decrypt proof passes" '^passes$' echo "$proof"

	got=$("$BUILD/tests/tools/pgp_tool" recipients "$C"/stick$k/*.gpg 2>&1)
	check_output "$name: the server encrypted to $kid" "^$kid\$" echo "$got"
	predicted=$(jq -r --arg n "$name" '.members[] | select(.name == $n) |
	    .encryption_key_id' "$C/state/roster.json" 2>/dev/null)
	check_output "$name: the roster predicted $kid" "^$kid\$" echo "$predicted"
	if [ "$kid" = "$(jq -r --arg n "$name" '.members[] | select(.name == $n) |
	    .fingerprint[24:]' "$C/state/roster.json")" ]; then
		sub="the primary ($(algo_of "$name" "$kid"))"
	else
		sub="$kid ($(algo_of "$name" "$kid"))"
	fi
	[ "$got" = "$predicted" ] && sub="$sub = roster's"

	s=$(gpg --homedir "$(gpg_home_with "$name" "$KEYS/$name.sec.asc")" --batch --quiet \
	    --pinentry-mode loopback --passphrase-fd 3 --decrypt 3<"$C/pass$k" \
	    "$C"/stick$k/*.gpg 2>"$C/gpg$k.err")
	if echo "$s" | grep -Eq '^[0-9a-f]{66}$'; then
		gpgres="decrypts"
		shares+=("$s")
	else
		gpgres="fails: $(cell <"$C/gpg$k.err")"
	fi
	check_output "$name: stock gpg decrypts the share file" '^decrypts$' echo "$gpgres"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$name" "$(field "$name" 2)" \
	    "$roster" "accepts, encrypts the share" "$sub" "$gpgres" "$proof" >>"$rows"
done
if [ ${#shares[@]} -ge 2 ]; then
	check "two of the decrypted shares unseal the server" \
	    bao_unseal good "${shares[0]}" "${shares[${#shares[@]} - 1]}"
else
	fail "two of the decrypted shares unseal the server (${#shares[@]} decrypted)"
fi
# The root token was never needed: give the bridge one so it exits.
bridge_init_finish "$C" "$(operator_root_token "$C")" >/dev/null 2>&1

if [ -n "${KEY_MATRIX_OUT:-}" ]; then
	cp "$rows" "$KEY_MATRIX_OUT"
else
	doc=$(awk -v s="## $server" '$0 == s {on = 1; next} /^## / {on = 0}
	    on && /^\| `/' "$TOP/docs/compatibility.md" 2>/dev/null)
	want=$("$TOP/scripts/compat-matrix" --rows <"$rows")
	check "docs/compatibility.md holds these rows for $server (else: scripts/compat-matrix)" \
	    test "$doc" = "$want"
	[ "$doc" = "$want" ] || diff <(echo "$doc") <(echo "$want") | head -20 | sed 's/^/    /'
fi
finish
