#!/usr/bin/env bash
# Generates the throwaway OpenPGP test keys under tests/vectors/keys/ with
# real gpg in a temporary GNUPGHOME. The output is committed so that tests
# do not spend minutes generating RSA-4096 keys; rerun only to change the
# set. Every secret key is protected with the passphrase in passphrase.txt,
# given to gpg on a file descriptor (never argv).
#
# Keys whose validity depends on time are created at fixed dates in the
# past with --faked-system-time, so they are expired (or not) the same way
# on every run of the tests, whenever that is.
#
# --matrix makes only the key-type matrix's keys (tests/integration/
# key_matrix.sh, docs/compatibility.md) and replaces their lines in
# fingerprints.txt, leaving every other key (and the UI fixtures that show
# their fingerprints) as it was.
#
# Usage: tests/vectors/keys/make-keys.sh [--matrix] [outdir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
set_=base
if [ "${1:-}" = --matrix ]; then set_=matrix; shift; fi
out=${1:-$here}
pass="$here/passphrase.txt"
GNUPGHOME=$(mktemp -d "${TMPDIR:-/tmp}/conclave-mkkeys.XXXXXX")
export GNUPGHOME
chmod 700 "$GNUPGHOME"
echo allow-loopback-pinentry >"$GNUPGHOME/gpg-agent.conf"
trap 'gpgconf --homedir "$GNUPGHOME" --kill all; rm -rf "$GNUPGHOME"' EXIT

G=(gpg --batch --quiet --no-tty --pinentry-mode loopback)

# g [faked-time] ARGS...: gpg with the passphrase on fd 3.
g() {
	local t=()
	case "$1" in
	@*) t=(--faked-system-time "${1#@}!"); shift ;;
	esac
	"${G[@]}" "${t[@]}" --passphrase-fd 3 "$@" 3<"$pass"
}

fpr_of() {	# uid -> primary fingerprint
	gpg --batch --with-colons --list-keys "=$1" | awk -F: '$1=="fpr"{print $10; exit}'
}

# newkey NAME UID PRIMARY-ALGO PRIMARY-USAGE [SUBKEY-ALGO [EXPIRY [TIME]]]
newkey() {
	local name=$1 uid=$2 palgo=$3 pusage=$4 salgo=${5:-} sexp=${6:-0} t=${7:-} fpr
	g ${t:+@$t} --quick-gen-key "$uid" "$palgo" "$pusage" 0
	fpr=$(fpr_of "$uid")
	if [ -n "$salgo" ]; then
		g ${t:+@$t} --quick-add-key "$fpr" "$salgo" encr "$sexp"
	fi
	eval "FPR_$name=$fpr"
}

save() {	# NAME: writes NAME.asc (public) and NAME.sec.asc (secret)
	local fpr
	eval "fpr=\$FPR_$1"
	gpg --batch --armor --export "$fpr" >"$out/$1.asc"
	g --armor --export-secret-keys "$fpr" >"$out/$1.sec.asc"
	echo "$1 $fpr"
}

base_set() {
	# Holders: a mix of what key holders carry.
	newkey holder1 "Holder One <holder1@conclave.test>" rsa3072 sign rsa3072
	newkey holder2 "Holder Two <holder2@conclave.test>" rsa4096 sign rsa4096
	newkey holder3 "Holder Three <holder3@conclave.test>" ed25519 sign cv25519
	newkey holder4 "Holder Four <holder4@conclave.test>" rsa3072 sign rsa3072
	newkey holder5 "Holder Five <holder5@conclave.test>" ed25519 sign cv25519
	newkey holder6 "Holder Six <holder6@conclave.test>" rsa3072 sign rsa3072
	newkey holder7 "Holder Seven <holder7@conclave.test>" ed25519 sign cv25519
	newkey operator "Operator <operator@conclave.test>" ed25519 sign cv25519
	newkey witness "Witness <witness@conclave.test>" rsa3072 sign rsa3072

	# Three encryption subkeys: the oldest valid, a newer valid one, and the
	# newest already expired. OpenBao (go-crypto) and gpg encrypt to the middle.
	newkey multisub "Multi Subkey <multisub@conclave.test>" ed25519 sign cv25519 0 20210101T000000
	g @20220101T000000 --quick-add-key "$FPR_multisub" cv25519 encr 0
	g @20230101T000000 --quick-add-key "$FPR_multisub" cv25519 encr 1d

	# The older of two encryption subkeys had its expiry extended in 2023, so
	# its binding signature is the newest: OpenBao (go-crypto ranks by binding
	# time) encrypts to it, while gpg (ranking by key creation) picks the other.
	newkey rebound "Rebound Subkey <rebound@conclave.test>" ed25519 sign cv25519 0 20210101T000000
	g @20220101T000000 --quick-add-key "$FPR_rebound" cv25519 encr 0
	old=$(gpg --batch --with-colons --list-keys "$FPR_rebound" | awk -F: '$1=="fpr"{n++; if (n==2) print $10}')
	g @20230101T000000 --quick-set-expire "$FPR_rebound" 20y "$old"

	# Bad keys.
	# Sign-only: no encryption subkey at all.
	newkey signonly "Sign Only <signonly@conclave.test>" ed25519 sign
	# The only encryption subkey expired on 2020-01-02.
	newkey expiredsub "Expired Subkey <expiredsub@conclave.test>" ed25519 sign cv25519 1d 20200101T000000
	# The whole key (primary) expired on 2020-01-02.
	g @20200101T000000 --quick-gen-key "Expired Key <expired@conclave.test>" ed25519 sign 1d
	FPR_expired=$(fpr_of "Expired Key <expired@conclave.test>")
	g @20200101T000000 --quick-add-key "$FPR_expired" cv25519 encr 1d
	# The whole key revoked (its own revocation certificate imported).
	newkey revoked "Revoked Key <revoked@conclave.test>" ed25519 sign cv25519
	sed 's/^:-----/-----/' "$GNUPGHOME/openpgp-revocs.d/$FPR_revoked.rev" | gpg --batch --quiet --import
	# The only encryption subkey revoked.
	newkey revokedsub "Revoked Subkey <revokedsub@conclave.test>" ed25519 sign cv25519
	printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' |
		"${G[@]}" --passphrase-fd 3 --command-fd 0 --edit-key "$FPR_revokedsub" 3<"$pass"
	# A certify-only primary: fine for a holder (go-crypto only needs a
	# signing-capable algorithm), but it cannot sign a transcript as a witness.
	newkey certonly "Certify Only <certonly@conclave.test>" ed25519 cert cv25519
	# DSA primary with an ElGamal subkey: accepted with a warning.
	newkey dsaelg "DSA ElGamal <dsaelg@conclave.test>" dsa2048 sign elg2048
}

