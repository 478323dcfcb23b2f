#!/usr/bin/env python3
"""Boot tests of the conclave image under QEMU (TCG), driven over the serial
console (make image-test; docs/image.md).

  usb   -nic none and a virtual USB stick (vfat) holding a roster's OpenPGP
        keys: conclave ui on the serial console finds and mounts it as the
        exchange stick itself, reads the roster from it, begins an init and
        writes its signed init request to it, then unmounts it before it
        says to take it to the bridge; the host reads the request back with
        mtools and checks it (tests/tools/envelope_tool, when built). A
        second stick plugged in at run time (QEMU monitor) is told apart.
  nics  e1000 and virtio-net attached: only lo, no sockets, modules locked.
  iso   the hybrid ISO boots under BIOS (CD-ROM) and UEFI (OVMF, USB stick),
        with a data stick attached.
  uki   the unified kernel image (conclave.efi), signed with the test key
        Debian's OVMF ships, boots with Secure Boot on from an EFI system
        partition on a USB stick, with its own command line; unsigned, the
        firmware refuses it (and its UEFI shell).
  lock  the ISO under BIOS while keys for GRUB's menu editor and command
        line are pressed: the kernel must boot with its own command line.
  size  the ISO is at most ISO_MAX bytes; the initrd ships no second shell,
        login, getty, perl, package manager or charset converters, and does
        ship the fonts conclave record prints with.

The consoles run conclave ui itself (no shell, no menu): the tests press
its keys, read the airgap from its status page (Ctrl-A, plain lines) and
power off from there. Every boot prints its time to conclave's first
screen and where it went (a figure, not a pass/fail: a loaded host moves
it by 2x).
Prints "ok - ..." lines, the figures, and "N passed, N failed".
Usage: boot_test.py [-o BUILD/image] [size|usb|nics|iso|lock|uki ...]
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pyte

# Seconds a boot may take to reach the first screen before a test fails;
# generous for a loaded 2-core machine, the measured figure is printed.
BOOT_TIMEOUT = 90
STEP_TIMEOUT = 30
# Guest RAM. init_on_free=1 zeroes all memory once at boot, which under TCG
# costs about 3 s per GiB (docs/image.md); the appliance needs far less.
MEM_MB = 512
# Guest CPU: x86-64-v2 with AES-NI, PCLMUL and RDRAND, what any PC of the
# last decade has; "-cpu max" boots 1-3 s slower under TCG (docs/image.md).
# IMAGE_TEST_CPU overrides.
CPU = os.environ.get("IMAGE_TEST_CPU", "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+aes,+pclmulqdq,+rdrand")
# The start screen, as its words arrive through the serial line (curses
# moves the cursor between them: the moves are stripped, blanks may go).
START = r"Which\s*ceremony\s*is\s*this"
# busybox init's askfirst: a console's conclave ui starts once Enter is
# pressed there (docs/image.md).
ASK = r"Please press Enter to activate this console"
# What a second console's conclave ui says while the first one runs.
BUSY = r"The ceremony is running on another console of this machine"
# The end of the status page (Ctrl-A): Enter goes back, "p" Enter powers off.
STATUS_END = r"appliance: Enter goes back"
# The ISO must fit in 30 MB (issue 15; it was 32.6 MB before the image root
# was cut down to what runs).
ISO_MAX = 30_000_000
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# Secure Boot on, with Debian's "snakeoil" test key in PK, KEK and db; the
# key and its passphrase are public (ovmf's README.Debian): for tests only.
SB_CODE = "/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd"
SB_VARS = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"
SB_KEY, SB_CERT, SB_PASS = "/usr/share/ovmf/PkKek-1-snakeoil.key", "/usr/share/ovmf/PkKek-1-snakeoil.pem", "snakeoil"
# Control sequences stripped from the serial output before matching:
# cursor moves, charset selection and shifts (curses' line drawing), keypad
# mode, CR.
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|[\r\x0e\x0f]")
# An escape sequence cut at the end of a read: kept until the rest comes
# (stripped in two halves, "6C" of a cursor move landed in the text).
ANSI_CUT = re.compile(rb"\x1b(\[[0-9;?]*|[()])?\Z")

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed = failed = 0


def ok(name):
    global passed
    passed += 1
    print("ok - " + name, flush=True)


def fail(name, detail=""):
    global failed
    failed += 1
    print("not ok - " + name + (": " + detail if detail else ""), flush=True)


def check(name, cond, detail=""):
    (ok if cond else lambda n: fail(n, detail))(name)
    return cond


class Screen:
    """What a VT100 on the serial line shows (pyte): conclave ui's 80x24
    screen, whole. curses draws only what changed, so the serial bytes of a
    screen may lack characters the one before had in the same place."""

    def __init__(self):
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, data):
        self.stream.feed(data)

    def text(self):
        return "\n".join(line.rstrip() for line in self.screen.display)


class Guest:
    """A QEMU guest: its first serial port is our stdin/stdout, its QMP
    monitor a socket in tmp (for plugging devices in and out)."""

    def __init__(self, args, log, tmp, machine="q35", term=None):
        # term: a terminal emulator fed the raw serial bytes (the ceremony
        # test reads whole screens through pyte, as a serial terminal
        # shows them), or None.
        self.term = term
        self.shown = ""
        self.buf = b""
        self.cut = b""
        self.pos = 0
        self.arrivals = []  # (len(buf) after a chunk, seconds since launch, QEMU CPU seconds)
        self.lock = threading.Condition()
        self.log = open(log, "wb")
        self.qmp_path = os.path.join(tmp, "qmp-%d.sock" % id(self))
        self.qmp = None
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["qemu-system-x86_64", "-machine", machine, "-accel", "tcg", "-cpu", CPU,
             "-m", str(MEM_MB), "-smp", "1", "-display", "none", "-no-reboot",
             "-monitor", "none", "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
             "-serial", "stdio"] + args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            data = self.proc.stdout.read1(4096)
            if not data:
                break
            self.log.write(data)
            self.log.flush()
            with self.lock:
                if self.term is not None:
                    self.term.feed(data)
                data, self.cut = self.cut + data, b""
                m = ANSI_CUT.search(data)
                if m:
                    data, self.cut = data[:m.start()], data[m.start():]
                self.buf += ANSI.sub(b"", data)
                self.arrivals.append((len(self.buf), self.elapsed(), self.cpu()))
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    # Serial console I/O.
    def send(self, data):
        """Sends raw bytes (keys) to the serial console."""
        self.proc.stdin.write(data if isinstance(data, bytes) else data.encode())
        self.proc.stdin.flush()

    def expect(self, pattern, timeout=STEP_TIMEOUT):
        """Waits for pattern after the last match; returns the match or None."""
        rx = re.compile(pattern.encode())
        end = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.lock.wait(0.2)):
                    return None
                self.lock.wait(left)

    def status(self, pattern, timeout=STEP_TIMEOUT):
        """Opens conclave ui's status page (Ctrl-A), returns the match of
        pattern in it, and goes back to the screen (Enter)."""
        self.send(b"\x01")
        m = self.expect(pattern, timeout)
        self.back(timeout)
        return m

    def back(self, timeout=STEP_TIMEOUT):
        """From the end of the status page back to the screen, and waits
        until curses has drawn it (keys sent before that reach a terminal
        in line mode, where Ctrl-Q is flow control)."""
        self.expect(STATUS_END, timeout)
        self.send(b"\r")
        self.expect(r"F1/\?\s*help", timeout)

    def screen_wait(self, pattern, timeout=STEP_TIMEOUT):
        """The match of pattern (a str regex) on the screen as a terminal
        shows it (needs term=Screen()), waiting for it; None on timeout."""
        end = time.monotonic() + timeout
        while True:
            with self.lock:
                self.shown = self.term.text()
            m = re.search(pattern, self.shown)
            if m or time.monotonic() > end or self.proc.poll() is not None:
                return m
            time.sleep(0.1)

    def activate(self, timeout=STEP_TIMEOUT):
        """Presses Enter at busybox init's askfirst prompt on the serial
        console, which starts conclave ui there; the match or None."""
        return self.keys(ASK, b"\r", timeout)

    def tty1_keys(self, *combos):
        """Presses keys on the machine's own keyboard (tty1), each combo a
        list of QEMU key names pressed together (["ctrl", "q"])."""
        for c in combos:
            self.monitor("send-key", keys=[{"type": "qcode", "data": k} for k in c])

    def keys(self, pattern, keys, timeout=STEP_TIMEOUT):
        """Waits for pattern on the screen, then presses keys; the match."""
        m = self.expect(pattern, timeout)
        if m is not None:
            self.send(keys)
        return m

    def elapsed(self):
        return time.monotonic() - self.t0

    def seen_at(self, pattern, cpu=False):
        """Seconds from launch to when pattern had arrived (QEMU's CPU
        seconds by then, with cpu), or None."""
        with self.lock:
            m = re.search(pattern.encode(), self.buf)
            if m is None:
                return None
            return next(c if cpu else t for n, t, c in self.arrivals if n >= m.end())

    def cpu(self):
        """CPU seconds QEMU has used: the boot time a loaded host cannot skew."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # QEMU monitor (QMP).
    def monitor(self, command, **arguments):
        """Runs a QMP command; returns its "return" value, raises on error."""
        if self.qmp is None:
            self.qmp = socket.socket(socket.AF_UNIX)
            self.qmp.connect(self.qmp_path)
            self.qmp_file = self.qmp.makefile("rwb")
            self._qmp_reply()  # greeting
            self.monitor("qmp_capabilities")
        self.qmp_file.write(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
        self.qmp_file.flush()
        reply = self._qmp_reply()
        if "error" in reply:
            raise RuntimeError(f"QMP {command}: {reply['error']}")
        return reply.get("return")

    def _qmp_reply(self):
        while True:
            msg = json.loads(self.qmp_file.readline())
            if "event" not in msg:
                return msg

    def plug_stick(self, name, image, bus="xhci.0"):
        """Plugs a raw disk image in as a USB stick (the guest needs a USB
        host controller, e.g. usb_controller())."""
        self.monitor("blockdev-add", **{"node-name": name, "driver": "raw",
                                        "file": {"driver": "file", "filename": image}})
        self.monitor("device_add", driver="usb-storage", id=name, bus=bus, drive=name, removable=True)

    def unplug_stick(self, name):
        """Pulls a stick plug_stick (or stick_args) put in."""
        self.monitor("device_del", id=name)
        end = time.monotonic() + STEP_TIMEOUT
        while True:  # the node is in use until the guest lets the device go
            try:
                return self.monitor("blockdev-del", **{"node-name": name})
            except RuntimeError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)

    def stop(self, timeout=STEP_TIMEOUT):
        """Powers the guest off from conclave ui's status page (no ceremony
        open); True if QEMU exited."""
        try:
            self.send(b"\x01")
            self.expect(STATUS_END, timeout)
            self.send(b"p\r")
            self.proc.wait(timeout)
            return True
        except (subprocess.TimeoutExpired, BrokenPipeError):
            return False
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.qmp is not None:
                self.qmp.close()
            self.log.close()


