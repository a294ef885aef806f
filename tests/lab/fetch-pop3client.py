#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# tests/lab/fetch-pop3client.py MODE PORT DIR — one POP3 client of a
# --forward on 127.0.0.1:PORT, for tests that need several at once and some
# that misbehave (curl and fetchmail can do neither on demand). The login is
# LAB_POP3_USER / LAB_POP3_PASS from the environment. A test fixture, never
# product code. Modes:
#   session  logs in, creates DIR/in, waits (at most 60 s) until DIR/../go
#            exists, then LISTs and RETRs every message and writes the md5 of
#            each (as the server's Maildir file has it: LF line ends) to
#            DIR/digests, one a line, then QUITs; DIR/done at the end
#   early    reads the banner and hangs up
#   cut      logs in, asks for RETR 1, reads a few bytes of it and dies
#            (os._exit: the socket closes with unread bytes, a reset)
# Exits 0 when the mode's part went as described, 1 otherwise (stderr says).
import hashlib
import os
import poplib
import socket
import sys
import time

MODE, PORT, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
USER, PASS = os.environ["LAB_POP3_USER"], os.environ["LAB_POP3_PASS"]


def touch(path):
    with open(path, "w"):
        pass


def session():
    p = poplib.POP3("127.0.0.1", PORT, timeout=60)
    p.user(USER)
    p.pass_(PASS)
    touch(os.path.join(DIR, "in"))
    go = os.path.join(DIR, "..", "go")
    for _ in range(1200):
        if os.path.exists(go):
            break
        time.sleep(0.05)
    else:
        sys.exit("session: no go within 60 s")
    _, listing, _ = p.list()
    out = []
    for line in listing:
        num = int(line.split()[0])
        _, lines, _ = p.retr(num)
        out.append(hashlib.md5(b"\n".join(lines) + b"\n").hexdigest())
    p.quit()
    with open(os.path.join(DIR, "digests"), "w") as f:
        f.write("".join(d + "\n" for d in sorted(out)))
    touch(os.path.join(DIR, "done"))


def early():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=60)
    if not s.recv(512).startswith(b"+OK"):
        sys.exit("early: no banner")
    s.close()


def cut():
    p = poplib.POP3("127.0.0.1", PORT, timeout=60)
    p.user(USER)
    p.pass_(PASS)
    p.sock.sendall(b"RETR 1\r\n")
    got = p.sock.recv(4096)
    if not got.startswith(b"+OK"):
        sys.exit("cut: RETR 1 answered %r" % got[:40])
    touch(os.path.join(DIR, "in"))
    os._exit(0)


{"session": session, "early": early, "cut": cut}[MODE]()
