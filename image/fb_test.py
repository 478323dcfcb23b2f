#!/usr/bin/env python3
"""The guided UI's QR codes on the booted image's framebuffer (make
image-test; docs/qr.md, "In the guided flow").

The unified kernel image boots under OVMF (UEFI: the firmware's GOP gives
the kernel a framebuffer, efifb, and the console draws on it) from a
virtio disk, with the exchange stick (the roster's public keys) in. On
the screen's console (tty1: keys by QMP send-key, the screen by QMP
screendump) Enter starts the guided UI, which mounts the stick and begins
an init ceremony; at the wait for the bridge, c draws the init request's codes on
/dev/fb0 (the UI finds it by itself: its terminal is /dev/tty1). The
screen is filmed with screendump while the codes run, at the default
density and after d to the densest; the host's conclave qr-decode
rebuilds the envelope from the frames, and it must be byte for byte the
one the UI wrote to the stick. Esc must give the console's text back.

Prints "ok - ..." lines, the figures, and "N passed, N failed".
Usage: fb_test.py [-o BUILD/image]
"""
import argparse
import glob
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import boot_test
from boot_test import (Guest, check, esp_stick, make_stick, stick_args,
                       uefi_args, usb_controller, ASK)

TOP = boot_test.TOP
BOOT = 600      # OVMF and the kernel under TCG on a loaded host
STEP = 180      # a UI step (the ceremony key and gpg under TCG)
FILM = 60       # seconds of screendumps for one stream, at most


def png_of_ppm(ppm, png):
    """A screendump (PPM, P6) as an 8-bit gray PNG (its red channel: the
    codes are black and white), for qr-decode. Returns (w, h, gray)."""
    with open(ppm, "rb") as f:
        data = f.read()
    magic, size, _maxval, pix = data.split(b"\n", 3)
    w, h = map(int, size.split())
    gray = pix[0:w * h * 3:3]

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    rows = b"".join(b"\0" + gray[y * w:(y + 1) * w] for y in range(h))
    with open(png, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))
    return w, h, gray


class Display:
    """The guest's screen and keyboard through QMP."""

    def __init__(self, g, tmp):
        self.g, self.tmp, self.n = g, tmp, 0

    def dump(self, png):
        ppm = os.path.join(self.tmp, "screen.ppm")
        self.g.monitor("screendump", filename=ppm)
        return png_of_ppm(ppm, png)

    def digest(self):
        return hashlib.sha256(self.dump(os.path.join(self.tmp, "now.png"))[2]).digest()

    def key(self, qcode):
        self.g.monitor("send-key", keys=[{"type": "qcode", "data": qcode}])

    def settled(self, before, timeout=STEP):
        """Waits until the screen differs from the digest before and then
        stays the same for 3 s; True if it did within timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.digest() == before:
            time.sleep(1)
        last, since = self.digest(), time.monotonic()
        while time.monotonic() < end:
            time.sleep(1)
            now = self.digest()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= 3:
                return True
        return False

    def press(self, qcode, timeout=STEP):
        before = self.digest()
        self.key(qcode)
        return self.settled(before, timeout)


def film(screen, conclave, folder, out):
    """Screendumps into folder until qr-decode rebuilds the stream from
    them (tried every 20 frames) or FILM seconds; qr-decode's last line."""
    os.makedirs(folder)
    end, i, last = time.monotonic() + FILM, 0, ""
    while time.monotonic() < end:
        screen.dump(os.path.join(folder, "f%04d.png" % i))
        i += 1
        if i % 20 == 0:
            r = subprocess.run([conclave, "qr-decode", "--out", out] +
                               sorted(glob.glob(os.path.join(folder, "*.png"))),
                               capture_output=True, text=True)
            last = (r.stdout + r.stderr).strip().splitlines()[-2:]
            if r.returncode == 0:
                break
    print(f"# {i} screendumps: {' / '.join(last)}", flush=True)
    return last