def usb_controller():
    return ["-device", "qemu-xhci,id=xhci"]


def stick_args(name, image):
    """A USB stick attached from power-on (with usb_controller())."""
    return ["-blockdev", f"node-name={name},driver=raw,file.driver=file,file.filename={image}",
            "-device", f"usb-storage,id={name},bus=xhci.0,drive={name},removable=on"]


def make_stick(path, files=(), label="STICK", size=16 << 20):
    """A vfat stick image holding files [(host path, name)]."""
    with open(path, "wb") as f:
        f.truncate(size)
    subprocess.run(["mkfs.vfat", "-n", label, path], check=True, stdout=subprocess.DEVNULL)
    for src, name in files:
        subprocess.run(["mcopy", "-i", path, src, "::/" + name], check=True)
    return path


def built_cmdline():
    """The kernel command line the ISO and the UKI boot with, as words."""
    with open(os.path.join(TOP, "image", "cmdline")) as f:
        return [w for line in f if not line.startswith("#") for w in line.split()]


def kernel_args(out):
    # The last console= is /dev/console: /init's messages on the serial line.
    return ["-kernel", os.path.join(out, "vmlinuz"), "-initrd", os.path.join(out, "initrd.img"),
            "-append", " ".join(built_cmdline() + ["console=ttyS0,115200"])]


