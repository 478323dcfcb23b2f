#!/usr/bin/env python3
"""Whole ceremonies on the booted image (make image-test; docs/image.md):
an init of a real OpenBao and, after the server restarts, an unseal, run on
the ISO's appliance under QEMU through its serial console.

Holders' sticks, the exchange stick and an archive stick are virtual USB
drives (vfat made by mkfs.vfat in image files, or ext4 where the host's
kernel has no vfat) plugged in and pulled out through the QEMU monitor
(device_add/device_del). The bridge runs on the host against a real OpenBao
(the pinned one, scripts/deps.env), and the only path between guest and host
is the exchange stick: the host mounts its image (a loop device) to run the
bridge on the exchange folder and unmounts it before the stick goes back in.
Holders' keys are throwaway OpenPGP keys made on the host; each holder's
stick carries their passphrase-protected key file, as docs/init.md's
handout expects, and takes their encrypted share home. At the end the
transcripts come off the archive stick (conclave archive) and are verified
on the host with conclave verify and minisign -V.

The appliance's side is typed at the console's prompt as conclave commands
(init begin/accept/handout/close, unseal begin/accept/share/submit/result,
archive): the console starts the guided UI on the one stick it mounted, for
the UI's whole run; once init respawns conclave ui --sticks auto, the same
crossings run through the UI's screens.

Prints "ok - ..." lines, the ceremony's figures, and "N passed, N failed".
Usage: ceremony_test.py [-o BUILD/image]
"""
import argparse
import base64
import concurrent.futures
import glob
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import boot_test
from boot_test import Guest, check, first_screen, kernel_args, usb_controller, PROMPT

TOP = boot_test.TOP
# The exchange folder the console mounts a stick on (image/rootfs/conclave-console).
X = "/run/conclave/exchange"
HOLDERS = ("alice", "bob")
# How long a ceremony step on the appliance may take (gpg under TCG is slow).
STEP = 120
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# The bridges started, stopped at the end whatever happened.
bridges = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deps_bao():
    """The pinned OpenBao binary (scripts/bootstrap puts it there)."""
    return subprocess.run(["bash", "-c", f". '{TOP}/scripts/deps.env' && printf %s \"$BAO\""],
                          capture_output=True, text=True, check=True).stdout