def white_share(gray, w, h):
    """The share of white pixels between the first and last text rows."""
    mid = gray[w * (h // 10):w * (h - h // 10)]
    return mid.count(255) / max(1, len(mid))


def test_fb(out, tmp):
    conclave = os.path.join(os.path.dirname(out), "conclave")
    if not os.access(conclave, os.X_OK):
        sys.exit(f"fb_test: {conclave} missing (make)")
    keys = os.path.join(TOP, "tests", "vectors", "keys")
    stick = make_stick(os.path.join(tmp, "keys.img"), [
        (os.path.join(keys, "holder1.asc"), "holder-alice.asc"),
        (os.path.join(keys, "holder2.asc"), "holder-bob.asc"),
        (os.path.join(keys, "holder3.asc"), "holder-carol.asc"),
        (os.path.join(keys, "operator.asc"), "operator-olga.asc"),
        (os.path.join(keys, "witness.asc"), "witness-walt.asc")], label="EXCHANGE")
    esp = esp_stick(os.path.join(tmp, "esp.img"), os.path.join(out, "conclave.efi"))
    # The ESP on virtio: conclave ui looks at USB disks only.
    g = Guest(uefi_args(tmp) + usb_controller() + ["-nic", "none",
              "-drive", "if=none,id=boot,format=raw,readonly=on,file=" + esp,
              "-device", "virtio-blk-pci,drive=boot,bootindex=0"] + stick_args("keys", stick),
              os.path.join(out, "test-fb.log"), tmp)
    s = Display(g, tmp)
    try:
        if not check("fb: the UKI boots under UEFI to the consoles", g.expect(ASK, BOOT)):
            return
        w, h, _ = s.dump(os.path.join(tmp, "boot.png"))
        print(f"# the guest's screen: {w}x{h}", flush=True)
        # The screen's console (tty1): Enter starts the guided UI there,
        # which finds the exchange stick and mounts it.
        time.sleep(3)
        check("fb: the guided UI starts on tty1", s.press("ret"))
        time.sleep(10)
        # An init ceremony on the stick's roster, as tests/uidrive.sh
        # ui_init_begun: the kind, the roster, the threshold, five keys'
        # words confirmed, begin; then the wait for the bridge.
        for k in ["ret", "ret", "ret", "y", "y", "y", "y", "y"]:
            s.press(k)
        began = s.press("y", 2 * STEP)
        check("fb: the init ceremony begins", began)
        # the stick unmounted for the bridge, the wait (its clock runs: no
        # settling); the UI kept the envelope for the codes
        s.key("ret")
        time.sleep(5)
        s.key("c")
        time.sleep(5)
        _, _, gray = s.dump(os.path.join(tmp, "qr.png"))
        check("fb: c draws the code in pixels on the framebuffer",
              white_share(gray, w, h) > 0.2, f"{white_share(gray, w, h):.2f} white")
        got = os.path.join(tmp, "got.env")
        last = film(s, conclave, os.path.join(tmp, "default"), got)
        check("fb: qr-decode rebuilds the envelope from the screen, default density",
              os.path.exists(got), " / ".join(last))
        k = re.search(r"(\d+)/\1 fragments", " ".join(last))
        for _ in range(25):
            s.key("d")
            time.sleep(0.2)
        time.sleep(3)
        dense = os.path.join(tmp, "dense.env")
        last2 = film(s, conclave, os.path.join(tmp, "dense"), dense)
        check("fb: and at the densest codes the screen holds", os.path.exists(dense), " / ".join(last2))
        k2 = re.search(r"(\d+)/\1 fragments", " ".join(last2))
        print(f"# {w}x{h}: the init request in {k.group(1) if k else '?'} codes by default, "
              f"{k2.group(1) if k2 else '?'} at the densest", flush=True)
        # Text codes on this console (160x50 cells) need 11 codes at their
        # densest (measured with the UI's framebuffer left unused).
        check("fb: the densest codes are pixels, not text cells (at most 4 codes)",
              k2 is not None and int(k2.group(1)) <= 4, k2.group(0) if k2 else "no count")
        s.key("esc")
        time.sleep(5)
        _, _, gray = s.dump(os.path.join(tmp, "back.png"))
        check("fb: Esc gives the console's text back", white_share(gray, w, h) < 0.05,
              f"{white_share(gray, w, h):.2f} white")
    finally:
        g.proc.kill()
        g.proc.wait()
        g.log.close()
    # What the UI wrote on the stick, read on the host.
    r = subprocess.run(["mdir", "-i", stick, "-/", "-b", "::/"], capture_output=True, text=True)
    env = [p for p in r.stdout.split() if p.endswith("-init-request.env")]
    mine = os.path.join(tmp, "stick.env")
    if env:
        subprocess.run(["mcopy", "-o", "-i", stick, env[0], mine], check=True)
    for name, f in (("default", got), ("densest", dense)):
        same = env and os.path.exists(f) and open(f, "rb").read() == open(mine, "rb").read()
        check(f"fb: the codes ({name}) carried the stick's init request byte for byte", same)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", default=os.path.join(TOP, "build", "image"))
    a = ap.parse_args()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        test_fb(a.out, tmp)
    print(f"# framebuffer test took {time.monotonic() - t0:.0f} s; serial log in {a.out}/test-fb.log")
    print(f"{boot_test.passed} passed, {boot_test.failed} failed")
    sys.exit(0 if boot_test.failed == 0 and boot_test.passed > 0 else 1)


if __name__ == "__main__":
    main()