def first_screen(g, what, before_kernel="QEMU start and kernel decompression"):
    """Waits for conclave ui's first screen, then prints the boot's
    figures: where the time went, from the guest's uptimes (/init and
    conclave ui record them; its status page prints them) and, from the
    ISO, when GRUB said it was loading and starting the kernel."""
    m = g.activate(BOOT_TIMEOUT) and g.expect(START, STEP_TIMEOUT)
    t, cpu = g.elapsed(), g.cpu()
    if not check(what + ": conclave ui's first screen on the serial console", m is not None):
        return None
    m = g.status(r"boot: uptimes \(s\): init ([\d.]+) modules-locked ([\d.]+) "
                 r"init-exec ([\d.]+) first-screen ([\d.]+)")
    parts = ""
    if check(what + ": status prints the boot's uptimes", m is not None):
        u_init, u_mods, u_exec, u_shown = (float(x) for x in m.groups())
        before = t - u_shown
        loading, starting = g.seen_at("Loading conclave"), g.seen_at("Starting conclave")
        if loading is not None and starting is not None:
            pre = (f"firmware {loading:.1f} + GRUB loading the kernel and initrd {starting - loading:.1f}"
                   f" + kernel decompression {before - starting:.1f}; QEMU CPU until GRUB starts the kernel"
                   f" {g.seen_at('Starting conclave', cpu=True):.1f}")
        else:
            pre = f"{before_kernel} {before:.1f}"
        parts = (f" = before the kernel's clock {before:.1f} s ({pre}) + kernel to /init {u_init:.1f}"
                 f" + /init {u_exec - u_init:.1f} (mounts, sysctls, modules until locked {u_mods - u_init:.1f})"
                 f" + init and conclave ui's first screen {u_shown - u_exec:.1f}")
    print(f"# boot {what}: first screen after {t:.1f} s wall{parts}; QEMU CPU time {cpu:.1f} s,"
          f" load average {os.getloadavg()[0]:.1f}", flush=True)
    return t


