#!/usr/bin/env python3
"""fb2png W H OUTDIR FILE...: each FILE, a framebuffer's memory of W x H
pixels of XRGB8888 with rows packed (what `conclave ui --framebuffer FILE
--framebuffer-size WxH` draws on), as OUTDIR/FILE-name.png in 8-bit gray
(the blue channel: the codes are black and white)."""
import os
import struct
import sys
import zlib


def png(w, h, gray):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + \
            struct.pack(">I", zlib.crc32(body) & 0xffffffff)
    rows = b"".join(b"\0" + gray[y * w:(y + 1) * w] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def main():
    w, h, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    for f in sys.argv[4:]:
        with open(f, "rb") as fh:
            raw = fh.read(w * h * 4)
        if len(raw) != w * h * 4:
            sys.exit("fb2png: %s: shorter than %dx%d" % (f, w, h))
        with open(os.path.join(out, os.path.basename(f) + ".png"), "wb") as o:
            o.write(png(w, h, raw[0::4]))


main()
