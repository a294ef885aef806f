#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# tests/lab/fetch-fakeimap.py DIR PORT — an IMAP server that breaks the rules
# on demand, for faults no real server produces when asked (a body literal cut
# short, a body for another UID, an endless line, a dripped body, no
# UIDVALIDITY). A test fixture, never product code; it listens on 127.0.0.1
# only and is reached through the lab's real sshd, like dovecot.
#
# The folder is DIR/box/: the message with UID N is N.msg (CRLF lines), N
# decimal; UIDVALIDITY 7. Knobs, files in DIR:
#   cut            "UID OCTETS": that body's literal stops after OCTETS, the connection closes
#   wrong-uid      "UID": that body comes back labelled UID + 1000
#   long-line      (any content) SELECT is followed by a 10000-octet untagged line
#   no-uidvalidity (any content) SELECT says no UIDVALIDITY
#   drip           "UID SECONDS": that body goes out one octet per SECONDS
#   gone           "UID": listed, but its UID FETCH finds nothing (another client
#                  expunged it in between)
# Every command is appended to DIR/log (LOGIN's arguments left out); a UID
# STORE +FLAGS (\Deleted) and UID EXPUNGE remove the file.
import os
import re
import socketserver
import sys
import time

DIR = sys.argv[1]
BOX = os.path.join(DIR, "box")


def knob(name):
    try:
        with open(os.path.join(DIR, name), "rb") as f:
            return f.read().split()
    except FileNotFoundError:
        return None


def messages():
    names = sorted(n for n in os.listdir(BOX) if n.endswith(".msg"))
    return [(int(n[:-4]), os.path.join(BOX, n)) for n in names]


def log(line):
    with open(os.path.join(DIR, "log"), "ab") as f:
        f.write(line + b"\n")


class Session(socketserver.StreamRequestHandler):
    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def body(self, tag, uid, path):
        with open(path, "rb") as f:
            data = f.read()
        cut, wrong, drip = knob("cut"), knob("wrong-uid"), knob("drip")
        label = uid + 1000 if wrong and int(wrong[0]) == uid else uid
        self.send(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, label, len(data)))
        if cut and int(cut[0]) == uid:
            self.send(data[: int(cut[1])])
            return False
        if drip and int(drip[0]) == uid:
            for b in data:
                self.send(bytes([b]))
                time.sleep(float(drip[1]))
        else:
            self.send(data)
        self.send(b")\r\n%s OK done\r\n" % tag)
        return True

    def handle(self):
        deleted = set()
        self.send(b"* OK fake IMAP ready\r\n")
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            tag, _, rest = line.partition(b" ")
            verb = rest.split(b" ")[0].upper()
            log(tag + b" LOGIN" if verb == b"LOGIN" else line)
            msgs = dict(messages())
            if verb == b"LOGIN":
                self.send(tag + b" OK logged in\r\n")
            elif verb == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1 UIDPLUS\r\n" + tag + b" OK\r\n")
            elif verb in (b"SELECT", b"EXAMINE"):
                self.send(b"* %d EXISTS\r\n" % len(msgs))
                if knob("no-uidvalidity") is None:
                    self.send(b"* OK [UIDVALIDITY 7] UIDs valid\r\n")
                if knob("long-line") is not None:
                    self.send(b"* OK " + b"x" * 10000 + b"\r\n")
                self.send(tag + b" OK [READ-WRITE] selected\r\n")
            elif rest.upper().startswith(b"UID FETCH 1:*"):
                for uid, path in sorted(msgs.items()):
                    with open(path, "rb") as f:
                        data = f.read()
                    mid = re.search(rb"(?im)^message-id:[^\r\n]*\r\n", data)
                    hdr = (mid.group(0) if mid else b"") + b"\r\n"
                    self.send(b"* %d FETCH (UID %d RFC822.SIZE %d BODY[HEADER.FIELDS "
                              b"(MESSAGE-ID)] {%d}\r\n%s)\r\n" % (uid, uid, len(data), len(hdr), hdr))
                self.send(tag + b" OK fetched\r\n")
            elif rest.upper().startswith(b"UID FETCH "):
                uid = int(rest.split(b" ")[2])
                gone = knob("gone")
                if uid in msgs and not (gone and int(gone[0]) == uid):
                    if not self.body(tag, uid, msgs[uid]):
                        return
                else:
                    self.send(tag + b" OK nothing\r\n")
            elif rest.upper().startswith(b"UID STORE "):
                deleted.add(int(rest.split(b" ")[2]))
                self.send(tag + b" OK stored\r\n")
            elif rest.upper().startswith(b"UID EXPUNGE") or verb == b"EXPUNGE":
                for uid in sorted(deleted, reverse=True):
                    if uid in msgs:
                        os.unlink(msgs[uid])
                deleted.clear()
                self.send(tag + b" OK expunged\r\n")
            elif verb == b"LOGOUT":
                self.send(b"* BYE bye\r\n" + tag + b" OK\r\n")
                return
            else:
                self.send(tag + b" BAD what\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", int(sys.argv[2])), Session) as s:
    with open(os.path.join(DIR, "ready"), "w"):
        pass
    s.serve_forever()