def test_usb(out, tmp):
    """The first steps of a ceremony on the booted image, the sticks by the
    appliance itself: conclave ui mounts the exchange stick (in from power
    on), reads the roster's OpenPGP keys from it, begins an init and writes
    its signed init request to it, then syncs and unmounts it before it says
    to take it to the bridge. A stick plugged in at run time is found and
    told apart from the exchange stick."""
    keys = os.path.join(TOP, "tests", "vectors", "keys")
    fprs = dict(line.split() for line in open(os.path.join(keys, "fingerprints.txt")))
    roster = (("holder1", "holder-alice"), ("holder2", "holder-bob"), ("operator", "operator-olga"),
              ("witness", "witness-walt"))
    stick = make_stick(os.path.join(tmp, "stick.img"),
                       [(os.path.join(keys, k + ".asc"), f + ".asc") for k, f in roster], "EXCHANGE")
    marker = os.path.join(tmp, "second-stick.txt")
    with open(marker, "w") as f:
        f.write("the second stick\n")
    second = make_stick(os.path.join(tmp, "second.img"), [(marker, "second-stick.txt")], "EXCHANGE")

    g = Guest(["-nic", "none"] + kernel_args(out) + usb_controller() + stick_args("stick", stick),
              os.path.join(out, "test-usb.log"), tmp, term=Screen())
    t = first_screen(g, "usb")
    ceremony = None
    if t is not None:
        m = g.expect(r"Exchange\s*stick\s*in,\s*mounted\s*read-write:\s*/dev/sd[a-z]+1?", 60)
        check("usb: conclave ui finds the exchange stick and mounts it read-write", m is not None)
        g.send(b"\r")  # init
        m = g.keys(r"2\s*holders,\s*1\s*operator,\s*1\s*witnesses", b"\r", 60)
        check("usb: the roster is read from the stick's key files", m is not None)
        g.keys(r"How\s*many\s*of\s*them\s*are\s*needed", b"\r")
        seen = ""
        for k in range(1, 5):
            if g.screen_wait(r"Key %d of 4(?s:.*)Does this match" % k, 60) is None:
                break
            seen += re.sub(r"\s+", "", g.shown)
            g.send(b"y")
        check("usb: each member's fingerprint is shown from their key file",
              all(fprs[k] in seen for k, _ in roster), seen)
        m = g.keys(r"Type\s*y\s*to\s*begin", b"y")
        m = g.screen_wait(r"Ceremony\s+([0-9a-f]{32})", 120)
        check("usb: the init begins", m is not None, g.shown)
        ceremony = m.group(1) if m else None
        g.send(b"\r")
        m = g.expect(r"exchange\s*stick\s*is\s*unmounted:\s*remove\s*it\s*now\s*and\s*take\s*it", 60)
        check("usb: the exchange stick is synced and unmounted before it goes to the bridge", m is not None)
        g.unplug_stick("stick")
        m = g.expect(r"Bring\s*the\s*exchange\s*stick\s*back", 60)
        check("usb: the stick pulled out is noticed", m is not None)
        # Sticks come and go at run time: another one, with the same label.
        g.plug_stick("second", second)
        m = g.expect(r"not\s*this\s*ceremony's\s*exchange\s*stick", 60)
        check("usb: a stick plugged in at run time is found and told apart (not this ceremony's)", m is not None,
              "sticks the appliance sees: " + (lambda m: m.group(1).decode() if m else "?")(
                  g.status(r"airgap: USB sticks:([^\n]*)\n")))
        g.unplug_stick("second")
        m = g.status(r"airgap: interfaces: ([^\n]*)\n")
        check("usb: only lo with -nic none", m is not None and m.group(1).split() == [b"lo"])
        g.send(b"\x11")  # Ctrl-Q: leave, then confirm; init starts it again
        time.sleep(1)
        g.send(b"y")
        check("usb: leaving conclave ui starts it again on the console, at the open ceremony",
              g.activate(60) is not None and ceremony is not None and
              g.screen_wait(r"An open ceremony is in the state folder:\s+init ceremony " + ceremony, 60)
              is not None, g.shown)
        g.send(b"\x01")
        g.expect(STATUS_END)
        g.send(b"p\r")
        check("usb: power off is refused while a ceremony is open (its state is in RAM)",
              g.expect(r"A\s*ceremony\s*is\s*open:\s*finish\s*or\s*abandon\s*it\s*before\s*powering\s*off")
              is not None)
    g.proc.kill()  # a ceremony is open: no power off from the appliance
    g.stop()

    listing = subprocess.run(["mdir", "-a", "-b", "-i", stick, "::/"], capture_output=True, text=True).stdout
    check("usb: host finds the ceremony folder on the stick", ceremony is not None and ceremony in listing, listing)
    req = "::/%s/000001-init-request.env" % ceremony
    r = subprocess.run(["mtype", "-i", stick, req], capture_output=True)
    check("usb: host reads the init request back from the stick", r.returncode == 0 and r.stdout != b"")
    tool = os.path.join(os.path.dirname(out), "tests", "tools", "envelope_tool")
    if not os.access(tool, os.X_OK):
        print("# skipped: envelope check (no %s)" % tool)
    elif r.returncode == 0:
        env = os.path.join(tmp, "request.env")
        with open(env, "wb") as f:
            f.write(r.stdout)
        p = subprocess.run([tool, "payload", env], capture_output=True, text=True)
        check("usb: the request is a valid envelope for 2 of 2 unseal shares",
              p.returncode == 0 and '"kind":"init"' in p.stdout and '"n":2' in p.stdout and '"t":2' in p.stdout,
              (p.stdout + p.stderr)[:300])
    leftovers = [n for n in listing.split() if "/." in n or n.endswith(".tmp")]
    check("usb: no temporary file left on the stick", not leftovers, " ".join(leftovers))
    return t