class OpenBao:
    """One OpenBao server with a Shamir seal and Raft storage, on 127.0.0.1."""

    def __init__(self, tmp):
        self.bin = deps_bao()
        self.dir = os.path.join(tmp, "bao")
        os.makedirs(os.path.join(self.dir, "data"))
        port, cport = free_port(), free_port()
        self.addr = f"http://127.0.0.1:{port}"
        with open(os.path.join(self.dir, "bao.hcl"), "w") as f:
            f.write(f'storage "raft" {{\n  path = "{self.dir}/data"\n  node_id = "n1"\n'
                    f'  performance_multiplier = 1\n}}\n'
                    f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
                    f'  cluster_address = "127.0.0.1:{cport}"\n  tls_disable = true\n}}\n'
                    f'api_addr = "{self.addr}"\ncluster_addr = "https://127.0.0.1:{cport}"\n')
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([self.bin, "server", "-config=" + os.path.join(self.dir, "bao.hcl")],
                                     cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                return self.seal_status()
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("OpenBao did not start; see " + os.path.join(self.dir, "server.log"))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def call(self, method, path, body=None, token=None):
        req = urllib.request.Request(self.addr + "/v1/" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        if token is not None:
            req.add_header("X-Vault-Token", token)
        with NO_PROXY.open(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def seal_status(self):
        return self.call("GET", "sys/seal-status")

    def unseal(self, key):
        return self.call("PUT", "sys/unseal", {"key": key})

    def wait_active(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.call("GET", "sys/leader").get("is_self"):
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False


class Person:
    """A throwaway OpenPGP key made on the host, in the person's own gpg home
    (their machine): the public key for the roster, the secret key file
    (passphrase-protected) for their stick."""

    def __init__(self, tmp, name, passphrase):
        self.name, self.passphrase = name, passphrase
        self.home = os.path.join(tmp, "gpg-" + name)
        os.mkdir(self.home, 0o700)
        self.gpg(["--quick-gen-key", f"{name} <{name}@ceremony.test>", "future-default", "default", "1y"],
                 passphrase=True)
        out = self.gpg(["--with-colons", "--list-keys"]).stdout.decode()
        self.fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
        self.pub = os.path.join(tmp, name + ".asc")
        self.sec = os.path.join(tmp, name + ".sec.asc")
        with open(self.pub, "wb") as f:
            f.write(self.gpg(["--armor", "--export", self.fpr]).stdout)
        with open(self.sec, "wb") as f:
            f.write(self.gpg(["--armor", "--export-secret-keys", self.fpr], passphrase=True).stdout)

    def gpg(self, args, data=None, passphrase=False):
        extra = ["--pinentry-mode", "loopback", "--passphrase-fd", "0"] if passphrase else []
        stdin = (self.passphrase + "\n").encode() + (data or b"") if passphrase else data
        return subprocess.run(["gpg", "--homedir", self.home, "--batch", "--quiet"] + extra + args,
                              input=stdin, capture_output=True, check=True)

    def decrypt(self, ciphertext):
        return self.gpg(["--decrypt"], ciphertext, passphrase=True).stdout

    def close(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "gpg-agent"], capture_output=True)


def host_fs():
    """The sticks' file system: vfat, as sticks come, where this host's kernel
    can mount it (the bridge's side mounts the exchange stick); else ext4,
    which the appliance mounts too (a container's kernel may have no vfat)."""
    with open("/proc/filesystems") as f:
        if "vfat" in f.read().split() or subprocess.run(["modprobe", "vfat"], capture_output=True).returncode == 0:
            return "vfat"
    return "ext4"


class Stick:
    """A USB stick's image: a real file system made by mkfs, mounted on the
    host (a loop device) to fill it, to run the bridge on it, to read it."""

    def __init__(self, path, fs, label, files=(), size=16 << 20):
        self.path, self.fs = path, fs
        self.mnt = path + ".mnt"
        os.mkdir(self.mnt)
        with open(path, "wb") as f:
            f.truncate(size)
        mkfs = ["mkfs.vfat", "-n", label.upper()] if fs == "vfat" else ["mkfs.ext4", "-q", "-L", label]
        subprocess.run(mkfs + [path], check=True, stdout=subprocess.DEVNULL)
        with self as d:
            for src, name in files:
                shutil.copy(src, os.path.join(d, name))

    def __enter__(self):
        subprocess.run(["mount", "-t", self.fs, "-o", "loop,nodev,nosuid,noexec", self.path, self.mnt], check=True)
        return self.mnt

    def __exit__(self, *exc):
        end = time.monotonic() + 10
        while subprocess.run(["umount", self.mnt], capture_output=True).returncode != 0:
            if time.monotonic() > end:  # the bridge polls the folder: retry while busy
                raise RuntimeError("cannot unmount " + self.mnt)
            time.sleep(0.1)

    def read(self, name):
        """A file's bytes, or None."""
        with self as d:
            try:
                with open(os.path.join(d, name), "rb") as f:
                    return f.read()
            except OSError:
                return None

    def raw(self):
        with open(self.path, "rb") as f:
            return f.read()


def wait_file(pattern, proc, timeout=60):
    """The file a bridge writes (a glob), or None when it exits or times out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = glob.glob(pattern)
        if found:
            return found[0]
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


class Appliance:
    """The appliance's side, typed at the console of the booted image."""

    def __init__(self, g):
        self.g = g

    def plug(self, name, image):
        """A stick in, and the console's "stick" mounts it on X (read-only)."""
        self.g.plug_stick(name, image)
        return self.g.run("stick", r"stick /dev/sd[a-z]+1? mounted read-only \((vfat|exfat|ext4)\)", 60) is not None

    def pull(self, name):
        """Unmount ("eject"), then the stick out."""
        m = self.g.run("eject", r"the stick can be removed")
        self.g.unplug_stick(name)
        return m is not None

    def conclave(self, args, writes=False, passphrase=None, timeout=STEP):
        """Runs a conclave command (through "rw" when it writes to the stick);
        types the passphrase when asked. Returns (exit status, output)."""
        self.g.send(("rw " if writes else "conclave ") + args + "\r")
        if passphrase is not None:
            if self.g.expect(r"Passphrase: ", timeout) is None:
                return None, "no passphrase prompt"
            self.g.send(passphrase + "\r")
        start = self.g.pos
        m = self.g.expect(r"\[conclave exit (\d+)\]", timeout)
        self.g.expect(re.escape(PROMPT), timeout)
        if m is None:
            return None, "no answer"
        return int(m.group(1)), self.g.buf[start:m.start()].decode(errors="replace")


def run_init(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, figures):
    """The init ceremony, 2 of 2, with an operator; returns the ceremony id,
    each holder's share as they open it at home and its file on their stick."""
    t0 = time.monotonic()
    ops = people["olga"]
    check("init: the exchange stick is mounted on the appliance", a.plug("exchange", exchange.path))
    roster = " ".join(f"--holder {n}={X}/{n}.asc" for n in HOLDERS)
    rc, out = a.conclave(f"init begin --state init --exchange {X} --threshold 2 {roster} --operator olga={X}/olga.asc",
                         writes=True)
    m = re.search(r"Ceremony ([0-9a-f]{32})", out or "")
    if not check("init: begin writes the signed request to the exchange stick", rc == 0 and m, out[-400:]):
        return None, None, None
    cid = m.group(1)
    # The ceremony key's words as the appliance's screen shows them: the
    # operator types them into the bridge, which compares them with its own.
    key_words = re.search(r"Ceremony key \S+\n\s*([^\n]+)", out).group(1).strip()
    screen = re.sub(r"\s+", "", out)
    check("init: the roster shows each member's fingerprint", all(p.fpr.lower() in screen.lower() for p in people.values()))
    check("init: the exchange stick comes out", a.pull("exchange"))

    # The operator's workstation: the bridge initialises the server and waits
    # for the root token, which the operator gives back once the server is
    # unsealed. The stick leaves it meanwhile.
    token_r, token_w = os.pipe()
    out_path = os.path.join(tmp, "bridge-init.out")
    with exchange as mnt:
        br = subprocess.Popen([bridge, "init", "--exchange", mnt, "--address", bao.addr, "--root-token-fd", str(token_r),
                               "--key-words", key_words],
                              pass_fds=(token_r,), stdout=open(out_path, "wb"), stderr=subprocess.STDOUT)
        bridges.append(br)
        os.close(token_r)
        res = wait_file(os.path.join(mnt, cid, "000002-init-result.env"), br)
    bridge_out = open(out_path).read()
    if not check("init: the bridge initialises the server and writes the init result", res is not None, bridge_out[-400:]):
        br.kill()
        return cid, None, None
    check("init: the server says it is initialised", bao.seal_status().get("initialized") is True)

    check("init: the exchange stick goes back in", a.plug("exchange", exchange.path))
    rc, out = a.conclave(f"init accept --state init --exchange {X}")
    check("init: accept checks the result (every share to its holder)", rc == 0, out[-400:])
    check("init: the exchange stick comes out again", a.pull("exchange"))

    share_files = {}
    for k, name in enumerate(HOLDERS, 1):
        p = people[name]
        check(f"init: {name}'s stick is mounted", a.plug(name, holder_sticks[name].path))
        rc, out = a.conclave(f"init handout --state init --holder {k} --stick {X} --secret-key {X}/{name}.sec.asc",
                             writes=True, passphrase=p.passphrase)
        m = re.search(r"written to \S+/(conclave-[0-9a-f]+-share-%d\.gpg) and proven" % k, out or "")
        check(f"init: {name}'s key file decrypts the share on the appliance; it is written to her stick",
              rc == 0 and m, (out or "")[-400:])
        share_files[name] = m.group(1) if m else "none"
        check(f"init: {name}'s stick comes out", a.pull(name))
    t_appliance = time.monotonic() - t0

    # Each holder at home: stock gpg opens the share on their stick.
    shares = {}
    for k, name in enumerate(HOLDERS, 1):
        enc = holder_sticks[name].read(share_files[name])
        share = people[name].decrypt(enc).decode().strip() if enc else ""
        check(f"init: {name} opens her share with stock gpg at home", re.fullmatch(r"[0-9a-f]{66}", share) is not None)
        shares[name] = share
    if not all(shares.values()):
        br.kill()
        return cid, None, None
    # The operator unseals the fresh server with the holders and gives the
    # root token back to be revoked; the bridge writes the proof.
    st = {}
    for s in shares.values():
        if s:
            st = bao.unseal(s)
    check("init: the holders' shares unseal the server", st.get("sealed") is False and bao.wait_active())
    m = re.search(r"encrypted to the operator's key:\n\s*(\S+)", bridge_out)
    token = ops.decrypt(base64.b64decode(m.group(1))).decode().strip() if m else ""
    with exchange as mnt:
        os.write(token_w, token.encode() + b"\n")
        os.close(token_w)
        rc = br.wait(60)
        proof = os.path.exists(os.path.join(mnt, cid, "000003-closing-result.env"))
    check("init: the bridge revokes the root token and writes the proof", rc == 0 and proof,
          open(out_path).read()[-400:])
    try:
        bao.call("GET", "auth/token/lookup-self", token=token)
        revoked = False
    except urllib.error.HTTPError as e:
        revoked = e.code == 403
    check("init: the root token is refused by the server", revoked)

    t1 = time.monotonic()
    check("init: the exchange stick goes back for the close", a.plug("exchange", exchange.path))
    rc, out = a.conclave(f"init close --state init --exchange {X}")
    check("init: close reads the proof, closes and signs the transcript", rc == 0, (out or "")[-400:])
    ok, what = archive(a, "init", archive_stick)
    check("init: conclave archive copies the transcript onto the archive stick and verifies it there", ok, what)
    check("init: the exchange stick goes back in", a.plug("exchange", exchange.path))
    figures["init"] = t_appliance + time.monotonic() - t1
    figures["init-wall"] = time.monotonic() - t0
    return cid, shares, share_files


def archive(a, state, stick):
    """The exchange stick out, the archive stick in: conclave archive copies
    the closed ceremony's transcript onto it and verifies the copy there."""
    ok = a.pull("exchange") and a.plug("archive", stick.path)
    rc, out = a.conclave(f"archive --state {state} --to {X}", writes=True)
    ok = ok and rc == 0 and re.search(r"archived: \S+ \(\d+ files\)", out or "") is not None
    return a.pull("archive") and ok, (out or "")[-300:]


def run_unseal(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, share_files, figures):
    """The unseal ceremony after the server's restart, chained to the init
    and taking each share from the holder it was handed to."""
    t0 = time.monotonic()
    rc, out = a.conclave(f"unseal begin --state unseal --exchange {X} --previous-transcript init/transcript.jsonl"
                         f" --handout-transcript init/transcript.jsonl", writes=True)
    if not check("unseal: begin writes the signed request to the exchange stick", rc == 0, (out or "")[-400:]):
        return
    check("unseal: the exchange stick comes out", a.pull("exchange"))
    out_path = os.path.join(tmp, "bridge-unseal.out")
    with exchange as mnt:
        br = subprocess.Popen([bridge, "unseal", "--exchange", mnt, "--address", bao.addr],
                              stdout=open(out_path, "wb"), stderr=subprocess.STDOUT)
        bridges.append(br)
        offer = wait_file(os.path.join(mnt, "*", "000002-session-offer.env"), br)
    bridge_out = open(out_path).read()
    if not check("unseal: the bridge writes its session offer", offer is not None, bridge_out[-400:]):
        br.kill()
        return
    uid = os.path.basename(os.path.dirname(offer))
    sas = re.search(r"Short authentication string[^\n]*\n\s*([^\n]+)", bridge_out).group(1).strip()

    check("unseal: the exchange stick goes back in", a.plug("exchange", exchange.path))
    rc, out = a.conclave("unseal accept --state unseal")
    check("unseal: the appliance shows the bridge's short authentication string",
          rc == 1 and " ".join(sas.split()) in " ".join(out.split()), out[-300:])
    # The console has no quoting: the words go as one argument, joined by "-".
    rc, out = a.conclave(f'unseal accept --state unseal --witness walt --confirm-sas {"-".join(sas.split())}')
    check("unseal: the witness confirms it", rc == 0, out[-300:])
    check("unseal: the exchange stick comes out", a.pull("exchange"))
    for k, name in enumerate(HOLDERS, 1):
        p = people[name]
        check(f"unseal: {name}'s stick is mounted", a.plug(name, holder_sticks[name].path))
        rc, out = a.conclave(f"unseal share --state unseal --holder {name} --share-file {X}/{share_files[name]}"
                             f" --secret-key {X}/{name}.sec.asc", passphrase=p.passphrase)
        check(f"unseal: {name}'s share is opened on the appliance and sealed to the bridge session",
              rc == 0, (out or "")[-400:])
        check(f"unseal: {name}'s stick comes out", a.pull(name))
    check("unseal: the exchange stick goes back in", a.plug("exchange", exchange.path))
    rc, out = a.conclave("unseal submit --state unseal", writes=True)
    check("unseal: submit writes the sealed shares to the exchange stick", rc == 0, (out or "")[-300:])
    check("unseal: the exchange stick comes out", a.pull("exchange"))
    t_appliance = time.monotonic() - t0
    with exchange as mnt:
        res = wait_file(os.path.join(mnt, uid, "000004-submission-result.env"), br)
    check("unseal: the bridge submits the shares and writes the result", res is not None,
          open(out_path).read()[-400:])
    check("unseal: the server says it is unsealed", bao.seal_status().get("sealed") is False)

    t1 = time.monotonic()
    check("unseal: the exchange stick goes back for the result", a.plug("exchange", exchange.path))
    rc, out = a.conclave("unseal result --state unseal")
    check("unseal: result closes and signs the transcript", rc == 0, (out or "")[-300:])
    try:
        rc = br.wait(60)
    except subprocess.TimeoutExpired:
        br.kill()
        rc = None
    check("unseal: the bridge is done (exit 0)", rc == 0, open(out_path).read()[-300:])
    ok, what = archive(a, "unseal", archive_stick)
    check("unseal: conclave archive copies the transcript onto the archive stick and verifies it there", ok, what)
    figures["unseal"] = t_appliance + time.monotonic() - t1
    figures["unseal-wall"] = time.monotonic() - t0
    return uid


def test_ceremony(out, tmp):
    build = os.path.dirname(out)
    conclave, bridge = os.path.join(build, "conclave"), os.path.join(build, "conclave-bridge")
    for f in (conclave, bridge):
        if not os.access(f, os.X_OK):
            sys.exit(f"ceremony_test: {f} missing (make)")
    figures = {}
    t0 = time.monotonic()
    # Made side by side: each key is a gpg and a gpg-agent of its own.
    with concurrent.futures.ThreadPoolExecutor() as pool:
        people = dict(zip(HOLDERS + ("olga",), pool.map(lambda n: Person(tmp, n, secrets.token_urlsafe(12)),
                                                        HOLDERS + ("olga",))))
    print(f"# ceremony: 3 throwaway OpenPGP keys in {time.monotonic() - t0:.1f} s", flush=True)
    fs = host_fs()
    if fs != "vfat":
        print("# this kernel has no vfat: the sticks are ext4", flush=True)
    exchange = Stick(os.path.join(tmp, "exchange.img"), fs, "exchange",
                     [(p.pub, n + ".asc") for n, p in people.items()])
    archive_stick = Stick(os.path.join(tmp, "archive.img"), fs, "archive")
    holder_sticks = {n: Stick(os.path.join(tmp, n + ".img"), fs, n, [(people[n].sec, n + ".sec.asc")])
                     for n in HOLDERS}
    bao = OpenBao(tmp)
    bao.start()
    g = Guest(["-nic", "none"] + kernel_args(out) + usb_controller(), os.path.join(out, "test-ceremony.log"), tmp)
    a = Appliance(g)
    shares = None
    try:
        if first_screen(g, "ceremony") is not None:
            try:
                init_id, shares, share_files = run_init(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, figures)
                if shares:
                    bao.stop()
                    bao.start()
                    check("restart: the server is sealed again", bao.seal_status().get("sealed") is True)
                    run_unseal(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, share_files, figures)
            except Exception:  # a step that broke is a failure, the rest still runs
                boot_test.fail("ceremony: a step raised", traceback.format_exc()[-800:])
        check("ceremony: poweroff ends QEMU", g.stop())
    finally:
        if g.proc.poll() is None:
            g.proc.kill()
        for br in bridges:
            if br.poll() is None:
                br.kill()
                br.wait()
        bao.stop()
        for p in people.values():
            p.close()

    # The archive stick: each ceremony's transcript, signature and key in
    # conclave-archive/<ceremony id>/, copied off and verified here.
    with archive_stick as d:
        folders = sorted(glob.glob(os.path.join(d, "conclave-archive", "*")), key=os.path.getmtime)
        copied = []
        for f in folders:
            copied.append(os.path.join(tmp, "archive", os.path.basename(f)))
            shutil.copytree(f, copied[-1])
    check("archive: two ceremonies' folders on the archive stick", len(copied) == 2, " ".join(copied))
    for name, d in zip(("init", "unseal"), copied):
        if not check(f"archive: the {name} transcript, its signature and key are on the archive stick",
                     all(os.path.exists(os.path.join(d, f))
                         for f in ("transcript.jsonl", "transcript.jsonl.minisig", "transcript.jsonl.pub"))):
            continue
        t = os.path.join(d, "transcript.jsonl")
        v = subprocess.run([conclave, "verify", t], capture_output=True, text=True)
        check(f"archive: conclave verify accepts the {name} transcript", v.returncode == 0 and v.stdout.startswith("OK"),
              (v.stdout + v.stderr)[-300:])
        if name == "init":
            check("archive: the init transcript says 2 of 2 proven and the root token revoked",
                  "2 of 2 shares handed out with a decrypt proof, threshold 2, initial root token revoked" in v.stdout,
                  v.stdout[-300:])
        m = subprocess.run(["minisign", "-Vm", t, "-p", t + ".pub", "-q"], capture_output=True)
        check(f"archive: stock minisign verifies the {name} transcript", m.returncode == 0)
    if shares:
        log = open(os.path.join(out, "test-ceremony.log"), "rb").read()
        for what, stick in (("exchange", exchange), ("archive", archive_stick)):
            img = stick.raw()
            check(f"secrets: no share is on the {what} stick in plaintext",
                  not any(s.encode() in img for s in shares.values()))
        check("secrets: no share and no passphrase on the serial console",
              not any(s.encode() in log for s in list(shares.values()) + [p.passphrase for p in people.values()]))
        for n in HOLDERS:
            raw = holder_sticks[n].raw()
            check(f"secrets: {n}'s stick holds her share encrypted only", shares[n].encode() not in raw)
    parts = "; ".join(f"{k} {figures[k + '-wall']:.0f} s wall, of which the appliance's steps {figures[k]:.0f} s"
                      for k in ("init", "unseal") if k in figures)
    print(f"# ceremony: {parts}; the whole test {time.monotonic() - t0:.0f} s,"
          f" load average {os.getloadavg()[0]:.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", default=os.path.join(TOP, "build", "image"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        test_ceremony(a.out, tmp)
    print(f"{boot_test.passed} passed, {boot_test.failed} failed")
    sys.exit(0 if boot_test.failed == 0 and boot_test.passed > 0 else 1)


if __name__ == "__main__":
    main()
