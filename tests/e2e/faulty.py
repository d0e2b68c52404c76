"""faulty.py: a small misbehaving HTTP/1.1 target for the fault matrix (test_faults.py).

One thread accepts on 127.0.0.1 (an ephemeral port, or a given one); each connection gets a
thread that reads requests and answers per path, misbehaving on purpose. It counts what it
received (connections, TLS handshakes that failed, requests per path) so that a test can compare
with what loadc reports without going through loadc. Standard library only; every wait is bounded
by stop(). With a certificate and key, connections are TLS (Python's ssl module).

Paths (the query string is ignored):
  /ok                 200, 2-byte body, keep-alive
  /reset              headers with Content-Length 1000, 100 bytes, then RST (SO_LINGER 0)
  /stall              reads the request, never answers
  /body-stall         headers with Content-Length 1000, 10 bytes, then nothing
  /drip               headers with Content-Length 100, then one byte a second
  /bad-status         a status line that is not HTTP
  /bad-header         a header line without a colon
  /huge-header        a 2 MB header
  /trunc-chunked      a chunked body cut after its first chunk (connection closed)
  /cl-short           Content-Length 5 with a 10-byte body, then close
  /cl-long            Content-Length 20 with a 10-byte body, then close
  /big                100 MB body, streamed from one 64 KiB block (never held whole)
  /http10             HTTP/1.0 response without keep-alive, then close
  /close              HTTP/1.1 with Connection: close on every response, then close
Anything else: 404.
"""

import collections
import gzip
import socket
import ssl
import struct
import subprocess
import threading

HOST = "127.0.0.1"
BIG = 100 * 1000 * 1000
GZIP_JSON = b'{"count": 3, "items": ["a", "b", "c"]}'  # /gzip's body before compression
_BLOCK = b"x" * 65536


class FaultyServer:
    """The target. start() binds (port 0: ephemeral; else that port, with SO_REUSEADDR) and
    serves; stop() closes the listener and every open connection (the port then refuses);
    start() again binds the same port. counts() gives a snapshot of what was received."""

    def __init__(self, certfile=None, keyfile=None):
        self.port = 0
        self._ctx = None
        if certfile:
            self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ctx.load_cert_chain(certfile, keyfile)
        self._lock = threading.Lock()
        self._requests = collections.Counter()
        self._connections = 0
        self._tls_failures = 0
        self._conns = set()
        self._listener = None
        self._stopping = threading.Event()
        self._thread = None

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self._ctx else "http", HOST, self.port)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((HOST, self.port))
        ls.listen(512)
        self.port = ls.getsockname()[1]
        self._listener = ls
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, args=(ls, self._stopping),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Closes the listener and every connection; waits (bounded) for the accept thread."""
        self._stopping.set()
        ls, self._listener = self._listener, None
        if ls is not None:
            try:
                ls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            ls.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Zeroes the counts."""
        with self._lock:
            self._requests.clear()
            self._connections = 0
            self._tls_failures = 0

    def counts(self):
        """{'connections': N, 'tls_failures': N, 'requests': {path: N}, 'total': N}"""
        with self._lock:
            return {"connections": self._connections, "tls_failures": self._tls_failures,
                    "requests": dict(self._requests), "total": sum(self._requests.values())}

    # -- serving -----------------------------------------------------------------------------

    def _accept(self, ls, stopping):
        while not stopping.is_set():
            try:
                c, _ = ls.accept()
            except OSError:
                return
            with self._lock:
                self._connections += 1
                self._conns.add(c)
            threading.Thread(target=self._serve, args=(c, stopping), daemon=True).start()

    def _serve(self, raw, stopping):
        c = raw
        try:
            if self._ctx is not None:
                raw.settimeout(10)
                try:
                    c = self._ctx.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    with self._lock:
                        self._tls_failures += 1
                    return
                with self._lock:
                    self._conns.add(c)
            c.settimeout(None)
            buf = b""
            while not stopping.is_set():
                while b"\r\n\r\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                parts = line.split(" ")
                path = parts[1].split("?", 1)[0] if len(parts) > 1 else ""
                with self._lock:
                    self._requests[path] += 1
                if not self._answer(c, path, stopping):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(raw)
                self._conns.discard(c)
            try:
                c.close()
            except OSError:
                pass

    @staticmethod
    def _head(status, headers, version="HTTP/1.1"):
        return ("%s %s\r\n" % (version, status) + "".join("%s: %s\r\n" % h for h in headers)
                + "\r\n").encode()

    def _answer(self, c, path, stopping):
        """Answers one request; returns True to keep the connection for the next one."""
        h = self._head
        if path == "/ok":
            c.sendall(h("200 OK", [("Content-Length", 2)]) + b"ok")
            return True
        if path == "/reset":
            c.sendall(h("200 OK", [("Content-Length", 1000)]) + b"r" * 100)
            stopping.wait(0.2)  # let the client read the head and the first bytes
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if path == "/stall":
            stopping.wait(60)
            return False
        if path == "/body-stall":
            c.sendall(h("200 OK", [("Content-Length", 1000)]) + b"s" * 10)
            stopping.wait(60)
            return False
        if path == "/drip":
            c.sendall(h("200 OK", [("Content-Length", 100)]))
            for _ in range(100):
                c.sendall(b"d")
                if stopping.wait(1.0):
                    return False
            return True
        if path == "/bad-status":
            c.sendall(b"HELLO THERE\r\nContent-Length: 2\r\n\r\nok")
            return False
        if path == "/bad-header":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis line has no colon\r\n\r\nok")
            return False
        if path == "/huge-header":
            c.sendall(h("200 OK", [("Content-Length", 2), ("X-Huge", "h" * (2 << 20))]) + b"ok")
            return False
        if path == "/trunc-chunked":
            c.sendall(h("200 OK", [("Transfer-Encoding", "chunked")]) + b"a\r\n0123456789\r\n")
            return False
        if path == "/cl-short":
            c.sendall(h("200 OK", [("Content-Length", 5)]) + b"0123456789")
            return False
        if path == "/cl-long":
            c.sendall(h("200 OK", [("Content-Length", 20)]) + b"0123456789")
            return False
        if path == "/big":
            c.sendall(h("200 OK", [("Content-Length", BIG)]))
            left = BIG
            while left > 0:
                n = min(left, len(_BLOCK))
                c.sendall(_BLOCK[:n])
                left -= n
            return True
        if path == "/http10":
            c.sendall(h("200 OK", [("Content-Length", 2)], version="HTTP/1.0") + b"ok")
            return False
        if path == "/gzip":
            body = gzip.compress(GZIP_JSON)
            c.sendall(h("200 OK", [("Content-Length", len(body)), ("Content-Encoding", "gzip"),
                                   ("Content-Type", "application/json")]) + body)
            return True
        if path == "/close":
            c.sendall(h("200 OK", [("Content-Length", 2), ("Connection", "close")]) + b"ok")
            return False
        c.sendall(h("404 Not Found", [("Content-Length", 0)]))
        return True