def test_nics(out, tmp):
    g = Guest(["-netdev", "user,id=n1,restrict=on", "-device", "e1000,netdev=n1",
               "-netdev", "user,id=n2,restrict=on", "-device", "virtio-net-pci,netdev=n2"]
              + kernel_args(out), os.path.join(out, "test-nics.log"), tmp)
    t = first_screen(g, "nics")
    if t is not None:
        g.send(b"\x01")  # the status page
        m = g.expect(r"airgap: interfaces: ([^\n]*)\n")
        check("nics: only lo exists", m is not None and m.group(1).split() == [b"lo"],
              m.group(1).decode() if m else "no answer")
        for f in ("tcp", "tcp6", "udp", "udp6"):
            m = g.expect(r"airgap: /proc/net/%s: ([^\n]*)\n" % f)
            check(f"nics: /proc/net/{f} is empty",
                  m is not None and m.group(1) in (b"0 sockets", b"absent"),
                  m.group(1).decode() if m else "no answer")
        m = g.expect(r"airgap: network controllers on the PCI bus: (\d+), with a driver: (\d+)")
        check("nics: both NICs are on the bus, no driver bound",
              m is not None and m.group(1) == b"2" and m.group(2) == b"0",
              m.group(0).decode() if m else "no answer")
        m = g.expect(r"airgap: kernel\.modules_disabled=(\d)")
        check("nics: kernel.modules_disabled=1", m is not None and m.group(1) == b"1")
        m = g.expect(r"airgap: module load probe: ([^\n]*)\n")
        check("nics: loading a module is refused (EPERM)",
              m is not None and b"Operation not permitted" in m.group(1),
              m.group(1).decode() if m else "no answer")
        m = g.expect(r"airgap: modprobe e1000: ([^\n]*)\n")
        check("nics: modprobe e1000 fails", m is not None and b"loaded" not in m.group(1) and m.group(1) != b"",
              m.group(1).decode() if m else "no answer")
        m = g.expect(r"airgap: swap devices: (\d+)")
        check("nics: no swap", m is not None and m.group(1) == b"0")
        g.back()
        # One console's conclave ui owns the sticks and the state: Enter on
        # the screen's console (tty1) starts one that waits; leaving the
        # serial one hands over to it, and the serial console's new one
        # waits in turn until the screen's is left.
        g.tty1_keys(["ret"])
        time.sleep(2)
        g.send(b"\x11")
        time.sleep(1)
        g.send(b"y")
        check("nics: a second console's conclave ui waits while another one runs",
              g.activate(60) is not None and g.expect(BUSY, 60) is not None)
        g.tty1_keys(["ctrl", "q"])
        time.sleep(1)
        g.tty1_keys(["y"])
        check("nics: and starts when that one is left", g.expect(START, 60) is not None)
    check("nics: poweroff ends QEMU", g.stop())
    return t


