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

The appliance's side is the guided UI that init starts on the serial
console (conclave ui --sticks auto), driven by the keys a room presses and
read whole through a VT100 emulator (pyte): the roster from the exchange
stick, the threshold, each member's fingerprint, the ceremony key's words
the operator types into the bridge, the handouts to the holders' sticks
plugged in one at a time, the root token's revocation, the witness's
review and the archive stick. The unseal runs on a fresh boot (the
appliance's state is in RAM, the unseal is another day): the bridge's
short authentication string typed in by the witness, each holder's turn
with her stick, the submit, the review and the archive stick.

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
import urllib.error
import urllib.request

import boot_test
from boot_test import Guest, Screen, check, first_screen, kernel_args, usb_controller

TOP = boot_test.TOP
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
    """The appliance's side: the guided UI (conclave ui --sticks auto, started
    by init on the serial console), driven by the keys a room presses; its
    screens are read whole through a terminal emulator. Sticks go in and out
    through the QEMU monitor; the UI mounts and unmounts them itself."""

    def __init__(self, g):
        self.g = g

    @property
    def last(self):
        """The screen as last looked at."""
        return self.g.shown

    def wait(self, pattern, timeout=STEP):
        """The match of pattern (a regex) on the screen, waiting for it;
        None on timeout (the screen is kept for the failure's detail)."""
        return self.g.screen_wait(pattern, timeout)

    def at(self, pattern, keys, timeout=STEP):
        """Waits for pattern, then presses keys; True if it showed."""
        if self.wait(pattern, timeout) is None:
            return False
        self.g.send(keys)
        return True

    def type(self, text):
        self.g.send(text.encode())

    def plug(self, name, image):
        self.g.plug_stick(name, image)

    def pull(self, name):
        self.g.unplug_stick(name)

    def holder_turn(self, what, name, image, passphrase, done, done_pattern):
        """A holder's turn once the screen asks for her stick: it goes in, she
        types her passphrase (no echo), the step is done, and the stick comes
        out once the screen says it is unmounted; Enter for the next."""
        self.plug(name, image)
        if self.step(f"{what}: {name}'s stick is mounted, her key file found", r"passphrase of your key file", None,
                     60):
            self.type(passphrase + "\r")
        self.step(f"{what}: {name}: {done}", done_pattern)
        self.step(f"{what}: {name}'s stick is unmounted before she takes it", r"unmounted: remove it now")
        self.pull(name)
        self.g.send(b"\r")

    def step(self, what, pattern, keys=None, timeout=STEP):
        """A checked step: pattern shows (then keys are pressed)."""
        ok = self.wait(pattern, timeout) is not None
        check(what, ok, "waiting for '%s'; the screen:\n%s" % (pattern, self.last))
        if ok and keys is not None:
            self.g.send(keys)
        return ok


def run_init(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, figures):
    """The init ceremony, 2 of 2, with an operator and a witness, through
    the UI's screens; returns the ceremony id, each holder's share as they
    open it at home and its file on their stick."""
    t0 = time.monotonic()
    ops = people["olga"]
    a.plug("exchange", exchange.path)
    if not a.step("init: the UI mounts the exchange stick read-write by itself",
                  r"Exchange stick in, mounted read-write", b"\r", 60):
        return None, None, None
    a.step("init: the roster is read from the stick's key files",
           r"2 holders, 1 operator, 1 witnesses", b"\r")
    a.step("init: the threshold screen", r"How many of them are needed", b"\r")
    for k in range(1, 5):
        if a.wait(r"Key %d of 4" % k) is None:
            break
        screen = re.sub(r"\s+", "", a.last).lower()
        who = next((n for n, p in people.items() if p.fpr.lower() in screen), None)
        check(f"init: fingerprint {k} of 4 on the screen is a roster member's key ({who})", who is not None,
              a.last)
        a.g.send(b"y")
    a.step("init: the room begins", r"Begin the init ceremony\? Type y to begin\.", b"y")
    m = a.wait(r"Ceremony\s+([0-9a-f]{32})\n\s*Ceremony key\s+\S+\n\s*([a-zA-Z ]+?)\n")
    if not check("init: the ceremony key's words are on the screen", m is not None, a.last):
        return None, None, None
    cid, key_words = m.group(1), " ".join(m.group(2).split())
    a.g.send(b"\r")  # wait for the bridge's answer
    a.step("init: the request is written and the exchange stick unmounted before it goes to the bridge",
           r"The exchange stick is unmounted: remove it now and take it to the bridge", None, 60)
    a.pull("exchange")
    a.step("init: the stick taken out is noticed", r"Bring the exchange stick back", None, 30)

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
    if not check("init: the bridge takes the words read off the appliance's screen, initialises the server "
                 "and writes the init result", res is not None, bridge_out[-400:]):
        br.kill()
        return cid, None, None
    check("init: the server says it is initialised", bao.seal_status().get("initialized") is True)

    a.plug("exchange", exchange.path)
    a.step("init: back in, the UI checks the result (every share to its holder)", r"Init result accepted\.", b"\r")
    share_files = {}
    for name in HOLDERS:
        p = people[name]
        a.at(r"Is %s at the appliance\?" % name, b"y")
        a.step(f"init: {name}'s turn asks for her stick", r"Insert your stick now\.")
        a.holder_turn("init", name, holder_sticks[name].path, p.passphrase,
                      "her key file decrypts the share on the appliance; it is written to her stick",
                      r"Share \d is on %s's stick and proven\." % name)
    a.step("init: the handouts are done; the close waits for the bridge", r"Waiting for the closing result")
    a.step("init: the exchange stick is unmounted before it goes to the bridge again",
           r"The exchange stick is unmounted: remove it now and take it to the bridge", None, 60)
    a.pull("exchange")
    t_appliance = time.monotonic() - t0

    # Each holder at home: stock gpg opens the share on their stick.
    shares = {}
    for name in HOLDERS:
        with holder_sticks[name] as d:
            found = sorted(glob.glob(os.path.join(d, "conclave-*-share-*.gpg")))
            enc = open(found[-1], "rb").read() if found else None
        share_files[name] = os.path.basename(found[-1]) if found else "none"
        share = people[name].decrypt(enc).decode().strip() if enc else ""
        check(f"init: {name} opens her share from her stick with stock gpg at home",
              re.fullmatch(r"[0-9a-f]{66}", share) is not None)
        shares[name] = share
    if not all(shares.values()):
        br.kill()
        return cid, None, None
    # The operator unseals the fresh server with the holders and gives the
    # root token back to be revoked; the bridge writes the proof.
    st = {}
    for sh in shares.values():
        st = bao.unseal(sh)
    check("init: the holders' shares unseal the server", st.get("sealed") is False and bao.wait_active())
    # The encrypted token is a block of base64 lines, copyable as printed.
    m = re.search(r"encrypted to the operator's key:\n((?:[A-Za-z0-9+/=]+\n)+)", bridge_out)
    token = ops.decrypt(base64.b64decode(m.group(1).replace("\n", ""))).decode().strip() if m else ""
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
    a.plug("exchange", exchange.path)
    review(a, "init", "walt")
    a.step("init: the UI reads the proof and closes the transcript",
           r"Ceremony closed\. The initial root token is revoked\.")
    a.step("init: at the end the exchange stick is synced and unmounted",
           r"The exchange stick is unmounted: remove it now\.")
    a.pull("exchange")
    archive(a, "init", archive_stick)
    figures["init"] = t_appliance + time.monotonic() - t1
    figures["init-wall"] = time.monotonic() - t0
    return cid, shares, share_files


def review(a, what, witness):
    """The witnesses' review before the transcript closes: the witness (the
    roster's, or typing their name where the roster names none) confirms."""
    m = a.wait(r"Witness, your name:|%s \(witness\): does this match" % witness)
    if m is not None and m.group(0).startswith("Witness"):
        a.type(witness + "\r")
    a.step(f"{what}: the witness reviews the ceremony", r"%s \(witness\): does this match what you saw\?" % witness,
           b"y")
    a.step(f"{what}: every witness has answered", r"Every witness has answered", b"\r")


def archive(a, what, stick):
    """The closing step at the summary: the archive stick in, the UI copies
    the transcript onto it and verifies the copy there, unmounts it."""
    a.g.send(b"a")
    a.step(f"{what}: the summary asks for the archive stick", r"Insert the archive stick now\.")
    a.plug("archive", stick.path)
    a.step(f"{what}: the transcript is archived and verified on the archive stick",
           r"Archived and verified on the archive stick", None, 60)
    a.pull("archive")
    a.g.send(b"\r")
    a.step(f"{what}: the summary says so", r"archived and verified there")


def run_unseal(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, figures, init_id):
    """The unseal ceremony after the server's restart, on a fresh boot of the
    appliance (its state is in RAM: a new day), each holder bringing the
    stick her share was handed out to."""
    t0 = time.monotonic()
    # The previous ceremony (the init) from the archive stick, so that each
    # share is checked against the holder it was handed to (p on the start
    # screen; the stick read-only, unmounted before it is to be removed).
    a.step("unseal: p on the start screen asks for the archive stick",
           r"Which ceremony is this\?", b"p")
    a.step("unseal: ... which it waits for", r"Insert the archive stick now\.")
    a.plug("archive", archive_stick.path)
    a.step("unseal: the init is taken from the archive stick, verified",
           r"Previous ceremony taken from the archive", None, 60)
    check("unseal: ... the init's own ceremony", a.wait(r"Ceremony\s+init\s+" + init_id) is not None, a.last)
    a.step("unseal: ... and the stick unmounted", r"The archive stick is unmounted: remove it now\.")
    a.pull("archive")
    a.g.send(b"\r")
    a.plug("exchange", exchange.path)
    if not a.step("unseal: the UI mounts the exchange stick", r"Exchange stick in, mounted read-write", b"2\r", 60):
        return None
    a.step("unseal: the begin screen names the init as the previous ceremony",
           r"Previous ceremony's transcript verified")
    a.step("unseal: the room begins", r"Begin the unseal ceremony\? Type y to begin\.", b"y")
    m = a.wait(r"Ceremony\s+([0-9a-f]{32})")
    check("unseal: the request is signed", m is not None, a.last)
    uid = m.group(1) if m else "none"
    a.at(r"Ceremony key", b"\r")
    a.step("unseal: the exchange stick is unmounted before it goes to the bridge",
           r"The exchange stick is unmounted: remove it now and take it to the bridge", None, 60)
    a.pull("exchange")
    out_path = os.path.join(tmp, "bridge-unseal.out")
    with exchange as mnt:
        br = subprocess.Popen([bridge, "unseal", "--exchange", mnt, "--address", bao.addr],
                              stdout=open(out_path, "wb"), stderr=subprocess.STDOUT)
        bridges.append(br)
        offer = wait_file(os.path.join(mnt, uid, "000002-session-offer.env"), br)
    bridge_out = open(out_path).read()
    if not check("unseal: the bridge writes its session offer", offer is not None, bridge_out[-400:]):
        br.kill()
        return uid
    sas = " ".join(re.search(r"Short authentication string[^\n]*\n\s*([^\n]+)", bridge_out).group(1).split())

    a.plug("exchange", exchange.path)
    if a.step("unseal: the appliance asks the witness for the bridge's words", r"Witness \(name\):", None, 60):
        a.type("walt\r")
        a.at(r"The bridge's words:", (sas + "\r").encode())
    for name in HOLDERS:
        p = people[name]
        a.step(f"unseal: {name}'s turn" + (" (the witness's words matched the bridge's)" if name == HOLDERS[0] else ""),
               r"Next holder, your name:", (name + "\r").encode())
        a.at(r"Is %s at the appliance\?" % name, b"y")
        a.step(f"unseal: the UI waits for {name}'s stick", r"Waiting for %s's stick" % name)
        a.holder_turn("unseal", name, holder_sticks[name].path, p.passphrase,
                      "her share is opened on the appliance and sealed to the bridge session",
                      r"%s's share is sealed to the bridge session\." % name)
    a.step("unseal: the quorum is in", r"Submit the shares\? Type y\.", b"y")
    a.step("unseal: the sealed shares are written and the exchange stick unmounted",
           r"The exchange stick is unmounted: remove it now and take it to the bridge", None, 60)
    a.pull("exchange")
    t_appliance = time.monotonic() - t0
    with exchange as mnt:
        res = wait_file(os.path.join(mnt, uid, "000004-submission-result.env"), br)
    check("unseal: the bridge submits the shares and writes the result", res is not None,
          open(out_path).read()[-400:])
    check("unseal: the server says it is unsealed", bao.seal_status().get("sealed") is False)
    try:
        rc = br.wait(60)
    except subprocess.TimeoutExpired:
        br.kill()
        rc = None
    check("unseal: the bridge is done (exit 0)", rc == 0, open(out_path).read()[-300:])

    t1 = time.monotonic()
    a.plug("exchange", exchange.path)
    review(a, "unseal", "walt")
    a.step("unseal: the UI reads the result and closes the transcript", r"Ceremony closed\. Every node is unsealed\.")
    a.step("unseal: at the end the exchange stick is synced and unmounted",
           r"The exchange stick is unmounted: remove it now\.")
    a.pull("exchange")
    archive(a, "unseal", archive_stick)
    figures["unseal"] = t_appliance + time.monotonic() - t1
    figures["unseal-wall"] = time.monotonic() - t0
    return uid


def boot(out, tmp, name):
    """The image booted to the UI's first screen on the serial console."""
    g = Guest(["-nic", "none"] + kernel_args(out) + usb_controller(), os.path.join(out, f"test-{name}.log"), tmp,
              term=Screen())
    return g, Appliance(g), first_screen(g, name) is not None


def test_ceremony(out, tmp):
    build = os.path.dirname(out)
    conclave, bridge = os.path.join(build, "conclave"), os.path.join(build, "conclave-bridge")
    for f in (conclave, bridge):
        if not os.access(f, os.X_OK):
            sys.exit(f"ceremony_test: {f} missing (make)")
    figures = {}
    t0 = time.monotonic()
    # Made side by side: each key is a gpg and a gpg-agent of its own.
    roles = {"alice": "holder", "bob": "holder", "olga": "operator", "walt": "witness"}
    with concurrent.futures.ThreadPoolExecutor() as pool:
        people = dict(zip(roles, pool.map(lambda n: Person(tmp, n, secrets.token_urlsafe(12)), roles)))
    print(f"# ceremony: {len(people)} throwaway OpenPGP keys in {time.monotonic() - t0:.1f} s", flush=True)
    fs = host_fs()
    if fs != "vfat":
        print("# this kernel has no vfat: the sticks are ext4", flush=True)
    # The exchange stick brings the roster: ROLE-NAME.asc (docs/exchange.md).
    exchange = Stick(os.path.join(tmp, "exchange.img"), fs, "exchange",
                     [(p.pub, f"{roles[n]}-{n}.asc") for n, p in people.items()])
    archive_stick = Stick(os.path.join(tmp, "archive.img"), fs, "archive")
    holder_sticks = {n: Stick(os.path.join(tmp, n + ".img"), fs, n, [(people[n].sec, n + ".sec.asc")])
                     for n in HOLDERS}
    bao = OpenBao(tmp)
    bao.start()
    shares = None
    logs = []
    g = None
    try:
        g, a, up = boot(out, tmp, "ceremony")
        logs.append(g.log.name)
        if up:
            try:
                init_id, shares, share_files = run_init(a, bao, people, exchange, holder_sticks, archive_stick,
                                                        bridge, tmp, figures)
            except Exception:  # a step that broke is a failure, the rest still runs
                boot_test.fail("ceremony: an init step raised", traceback.format_exc()[-800:])
        check("init: power off from the status page ends QEMU (the ceremony is closed)", g.stop())
        if shares:
            bao.stop()
            bao.start()
            check("restart: the server is sealed again", bao.seal_status().get("sealed") is True)
            # Another day: the appliance boots afresh (its state was in RAM).
            g, a, up = boot(out, tmp, "ceremony-unseal")
            logs.append(g.log.name)
            if up:
                try:
                    run_unseal(a, bao, people, exchange, holder_sticks, archive_stick, bridge, tmp, figures,
                               init_id)
                except Exception:
                    boot_test.fail("ceremony: an unseal step raised", traceback.format_exc()[-800:])
            check("unseal: power off from the status page ends QEMU", g.stop())
    finally:
        if g is not None and g.proc.poll() is None:
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
                  "2 of 2 shares handed out with a decrypt proof, threshold 2, initial root token revoked"
                  in re.sub(r"\n +", " ", v.stdout),  # its lines wrapped within 80 columns
                  v.stdout[-300:])
        if name == "unseal":
            recs = [json.loads(line) for line in open(t) if line.strip()]
            loaded = [r for r in recs if r.get("type") == "handout-commitments-loaded"]
            check("archive: the unseal checked each share against the init's handout (from the archive stick)",
                  len(loaded) == 1, str(loaded)[:300])
        m = subprocess.run(["minisign", "-Vm", t, "-p", t + ".pub", "-q"], capture_output=True)
        check(f"archive: stock minisign verifies the {name} transcript", m.returncode == 0)
    if shares:
        log = b"".join(open(f, "rb").read() for f in logs)
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
