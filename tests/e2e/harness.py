"""harness.py: end-to-end test helpers around `loadc serve` (docs/serve.md).

Starts the built-in target server on 127.0.0.1 with an ephemeral port, talks raw HTTP/1.1 to it
over plain sockets (with a small strict response parser: Content-Length, chunked and
close-delimited bodies), reads /__stats, calls /__reset, and stops it. Standard library only
(Debian 12's /usr/bin/python3); every wait is bounded. Used by test_serve.py and by later
end-to-end tests of the load tester itself.
"""

import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

HOST = "127.0.0.1"
START_TIMEOUT = 10.0  # seconds to wait for the base URL line
STOP_TIMEOUT = 10.0  # seconds to wait for exit after SIGTERM/SIGINT
IO_TIMEOUT = 10.0  # default bound on one socket operation / one response

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))


class ProtocolError(Exception):
    """The server sent something that is not a well-formed HTTP/1.1 response."""


class ConnectionClosed(ProtocolError):
    """The connection ended before a complete response (`data` holds what came before)."""

    def __init__(self, msg, data=b""):
        super().__init__(msg)
        self.data = data


# ---------------------------------------------------------------------------------------------
# Process environment


def raise_nofile_limit():
    """Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


raise_nofile_limit()


def find_loadc():
    """Path of the loadc executable: $LOADC, else the first built one in the usual build dirs."""
    env = os.environ.get("LOADC")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise RuntimeError("LOADC=%r is not an executable file" % env)
        return env
    for d in ("build", "build-e2e", "build-serve"):
        p = os.path.join(_REPO, d, "cmd", "loadc")
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise RuntimeError("loadc not found: set LOADC to the built executable")


# ---------------------------------------------------------------------------------------------
# Responses

_TOKEN_RE = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_STATUS_RE = re.compile(rb"^HTTP/(1\.[01]) ([0-9]{3})(?: ([^\r\n]*))?$")


class Response:
    """One parsed response: status, reason, version, headers [(name, value)], body (bytes).

    Header names keep the server's case; header()/header_all() look them up case-insensitively.
    chunk_sizes lists the sizes of the data chunks of a chunked body (else None); body_len is
    the body length even when a sink consumed the body (then body is b"")."""

    def __init__(self):
        self.version = None
        self.status = None
        self.reason = None
        self.headers = []
        self.body = b""
        self.body_len = 0
        self.chunk_sizes = None
        self.trailers = []
        self.raw_head = b""

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def header(self, name, default=None):
        """The value of a header given once; default if absent; ProtocolError if repeated."""
        vals = self.header_all(name)
        if not vals:
            return default
        if len(vals) > 1:
            raise ProtocolError("header %r given %d times: %r" % (name, len(vals), vals))
        return vals[0]

    def has(self, name):
        return bool(self.header_all(name))

    def media_type(self):
        ct = self.header("Content-Type")
        return None if ct is None else ct.split(";")[0].strip().lower()

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def closes(self):
        """True when the response says Connection: close."""
        return any("close" in [t.strip().lower() for t in v.split(",")]
                   for v in self.header_all("Connection"))

    def __repr__(self):
        return "<Response %s %s %r body=%d bytes>" % (self.status, self.reason, self.headers,
                                                      self.body_len)


class ResponseParser:
    """Incremental parser of one response. feed(data) returns the bytes left over after the
    response once it is complete (else b""); eof() says the peer closed. done tells completion.

    head_request: the request was HEAD (no body whatever the headers say).
    sink: if given, called with each piece of body data, which is then not stored."""

    MAX_HEAD = 64 * 1024

    def __init__(self, head_request=False, sink=None):
        self.head_request = head_request
        self.sink = sink
        self.resp = Response()
        self.done = False
        self._buf = b""
        self._state = "head"
        self._remaining = 0
        self._parts = []

    def _body(self, data):
        self.resp.body_len += len(data)
        if self.sink is not None:
            self.sink(data)
        else:
            self._parts.append(data)

    def _finish(self):
        self.done = True
        self._state = "done"
        if self.sink is None:
            self.resp.body = b"".join(self._parts)
        self._parts = []

    def _parse_head(self, head):
        self.resp.raw_head = head
        lines = head.split(b"\r\n")
        m = _STATUS_RE.match(lines[0])
        if not m:
            raise ProtocolError("bad status line %r" % lines[0])
        r = self.resp
        r.version = m.group(1).decode()
        r.status = int(m.group(2))
        r.reason = (m.group(3) or b"").decode("latin-1")
        for line in lines[1:]:
            if b":" not in line:
                raise ProtocolError("bad header line %r" % line)
            name, value = line.split(b":", 1)
            if not _TOKEN_RE.match(name):
                raise ProtocolError("bad header name %r" % name)
            if b"\n" in value or b"\r" in value or b"\0" in value:
                raise ProtocolError("bad header value %r" % value)
            r.headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
        # Body framing (RFC 9112 section 6.3).
        if self.head_request or 100 <= r.status < 200 or r.status in (204, 304):
            self._finish()
            return
        te = r.header_all("Transfer-Encoding")
        cl = r.header_all("Content-Length")
        if te:
            codings = [t.strip().lower() for v in te for t in v.split(",")]
            if codings[-1] != "chunked":
                raise ProtocolError("unsupported Transfer-Encoding %r" % te)
            if cl:
                raise ProtocolError("both Content-Length and Transfer-Encoding")
            r.chunk_sizes = []
            self._state = "chunk_size"
        elif cl:
            if len(set(cl)) != 1 or not re.fullmatch(r"[0-9]+", cl[0]):
                raise ProtocolError("bad Content-Length %r" % cl)
            self._remaining = int(cl[0])
            self._state = "length"
            if self._remaining == 0:
                self._finish()
        else:
            self._state = "close"

    def feed(self, data):
        """Consumes data; returns what follows the response once it is complete, else b""."""
        if self.done:
            return data
        self._buf += data
        while not self.done:
            st = self._state
            if st == "head":
                i = self._buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(self._buf) > self.MAX_HEAD:
                        raise ProtocolError("response head longer than %d" % self.MAX_HEAD)
                    return b""
                head, self._buf = self._buf[:i], self._buf[i + 4:]
                self._parse_head(head)
            elif st == "length":
                if not self._buf:
                    return b""
                take = self._buf[:self._remaining]
                self._buf = self._buf[len(take):]
                self._remaining -= len(take)
                self._body(take)
                if self._remaining == 0:
                    self._finish()
            elif st == "close":
                if self._buf:
                    self._body(self._buf)
                    self._buf = b""
                return b""
            elif st in ("chunk_size", "trailer"):
                i = self._buf.find(b"\r\n")
                if i < 0:
                    if len(self._buf) > 4096:
                        raise ProtocolError("chunk size line too long")
                    return b""
                line, self._buf = self._buf[:i], self._buf[i + 2:]
                if st == "trailer":
                    if line == b"":
                        self._finish()
                    else:
                        if b":" not in line:
                            raise ProtocolError("bad trailer line %r" % line)
                        self.resp.trailers.append(line)
                    continue
                size = line.split(b";", 1)[0].strip()
                if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size):
                    raise ProtocolError("bad chunk size line %r" % line)
                n = int(size, 16)
                if n == 0:
                    self._state = "trailer"
                else:
                    self.resp.chunk_sizes.append(n)
                    self._remaining = n
                    self._state = "chunk_data"
            elif st == "chunk_data":
                if not self._buf:
                    return b""
                take = self._buf[:self._remaining]
                self._buf = self._buf[len(take):]
                self._remaining -= len(take)
                self._body(take)
                if self._remaining == 0:
                    self._state = "chunk_crlf"
            elif st == "chunk_crlf":
                if len(self._buf) < 2:
                    return b""
                if self._buf[:2] != b"\r\n":
                    raise ProtocolError("chunk data not followed by CRLF: %r" % self._buf[:16])
                self._buf = self._buf[2:]
                self._state = "chunk_size"
        rest, self._buf = self._buf, b""
        return rest

    def eof(self):
        """The peer closed: completes a close-delimited body, else raises ConnectionClosed."""
        if self.done:
            return
        if self._state == "close":
            self._finish()
            return
        raise ConnectionClosed("connection closed in state %s after %d head/body bytes"
                               % (self._state, len(self._buf) + self.resp.body_len),
                               self._buf)


def parse_responses(data, head_requests=()):
    """Parses every complete response in data (a test helper for canned bytes); returns
    (responses, rest). head_requests: indexes of responses that answer HEAD requests."""
    out = []
    while data:
        p = ResponseParser(head_request=len(out) in head_requests)
        rest = p.feed(data)
        if not p.done:
            return out, data
        out.append(p.resp)
        data = rest
    return out, b""


# ---------------------------------------------------------------------------------------------
# Connections


def build_request(method, target, headers=None, body=None, version="HTTP/1.1", host=True):
    """Request bytes. headers: list of (name, value) or dict; Host and Content-Length are
    added unless given (Content-Length only when there is a body and no Transfer-Encoding)."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if isinstance(body, str):
        body = body.encode("utf-8")
    if host and "host" not in names:
        headers.insert(0, ("Host", HOST))
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    head = "%s %s %s\r\n" % (method, target, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + (body or b"")


def chunked(*pieces, trailers=()):
    """A chunked body with one chunk per piece (str or bytes) and optional trailer lines."""
    out = b""
    for p in pieces:
        if isinstance(p, str):
            p = p.encode("utf-8")
        if p:
            out += b"%x\r\n" % len(p) + p + b"\r\n"
    out += b"0\r\n"
    for t in trailers:
        out += t.encode("latin-1") + b"\r\n"
    return out + b"\r\n"


class Conn:
    """One client connection to 127.0.0.1 with a read buffer, so that pipelined responses
    parse one after another. Every blocking call is bounded by `timeout` seconds."""

    def __init__(self, port, host=HOST, timeout=IO_TIMEOUT):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.reset = False  # the peer reset the connection (ECONNRESET)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fileno(self):
        return self.sock.fileno()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def request(self, method, target, headers=None, body=None, version="HTTP/1.1", **kw):
        """Sends one request and returns its response."""
        self.send(build_request(method, target, headers, body, version))
        return self.read_response(head_request=(method == "HEAD"), **kw)

    def _recv(self, deadline, n=65536):
        """One recv bounded by deadline; returns b"" at EOF or reset; raises socket.timeout."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(n)
        except ConnectionResetError:
            self.reset = True
            data = b""
        if not data:
            self.eof = True
        return data

    def read_response(self, head_request=False, sink=None, timeout=None):
        """Reads one complete response (1xx interim ones included, as their own response)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        p = ResponseParser(head_request=head_request, sink=sink)
        data, self.buf = self.buf, b""
        while True:
            if data:
                self.buf = p.feed(data)
                if p.done:
                    return p.resp
            if self.eof:
                p.eof()
                return p.resp
            data = self._recv(deadline)

    def read_final_response(self, head_request=False, timeout=None):
        """Reads responses until a final (non-1xx) one; returns (final, [interim...])."""
        interim = []
        while True:
            r = self.read_response(head_request=head_request, timeout=timeout)
            if r.status >= 200:
                return r, interim
            interim.append(r)

    def read_raw_until_close(self, timeout=None, limit=16 * 1024 * 1024):
        """Everything the server sends until it closes (bounded by timeout and limit). On
        socket.timeout what came so far stays in self.buf."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        out = [self.buf]
        self.buf = b""
        total = len(out[0])
        try:
            while not self.eof:
                d = self._recv(deadline)
                out.append(d)
                total += len(d)
                if total > limit:
                    raise ProtocolError("more than %d bytes before close" % limit)
        except socket.timeout:
            self.buf = b"".join(out)  # kept for the caller
            raise
        return b"".join(out)

    def closed_by_peer(self, timeout=2.0):
        """True when the server closes the connection within timeout with nothing more sent.
        Raises ProtocolError when data comes instead; False on timeout."""
        try:
            extra = self.read_raw_until_close(timeout=timeout)
        except socket.timeout:
            return False
        if extra:
            raise ProtocolError("unexpected bytes before close: %r" % extra[:200])
        return True

    def readable_now(self, wait=0.0):
        """True when the server has sent something (or closed) that is not read yet."""
        if self.buf or self.eof:
            return True
        r, _, _ = select.select([self.sock], [], [], wait)
        return bool(r)


# ---------------------------------------------------------------------------------------------
# The server process


class Server:
    """A running `loadc serve --port PORT` (0 by default; with --quiet unless quiet=False).

    url, host and port come from the first stdout line. stderr goes to a temporary file
    (stderr_text() reads it). nofile_soft: start the server with that soft RLIMIT_NOFILE."""

    def __init__(self, *extra_args, port=0, quiet=True, loadc=None, nofile_soft=None,
                 start_timeout=START_TIMEOUT):
        self.loadc = loadc or find_loadc()
        self.args = [self.loadc, "serve", "--port", str(port)] + (["--quiet"] if quiet else [])
        self.args += list(extra_args)
        self._stderr = tempfile.TemporaryFile()
        self._stderr_final = ""
        preexec = None
        if nofile_soft is not None:
            def preexec():
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile_soft, hard))
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, preexec_fn=preexec, close_fds=True)
        self.pid = self.proc.pid
        try:
            self.first_line = self._read_first_line(start_timeout)
            m = re.fullmatch(r"http://(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.]+\]):(\d+)",
                             self.first_line)
            if not m:
                raise RuntimeError("first stdout line is not a base URL: %r" % self.first_line)
            self.url = self.first_line
            self.host = m.group(1).strip("[]")
            self.port = int(m.group(2))
        except BaseException:
            self.kill()
            raise

    def _read_first_line(self, timeout):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no base URL on stdout within %.1fs (stderr: %r)"
                                   % (timeout, self.stderr_text()[-2000:]))
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            d = os.read(fd, 4096)
            if not d:
                self.proc.wait(timeout=2)
                raise RuntimeError("loadc serve exited (%s) before printing its URL; stderr: %r"
                                   % (self.proc.returncode, self.stderr_text()[-2000:]))
            data += d
        return data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")

    def stderr_text(self):
        """What the server wrote on stderr so far."""
        if self._stderr is None:
            return self._stderr_final
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def connect(self, timeout=IO_TIMEOUT):
        return Conn(self.port, host=HOST, timeout=timeout)

    def request(self, method, target, headers=None, body=None, **kw):
        """One request on a new connection (closed afterwards); returns the response."""
        with self.connect() as c:
            return c.request(method, target, headers, body, **kw)

    def get(self, target, headers=None, **kw):
        return self.request("GET", target, headers, **kw)

    def stats(self, conn=None):
        """GET /__stats as a dict, on conn (keep-alive) or on a new connection."""
        r = conn.request("GET", "/__stats") if conn else self.get("/__stats")
        if r.status != 200:
            raise AssertionError("/__stats answered %s: %r" % (r.status, r.body[:200]))
        return r.json()

    def reset(self, conn=None):
        """GET /__reset; returns its JSON body."""
        r = conn.request("GET", "/__reset") if conn else self.get("/__reset")
        if r.status != 200:
            raise AssertionError("/__reset answered %s: %r" % (r.status, r.body[:200]))
        return r.json()

    def wait_stats(self, pred, conn=None, timeout=5.0):
        """Polls /__stats until pred(stats) holds; returns the last stats (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats(conn)
            if pred(s) or time.monotonic() >= deadline:
                return s
            time.sleep(0.02)

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self, field="VmRSS"):
        """The server's VmRSS (or VmHWM...) in KiB from /proc, or None."""
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def nofile_limits(self):
        """The server's (soft, hard) 'Max open files' from /proc/PID/limits."""
        with open("/proc/%d/limits" % self.pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    parts = line.split()
                    return parts[3], parts[4]
        raise RuntimeError("no 'Max open files' in /proc/%d/limits" % self.pid)

    def send_signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT, check=True):
        """Sends sig, waits up to timeout for exit; kills it if it hangs. Returns the exit code;
        with check, raises AssertionError unless it exited by itself with code 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                if check:
                    raise AssertionError("loadc serve did not exit within %.1fs of signal %d"
                                         % (timeout, sig))
        rc = self.proc.returncode
        self._cleanup()
        if check and rc != 0:
            raise AssertionError("loadc serve exited with %r (expected 0); stderr: %r"
                                 % (rc, self.stderr_text()[-2000:]))
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._cleanup()

    def _cleanup(self):
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if self._stderr is not None and self.proc.poll() is not None:
            self._stderr_final = self.stderr_text()
            self._stderr.close()
            self._stderr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.kill()


def url_target(path, **args):
    """path plus a query built from args (urlencoded, in the given order)."""
    return path + ("?" + urllib.parse.urlencode(args) if args else "")


def bytes_pattern(n, start=0):
    """The /bytes and /chunked body: byte i is 'a' + i % 26."""
    alpha = b"abcdefghijklmnopqrstuvwxyz"
    off = start % 26
    reps = (n + off) // 26 + 1
    return (alpha * reps)[off:off + n]


class PatternChecker:
    """A sink that checks streamed body bytes against bytes_pattern without storing them."""

    def __init__(self):
        self.count = 0
        self.bad_at = None
        self._block = bytes_pattern(26 * 2600 + 65536 * 2)

    def __call__(self, data):
        mv = memoryview(data)
        while len(mv):
            part = mv[:65536]
            off = self.count % 26
            if self.bad_at is None and part != self._block[off:off + len(part)]:
                exp = self._block[off:off + len(part)]
                i = next(j for j in range(len(part)) if part[j] != exp[j])
                self.bad_at = self.count + i
            self.count += len(part)
            mv = mv[len(part):]