def uefi_args(tmp):
    vars_fd = os.path.join(tmp, "vars.fd")
    shutil.copy(OVMF_VARS, vars_fd)
    return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=" + vars_fd]


def test_iso(out, tmp):
    """The ISO as an operator boots it: firmware, GRUB, kernel, with a data
    stick attached (USB enumeration is part of the figure)."""
    times = {}
    iso = os.path.join(out, "conclave.iso")
    data = make_stick(os.path.join(tmp, "data.img"))
    for what, args in (
        ("iso-bios", ["-cdrom", iso, "-boot", "d"] + usb_controller()),
        ("iso-uefi", uefi_args(tmp) + usb_controller() +
         ["-drive", "if=none,id=boot,format=raw,readonly=on,file=" + iso,
          "-device", "usb-storage,bus=xhci.0,drive=boot,bootindex=0"])):
        g = Guest(["-nic", "none"] + args + stick_args("data", data), os.path.join(out, f"test-{what}.log"), tmp)
        times[what] = first_screen(g, what)
        if times[what] is not None:
            m = g.status(r"airgap: kernel\.modules_disabled=(\d)")
            check(what + ": modules locked", m is not None and m.group(1) == b"1")
            # Under UEFI the screen is the firmware's graphics mode, handed
            # on by GRUB (efi_gop): without it the kernel has no framebuffer
            # and the screen stays dark after GRUB.
            m = g.status(r"boot: screen: ([^\n]*)\n")
            shown = m.group(1).decode() if m else "(no status line)"
            check(what + ": the screen is " +
                  ("a framebuffer" if what == "iso-uefi" else "the VGA text console"),
                  shown.startswith("framebuffer") == (what == "iso-uefi"), shown)
            check(what + ": GRUB found a video mode",
                  g.seen_at(r"no suitable video mode") is None)
        check(what + ": poweroff ends QEMU", g.stop())
    return times


