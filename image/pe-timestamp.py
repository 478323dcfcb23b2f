#!/usr/bin/env python3
"""Sets a PE file's COFF TimeDateStamp and recomputes its optional-header
checksum (image/build.sh): objcopy stamps the unified kernel image with the
current time, and a rebuild must give the same bits.
  pe-timestamp.py FILE SECONDS"""
import array, struct, sys
path, stamp = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
pe = struct.unpack_from("<I", b, 0x3C)[0]
if b[pe:pe + 4] != b"PE\0\0":
    sys.exit("not a PE file: " + path)
struct.pack_into("<I", b, pe + 8, stamp)
ck = pe + 24 + 64
struct.pack_into("<I", b, ck, 0)
s = sum(array.array("H", bytes(b[:len(b) & ~1])))
if len(b) & 1:
    s += b[-1]
while s >> 16:
    s = (s & 0xFFFF) + (s >> 16)
struct.pack_into("<I", b, ck, s + len(b))
open(path, "wb").write(b)
