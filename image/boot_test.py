#!/usr/bin/env python3
"""Boot tests of the conclave image under QEMU (TCG), driven over the serial
console (make image-test; docs/image.md).

  usb   -nic none and a virtual USB stick (vfat) holding a roster's OpenPGP
        keys: conclave init begin reads them from the stick and writes its
        signed init request to the stick; the host reads it back with
        mtools and checks it (tests/tools/envelope_tool, when built).
  nics  e1000 and virtio-net attached: only lo, no sockets, modules locked.
  iso   the hybrid ISO boots under BIOS (CD-ROM) and UEFI (OVMF, USB stick).

Prints "ok - ..." lines, the timings, and "N passed, N failed".
Usage: boot_test.py [-o BUILD/image] [usb|nics|iso ...]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

# Seconds a boot may take to reach the console prompt before a test fails;
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
PROMPT = "conclave> "
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")

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


class Guest:
    """A QEMU guest whose first serial port is our stdin/stdout."""

    def __init__(self, args, log):
        self.buf = b""
        self.pos = 0
        self.lock = threading.Condition()
        self.log = open(log, "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-cpu", CPU,
             "-m", str(MEM_MB), "-smp", "1", "-display", "none", "-no-reboot",
             "-monitor", "none", "-serial", "stdio"] + args,
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
                self.buf += ANSI.sub(b"", data)
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

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

    def run(self, line, pattern, timeout=STEP_TIMEOUT):
        """Sends a console line, returns the match of pattern in its output
        (the prompt that follows is consumed too)."""
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()
        m = self.expect(pattern, timeout)
        if m:
            self.expect(re.escape(PROMPT), timeout)
        return m

    def elapsed(self):
        return time.monotonic() - self.t0

    def cpu(self):
        """CPU seconds QEMU has used: the boot time a loaded host cannot skew."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout=STEP_TIMEOUT):
        """Powers the guest off through the console; True if QEMU exited."""
        try:
            self.proc.stdin.write(b"poweroff\r")
            self.proc.stdin.flush()
            self.proc.wait(timeout)
            return True
        except (subprocess.TimeoutExpired, BrokenPipeError):
            return False
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


def kernel_args(out, extra=""):
    with open(os.path.join(TOP, "image", "cmdline")) as f:
        cmdline = f.read().strip()
    return ["-kernel", os.path.join(out, "vmlinuz"), "-initrd", os.path.join(out, "initrd.img"),
            "-append", cmdline + " console=ttyS0,115200 conclave.serial=ttyS0 " + extra]


def first_screen(g, what):
    m = g.expect(r"conclave (\d+\.\d+[^\s]*)\n", BOOT_TIMEOUT)
    t, cpu = g.elapsed(), g.cpu()
    if not check(what + ": conclave's first screen on the serial console", m is not None):
        return None
    check(what + ": console prompt", g.expect(re.escape(PROMPT), STEP_TIMEOUT) is not None)
    print(f"# {what}: first screen after {t:.1f} s wall, {cpu:.1f} s QEMU CPU time"
          f" (load average {os.getloadavg()[0]:.1f})", flush=True)
    return t