def test_lock(out, tmp):
    """Someone at the machine tries to change the kernel's command line in
    GRUB (the menu editor, "e", or the command line, "c") to get a root
    shell with module loading open (rdinit=/bin/sh). Keys are pressed from
    power-on until GRUB starts the kernel; if an editor or a GRUB prompt
    shows, the attack is typed in and a shell is looked for."""
    cmdline = built_cmdline()
    g = Guest(["-nic", "none", "-cdrom", os.path.join(out, "conclave.iso"), "-boot", "d"],
              os.path.join(out, "test-lock.log"), tmp)
    stops = (("editor", r"Minimum Emacs-like screen editing"), ("command line", r"grub> "),
             ("password", r"Enter username"), ("kernel", r"Starting conclave|" + START))
    seen = menu_keyed = None
    end = time.monotonic() + BOOT_TIMEOUT
    while seen is None and time.monotonic() < end and g.proc.poll() is None:
        if menu_keyed is None and g.seen_at(r"Use the \^ and v keys") is not None:
            g.send(b"e")  # a menu: edit its first entry
            menu_keyed = time.monotonic()
        elif menu_keyed is None or time.monotonic() - menu_keyed > 5:
            g.send(b"\x1b")  # Esc shows a hidden menu
        time.sleep(0.1)
        seen = next((name for name, p in stops if g.seen_at(p) is not None), None)
    attack = " rdinit=/bin/sh console=ttyS0"
    if seen == "editor":
        # Down to the linux line (after setparams and a blank line), to
        # its end, add the attack, boot.
        g.send(b"\x0e\x0e\x05" + attack.encode() + b"\x18")
    elif seen == "command line":
        g.send(f"linux /boot/vmlinuz{attack}\rinitrd /boot/initrd.img\rboot\r".encode())
    elif seen == "password":
        g.send(b"\r\r")  # no user, no password: refused, back to booting
    shell = None
    if seen in ("editor", "command line") and g.expect(r"can't access tty|/ # |" + START, BOOT_TIMEOUT):
        g.send(b"\x15echo SHELL-$((40+2))\r")
        shell = g.expect(r"\nSHELL-42", STEP_TIMEOUT)
    check("lock: GRUB shows no menu entry editor", seen != "editor")
    check("lock: GRUB gives no command line", seen != "command line")
    check("lock: no shell from an edited kernel command line", shell is None)
    g.send(b"\x15")  # keys pressed during the boot are not a command on any console
    if shell is None and first_screen(g, "lock") is not None:
        m = g.status(r"boot: command line: ([^\n]*)\n")
        args = m.group(1).decode().split() if m else []
        check("lock: the kernel ran with the built command line, nothing added",
              args == ["BOOT_IMAGE=/boot/vmlinuz"] + cmdline, " ".join(args))
    check("lock: poweroff ends QEMU", g.stop())


def esp_stick(path, efi):
    """A stick whose FAT file system holds efi as EFI/BOOT/BOOTX64.EFI, what
    UEFI firmware starts from removable media."""
    make_stick(path, label="CONCLAVE", size=32 << 20)
    subprocess.run(["mmd", "-i", path, "::/EFI", "::/EFI/BOOT"], check=True)
    subprocess.run(["mcopy", "-i", path, efi, "::/EFI/BOOT/BOOTX64.EFI"], check=True)
    return path


def secure_boot_guest(name, esp, out, tmp, extra=()):
    """OVMF with Secure Boot on (test keys; needs SMM), booting esp."""
    vars_fd = os.path.join(tmp, name + "-vars.fd")
    shutil.copy(SB_VARS, vars_fd)
    return Guest(["-global", "driver=cfi.pflash01,property=secure,value=on", "-nic", "none",
                  "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + SB_CODE,
                  "-drive", "if=pflash,format=raw,unit=1,file=" + vars_fd] + usb_controller() +
                 ["-drive", "if=none,id=boot,format=raw,readonly=on,file=" + esp,
                  "-device", "usb-storage,bus=xhci.0,drive=boot,bootindex=0"] + list(extra),
                 os.path.join(out, f"test-{name}.log"), tmp, machine="q35,smm=on")


