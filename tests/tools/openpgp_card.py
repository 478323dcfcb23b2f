#!/usr/bin/python3
"""A virtual OpenPGP card (v3.4 subset) behind vsmartcard's vpcd reader.

Test-only (never installed). pcscd loads vpcd (the vsmartcard-vpcd
package) as a reader driver, which listens on PORT; this process connects
to it, and while it is connected a card is in the reader (vpcd binds every
address: the test runs it in a network namespace of its own, with only
lo). Ending this process pulls the card out. gpg's scdaemon then talks to it over PC/SC exactly as to any
OpenPGP card: SELECT, GET DATA, VERIFY, PUT DATA (keytocard), GENERATE
ASYMMETRIC KEY PAIR (read the public key), PSO:DECIPHER. RSA keys (any
size gpg imports) and, for decryption, ECDH on Curve25519; no other
curve, no signing, no secure messaging, no KDF-DO.

    openpgp_card.py --port PORT --state FILE [--remove-on-decipher FLAG]

The card's contents (keys, fingerprints, PINs, retry counters) live in the
JSON state FILE, so a card keeps its key when it is "removed" (this process
ends) and "inserted" again (started again). A new FILE is a blank card with
the user PIN 123456 and the admin PIN from $CARD_ADMIN_PIN or 12345678, and
three tries on each. With --remove-on-decipher FLAG, if the file FLAG exists
when a PSO:DECIPHER arrives, the card is pulled out mid-operation: FLAG is
removed, the connection dropped without an answer, and the process exits.

Wire format (vpcd): every message is a 2-byte big-endian length and the
bytes; a 1-byte message is a control code (0 power off, 1 power on,
2 reset, 4 ATR request), anything longer a command APDU to answer.
"""
import argparse
import functools
import json
import os
import socket
import struct
import sys
import time

AID_PREFIX = bytes.fromhex("D2760001240103040000")  # v3.4, maker 0000 (test)
# Historical bytes: card capabilities (73) C0 01 C0 = command chaining and
# extended Lc/Le; life cycle 05, status 9000.
HIST = bytes.fromhex("0031C573C001C0059000")
# T=1 with 10 historical bytes (interface bytes as an OpenPGP token sends
# them), then TCK: the XOR of every byte after TS.
_ATR = bytes.fromhex("3BDA18FF81B1FE751F03") + HIST
ATR = _ATR + bytes([functools.reduce(lambda a, b: a ^ b, _ATR[1:])])
SW_OK = b"\x90\x00"


def sw(code):
    return struct.pack(">H", code)


def tlv(tag, value):
    t = struct.pack(">H", tag) if tag > 0xFF else bytes([tag])
    n = len(value)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + struct.pack(">H", n)
    return t + ln + value


def read_len(buf, i):
    """A BER length at buf[i]: (length, index after it)."""
    n = buf[i]
    if n == 0x81:
        return buf[i + 1], i + 2
    if n == 0x82:
        return buf[i + 1] << 8 | buf[i + 2], i + 3
    return n, i + 1


def parse_tlv(buf):
    """BER-TLV walk: yields (tag, value); tags of one or two bytes."""
    i = 0
    while i < len(buf):
        tag = buf[i]
        i += 1
        if tag & 0x1F == 0x1F:
            tag = tag << 8 | buf[i]
            i += 1
        n, i = read_len(buf, i)
        yield tag, buf[i:i + n]
        i += n


# Curve25519 (RFC 7748) for ECDH keys: the OID in key attributes, and X25519.
CV25519_OID = bytes.fromhex("2B060104019755010501")
_P = 2**255 - 19


def x25519(k, u):
    """X25519 of scalar k and u-coordinate u, both 32 bytes little-endian."""
    k = bytearray(k)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    k = int.from_bytes(k, "little")
    u = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, u, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb = a * a % _P, b * b % _P
        e = (aa - bb) % _P
        da, cb = d * a % _P, c * b % _P
        x3, z3 = (da + cb) ** 2 % _P, u * (da - cb) ** 2 % _P
        x2, z2 = aa * bb % _P, e * (aa + 121665 * e) % _P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, _P - 2, _P) % _P).to_bytes(32, "little")


