#!/usr/bin/env bash
# Both programs answer --version and --help, the appliance links no
# network library (DESIGN §2: the appliance never talks to a network), and
# the bridge links the protocol and its server client, never the engine
# (DESIGN §2, "protocol versus engine").
. "$(dirname "$0")/../lib.sh"

ver=$(cat "$TOP/VERSION")
check_output "conclave --version" "^conclave $ver\$" "$CONCLAVE" --version
check_output "conclave-bridge --version" "^conclave-bridge $ver\$" "$BRIDGE" --version
check_output "conclave --help lists commands" "usage: conclave" "$CONCLAVE" --help
check_output "conclave-bridge --help" "usage: conclave-bridge" "$BRIDGE" --help
check_fails "unknown command exits non-zero" "$CONCLAVE" no-such-command

appliance_libs=$(ldd "$CONCLAVE")
if echo "$appliance_libs" | grep -Eq 'libcurl|libssl|libnghttp|libssh'; then
	fail "appliance links a network library: $(echo "$appliance_libs" | grep -E 'libcurl|libssl|libnghttp|libssh')"
else
	ok "appliance links no network library"
fi
if nm -D --undefined-only "$CONCLAVE" | grep -Eq '\b(curl_|socket|connect)\b'; then
	fail "appliance imports network symbols"
else
	ok "appliance imports no curl/socket/connect symbol"
fi
# The same two probes must fire on the bridge, which does link libcurl:
# otherwise the appliance checks above could never fail.
check_output "bridge links libcurl (the library probe can fire)" 'libcurl' ldd "$BRIDGE"
check_output "bridge imports curl_ symbols (the symbol probe can fire)" '\bcurl_' \
    nm -D --undefined-only "$BRIDGE"

# The bridge holds no engine: no Shamir, handout, decryption, stick or
# transcript-writing code, and no gpgme. The same probes run on the
# appliance, which has all of them, so each can fire.
engine_syms='\b(shamir_[a-z_]+|init_handout|quorum_add_share|pgp_decrypt[a-z_]*|stick_[a-z_]+|transcript_append|session_create|gpgme_[a-z_]+)\b'
bridge_syms=$(nm "$BRIDGE" 2>&1)
if echo "$bridge_syms" | grep -Eq "$engine_syms"; then
	fail "bridge links engine code: $(echo "$bridge_syms" | grep -Eo "$engine_syms" | sort -u | tr '\n' ' ')"
else
	ok "bridge links no engine symbol (shamir, handout, decrypt, stick, transcript, gpgme)"
fi
if ldd "$BRIDGE" | grep -q libgpgme; then
	fail "bridge links libgpgme"
else
	ok "bridge links no libgpgme"
fi
for s in shamir_share_from_hex init_handout quorum_add_share pgp_decrypt transcript_append gpgme_op_decrypt; do
	check_output "appliance has $s (the engine probe can fire)" "\b$s\b" nm "$CONCLAVE"
done
check_output "appliance links libgpgme (the library probe can fire)" libgpgme ldd "$CONCLAVE"
# Neither program decodes a PNG with libpng (media/png.c on zlib does it;
# the appliance in its parser child): no libpng among the libraries either
# one asks for, and no png_ symbol imported. cairo (paper/) loads libpng
# for its own PNG surfaces, so ldd would show it; NEEDED and the imports
# are what our code calls. The probes fire on a program that does use it.
for b in "$CONCLAVE" "$BRIDGE"; do
	n=$(basename "$b")
	if readelf -d "$b" | grep NEEDED | grep -q libpng; then
		fail "$n asks for libpng"
	else
		ok "$n asks for no libpng (NEEDED)"
	fi
	if nm -D --undefined-only "$b" | grep -Eq '\bpng_[a-z_]+'; then
		fail "$n imports png_ symbols"
	else
		ok "$n imports no png_ symbol"
	fi
done
probe=$(command -v qrencode)
check_output "the NEEDED probe can fire (qrencode(1) asks for libpng)" libpng \
    sh -c "readelf -d '$probe' | grep NEEDED"
check_output "the import probe can fire (qrencode(1) imports png_)" '\bpng_[a-z_]+' \
    nm -D --undefined-only "$probe"
# Code only the tests call is not in either program (--gc-sections).
if nm "$CONCLAVE" "$BRIDGE" | grep -q '\bshamir_combine\b'; then
	fail "shamir_combine (tests only) is linked into a program"
else
	ok "shamir_combine (tests only) is in neither program"
fi

# Hardening: full RELRO, PIE, non-executable stack.
for b in "$CONCLAVE" "$BRIDGE"; do
	n=$(basename "$b")
	check "$n is PIE" sh -c "readelf -h '$b' | grep -q 'DYN'"
	check "$n has full RELRO" sh -c "readelf -d '$b' | grep -q BIND_NOW && readelf -l '$b' | grep -q GNU_RELRO"
	check "$n has a non-executable stack" sh -c "readelf -lW '$b' | grep GNU_STACK | grep -qv RWE"
done
# make install honours PREFIX and DESTDIR (into a scratch root, no build).
dest=$T_TMP/root
check "make install PREFIX=/usr DESTDIR=..." \
    make -s -C "$TOP" BUILD="$BUILD" PREFIX=/usr DESTDIR="$dest" install
for f in usr/bin/conclave usr/bin/conclave-bridge; do
	check "installed $f (executable)" test -x "$dest/$f"
done
for f in usr/share/man/man1/conclave.1 usr/share/man/man1/conclave-bridge.1; do
	check "installed $f" test -s "$dest/$f"
done
check_output "the installed appliance runs" "^conclave " "$dest/usr/bin/conclave" --version
finish
