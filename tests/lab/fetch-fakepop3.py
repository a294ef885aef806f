#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# tests/lab/fetch-fakepop3.py DIR PORT — a POP3 server that breaks the rules
# on demand, for faults no real server produces when asked (duplicate or
# non-ASCII UIDLs, a body dripped a byte at a time). A test fixture, never
# product code; it listens on 127.0.0.1 only and is reached through the lab's
# real sshd, like dovecot.
#
# The maildrop is DIR/box/: message i is NNNN.msg (the body, CRLF lines) with
# NNNN.uidl (the UIDL's raw bytes), in name order. Knobs, files in DIR:
#   listing-extra  raw lines appended to the UIDL reply (a "-5 x" line, …)
#   drip           "N SECONDS": message N's body goes out one byte per SECONDS
#   lie-size       "N OCTETS": LIST says message N has OCTETS
#   no-pipelining  (any content) CAPA does not say PIPELINING (it does by default)
#   retr-reply     "N BYTES…": RETR N is answered with these raw bytes instead
#   cut            "N OCTETS": RETR N's reply stops after OCTETS, the connection closes
# Every command is appended to DIR/log, with " +ahead" when the next command had
# already arrived as this one was read (the client pipelines); DELEs take
# effect at QUIT.
import os
import socket
import socketserver
import sys
import time

DIR = sys.argv[1]
BOX = os.path.join(DIR, "box")


def knob(name):
    try:
        with open(os.path.join(DIR, name), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def messages():
    names = sorted(n[:-4] for n in os.listdir(BOX) if n.endswith(".msg"))
    out = []
    for n in names:
        with open(os.path.join(BOX, n + ".msg"), "rb") as f:
            body = f.read()
        with open(os.path.join(BOX, n + ".uidl"), "rb") as f:
            uidl = f.read().rstrip(b"\n")
        out.append((n, uidl, body))
    return out


def stuffed(body):
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)


class Session(socketserver.StreamRequestHandler):
    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def ahead(self):
        """true when more of the client's bytes wait, without blocking"""
        self.connection.setblocking(False)
        try:
            return bool(self.rfile.peek(1))
        except (BlockingIOError, TypeError):
            return False
        finally:
            self.connection.setblocking(True)

    def handle(self):
        msgs = messages()
        deleted = set()
        log = open(os.path.join(DIR, "log"), "ab", buffering=0)
        self.send(b"+OK fake ready\r\n")
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            verb, _, arg = line.partition(b" ")
            verb = verb.upper()
            shown = line if verb != b"PASS" else b"PASS *"
            log.write(shown + (b" +ahead" if self.ahead() else b"") + b"\n")
            n = int(arg) if arg.isdigit() else 0
            if verb == b"CAPA":
                pipe = b"" if knob("no-pipelining") is not None else b"PIPELINING\r\n"
                self.send(b"+OK\r\nUSER\r\nUIDL\r\n" + pipe + b".\r\n")
            elif verb in (b"USER", b"PASS", b"NOOP"):
                self.send(b"+OK\r\n")
            elif verb == b"UIDL":
                out = b"".join(b"%d %s\r\n" % (i + 1, m[1]) for i, m in enumerate(msgs))
                self.send(b"+OK\r\n" + out + (knob("listing-extra") or b"") + b".\r\n")
            elif verb == b"LIST":
                lie = (knob("lie-size") or b"0 0").split()
                sizes = [len(m[2]) for m in msgs]
                if int(lie[0]) >= 1:
                    sizes[int(lie[0]) - 1] = int(lie[1])
                out = b"".join(b"%d %d\r\n" % (i + 1, s) for i, s in enumerate(sizes))
                self.send(b"+OK\r\n" + out + b".\r\n")
            elif verb == b"RETR" and 1 <= n <= len(msgs):
                if not self.retr(n, msgs[n - 1][2]):
                    return
            elif verb == b"DELE" and 1 <= n <= len(msgs):
                deleted.add(n)
                self.send(b"+OK deleted\r\n")
            elif verb == b"QUIT":
                for i in deleted:
                    os.unlink(os.path.join(BOX, msgs[i - 1][0] + ".msg"))
                    os.unlink(os.path.join(BOX, msgs[i - 1][0] + ".uidl"))
                self.send(b"+OK bye\r\n")
                return
            else:
                self.send(b"-ERR no\r\n")

    def retr(self, n, body):
        """false when the connection is to close"""
        data = b"+OK\r\n" + stuffed(body) + b".\r\n"
        other = (knob("retr-reply") or b"0 ").split(b" ", 1)
        if int(other[0]) == n:
            data = other[1]
        cut = (knob("cut") or b"0 0").split()
        if int(cut[0]) == n:
            self.send(data[:int(cut[1])])
            self.connection.shutdown(socket.SHUT_RDWR)
            return False
        drip = (knob("drip") or b"0 0").split()
        if int(drip[0]) != n:
            self.send(data)
            return True
        self.send(data[:5])
        for b in data[5:]:
            time.sleep(float(drip[1]))
            self.send(bytes([b]))
        return True


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", int(sys.argv[2])), Session) as s:
    with open(os.path.join(DIR, "ready"), "w"):
        pass
    s.serve_forever()