# The key-type matrix (docs/compatibility.md). Every curve gpg 2.2 offers
# for both signing and ECDH, RSA-2048, and the subkey layouts whose choice
# of encryption key is worth proving against real servers.
MATRIX_KEYS="rsa2048 nistp256 nistp384 nistp521 brainpoolp256 brainpoolp384
    brainpoolp512 secp256k1 twinsub mixedsub rsaprimary nopass"
matrix_set() {
	newkey rsa2048 "RSA 2048 <rsa2048@conclave.test>" rsa2048 sign rsa2048
	newkey nistp256 "NIST P-256 <nistp256@conclave.test>" nistp256 sign nistp256
	newkey nistp384 "NIST P-384 <nistp384@conclave.test>" nistp384 sign nistp384
	newkey nistp521 "NIST P-521 <nistp521@conclave.test>" nistp521 sign nistp521
	newkey brainpoolp256 "Brainpool 256 <bp256@conclave.test>" brainpoolP256r1 sign brainpoolP256r1
	newkey brainpoolp384 "Brainpool 384 <bp384@conclave.test>" brainpoolP384r1 sign brainpoolP384r1
	newkey brainpoolp512 "Brainpool 512 <bp512@conclave.test>" brainpoolP512r1 sign brainpoolP512r1
	newkey secp256k1 "secp256k1 <secp256k1@conclave.test>" secp256k1 sign secp256k1
	# Two encryption subkeys bound in the same second (the clock frozen):
	# go-crypto keeps the first, as it replaces a candidate only when a
	# binding is strictly newer.
	newkey twinsub "Twin Subkeys <twinsub@conclave.test>" ed25519 sign cv25519 0 20230101T000000
	g @20230101T000000 --quick-add-key "$FPR_twinsub" cv25519 encr 0
	# A valid 2021 encryption subkey, a newer one revoked (2022) and the
	# newest expired (2023): only the 2021 one may be used.
	newkey mixedsub "Mixed Subkeys <mixedsub@conclave.test>" ed25519 sign cv25519 0 20210101T000000
	g @20220101T000000 --quick-add-key "$FPR_mixedsub" cv25519 encr 0
	printf 'key 2\nrevkey\ny\n0\n\ny\nsave\n' |
		"${G[@]}" --faked-system-time '20220601T000000!' --passphrase-fd 3 \
		--command-fd 0 --edit-key "$FPR_mixedsub" 3<"$pass"
	g @20230101T000000 --quick-add-key "$FPR_mixedsub" cv25519 encr 1d
	# One RSA primary that signs and encrypts, no subkey: used itself.
	newkey rsaprimary "RSA Primary <rsaprimary@conclave.test>" rsa3072 sign,encr
	# No passphrase on the secret key (a holder's choice we do not make).
	"${G[@]}" --passphrase '' --quick-gen-key "No Passphrase <nopass@conclave.test>" ed25519 sign 0
	FPR_nopass=$(fpr_of "No Passphrase <nopass@conclave.test>")
	"${G[@]}" --passphrase '' --quick-add-key "$FPR_nopass" cv25519 encr 0
}

if [ "$set_" = matrix ]; then
	matrix_set
	for k in $MATRIX_KEYS; do save "$k"; done >"$GNUPGHOME/matrix.txt"
	# Replace the matrix keys' lines, keep everyone else's.
	{ grep -v -E "^($(echo $MATRIX_KEYS | tr ' ' '|')) " "$out/fingerprints.txt" || true
	  cat "$GNUPGHOME/matrix.txt"; } >"$GNUPGHOME/fpr.txt"
	cp "$GNUPGHOME/fpr.txt" "$out/fingerprints.txt"
	exit 0
fi

base_set
for k in holder1 holder2 holder3 holder4 holder5 holder6 holder7 operator witness \
    multisub rebound signonly expiredsub expired revoked revokedsub certonly dsaelg; do
	save "$k"
done >"$out/fingerprints.txt"