def test_usb(out, tmp):
    """The closest thing to a ceremony step today: conclave init begin reads
    the roster's OpenPGP keys from the stick and writes the signed init
    request into the stick's exchange folder."""
    keys = os.path.join(TOP, "tests", "vectors", "keys")
    fprs = dict(line.split() for line in open(os.path.join(keys, "fingerprints.txt")))
    stick = os.path.join(tmp, "stick.img")
    with open(stick, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run(["mkfs.vfat", "-n", "STICK", stick], check=True, stdout=subprocess.DEVNULL)
    for k in ("holder1", "holder2", "operator"):
        subprocess.run(["mcopy", "-i", stick, os.path.join(keys, k + ".asc"), "::/" + k + ".asc"], check=True)

    g = Guest(["-nic", "none"] + kernel_args(out) +
              ["-device", "qemu-xhci,id=xhci",
               "-drive", "if=none,id=stick,format=raw,file=" + stick,
               "-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"],
              os.path.join(out, "test-usb.log"))
    t = first_screen(g, "usb")
    ceremony = None
    if t is not None:
        m = g.run("stick", r"stick (/dev/sd[a-z]+1?) mounted read-only \(vfat\)")
        check("usb: the stick is found and mounted read-only", m is not None)
        m = g.run("ls; sh -i $(id)", r"\[conclave exit (\d+)\]")
        check("usb: a shell line is only words for conclave", m is not None and m.group(1) == b"2")
        m = g.run("rw init begin --state state --exchange /run/conclave/exchange --threshold 2"
                  " --holder alice=/run/conclave/exchange/holder1.asc --holder bob=/run/conclave/exchange/holder2.asc"
                  " --operator olga=/run/conclave/exchange/operator.asc",
                  r"(?s)Ceremony ([0-9a-f]{32})\n(.*?)\[conclave exit (\d+)\]", 120)
        if check("usb: conclave init begin reads the roster from the stick", m is not None and m.group(3) == b"0",
                 m.group(0).decode(errors="replace")[-400:] if m else "no answer"):
            ceremony = m.group(1).decode()
            screen = re.sub(r"\s+", "", m.group(2).decode())
            check("usb: the roster shows the keys' fingerprints",
                  all(fprs[k] in screen for k in ("holder1", "holder2", "operator")))
        m = g.run("rw init begin --state state2 --exchange /run/conclave/exchange --threshold 2"
                  " --holder alice=/run/conclave/exchange/nonexistent.asc --operator olga=/run/conclave/exchange/operator.asc",
                  r"\[conclave exit (\d+)\]", 60)
        check("usb: a missing key file is refused", m is not None and m.group(1) != b"0")
        g.proc.stdin.write(b"ui\r")
        g.proc.stdin.flush()
        m = g.expect(r"Which\s*ceremony\s*is\s*this", 60)
        check("usb: the guided ceremony (conclave ui) starts on the serial console", m is not None)
        g.proc.stdin.write(b"\x11")  # Ctrl-Q: quit, then confirm
        g.proc.stdin.flush()
        time.sleep(1)
        g.proc.stdin.write(b"y")  # no CR: the terminal is still raw
        g.proc.stdin.flush()
        m = g.expect(r"\[conclave exit (\d+)\]", 60)
        g.expect(re.escape(PROMPT))
        check("usb: the ui quits back to the console", m is not None and m.group(1) == b"0")
        m = g.run("status", r"airgap: interfaces: ([^\n]*)\n")
        check("usb: only lo with -nic none", m is not None and m.group(1).split() == [b"lo"])
        m = g.run("eject", r"the stick can be removed")
        check("usb: stick unmounted", m is not None)
    check("usb: poweroff ends QEMU", g.stop())

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
              + kernel_args(out), os.path.join(out, "test-nics.log"))
    t = first_screen(g, "nics")
    if t is not None:
        g.proc.stdin.write(b"status\r")
        g.proc.stdin.flush()
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
        g.expect(re.escape(PROMPT))
    check("nics: poweroff ends QEMU", g.stop())
    return t


def test_iso(out, tmp):
    times = {}
    iso = os.path.join(out, "conclave.iso")
    vars_fd = os.path.join(tmp, "vars.fd")
    shutil.copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars_fd)
    for what, args in (
        ("iso-bios", ["-cdrom", iso, "-boot", "d"]),
        ("iso-uefi", ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                      "-drive", "if=pflash,format=raw,unit=1,file=" + vars_fd,
                      "-device", "qemu-xhci,id=xhci",
                      "-drive", "if=none,id=boot,format=raw,readonly=on,file=" + iso,
                      "-device", "usb-storage,bus=xhci.0,drive=boot,bootindex=0"])):
        g = Guest(["-nic", "none"] + args, os.path.join(out, f"test-{what}.log"))
        times[what] = first_screen(g, what)
        if times[what] is not None:
            m = g.run("status", r"airgap: kernel\.modules_disabled=(\d)")
            check(what + ": modules locked", m is not None and m.group(1) == b"1")
        check(what + ": poweroff ends QEMU", g.stop())
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", default=os.path.join(TOP, "build", "image"))
    ap.add_argument("tests", nargs="*", default=["usb", "nics", "iso"])
    a = ap.parse_args()
    for f in ("vmlinuz", "initrd.img", "conclave.iso"):
        if not os.path.exists(os.path.join(a.out, f)):
            sys.exit(f"boot_test: {a.out}/{f} missing (make image)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for t in a.tests:
            {"usb": test_usb, "nics": test_nics, "iso": test_iso}[t](a.out, tmp)
    print(f"# boot tests took {time.monotonic() - t0:.0f} s; serial logs in {a.out}/test-*.log")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