def test_uki(out, tmp):
    """conclave.efi as the firmware starts it from a stick's EFI system
    partition, no boot loader in between, with Secure Boot on: signed (with
    the test key) it boots with the command line built into it; unsigned,
    the firmware refuses it, and refuses its UEFI shell too (the shell is
    how a command line could be passed)."""
    uki = os.path.join(out, "conclave.efi")
    key, signed = os.path.join(tmp, "sb.key"), os.path.join(tmp, "conclave.signed.efi")
    subprocess.run(["openssl", "pkey", "-in", SB_KEY, "-passin", "pass:" + SB_PASS, "-out", key], check=True)
    subprocess.run(["sbsign", "--key", key, "--cert", SB_CERT, "--output", signed, uki],
                   check=True, capture_output=True)
    data = make_stick(os.path.join(tmp, "data.img"))
    g = secure_boot_guest("uki", esp_stick(os.path.join(tmp, "esp-signed.img"), signed), out, tmp,
                          stick_args("data", data))
    if first_screen(g, "uki", "firmware, systemd-stub and kernel decompression") is not None:
        m = g.status(r"airgap: kernel\.modules_disabled=(\d)(?s:.*?)boot: command line: ([^\n]*)\n")
        check("uki: signed, it boots with Secure Boot on; modules locked", m is not None and m.group(1) == b"1")
        check("uki: the kernel ran with the command line built into the UKI",
              m is not None and m.group(2).decode().split() == built_cmdline(),
              m.group(2).decode() if m else "no answer")
    check("uki: poweroff ends QEMU", g.stop())

    g = secure_boot_guest("uki-unsigned", esp_stick(os.path.join(tmp, "esp-unsigned.img"), uki), out, tmp)
    refused = g.expect(r"failed to load Boot\d+ \"UEFI QEMU QEMU USB HARDDRIVE[^\n]*: Access Denied", BOOT_TIMEOUT)
    check("uki: unsigned, Secure Boot refuses it", refused is not None)
    shell = g.expect(r"failed to start Boot\d+ \"EFI Internal Shell\"[^\n]*: Security Violation", STEP_TIMEOUT)
    check("uki: with Secure Boot on, the firmware's UEFI shell does not start either", shell is not None)
    g.proc.kill()
    g.stop()


def test_size(out, tmp):
    """Only what runs ships, and the ISO stays small."""
    iso = os.path.getsize(os.path.join(out, "conclave.iso"))
    initrd = os.path.getsize(os.path.join(out, "initrd.img"))
    listing = subprocess.run(f"zstd -dc '{out}/initrd.img' | cpio -t --quiet", shell=True,
                             capture_output=True, text=True, check=True).stdout.split()
    raw = int(subprocess.run(f"zstd -dc '{out}/initrd.img' | wc -c", shell=True,
                             capture_output=True, text=True, check=True).stdout)
    print(f"# size: ISO {iso / 1e6:.1f} MB, initrd {initrd / 1e6:.1f} MB ({raw / 1e6:.1f} MB unpacked,"
          f" {len(listing)} entries), vmlinuz {os.path.getsize(os.path.join(out, 'vmlinuz')) / 1e6:.1f} MB,"
          f" UKI {os.path.getsize(os.path.join(out, 'conclave.efi')) / 1e6:.1f} MB",
          flush=True)
    check(f"size: the ISO is at most {ISO_MAX / 1e6:.0f} MB ({iso} bytes)", iso <= ISO_MAX)
    unwanted = re.compile(r"^(usr/(s?bin|lib/x86_64-linux-gnu)/(bash|dash|perl|login|agetty|getty|su|dpkg|apt|apt-get"
                          r"|ldconfig|gconv)|usr/share/(doc|man|info|locale|perl5?)|var/lib/(dpkg|apt))$")
    bad = [f for f in listing if unwanted.search(f)]
    check("size: no second shell, login, getty, perl, package manager or charset converters in the initrd",
          not bad, " ".join(bad[:10]))
    # conclave record sets the paper record in DejaVu Sans and Sans Mono
    # (paper/doc.c); without them pango would find no font at all.
    fonts = ["etc/fonts/fonts.conf"] + ["usr/share/fonts/truetype/dejavu/DejaVu%s.ttf" % f
                                          for f in ("Sans", "Sans-Bold", "SansMono", "SansMono-Bold")]
    missing = [f for f in fonts if f not in listing]
    check("size: the fonts of the printed record and fontconfig's configuration are in the initrd",
          not missing, " ".join(missing))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", default=os.path.join(TOP, "build", "image"))
    ap.add_argument("tests", nargs="*", default=["size", "usb", "nics", "iso", "lock", "uki"])
    a = ap.parse_args()
    for f in ("vmlinuz", "initrd.img", "conclave.iso", "conclave.efi"):
        if not os.path.exists(os.path.join(a.out, f)):
            sys.exit(f"boot_test: {a.out}/{f} missing (make image)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for t in a.tests:
            {"usb": test_usb, "nics": test_nics, "iso": test_iso, "lock": test_lock,
             "size": test_size, "uki": test_uki}[t](a.out, tmp)
    print(f"# boot tests took {time.monotonic() - t0:.0f} s; serial logs in {a.out}/test-*.log")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