def i2b(x, n=None):
    n = n or max(1, (x.bit_length() + 7) // 8)
    return x.to_bytes(n, "big")


class Card:
    SLOTS = {0xB6: "sig", 0xB8: "dec", 0xA4: "aut"}

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            with open(path) as f:
                self.s = json.load(f)
        else:
            self.s = {
                "serial": int.from_bytes(os.urandom(4), "big"),
                "pw1": "123456",
                "pw3": os.environ.get("CARD_ADMIN_PIN", "12345678"),
                "tries": [3, 0, 3],
                "keys": {},
                "fpr": {"sig": "", "dec": "", "aut": ""},
                "time": {"sig": 0, "dec": 0, "aut": 0},
                "attr": {"sig": "010800002000", "dec": "010800002000",
                         "aut": "010800002000"},
            }
            self.save()
        self.verified = set()
        self.chain = b""
        self.pending = b""

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.s, f)
        os.replace(tmp, self.path)

    # ---- data objects ----
    def aid(self):
        return AID_PREFIX + struct.pack(">I", self.s["serial"]) + b"\x00\x00"

    def pw_status(self):
        return bytes([0x01, 0x7F, 0x7F, 0x7F] + self.s["tries"])

    def fprs(self):
        return b"".join(bytes.fromhex(self.s["fpr"][k] or "00" * 20)
                        for k in ("sig", "dec", "aut"))

    def times(self):
        return b"".join(struct.pack(">I", self.s["time"][k])
                        for k in ("sig", "dec", "aut"))

    def get_data(self, tag):
        attr = self.s["attr"]
        extcap = bytes.fromhex("34000000080000FF0000")  # import, pw, attrs
        if tag == 0x4F:
            return self.aid()
        if tag == 0x5F52:
            return HIST
        if tag == 0xC4:
            return self.pw_status()
        if tag == 0x6E:
            disc = (tlv(0xC0, extcap) + tlv(0xC1, bytes.fromhex(attr["sig"])) +
                    tlv(0xC2, bytes.fromhex(attr["dec"])) +
                    tlv(0xC3, bytes.fromhex(attr["aut"])) +
                    tlv(0xC4, self.pw_status()) + tlv(0xC5, self.fprs()) +
                    tlv(0xC6, b"\x00" * 60) + tlv(0xCD, self.times()))
            return (tlv(0x4F, self.aid()) + tlv(0x5F52, HIST) +
                    tlv(0x7F66, bytes.fromhex("0202080002020800")) +
                    tlv(0x73, disc))
        if tag == 0x65:
            return tlv(0x5B, b"") + tlv(0x5F2D, b"en") + tlv(0x5F35, b"9")
        if tag == 0x7A:
            return tlv(0x93, b"\x00\x00\x00")
        if tag in (0x5E, 0x5F50, 0x7F21):
            return b""
        if tag == 0xC0:
            return extcap
        if tag in (0xC1, 0xC2, 0xC3):
            return bytes.fromhex(attr[("sig", "dec", "aut")[tag - 0xC1]])
        if tag == 0xC5:
            return self.fprs()
        if tag == 0xCD:
            return self.times()
        if tag == 0x7F66:
            return bytes.fromhex("0202080002020800")
        return None

    # ---- commands ----
    def verify(self, p2, data):
        idx = 2 if p2 == 0x83 else 0
        if p2 not in (0x81, 0x82, 0x83):
            return sw(0x6A86)
        if not data:
            if p2 in self.verified:
                return SW_OK
            return sw(0x63C0 | self.s["tries"][idx])
        if self.s["tries"][idx] == 0:
            return sw(0x6983)
        want = self.s["pw3" if p2 == 0x83 else "pw1"].encode()
        if data != want:
            self.s["tries"][idx] -= 1
            self.save()
            self.verified.discard(p2)
            left = self.s["tries"][idx]
            return sw(0x6983) if left == 0 else sw(0x63C0 | left)
        self.s["tries"][idx] = 3
        self.save()
        self.verified.add(p2)
        return SW_OK

    def put_data(self, tag, data):
        if 0x83 not in self.verified:
            return sw(0x6982)
        names = {0xC7: ("fpr", "sig"), 0xC8: ("fpr", "dec"),
                 0xC9: ("fpr", "aut"), 0xCE: ("time", "sig"),
                 0xCF: ("time", "dec"), 0xD0: ("time", "aut")}
        if tag in names:
            kind, slot = names[tag]
            self.s[kind][slot] = (data.hex() if kind == "fpr"
                                  else struct.unpack(">I", data)[0])
        elif tag in (0xC1, 0xC2, 0xC3):
            # RSA, or ECDH on Curve25519 for the decryption key
            if data[0] != 0x01 and not (tag == 0xC2 and data[0] == 0x12 and
                                        data[1:1 + len(CV25519_OID)] ==
                                        CV25519_OID):
                return sw(0x6A80)
            self.s["attr"][("sig", "dec", "aut")[tag - 0xC1]] = data.hex()
        elif tag in (0xCA, 0xCB, 0xCC, 0x5B, 0x5F2D, 0x5F35, 0x5E, 0x5F50):
            pass
        else:
            return sw(0x6A88)
        self.save()
        return SW_OK

    def import_key(self, data):
        """PUT DATA 3FFF: extended header list 4D {CRT, 7F48, 5F48}."""
        if 0x83 not in self.verified:
            return sw(0x6982)
        ((tag, body),) = list(parse_tlv(data))
        if tag != 0x4D:
            return sw(0x6A80)
        items = list(parse_tlv(body))
        slot = self.SLOTS.get(items[0][0])
        tmpl = dict(items)
        if slot is None or 0x7F48 not in tmpl or 0x5F48 not in tmpl:
            return sw(0x6A80)
        # 7F48 lists tag/length pairs with no values (lengths only).
        lens, t, i = [], tmpl[0x7F48], 0
        while i < len(t):
            n, j = read_len(t, i + 1)
            lens.append((t[i], n))
            i = j
        parts, off = {}, 0
        for tg, n in lens:
            parts[tg] = tmpl[0x5F48][off:off + n]
            off += n
        if 0x92 in parts and 0x91 not in parts:
            # ECDH Curve25519: the private key as OpenPGP keeps it, a
            # big-endian number; X25519 wants it little-endian.
            d = parts[0x92].rjust(32, b"\x00")[::-1]
            self.s["keys"][slot] = {"x25519": d.hex()}
            self.save()
            return SW_OK
        e, p, q = (int.from_bytes(parts[t], "big") for t in (0x91, 0x92, 0x93))
        n = p * q
        d = pow(e, -1, (p - 1) * (q - 1))
        self.s["keys"][slot] = {"n": hex(n), "e": hex(e), "d": hex(d)}
        self.save()
        return SW_OK

    def read_pubkey(self, data):
        slot = self.SLOTS.get(data[0]) if data else None
        k = self.s["keys"].get(slot)
        if k is None:
            return sw(0x6A88)
        if "x25519" in k:
            pub = x25519(bytes.fromhex(k["x25519"]), b"\x09" + b"\x00" * 31)
            return tlv(0x7F49, tlv(0x86, pub)) + SW_OK  # native, no 0x40
        n, e = int(k["n"], 16), int(k["e"], 16)
        return tlv(0x7F49, tlv(0x81, i2b(n)) + tlv(0x82, i2b(e))) + SW_OK

    def decipher(self, data):
        if 0x82 not in self.verified:
            return sw(0x6982)
        k = self.s["keys"].get("dec")
        if k is not None and "x25519" in k:
            # A6 { 7F49 { 86 <the sender's ephemeral key, 0x40 optional> } }
            try:
                (_, a6), = parse_tlv(data)
                (_, pk), = parse_tlv(a6)
                (_, point), = parse_tlv(pk)
            except ValueError:
                return sw(0x6A80)
            if len(point) == 33 and point[0] == 0x40:
                point = point[1:]
            if len(point) != 32:
                return sw(0x6A80)
            return x25519(bytes.fromhex(k["x25519"]), point) + SW_OK
        if k is None or not data or data[0] != 0x00:
            return sw(0x6A80)
        n, d = int(k["n"], 16), int(k["d"], 16)
        size = (n.bit_length() + 7) // 8
        m = i2b(pow(int.from_bytes(data[1:], "big"), d, n), size)
        # PKCS #1 v1.5 type 2: 00 02 PS(>= 8 non-zero) 00 M
        sep = m.find(b"\x00", 2)
        if m[:2] != b"\x00\x02" or sep < 10:
            return sw(0x6A80)
        return m[sep + 1:] + SW_OK

    def respond(self, data, le):
        """Up to le bytes now; the rest through GET RESPONSE (61xx)."""
        body, status = data[:-2], data[-2:]
        if len(body) <= le:
            return data
        self.pending = body[le:] + status
        rest = len(self.pending) - 2
        return body[:le] + sw(0x6100 | (rest if rest < 256 else 0))

    def apdu(self, a, remove_flag):
        cla, ins, p1, p2 = a[0], a[1], a[2], a[3]
        body = a[4:]
        data, le = b"", 256
        if len(body) == 1:
            le = body[0] or 256
        elif len(body) == 3 and body[0] == 0:
            le = (body[1] << 8 | body[2]) or 65536
        elif len(body) > 1 and body[0] == 0 and len(body) >= 3:
            lc = body[1] << 8 | body[2]
            data = body[3:3 + lc]
            tail = body[3 + lc:]
            le = (tail[0] << 8 | tail[1]) or 65536 if len(tail) == 2 else 65536
        elif body:
            lc = body[0]
            data = body[1:1 + lc]
            tail = body[1 + lc:]
            le = (tail[0] or 256) if tail else 256
        if cla & 0x10:
            self.chain += data
            return SW_OK
        if self.chain:
            data = self.chain + data
            self.chain = b""
        if ins == 0xC0:
            out, self.pending = self.pending, b""
            return self.respond(out or sw(0x6985), le)
        if ins == 0xA4:
            return SW_OK if data == AID_PREFIX[:6] else sw(0x6A82)
        if ins == 0xCA:
            v = self.get_data(p1 << 8 | p2)
            return sw(0x6A88) if v is None else self.respond(v + SW_OK, le)
        if ins == 0x20:
            return self.verify(p2, data)
        if ins == 0xDA:
            return self.put_data(p1 << 8 | p2, data)
        if ins == 0xDB and (p1, p2) == (0x3F, 0xFF):
            return self.import_key(data)
        if ins == 0x47 and p1 == 0x81:
            return self.respond(self.read_pubkey(data), le)
        if ins == 0x2A and (p1, p2) == (0x80, 0x86):
            if remove_flag and os.path.exists(remove_flag):
                os.unlink(remove_flag)
                raise SystemExit(0)  # pulled out: no answer, no card
            return self.respond(self.decipher(data), le)
        if ins == 0x2A and (p1, p2) == (0x9E, 0x9A):
            return sw(0x6982)  # signing is not offered
        return sw(0x6D00)


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        part = c.recv(n - len(buf))
        if not part:
            raise EOFError
        buf += part
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--remove-on-decipher")
    o = ap.parse_args()
    card = Card(o.state)
    # Inserting the card: connect to the reader (vpcd listens); retry
    # while pcscd is still starting.
    for _ in range(100):
        try:
            c = socket.create_connection(("127.0.0.1", o.port))
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("openpgp_card: no vpcd reader on 127.0.0.1:%d" % o.port)
    print("inserted", flush=True)
    try:
        while True:
            (n,) = struct.unpack(">H", recv_exact(c, 2))
            msg = recv_exact(c, n)
            if n == 1:
                if msg[0] == 4:
                    c.sendall(struct.pack(">H", len(ATR)) + ATR)
                else:  # power on/off, reset: the session starts over
                    card.verified.clear()
                    card.chain = card.pending = b""
                continue
            r = card.apdu(msg, o.remove_on_decipher)
            c.sendall(struct.pack(">H", len(r)) + r)
    except (EOFError, SystemExit):
        pass
    c.close()


if __name__ == "__main__":
    main()