def refusing_port():
    """A socket bound to an ephemeral port of 127.0.0.1 and not listening: connecting to the
    port is refused, and nothing else can take it while the socket is open. Close it when done."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    return s


# -- certificates --------------------------------------------------------------------------------


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


def make_certs(d):
    """Makes, with Debian's openssl command in directory d: a self-signed certificate for
    127.0.0.1/localhost ('self'), a CA ('ca'), and two certificates the CA signed: one expired
    ('expired', valid for 127.0.0.1) and one for another host name ('wronghost',
    www.example.invalid). Returns {name: (certfile, keyfile)}."""
    import os
    p = lambda n: os.path.join(d, n)
    san = "subjectAltName=DNS:localhost,IP:127.0.0.1"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("self.key"),
             "-out", p("self.pem"), "-days", "2", "-subj", "/CN=localhost", "-addext", san)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"),
             "-out", p("ca.pem"), "-days", "2", "-subj", "/CN=loadc test CA")
    for name, cn, ext, days in (("expired", "localhost", san, None),
                                ("wronghost", "www.example.invalid",
                                 "subjectAltName=DNS:www.example.invalid", "2")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p(name + ".key"),
                 "-out", p(name + ".csr"), "-subj", "/CN=" + cn)
        with open(p(name + ".ext"), "w") as f:
            f.write(ext + "\n")
        if days is None:
            # openssl 3.0 x509 has no -not_after; `ca` takes explicit dates
            _expired_sign(d, name)
        else:
            _openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"), "-CAkey",
                     p("ca.key"), "-CAcreateserial", "-out", p(name + ".pem"), "-days", days,
                     "-extfile", p(name + ".ext"))
    return {n: (p(n + ".pem"), p(n + ".key")) for n in ("self", "ca", "expired", "wronghost")}


def _expired_sign(d, name):
    import os
    p = lambda n: os.path.join(d, n)
    os.makedirs(p("ca.db"), exist_ok=True)
    open(p("ca.db/index.txt"), "w").close()
    with open(p("ca.db/serial"), "w") as f:
        f.write("1000\n")
    with open(p("ca.cnf"), "w") as f:
        f.write("""[ca]
default_ca = CA
[CA]
dir = %s
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
""" % p("ca.db"))
    _openssl("ca", "-batch", "-config", p("ca.cnf"), "-cert", p("ca.pem"), "-keyfile",
             p("ca.key"), "-in", p(name + ".csr"), "-out", p(name + ".pem"), "-notext",
             "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
             "-extensions", "ext")


def main(argv):
    """`faulty.py COUNTS_FILE COMMAND...`: serves on an ephemeral port, runs COMMAND with every
    `{url}` in it replaced by the target's URL, writes the counts as JSON to COUNTS_FILE, and
    exits with COMMAND's status. For a test that must run loadc and the target together in
    another network namespace (unshare -n), where the test's own process cannot serve."""
    import json
    counts_file, cmd = argv[0], argv[1:]
    srv = FaultyServer().start()
    try:
        rc = subprocess.run([a.replace("{url}", srv.url) for a in cmd], timeout=120).returncode
    finally:
        srv.stop()
    with open(counts_file, "w") as f:
        json.dump(srv.counts(), f)
    return rc


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
