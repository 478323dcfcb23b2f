#!/usr/bin/env python3
"""Test-only: a TCP relay that records what passes through it.

    tcp_record.py TARGET_PORT PORT_FILE LOG_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE once it listens),
relays every connection to 127.0.0.1:TARGET_PORT, and appends the bytes of
both directions to LOG_FILE (mode 0600). tests/integration/residue.sh puts
it between the bridge and OpenBao to learn the secrets only the bridge and
the server see (the generate-root OTP, in the attempt's request body) and
then looks for them in the bridge's memory. Plain HTTP on the loopback
only; test data only.
"""
import os
import socket
import sys
import threading

target = int(sys.argv[1])
port_file, log_file = sys.argv[2], sys.argv[3]
lock = threading.Lock()
log = os.fdopen(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")


def pump(src, dst):
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if not data:
            break
        with lock:
            log.write(data)
            log.flush()
        try:
            dst.sendall(data)
        except OSError:
            break
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(port_file + ".tmp", port_file)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
