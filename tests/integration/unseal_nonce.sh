#!/usr/bin/env bash
# The bridge notices an unseal attempt changing under it (issue 13): when,
# between two of the ceremony's shares, a node's unseal nonce changes or its
# progress counts shares that are not the ceremony's (someone reset the
# attempt, or submitted their own), the node is reported CK_ERR_WRONG_NONCE
# and sent nothing more. A real server cannot be raced on cue, so a scripted
# one stands in (its seal-status and sys/unseal answers only, OpenBao's
# shape); the control is the same script answering honestly.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ceremony.sh"

# fake_node MODE DIR: serves on 127.0.0.1; DIR/addr gets its address, DIR/keys
# counts the shares it received. MODE honest: unsealed by the third share;
# reset: after the second share, the attempt is another (new nonce, progress 1).
fake_node() {
	python3 - "$@" <<'PY' &
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
mode, d = sys.argv[1], sys.argv[2]
st = {"progress": 0, "nonce": "", "sealed": True, "keys": 0}
def status():
    return {"type": "shamir", "initialized": True, "sealed": st["sealed"],
            "t": 3, "n": 5, "progress": st["progress"], "nonce": st["nonce"],
            "version": "2.6.2", "build_date": "2025-01-01T00:00:00Z",
            "migration": False, "recovery_seal": False, "storage_type": "file"}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.answer(status())
    def do_PUT(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if req.get("reset"):
            st.update(progress=0, nonce="")
        elif "key" in req:
            st["keys"] += 1
            open(d + "/keys", "w").write(str(st["keys"]))
            if st["progress"] == 0:
                st["nonce"] = "11111111-1111-1111-1111-111111111111"
            st["progress"] += 1
            if mode == "reset" and st["progress"] == 2:
                st.update(progress=1, nonce="22222222-2222-2222-2222-222222222222")
            if st["progress"] == 3:
                st.update(progress=0, nonce="", sealed=False)
        self.answer(status())
    do_POST = do_PUT
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(d + "/addr", "w").write("http://127.0.0.1:%d" % srv.server_address[1])
srv.serve_forever()
PY
	on_exit "kill $! 2>/dev/null"
	wait_for test -s "$2/addr"
}

# Holders' sticks with made-up shares (the scripted node takes any).
for k in 1 2 3; do
	mkdir -p "$T_TMP/stick$k"
	encrypt_share "$k" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')$(printf %02x "$k")" \
	    >"$T_TMP/stick$k/share.gpg"
done

# ceremony MODE: one unseal ceremony against a scripted node; C its folder.
ceremony() {
	C=$T_TMP/$1
	mkdir -p "$C/x"
	fake_node "$1" "$C"
	"$CONCLAVE" unseal begin --state "$C/state" --exchange "$C/x" >/dev/null &&
	quorum_bridge_start "$C" unseal --exchange "$C/x" --address "$(cat "$C/addr")" \
	    --wait 60 &&
	"$CONCLAVE" unseal accept --state "$C/state" --witness walt \
	    --confirm-sas "$(bridge_sas "$C")" >/dev/null &&
	quorum_share unseal "$C" alice 1 >/dev/null &&
	quorum_share unseal "$C" bob 2 >/dev/null &&
	quorum_share unseal "$C" carol 3 >/dev/null &&
	"$CONCLAVE" unseal submit --state "$C/state" >/dev/null &&
	wait_envelope "$C" 4 submission-result
}

check "control: an honest node, the whole ceremony" ceremony honest
check_output "control: the node is unsealed by the three shares" 'Ceremony closed' \
    "$CONCLAVE" unseal result --state "$C/state"
check_output "control: it received three shares" '^3$' cat "$C/keys"

check "a node whose attempt changes after the second share" ceremony reset
check_output "the bridge reports it: CK_ERR_WRONG_NONCE, named" \
    "CK_ERR_WRONG_NONCE: the node's unseal attempt changed under the bridge" \
    "$CONCLAVE" unseal result --state "$C/state"
check_output "... and sent it nothing more (two shares, not three)" '^2$' cat "$C/keys"
check_output "... which the transcript records" 'CK_ERR_WRONG_NONCE' cat "$C/state/transcript.jsonl"
finish
