"""test_serve.py: end-to-end tests of `loadc serve` against its contract, docs/serve.md.

One server per test class (started in setUpClass, stopped with SIGTERM and exit code 0 in
tearDownClass); raw sockets on 127.0.0.1 only; every wait bounded. Run from this directory with
LOADC=/path/to/loadc /usr/bin/python3 -m unittest -v test_serve
"""

import json
import random
import re
import select
import selectors
import signal
import socket
import time
import unittest
import urllib.parse

from harness import (HOST, Conn, ConnectionClosed, PatternChecker, ProtocolError,
                     ResponseParser, Server, build_request, bytes_pattern, chunked,
                     parse_responses, url_target)

KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * MIB

JSON_DOC = {"name": "loadc", "version": 1, "count": 3, "ok": True, "nothing": None,
            "items": [{"id": 1, "name": "one", "tags": ["a", "b"]},
                      {"id": 2, "name": "two", "tags": ["b"]},
                      {"id": 3, "name": "three", "tags": []}],
            "nested": {"level": 1, "inner": {"level": 2, "values": [1.5, 2.5, 3.5]}}}

ENDPOINTS = ["/status/", "/delay/", "/bytes/", "/chunked/", "/json", "/echo", "/cookies/set",
             "/cookies/delete", "/cookies", "/login", "/items", "/redirect/", "/drop",
             "/garbage", "/slow-body/", "/__stats", "/__reset"]


def req(method, target, headers=None, body=None, version="HTTP/1.1"):
    return build_request(method, target, headers, body, version)


def send_tolerant(conn, data):
    """Sends data; a server that closes early (after answering) may reset the connection."""
    try:
        conn.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


class ServeCase(unittest.TestCase):
    """Base: one `loadc serve` per class, assertion helpers shared by every test."""

    server_args = ()
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_args)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()  # SIGTERM; asserts exit code 0

    def tearDown(self):
        self.assertTrue(self.server.alive(), "loadc serve died during the test; stderr: %r"
                        % self.server.stderr_text()[-2000:])

    # -- helpers --------------------------------------------------------------------------

    def connect(self, **kw):
        c = self.server.connect(**kw)
        self.addCleanup(c.close)
        return c

    def assert_framing(self, r, head=False, chunked_body=False):
        """docs/serve.md: every response has Content-Length (or chunked on /chunked) and
        Content-Type; 204 and 304 have no body."""
        if r.status in (204, 304):
            self.assertIn(r.header("Content-Length", "0"), ("0",), r)
            self.assertFalse(r.has("Transfer-Encoding"), r)
            return
        self.assertTrue(r.has("Content-Type"), "no Content-Type in %r" % (r,))
        if chunked_body:
            self.assertEqual(r.header("Transfer-Encoding", "").lower(), "chunked", r)
            self.assertFalse(r.has("Content-Length"), r)
        else:
            self.assertFalse(r.has("Transfer-Encoding"), r)
            cl = r.header("Content-Length")
            self.assertIsNotNone(cl, "no Content-Length in %r" % (r,))
            if not head:
                self.assertEqual(int(cl), r.body_len, r)

    def assert_json(self, r, status, expected=None, head=False):
        """Status, application/json, framing; returns the decoded body (or compares it)."""
        self.assertEqual(r.status, status, "body: %r" % r.body[:300])
        self.assertEqual(r.media_type(), "application/json", r)
        self.assert_framing(r, head=head)
        if head:
            self.assertEqual(r.body, b"")
            return None
        doc = r.json()
        if expected is not None:
            self.assertEqual(doc, expected)
        return doc

    def assert_error(self, r, status):
        doc = self.assert_json(r, status)
        self.assertIsInstance(doc, dict)
        self.assertIsInstance(doc.get("error"), str, doc)
        return doc

    def assert_closed(self, conn, timeout=3.0):
        self.assertTrue(conn.closed_by_peer(timeout=timeout),
                        "server did not close the connection within %.1fs" % timeout)

    def assert_open(self, conn, wait=0.1):
        """Nothing unsolicited and no close within wait seconds."""
        self.assertFalse(conn.readable_now(wait), "server sent data or closed: %r" % conn.buf)

    def assert_serving(self):
        r = self.server.get("/json")
        self.assert_json(r, 200, JSON_DOC)

    def get(self, target, headers=None):
        return self.server.get(target, headers)


# =============================================================================================
# The harness's own parser, on canned bytes (no server).


class HarnessParserTest(unittest.TestCase):
    def test_content_length_and_pipelined(self):
        data = (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: a\r\nx: b\r\n\r\nabc"
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.1 2")
        rs, rest = parse_responses(data)
        self.assertEqual([r.status for r in rs], [200, 404])
        self.assertEqual(rs[0].body, b"abc")
        self.assertEqual(rs[0].header_all("x"), ["a", "b"])
        self.assertRaises(ProtocolError, rs[0].header, "x")
        self.assertEqual(rest, b"HTTP/1.1 2")

    def test_chunked_sizes_and_trailers(self):
        data = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\nA;ext=1\r\n0123456789\r\n0\r\nT: 1\r\n\r\nNEXT")
        p = ResponseParser()
        rest = p.feed(data)
        self.assertTrue(p.done)
        self.assertEqual(p.resp.body, b"abc0123456789")
        self.assertEqual(p.resp.chunk_sizes, [3, 10])
        self.assertEqual(p.resp.trailers, [b"T: 1"])
        self.assertEqual(rest, b"NEXT")

    def test_byte_by_byte(self):
        data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
        p = ResponseParser()
        for i in range(len(data)):
            self.assertFalse(p.done)
            self.assertEqual(p.feed(data[i:i + 1]), b"")
        self.assertTrue(p.done)
        self.assertEqual(p.resp.body, b"ab")

    def test_close_delimited_head_and_no_body(self):
        p = ResponseParser()
        p.feed(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello")
        self.assertFalse(p.done)
        p.eof()
        self.assertEqual(p.resp.body, b"hello")
        rs, _ = parse_responses(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
                                b"HTTP/1.1 204 No Content\r\n\r\n"
                                b"HTTP/1.1 100 Continue\r\n\r\n", head_requests=(0,))
        self.assertEqual([(r.status, r.body) for r in rs], [(200, b""), (204, b""), (100, b"")])

    def test_rejects_malformed(self):
        for bad in (b"HTTP/1.1 2x0 Garbage\r\nnot a header\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
                    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"):
            with self.subTest(bad=bad):
                self.assertRaises(ProtocolError, ResponseParser().feed, bad)
        p = ResponseParser()
        p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
        self.assertRaises(ConnectionClosed, p.eof)

    def test_pattern(self):
        self.assertEqual(bytes_pattern(28), b"abcdefghijklmnopqrstuvwxyzab")
        self.assertEqual(bytes_pattern(3, start=25), b"zab")
        chk = PatternChecker()
        data = bytes_pattern(200000)
        chk(data[:7])
        chk(data[7:150001])
        chk(data[150001:])
        self.assertEqual((chk.count, chk.bad_at), (200000, None))
        chk(b"X")
        self.assertEqual(chk.bad_at, 200000)


# =============================================================================================
# Start, command line, logs, limits, signals (a server per test).


class LifecycleTest(unittest.TestCase):
    def test_first_line_is_base_url(self):
        with Server() as s:
            self.assertRegex(s.first_line, r"^http://127\.0\.0\.1:[1-9][0-9]*$")
            self.assertTrue(0 < s.port < 65536)
            r = s.get("/json")
            self.assertEqual(r.status, 200)

    def test_explicit_host_and_port(self):
        probe = socket.socket()
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
        probe.close()
        with Server("--host", "127.0.0.1", port=port) as s:
            self.assertEqual(s.first_line, "http://127.0.0.1:%d" % port)
            self.assertEqual(s.get("/status/201").status, 201)

    def test_access_log_on_stderr(self):
        with Server(quiet=False) as s:
            bodies = [len(s.get("/json").body), len(s.get("/status/404?x=1").body),
                      len(s.request("POST", "/echo", body="hello").body)]
            expected = ["GET /json 200 %d" % bodies[0], "GET /status/404?x=1 404 %d" % bodies[1],
                        "POST /echo 200 %d" % bodies[2]]
            deadline = time.monotonic() + 5
            while True:
                lines = s.stderr_text().splitlines()
                if all(e in lines for e in expected) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            for e in expected:
                self.assertIn(e, lines)
            self.assertLess(lines.index(expected[0]), lines.index(expected[1]))
            self.assertLess(lines.index(expected[1]), lines.index(expected[2]))

    def test_quiet_short_option_logs_nothing(self):
        with Server("-q", quiet=False) as s:
            s.get("/json")
            s.get("/status/404")
            time.sleep(0.3)
            log = [ln for ln in s.stderr_text().splitlines()
                   if re.match(r"^[A-Z]+ /\S* \d{3} \d+$", ln)]
            self.assertEqual(log, [])

    def test_raises_soft_nofile_limit(self):
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard <= 256:
            self.skipTest("hard RLIMIT_NOFILE is only %d" % hard)
        with Server(nofile_soft=256) as s:
            soft, hard_s = s.nofile_limits()
            self.assertEqual(soft, hard_s, "soft open-file limit not raised to the hard one")
            self.assertNotEqual(soft, "256")


class SignalTest(unittest.TestCase):
    def _busy_server_then(self, sig):
        s = Server()
        try:
            idle = s.connect(timeout=5)
            self.assertEqual(idle.request("GET", "/json").status, 200)
            partial = s.connect(timeout=5)
            partial.send(b"GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            delayed = s.connect(timeout=5)
            delayed.send(req("GET", "/delay/60000"))
            streaming = s.connect(timeout=5)
            streaming.send(req("GET", "/bytes/%d" % GIB))
            streaming.sock.recv(65536)
            slow = s.connect(timeout=5)
            slow.send(req("GET", "/slow-body/60000"))
            # Make sure the server has seen all of them before the signal.
            st = s.wait_stats(lambda x: x["connections"]["open"] >= 6)
            self.assertGreaterEqual(st["connections"]["open"], 6, st)
            rc = s.stop(sig=sig, timeout=10, check=False)
            self.assertEqual(rc, 0, "exit code after signal %d; stderr: %r"
                             % (sig, s.stderr_text()[-2000:]))
            for c in (idle, partial, delayed, streaming, slow):
                c.close()
        finally:
            s.kill()

    def test_sigterm_with_open_connections(self):
        self._busy_server_then(signal.SIGTERM)

    def test_sigint_with_open_connections(self):
        self._busy_server_then(signal.SIGINT)


# =============================================================================================
# Protocol: keep-alive, close, pipelining, HEAD, request bodies, 100-continue.


class ProtocolTest(ServeCase):
    def test_http11_keep_alive(self):
        c = self.connect()
        r1 = c.request("GET", "/json")
        self.assert_json(r1, 200, JSON_DOC)
        self.assertFalse(r1.closes(), r1)
        self.assert_open(c)
        r2 = c.request("GET", "/status/201")
        self.assert_json(r2, 201, {"status": 201})
        r3 = c.request("POST", "/echo", body="x")
        self.assertEqual(self.assert_json(r3, 200)["body"], "x")
        self.assert_open(c)

    def test_http11_connection_close(self):
        for value in ("close", "Close", "keep-alive, close"):
            with self.subTest(value=value):
                c = self.connect()
                r = c.request("GET", "/json", [("Connection", value)])
                self.assert_json(r, 200, JSON_DOC)
                self.assertTrue(r.closes(), r)
                self.assert_closed(c)

    def test_lowercase_header_names(self):
        c = self.connect()
        c.send(b"GET /json HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        r = c.read_response()
        self.assert_json(r, 200, JSON_DOC)
        self.assertTrue(r.closes())
        self.assert_closed(c)

    def test_http10_closes(self):
        c = self.connect()
        r = c.request("GET", "/json", version="HTTP/1.0")
        self.assert_json(r, 200, JSON_DOC)
        self.assertTrue(r.closes(), r)
        self.assert_closed(c)

    def test_http10_keep_alive(self):
        for value in ("keep-alive", "Keep-Alive"):
            with self.subTest(value=value):
                c = self.connect()
                r1 = c.request("GET", "/json", [("Connection", value)], version="HTTP/1.0")
                self.assert_json(r1, 200, JSON_DOC)
                self.assertFalse(r1.closes(), r1)
                self.assert_open(c)
                r2 = c.request("GET", "/status/202", [("Connection", value)],
                               version="HTTP/1.0")
                self.assert_json(r2, 202, {"status": 202})
                # Without keep-alive the next 1.0 request closes it.
                r3 = c.request("GET", "/status/203", version="HTTP/1.0")
                self.assert_json(r3, 203, {"status": 203})
                self.assertTrue(r3.closes(), r3)
                self.assert_closed(c)

    def test_pipelined_in_order(self):
        c = self.connect()
        c.send(req("GET", "/echo?n=1") + req("GET", "/status/201") + req("GET", "/json")
               + req("POST", "/echo?n=4", body="four") + req("GET", "/status/418"))
        self.assertEqual(self.assert_json(c.read_response(), 200)["args"], {"n": "1"})
        self.assert_json(c.read_response(), 201, {"status": 201})
        self.assert_json(c.read_response(), 200, JSON_DOC)
        e = self.assert_json(c.read_response(), 200)
        self.assertEqual((e["method"], e["args"], e["body"]), ("POST", {"n": "4"}, "four"))
        self.assert_json(c.read_response(), 418, {"status": 418})
        self.assert_open(c)

    def test_pipelined_many(self):
        c = self.connect()
        c.send(b"".join(req("GET", "/echo?i=%d" % i) for i in range(100)))
        for i in range(100):
            self.assertEqual(self.assert_json(c.read_response(), 200)["args"], {"i": str(i)})

    def test_pipelined_delay_then_fast(self):
        c = self.connect()
        t0 = time.monotonic()
        c.send(req("GET", "/delay/200") + req("GET", "/json") + req("GET", "/echo?after=1"))
        first = c.read_response()
        self.assert_json(first, 200, {"delay_ms": 200})
        self.assertGreaterEqual(time.monotonic() - t0, 0.19)
        self.assert_json(c.read_response(), 200, JSON_DOC)
        self.assertEqual(self.assert_json(c.read_response(), 200)["args"], {"after": "1"})

    def test_pipelined_two_delays_in_order(self):
        c = self.connect()
        c.send(req("GET", "/delay/300") + req("GET", "/delay/50") + req("GET", "/json"))
        self.assert_json(c.read_response(), 200, {"delay_ms": 300})
        self.assert_json(c.read_response(), 200, {"delay_ms": 50})
        self.assert_json(c.read_response(), 200, JSON_DOC)

    def test_pipelined_connection_close_stops_there(self):
        c = self.connect()
        c.send(req("GET", "/status/200") + req("GET", "/json", [("Connection", "close")])
               + req("GET", "/status/500"))
        self.assert_json(c.read_response(), 200, {"status": 200})
        r = c.read_response()
        self.assert_json(r, 200, JSON_DOC)
        self.assertTrue(r.closes())
        self.assert_closed(c)  # the third request is not answered

    def test_request_split_in_small_pieces(self):
        c = self.connect()
        data = req("POST", "/echo?x=1", [("X-Split", "yes")], body="split body")
        for i in range(0, len(data), 3):
            c.send(data[i:i + 3])
            time.sleep(0.002)
        e = self.assert_json(c.read_response(), 200)
        self.assertEqual((e["args"], e["body"], e["headers"]["x-split"]),
                         ({"x": "1"}, "split body", "yes"))

    def test_head_like_get_without_body(self):
        c = self.connect()
        g = c.request("GET", "/json")
        c.send(req("HEAD", "/json") + req("GET", "/status/201"))
        h = c.read_response(head_request=True)
        self.assert_json(h, 200, head=True)
        self.assertEqual(h.header("Content-Length"), g.header("Content-Length"))
        self.assertEqual(h.header("Content-Type"), g.header("Content-Type"))
        # Had the server sent a body after the HEAD response, this would not parse.
        self.assert_json(c.read_response(), 201, {"status": 201})

    def test_head_bytes_and_chunked(self):
        c = self.connect()
        c.send(req("HEAD", "/bytes/%d" % GIB) + req("HEAD", "/chunked/100")
               + req("GET", "/status/202"))
        h = c.read_response(head_request=True)
        self.assertEqual(h.status, 200)
        self.assertEqual(h.header("Content-Length"), str(GIB))
        self.assertEqual(h.media_type(), "application/octet-stream")
        h2 = c.read_response(head_request=True)
        self.assertEqual(h2.status, 200)
        self.assertEqual(h2.header("Transfer-Encoding", "").lower(), "chunked")
        self.assertEqual(h2.media_type(), "text/plain")
        self.assert_json(c.read_response(), 202, {"status": 202})

    def test_content_length_body(self):
        r = self.server.request("PUT", "/echo", [("Content-Type", "text/plain")],
                                body="hello world")
        e = self.assert_json(r, 200)
        self.assertEqual((e["method"], e["body"], e["headers"]["content-length"]),
                         ("PUT", "hello world", "11"))

    def test_body_ignored_by_endpoint_is_consumed(self):
        # The body is skipped even where the endpoint ignores it; it is never read as a request.
        c = self.connect()
        smuggled = req("GET", "/smuggled")
        c.send(req("POST", "/status/201", body=smuggled) + req("GET", "/json"))
        self.assert_json(c.read_response(), 201, {"status": 201})
        self.assert_json(c.read_response(), 200, JSON_DOC)
        c.send(req("POST", "/status/202", [("Transfer-Encoding", "chunked")],
                   body=chunked(smuggled)) + req("GET", "/json"))
        self.assert_json(c.read_response(), 202, {"status": 202})
        self.assert_json(c.read_response(), 200, JSON_DOC)

    def test_chunked_request_body(self):
        c = self.connect()
        c.send(req("POST", "/echo", [("Transfer-Encoding", "chunked")])
               + chunked("hello ", "chunked ", "w" * 300, "orld"))
        e = self.assert_json(c.read_response(), 200)
        self.assertEqual(e["body"], "hello chunked " + "w" * 300 + "orld")
        self.assertEqual(e["headers"]["transfer-encoding"], "chunked")
        # The connection is still usable after the chunked body (nothing left over).
        self.assert_json(c.request("GET", "/status/201"), 201, {"status": 201})

    def test_chunked_request_body_upper_hex_extension_trailer(self):
        c = self.connect()
        body = b"1A;name=value\r\n" + b"z" * 26 + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
        c.send(req("POST", "/echo", [("Transfer-Encoding", "chunked")]) + body
               + req("GET", "/status/202"))
        e = self.assert_json(c.read_response(), 200)
        self.assertEqual(e["body"], "z" * 26)
        self.assert_json(c.read_response(), 202, {"status": 202})

    def test_chunked_request_body_split_across_sends(self):
        c = self.connect()
        data = req("POST", "/echo", [("Transfer-Encoding", "chunked")]) + chunked("abc", "defg")
        for i in range(0, len(data), 5):
            c.send(data[i:i + 5])
            time.sleep(0.002)
        self.assertEqual(self.assert_json(c.read_response(), 200)["body"], "abcdefg")

    def test_expect_100_continue(self):
        c = self.connect()
        c.send(req("POST", "/echo", [("Expect", "100-continue"), ("Content-Length", "11")]))
        interim = c.read_response(timeout=5)
        self.assertEqual(interim.status, 100, interim)
        c.send(b"hello world")
        e = self.assert_json(c.read_response(), 200)
        self.assertEqual(e["body"], "hello world")
        self.assertEqual(e["headers"]["expect"], "100-continue")
        self.assert_json(c.request("GET", "/status/201"), 201, {"status": 201})

    def test_expect_100_continue_chunked(self):
        c = self.connect()
        c.send(req("POST", "/echo", [("Expect", "100-continue"),
                                     ("Transfer-Encoding", "chunked")]))
        interim = c.read_response(timeout=5)
        self.assertEqual(interim.status, 100, interim)
        c.send(chunked("part1", "part2"))
        self.assertEqual(self.assert_json(c.read_response(), 200)["body"], "part1part2")

    def test_expect_100_continue_body_sent_at_once(self):
        # The client did not wait: a 100 may come or not, but exactly one final answer.
        c = self.connect()
        c.send(req("POST", "/echo", [("Expect", "100-continue")], body="eager")
               + req("GET", "/status/201"))
        final, interim = c.read_final_response()
        self.assertLessEqual(len(interim), 1)
        self.assertEqual(self.assert_json(final, 200)["body"], "eager")
        self.assert_json(c.read_response(), 201, {"status": 201})

    def test_transfer_encoding_value_case_insensitive(self):
        c = self.connect()
        c.send(b"POST /echo HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n"
               + chunked("ab", "cd") + req("GET", "/status/201"))
        self.assertEqual(self.assert_json(c.read_response(), 200)["body"], "abcd")
        self.assert_json(c.read_response(), 201, {"status": 201})

    def test_streamed_bodies_pipelined(self):
        # Streamed responses (/bytes, /chunked) followed by others in one pipeline, read slowly.
        c = self.connect(timeout=20)
        c.send(req("GET", "/bytes/3000000") + req("GET", "/json")
               + req("GET", "/chunked/100000?chunk=777") + req("GET", "/delay/50")
               + req("GET", "/bytes/5") + req("HEAD", "/bytes/70000") + req("GET", "/status/201"))
        time.sleep(0.2)  # let the server fill the socket buffers first
        chk = PatternChecker()
        r = c.read_response(sink=chk)
        self.assertEqual((r.status, chk.count, chk.bad_at), (200, 3000000, None))
        self.assert_json(c.read_response(), 200, JSON_DOC)
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.chunk_sizes, [777] * 128 + [544])
        self.assertEqual(r.body, bytes_pattern(100000))
        self.assert_json(c.read_response(), 200, {"delay_ms": 50})
        self.assertEqual(c.read_response().body, b"abcde")
        h = c.read_response(head_request=True)
        self.assertEqual((h.status, h.header("Content-Length")), (200, "70000"))
        self.assert_json(c.read_response(), 201, {"status": 201})

    def test_client_gone_mid_response(self):
        # Clients that leave while their answer is pending or streaming: the server lives on,
        # fires no timer on a dead connection, and forgets them.
        ctl = self.connect()
        base = self.server.stats(ctl)["connections"]["open"]
        gone = []
        for target in ("/delay/300", "/slow-body/300", "/bytes/%d" % (100 * MIB),
                       "/chunked/%d" % (100 * MIB)):
            c = self.server.connect()
            c.send(req("GET", target))
            gone.append((target, c))
        for target, c in gone:
            if target.startswith(("/bytes", "/chunked")):
                got = 0
                while got < MIB:
                    d = c.sock.recv(65536)
                    self.assertTrue(d, target)
                    got += len(d)
            elif target.startswith("/slow-body"):
                self.assertTrue(c.readable_now(2.0))  # the head; close before the body
            c.close()
        # Pipelined leftovers too: a delay whose connection closes behind it.
        c = self.server.connect()
        c.send(req("GET", "/delay/200") + req("GET", "/delay/200"))
        c.close()
        time.sleep(0.6)  # past every timer
        self.assertTrue(self.server.alive(), self.server.stderr_text()[-2000:])
        self.assert_serving()
        s = self.server.wait_stats(lambda x: x["connections"]["open"] == base, conn=ctl)
        self.assertEqual(s["connections"]["open"], base)

    def test_unknown_path_404(self):
        self.assert_json(self.get("/no/such/path"), 404,
                         {"error": "not found", "path": "/no/such/path"})
        self.assert_json(self.server.request("POST", "/nope", body="x"), 404,
                         {"error": "not found", "path": "/nope"})


# =============================================================================================
# Endpoints.


class EndpointsTest(ServeCase):
    def test_index_html(self):
        r = self.get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.media_type(), "text/html")
        self.assert_framing(r)
        page = r.body.decode("utf-8")
        self.assertIn("<", page)
        for e in ENDPOINTS:
            self.assertIn(e, page, "index page does not list %s" % e)

    def test_json_document(self):
        self.assert_json(self.get("/json"), 200, JSON_DOC)

    def test_status_codes(self):
        c = self.connect()
        for code in (200, 201, 202, 301, 302, 400, 401, 403, 404, 418, 429, 500, 502, 503, 599):
            with self.subTest(code=code):
                self.assert_json(c.request("GET", "/status/%d" % code), code, {"status": code})

    def test_status_204_304_no_body(self):
        c = self.connect()
        c.send(req("GET", "/status/204") + req("GET", "/status/304") + req("GET", "/json"))
        r204 = c.read_response()
        self.assertEqual(r204.status, 204)
        self.assert_framing(r204)
        r304 = c.read_response()
        self.assertEqual(r304.status, 304)
        self.assert_framing(r304)
        # A body after 204/304 would be parsed as the next response and fail here.
        self.assert_json(c.read_response(), 200, JSON_DOC)

    def test_status_out_of_range_or_not_a_number(self):
        c = self.connect()
        for bad in ("199", "600", "100", "0", "abc", "20x", "-200", "2000000000000000000000",
                    "1e3"):
            with self.subTest(code=bad):
                self.assert_error(c.request("GET", "/status/" + bad), 400)

    def test_delay(self):
        c = self.connect()
        self.assert_json(c.request("GET", "/delay/0"), 200, {"delay_ms": 0})
        t1 = time.monotonic()
        self.assert_json(c.request("GET", "/delay/150"), 200, {"delay_ms": 150})
        self.assertGreaterEqual(time.monotonic() - t1, 0.14)  # a lower bound only

    def test_delay_out_of_range(self):
        c = self.connect()
        for bad in ("600001", "abc", "-1", "1.5", "99999999999999999999"):
            with self.subTest(ms=bad):
                self.assert_error(c.request("GET", "/delay/" + bad), 400)

    def test_delay_does_not_block_other_connections(self):
        slow = self.connect()
        fast = self.connect()
        slow.send(req("GET", "/delay/1000"))
        r = fast.request("GET", "/json")
        self.assert_json(r, 200, JSON_DOC)
        # The fast answer came while the delayed one has not.
        self.assertFalse(slow.readable_now(0), "the delayed response came before /json")
        self.assert_json(slow.read_response(), 200, {"delay_ms": 1000})

    def test_concurrent_delays_overlap(self):
        # A long delay sent first, then short ones on other connections: the short ones must
        # all be answered before the long one (they would not be if delays were serialised).
        long_c = self.connect()
        long_c.send(req("GET", "/delay/1500"))
        shorts = [self.connect() for _ in range(10)]
        for c in shorts:
            c.send(req("GET", "/delay/200"))
        for c in shorts:
            self.assert_json(c.read_response(), 200, {"delay_ms": 200})
        self.assertFalse(long_c.readable_now(0), "the 1500 ms delay ended before the 200 ms ones")
        self.assert_json(long_c.read_response(), 200, {"delay_ms": 1500})

    def test_bytes_small(self):
        c = self.connect()
        for n in (0, 1, 25, 26, 27, 100, 4096, 100000):
            with self.subTest(n=n):
                r = c.request("GET", "/bytes/%d" % n)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.media_type(), "application/octet-stream")
                self.assert_framing(r)
                self.assertEqual(r.header("Content-Length"), str(n))
                self.assertEqual(r.body, bytes_pattern(n))

    def test_bytes_out_of_range(self):
        c = self.connect()
        for bad in (str(GIB + 1), "abc", "-1", "99999999999999999999999"):
            with self.subTest(n=bad):
                self.assert_error(c.request("GET", "/bytes/" + bad), 400)

    def test_bytes_50mb_streamed(self):
        n = 50 * MIB
        c = self.connect(timeout=30)
        chk = PatternChecker()
        r = c.request("GET", "/bytes/%d" % n, sink=chk, timeout=30)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Length"), str(n))
        self.assertEqual(chk.count, n)
        self.assertIsNone(chk.bad_at, "byte %s differs from the pattern" % chk.bad_at)
        # Keep-alive after a big body: the next response parses right after it.
        self.assert_json(c.request("GET", "/status/201"), 201, {"status": 201})

    def test_bytes_not_held_in_memory(self):
        # Ask for 1 GiB and read only 1 MiB: a server that buffers (or builds) the body would
        # grow by hundreds of MiB; a streaming one stays flat.
        base = self.server.rss_kib()
        if base is None:
            self.skipTest("no /proc/PID/status")
        c = self.connect()
        c.send(req("GET", "/bytes/%d" % GIB))
        got = 0
        while got < MIB:
            d = c.sock.recv(65536)
            self.assertTrue(d)
            got += len(d)
        peak = base
        for _ in range(20):
            time.sleep(0.05)
            peak = max(peak, self.server.rss_kib() or 0)
        self.assertLess(peak - base, 128 * 1024, "server RSS grew by %d KiB" % (peak - base))
        c.close()
        self.assert_serving()

    def test_chunked_default_4096(self):
        r = self.connect().request("GET", "/chunked/10000")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.media_type(), "text/plain")
        self.assert_framing(r, chunked_body=True)
        self.assertEqual(r.chunk_sizes, [4096, 4096, 1808])
        self.assertEqual(r.body, bytes_pattern(10000))

    def test_chunked_with_chunk_param(self):
        c = self.connect()
        cases = [(10, 1, [1] * 10), (10000, 1000, [1000] * 10), (100000, 65536, [65536, 34464]),
                 (5, 4096, [5]), (8192, 4096, [4096, 4096]), (0, 10, [])]
        for n, k, sizes in cases:
            with self.subTest(n=n, chunk=k):
                r = c.request("GET", "/chunked/%d?chunk=%d" % (n, k))
                self.assertEqual(r.status, 200)
                self.assert_framing(r, chunked_body=True)
                self.assertEqual(r.chunk_sizes, sizes)
                self.assertEqual(r.body, bytes_pattern(n))

    def test_chunked_bad_params(self):
        c = self.connect()
        for target in ("/chunked/10?chunk=0", "/chunked/10?chunk=65537", "/chunked/10?chunk=x",
                       "/chunked/abc", "/chunked/-5"):
            with self.subTest(target=target):
                self.assert_error(c.request("GET", target), 400)

    def test_echo_get_query_and_headers(self):
        target = "/echo?a=1&b=hello+world&c=%41%2F%20x&a=2&empty="
        r = self.server.request("GET", target, [("X-Dup", "one"), ("x-dup", "two"),
                                                ("X-Pad", "   spaced value  "),
                                                ("X-Mixed-Case", "V")])
        e = self.assert_json(r, 200)
        self.assertEqual(set(e), {"method", "path", "query", "args", "headers", "body"})
        self.assertEqual(e["method"], "GET")
        self.assertEqual(e["path"], "/echo")
        self.assertEqual(e["query"], "a=1&b=hello+world&c=%41%2F%20x&a=2&empty=")
        self.assertEqual(e["args"], {"a": "2", "b": "hello world", "c": "A/ x", "empty": ""})
        self.assertEqual(e["headers"]["x-dup"], "one, two")
        self.assertEqual(e["headers"]["x-pad"], "spaced value")
        self.assertEqual(e["headers"]["x-mixed-case"], "V")
        self.assertEqual(e["headers"]["host"], HOST)
        self.assertTrue(all(k == k.lower() for k in e["headers"]), e["headers"])
        self.assertEqual(e["body"], "")

    def test_echo_no_query(self):
        e = self.assert_json(self.get("/echo"), 200)
        self.assertEqual((e["path"], e["query"], e["args"]), ("/echo", "", {}))

    def test_echo_empty_query_and_decoding(self):
        c = self.connect()
        e = self.assert_json(c.request("GET", "/echo?"), 200)
        self.assertEqual((e["path"], e["query"], e["args"]), ("/echo", "", {}))
        e = self.assert_json(c.request("GET", "/echo?p=%2B1+2&u=%C3%A9t%C3%A9&s=a%3Db%26c"), 200)
        self.assertEqual(e["args"], {"p": "+1 2", "u": "\u00e9t\u00e9", "s": "a=b&c"})

    def test_echo_args_with_control_bytes(self):
        # %00, control bytes, quote and backslash decoded into the args: the JSON must carry
        # them whole (escaped), not cut at the NUL nor broken by the quote.
        e = self.assert_json(self.get("/echo?a=%00x%01%22%5C%0A&b=2"), 200)
        self.assertEqual(e["args"], {"a": "\x00x\x01\"\\\n", "b": "2"})

    def test_echo_header_with_obs_text(self):
        # Bytes 0x80-0xFF are allowed in a field value (obs-text): the answer is still JSON.
        c = self.connect()
        c.send(b"GET /echo HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9 ok\r\n\r\n")
        e = self.assert_json(c.read_response(), 200)
        self.assertTrue(e["headers"]["x-latin"].startswith("caf"), e["headers"])
        self.assertTrue(e["headers"]["x-latin"].endswith(" ok"), e["headers"])

    def test_echo_any_method(self):
        c = self.connect()
        for m in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CUSTOMVERB"):
            with self.subTest(method=m):
                e = self.assert_json(c.request(m, "/echo?m=" + m, body="b-" + m), 200)
                self.assertEqual((e["method"], e["args"], e["body"]), (m, {"m": m}, "b-" + m))

    def test_echo_body_utf8_and_invalid_bytes(self):
        c = self.connect()
        e = self.assert_json(c.request("POST", "/echo", body="h\u00e9llo \u2713"), 200)
        self.assertEqual(e["body"], "h\u00e9llo \u2713")
        e = self.assert_json(c.request("POST", "/echo", body=b"ab\xffcd\xc3("), 200)
        self.assertEqual(e["body"], "ab\ufffdcd\ufffd(")
        e = self.assert_json(c.request("POST", "/echo", body=b'q"\\\n\t'), 200)
        self.assertEqual(e["body"], 'q"\\\n\t')

    def test_echo_body_with_nul(self):
        # NUL is valid UTF-8: it is part of the body string, not its end.
        e = self.assert_json(self.server.request("POST", "/echo", body=b"a\x00b"), 200)
        self.assertEqual(e["body"], "a\x00b")

    def test_echo_large_body(self):
        body = bytes_pattern(1 * MIB)
        e = self.assert_json(self.server.request("POST", "/echo", body=body), 200)
        self.assertEqual(e["body"].encode(), body)

    def test_redirect_chain(self):
        c = self.connect()
        target = "/redirect/3"
        seen = []
        for _ in range(5):
            r = c.request("GET", target)
            seen.append((r.status, r.header("Location")))
            self.assert_framing(r)
            if r.status != 302:
                break
            target = r.header("Location")
        self.assertEqual(seen, [(302, "/redirect/2"), (302, "/redirect/1"), (302, "/redirect/0"),
                                (200, None)])
        self.assert_json(r, 200, {"redirects": "done"})

    def test_redirect_out_of_range(self):
        c = self.connect()
        r = c.request("GET", "/redirect/100")
        self.assertEqual((r.status, r.header("Location")), (302, "/redirect/99"))
        for bad in ("101", "abc", "-1"):
            with self.subTest(n=bad):
                self.assert_error(c.request("GET", "/redirect/" + bad), 400)

    def test_drop(self):
        c = self.connect()
        c.send(req("GET", "/drop"))
        raw = c.read_raw_until_close(timeout=5)
        self.assertEqual(raw, b"", "/drop answered %r" % raw[:200])
        self.assert_serving()

    def test_drop_after_pipelined_request(self):
        c = self.connect()
        c.send(req("GET", "/json") + req("GET", "/drop") + req("GET", "/status/500"))
        self.assert_json(c.read_response(), 200, JSON_DOC)
        self.assert_closed(c)

    def test_garbage(self):
        c = self.connect()
        c.send(req("GET", "/garbage"))
        raw = c.read_raw_until_close(timeout=5)
        self.assertTrue(raw.startswith(b"HTTP/1.1 2x0 Garbage\r\n"), raw[:200])
        second = raw[len(b"HTTP/1.1 2x0 Garbage\r\n"):].split(b"\n", 1)[0].rstrip(b"\r")
        self.assertNotEqual(second, b"", raw[:200])
        self.assertNotIn(b":", second, "the second line looks like a header: %r" % second)
        self.assertRaises(ProtocolError, ResponseParser().feed, raw)
        self.assert_serving()

    def test_slow_body_order(self):
        # Events expected in this order: slow-body headers (at once), the /delay/400 answer on
        # another connection, then the slow body (after 1000 ms).
        a = self.connect()
        b = self.connect()
        a.send(req("GET", "/slow-body/1000"))
        b.send(req("GET", "/delay/400"))
        pa, pb = ResponseParser(), ResponseParser()
        events = []
        deadline = time.monotonic() + 10
        while not (pa.done and pb.done) and time.monotonic() < deadline:
            socks = [c.sock for c, p in ((a, pa), (b, pb)) if not p.done]
            ready, _, _ = select.select(socks, [], [], deadline - time.monotonic())
            for s in ready:
                conn, p, name = (a, pa, "a") if s is a.sock else (b, pb, "b")
                d = s.recv(65536)
                if not d:
                    p.eof()
                    continue
                had_head = p.resp.status is not None
                p.feed(d)
                if not had_head and p.resp.status is not None:
                    events.append(name + "-head")
                if p.done:
                    events.append(name + "-done")
        self.assertEqual(events, ["a-head", "b-head", "b-done", "a-done"])
        self.assertEqual(pa.resp.status, 200)
        self.assert_framing(pa.resp)
        self.assertEqual(json.loads(pa.resp.body), {"slow_body_ms": 1000})
        self.assertEqual(json.loads(pb.resp.body), {"delay_ms": 400})

    def test_slow_body_zero_and_bad(self):
        c = self.connect()
        self.assert_json(c.request("GET", "/slow-body/0"), 200, {"slow_body_ms": 0})
        for bad in ("600001", "x"):
            with self.subTest(ms=bad):
                self.assert_error(c.request("GET", "/slow-body/" + bad), 400)


# =============================================================================================
# Cookies.


class CookiesTest(ServeCase):
    def test_cookies_from_request(self):
        c = self.connect()
        self.assert_json(c.request("GET", "/cookies"), 200, {"cookies": {}})
        self.assert_json(c.request("GET", "/cookies", [("Cookie", "a=1; b=two")]), 200,
                         {"cookies": {"a": "1", "b": "two"}})
        self.assert_json(c.request("GET", "/cookies", [("Cookie", "a=1"), ("Cookie", "c=3")]),
                         200, {"cookies": {"a": "1", "c": "3"}})

    def test_set(self):
        r = self.get("/cookies/set?a=1&b=2", [("Cookie", "c=3; a=0")])
        self.assert_json(r, 200, {"cookies": {"a": "1", "b": "2", "c": "3"}})
        self.assertEqual(sorted(r.header_all("Set-Cookie")), ["a=1; Path=/", "b=2; Path=/"])

    def test_cookie_value_with_equals_sign(self):
        self.assert_json(self.get("/cookies", [("Cookie", "tok=a=b=c; x=1")]), 200,
                         {"cookies": {"tok": "a=b=c", "x": "1"}})

    def test_delete(self):
        r = self.get("/cookies/delete?a&b", [("Cookie", "a=1; b=2; c=3")])
        self.assert_json(r, 200, {"cookies": {"c": "3"}})
        self.assertEqual(sorted(r.header_all("Set-Cookie")),
                         ["a=; Max-Age=0; Path=/", "b=; Max-Age=0; Path=/"])

    def test_round_trip_with_a_jar(self):
        c = self.connect()
        jar = {}

        def apply(resp):
            for sc in resp.header_all("Set-Cookie"):
                nv = sc.split(";", 1)[0]
                name, value = nv.split("=", 1)
                if "max-age=0" in sc.lower().replace(" ", ""):
                    jar.pop(name, None)
                else:
                    jar[name] = value

        def cookie_header():
            if not jar:
                return []
            return [("Cookie", "; ".join("%s=%s" % kv for kv in sorted(jar.items())))]

        apply(c.request("GET", "/cookies/set?x=10&y=20"))
        apply(c.request("GET", "/cookies/set?z=30", cookie_header()))
        self.assert_json(c.request("GET", "/cookies", cookie_header()), 200,
                         {"cookies": {"x": "10", "y": "20", "z": "30"}})
        apply(c.request("GET", "/cookies/delete?y", cookie_header()))
        self.assertEqual(jar, {"x": "10", "z": "30"})
        self.assert_json(c.request("GET", "/cookies", cookie_header()), 200,
                         {"cookies": {"x": "10", "z": "30"}})


# =============================================================================================
# Login, tokens, items.


class AuthTest(ServeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.other = Server()  # a second process: its tokens must not work here
        except BaseException:
            cls.server.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.other.stop()
        finally:
            super().tearDownClass()

    def login(self, user, password, server=None, form=False):
        srv = server or self.server
        if form:
            body = urllib.parse.urlencode({"user": user, "password": password})
            r = srv.request("POST", "/login",
                            [("Content-Type", "application/x-www-form-urlencoded")], body=body)
        else:
            r = srv.request("POST", "/login", [("Content-Type", "application/json")],
                            body=json.dumps({"user": user, "password": password}))
        return r

    def token(self, user, server=None, form=False):
        r = self.login(user, "secret", server, form)
        doc = self.assert_json(r, 200)
        self.assertEqual(set(doc), {"token"})
        tok = doc["token"]
        self.assertIsInstance(tok, str)
        self.assertTrue(tok)
        self.assertEqual(r.header_all("Set-Cookie"), ["session=%s; Path=/; HttpOnly" % tok])
        return tok

    def bearer(self, tok):
        return [("Authorization", "Bearer " + tok)]

    def assert_unauthorized(self, r):
        self.assert_json(r, 401, {"error": "missing or invalid token"})
        self.assertEqual(r.header("WWW-Authenticate"), "Bearer")

    def test_login_json_and_items(self):
        tok = self.token("alice")
        doc = self.assert_json(self.get("/items", self.bearer(tok)), 200)
        self.assertEqual(doc, {"user": "alice", "page": 1, "per_page": 10, "total": 100,
                               "items": [{"id": i, "name": "item %d" % i, "price": i * 1.5}
                                         for i in range(1, 11)]})

    def test_login_form(self):
        tok = self.token("b\u00f6b x", form=True)
        doc = self.assert_json(self.get("/items/7", self.bearer(tok)), 200)
        self.assertEqual(doc, {"id": 7, "name": "item 7", "price": 10.5, "user": "b\u00f6b x"})

    def test_login_long_user_names(self):
        # Long names make the server's scratch buffer grow while the token is made (a
        # use-after-free the sanitizer build caught once); each must round-trip exactly.
        for n in (40, 100, 1000, 5000):
            for form in (False, True):
                user = "u" * n
                tok = self.token(user, form=form)
                doc = self.assert_json(self.get("/items/1", self.bearer(tok)), 200)
                self.assertEqual(doc["user"], user)

    def test_users_told_apart(self):
        ta, tb = self.token("alice"), self.token("bob")
        self.assertNotEqual(ta, tb)
        self.assertEqual(self.assert_json(self.get("/items", self.bearer(ta)), 200)["user"],
                         "alice")
        self.assertEqual(self.assert_json(self.get("/items", self.bearer(tb)), 200)["user"],
                         "bob")
        self.assertEqual(self.assert_json(self.get("/items/3", self.bearer(tb)), 200)["user"],
                         "bob")

    def test_items_paging(self):
        tok = self.token("carol")
        c = self.connect()
        doc = self.assert_json(c.request("GET", "/items?page=3&per_page=20", self.bearer(tok)),
                               200)
        self.assertEqual((doc["user"], doc["page"], doc["per_page"], doc["total"]),
                         ("carol", 3, 20, 100))
        self.assertEqual([it["id"] for it in doc["items"]], list(range(41, 61)))
        self.assertEqual(doc["items"][0], {"id": 41, "name": "item 41", "price": 61.5})
        doc = self.assert_json(c.request("GET", "/items?page=10", self.bearer(tok)), 200)
        self.assertEqual([it["id"] for it in doc["items"]], list(range(91, 101)))
        doc = self.assert_json(c.request("GET", "/items?per_page=100", self.bearer(tok)), 200)
        self.assertEqual([(it["id"], it["price"]) for it in doc["items"]],
                         [(i, i * 1.5) for i in range(1, 101)])

    def test_items_bad_per_page(self):
        tok = self.token("dave")
        c = self.connect()
        for q in ("per_page=0", "per_page=101", "per_page=abc"):
            with self.subTest(q=q):
                self.assert_error(c.request("GET", "/items?" + q, self.bearer(tok)), 400)

    def test_item_by_id(self):
        tok = self.token("erin")
        c = self.connect()
        for i in (1, 42, 100):
            self.assert_json(c.request("GET", "/items/%d" % i, self.bearer(tok)), 200,
                             {"id": i, "name": "item %d" % i, "price": i * 1.5, "user": "erin"})
        for i in ("0", "101"):
            with self.subTest(id=i):
                self.assertEqual(c.request("GET", "/items/" + i, self.bearer(tok)).status, 404)

    def test_items_without_token(self):
        c = self.connect()
        self.assert_unauthorized(c.request("GET", "/items"))
        self.assert_unauthorized(c.request("GET", "/items/5"))

    def test_items_with_bad_tokens(self):
        tok = self.token("frank")
        forged = tok[:-1] + ("A" if tok[-1] != "A" else "B")
        foreign = self.token("frank", server=self.other)
        c = self.connect()
        for name, headers in [("forged", self.bearer(forged)),
                              ("other process", self.bearer(foreign)),
                              ("garbage", self.bearer("not-a-token")),
                              ("empty bearer", [("Authorization", "Bearer ")]),
                              ("basic", [("Authorization", "Basic " + tok)]),
                              ("bare token", [("Authorization", tok)])]:
            with self.subTest(name):
                self.assert_unauthorized(c.request("GET", "/items", headers))
                self.assert_unauthorized(c.request("GET", "/items/1", headers))
        # And the genuine one still works on the same connection.
        self.assertEqual(c.request("GET", "/items", self.bearer(tok)).status, 200)

    def test_login_wrong_method(self):
        for m in ("GET", "PUT", "DELETE"):
            with self.subTest(method=m):
                r = self.server.request(m, "/login")
                self.assertEqual(r.status, 405)
                self.assertEqual(r.header("Allow"), "POST")
                self.assert_framing(r)

    def test_login_bad_body(self):
        for body in ("", "not json", "[1, 2]", '"alice"', "null", '{"user": 1, "password": "x"}',
                     '{"user": "a", "password": ["x"]}', '{"user": "a", '):
            with self.subTest(body=body):
                r = self.server.request("POST", "/login", [("Content-Type", "application/json")],
                                        body=body)
                self.assert_error(r, 400)
                self.assertEqual(r.header_all("Set-Cookie"), [])

    def test_login_empty_user_or_password(self):
        for user, pw, form in (("", "pw", False), ("alice", "", False), ("", "", False),
                               ("", "pw", True), ("alice", "", True)):
            with self.subTest(user=user, password=pw, form=form):
                r = self.login(user, pw, form=form)
                self.assertEqual(r.status, 401, r.body[:200])
                self.assert_framing(r)
                self.assertEqual(r.header_all("Set-Cookie"), [])


# =============================================================================================
# /__stats and /__reset.


class StatsTest(ServeCase):
    def setUp(self):
        self.ctl = self.connect()  # a keep-alive control connection, accepted before the reset
        self.assertEqual(self.server.reset(self.ctl), {"reset": True})

    def stats(self):
        return self.server.stats(self.ctl)

    def wait_open(self, n):
        return self.server.wait_stats(lambda s: s["connections"]["open"] == n, conn=self.ctl)

    def test_reset_zeroes_everything(self):
        with self.server.connect() as c:
            c.request("GET", "/json")
            c.request("GET", "/status/404")
        self.assertGreater(self.stats()["total"], 0)
        self.assertEqual(self.server.reset(self.ctl), {"reset": True})
        s = self.wait_open(1)
        self.assertEqual(s, {"total": 0, "requests": {}, "targets": {}, "targets_overflow": 0,
                             "statuses": {}, "bad_requests": 0,
                             "connections": {"accepted": 0, "open": 1}})

    def test_counts(self):
        with self.server.connect() as c:
            c.request("GET", "/json")
            c.request("GET", "/json")
            c.request("GET", "/json?x=1")
            c.request("POST", "/echo", body="abc")
            c.request("GET", "/status/404")
            c.request("GET", "/nope?q")
            c.request("HEAD", "/json")
        with self.server.connect() as c:
            c.send(b"BROKEN\r\n\r\n")
            self.assertEqual(c.read_response().status, 400)
        s = self.wait_open(1)
        self.assertEqual(s["total"], 7)
        self.assertEqual(s["requests"], {"GET /json": 3, "POST /echo": 1, "GET /status/404": 1,
                                         "GET /nope": 1, "HEAD /json": 1})
        self.assertEqual(s["targets"], {"GET /json": 2, "GET /json?x=1": 1, "POST /echo": 1,
                                        "GET /status/404": 1, "GET /nope?q": 1, "HEAD /json": 1})
        self.assertEqual(s["targets_overflow"], 0)
        self.assertEqual(s["statuses"], {"200": 5, "404": 2, "400": 1})
        self.assertEqual(s["bad_requests"], 1)
        self.assertEqual(s["connections"], {"accepted": 2, "open": 1})

    def test_stats_and_reset_not_counted(self):
        for _ in range(3):
            self.stats()
        self.server.reset(self.ctl)
        s = self.stats()
        self.assertEqual((s["total"], s["requests"], s["targets"], s["statuses"]),
                         (0, {}, {}, {}))

    def test_pipelined_each_counted(self):
        with self.server.connect() as c:
            c.send(b"".join(req("GET", "/status/201?i=%d" % (i % 2)) for i in range(5)))
            for _ in range(5):
                self.assertEqual(c.read_response().status, 201)
        s = self.stats()
        self.assertEqual(s["total"], 5)
        self.assertEqual(s["requests"], {"GET /status/201": 5})
        self.assertEqual(s["targets"], {"GET /status/201?i=0": 3, "GET /status/201?i=1": 2})
        self.assertEqual(s["statuses"], {"201": 5})

    def test_drop_counted_without_status(self):
        with self.server.connect() as c:
            c.send(req("GET", "/drop"))
            self.assert_closed(c)
        s = self.stats()
        self.assertEqual((s["total"], s["requests"], s["statuses"]),
                         (1, {"GET /drop": 1}, {}))

    def test_open_and_accepted(self):
        conns = [self.connect() for _ in range(3)]
        for c in conns:
            self.assertEqual(c.request("GET", "/status/200").status, 200)
        s = self.stats()
        self.assertEqual(s["connections"], {"accepted": 3, "open": 4})
        for c in conns:
            c.close()
        s = self.wait_open(1)
        self.assertEqual(s["connections"], {"accepted": 3, "open": 1})

    def test_targets_overflow(self):
        limit = 100000
        extra = 7
        n = limit + extra
        with self.server.connect(timeout=30) as c:
            batch = 5000
            for start in range(0, n, batch):
                end = min(n, start + batch)
                c.send(b"".join(b"GET /status/200?i=%d HTTP/1.1\r\nHost: h\r\n\r\n" % i
                                for i in range(start, end)))
                for _ in range(start, end):
                    r = c.read_response()
                    if r.status != 200:
                        self.fail("unexpected %r" % r)
            # An early target again: counted in targets, not in the overflow.
            self.assertEqual(c.request("GET", "/status/200?i=0").status, 200)
        s = self.stats()
        self.assertEqual(s["total"], n + 1)
        self.assertEqual(s["requests"], {"GET /status/200": n + 1})
        self.assertEqual(len(s["targets"]), limit)
        self.assertEqual(s["targets"]["GET /status/200?i=0"], 2)
        self.assertEqual(s["targets"]["GET /status/200?i=%d" % (limit - 1)], 1)
        self.assertNotIn("GET /status/200?i=%d" % limit, s["targets"])
        self.assertEqual(s["targets_overflow"], extra)
        # After a reset new targets are recorded again.
        self.server.reset(self.ctl)
        self.assertEqual(self.get("/status/200?after=reset").status, 200)
        s = self.stats()
        self.assertEqual((s["targets"], s["targets_overflow"]),
                         ({"GET /status/200?after=reset": 1}, 0))


# =============================================================================================
# Malformed and oversized requests: answered as the spec says, then closed; server lives on.


class MalformedTest(ServeCase):
    def setUp(self):
        self.ctl = self.connect()
        self.server.reset(self.ctl)

    def check_rejected(self, data, status, answered_before=0):
        c = self.connect()
        send_tolerant(c, data)
        for _ in range(answered_before):
            self.assertEqual(c.read_response().status, 200)
        r = c.read_response()
        self.assertEqual(r.status, status, "for %r: %r %r" % (data[:80], r, r.body[:200]))
        self.assertTrue(r.closes(), "no Connection: close on %r" % r)
        self.assert_framing(r)
        self.assert_closed(c)
        s = self.server.stats(self.ctl)
        self.assertEqual(s["bad_requests"], 1, s)
        self.assertEqual(s["total"], answered_before, s)
        self.assertEqual(s["statuses"].get(str(status)), 1, s)
        if not answered_before:
            self.assertEqual(s["requests"], {}, s)
        self.assert_serving()
        return r

    def test_garbage_request_line(self):
        self.check_rejected(b"GARBAGE\r\n\r\n", 400)

    def test_request_line_extra_part(self):
        self.check_rejected(b"GET /json HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400)

    def test_request_line_missing_version(self):
        self.check_rejected(b"GET /json\r\nHost: h\r\n\r\n", 400)

    def test_bad_protocol_name(self):
        self.check_rejected(b"GET /json FOO/1.1\r\nHost: h\r\n\r\n", 400)

    def test_bad_header_name(self):
        self.check_rejected(b"GET /json HTTP/1.1\r\nHost: h\r\nBad Header: v\r\n\r\n", 400)

    def test_space_before_colon(self):
        self.check_rejected(b"GET /json HTTP/1.1\r\nHost : h\r\n\r\n", 400)

    def test_empty_header_name(self):
        self.check_rejected(b"GET /json HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400)

    def test_header_without_colon(self):
        self.check_rejected(b"GET /json HTTP/1.1\r\nHost: h\r\nNoColonHere\r\n\r\n", 400)

    def test_headers_over_16k(self):
        self.check_rejected(req("GET", "/json", [("X-Big", "a" * (17 * KIB))]), 431)

    def test_many_headers_over_16k(self):
        hs = [("X-H%04d" % i, "v" * 10) for i in range(1000)]  # ~20 KiB
        self.check_rejected(req("GET", "/json", hs), 431)

    def test_request_line_over_16k(self):
        self.check_rejected(req("GET", "/json?" + "q" * (17 * KIB)), 431)

    def test_headers_under_16k_accepted(self):
        r = self.server.request("GET", "/echo", [("X-Big", "a" * (15 * KIB))])
        self.assertEqual(self.assert_json(r, 200)["headers"]["x-big"], "a" * (15 * KIB))

    def test_body_over_16m_declared(self):
        self.check_rejected(req("POST", "/echo", [("Content-Length", str(16 * MIB + 1))]), 413)

    def test_body_over_16m_chunked(self):
        c = self.connect(timeout=20)
        c.send(req("POST", "/echo", [("Transfer-Encoding", "chunked")]))
        piece = b"%x\r\n" % MIB + b"x" * MIB + b"\r\n"
        try:
            for _ in range(17):
                c.send(piece)
            c.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.read_response()
        self.assertEqual(r.status, 413)
        self.assertTrue(r.closes(), r)
        self.assert_framing(r)
        s = self.server.stats(self.ctl)
        self.assertEqual((s["bad_requests"], s["total"]), (1, 0), s)
        self.assert_serving()

    def test_body_exactly_16m_accepted(self):
        body = b"y" * (16 * MIB)
        with self.server.connect(timeout=30) as c:
            r = c.request("POST", "/echo", body=body, timeout=30)
        e = self.assert_json(r, 200)
        self.assertEqual(len(e["body"]), 16 * MIB)

    def test_body_over_16m_with_expect(self):
        # 413 at once: the client is not invited (100) to send what would be refused.
        c = self.connect()
        c.send(req("POST", "/echo", [("Expect", "100-continue"),
                                     ("Content-Length", str(16 * MIB + 1))]))
        final, interim = c.read_final_response(timeout=5)
        self.assertEqual(final.status, 413, final)
        self.assertEqual([r.status for r in interim], [])
        self.assertTrue(final.closes())
        self.assert_closed(c)

    def test_huge_numbers_in_framing(self):
        # Overflowing Content-Length or chunk sizes: refused (400 or 413), then closed.
        for name, data in [
                ("content-length", req("POST", "/echo",
                                       [("Content-Length", "9" * 30)]) + b"x"),
                ("chunk size", req("POST", "/echo", [("Transfer-Encoding", "chunked")])
                 + b"f" * 30 + b"\r\nx\r\n0\r\n\r\n")]:
            with self.subTest(name):
                c = self.connect()
                send_tolerant(c, data)
                r = c.read_response()
                self.assertIn(r.status, (400, 413), r)
                self.assertTrue(r.closes())
                self.assert_closed(c)
        self.assert_serving()

    def test_fuzzed_requests(self):
        # Mutated valid requests, each on its own connection: whatever comes back must be a
        # well-formed response; an error status closes the connection; the server survives.
        rnd = random.Random(7)
        seeds = [req("GET", "/json"), req("POST", "/echo?a=1", [("X-A", "b")], body="hello"),
                 req("POST", "/echo", [("Transfer-Encoding", "chunked")]) + chunked("ab", "c"),
                 req("GET", "/status/201", version="HTTP/1.0"),
                 req("PUT", "/cookies/set?a=1", [("Cookie", "b=2")])]
        conns = []
        for i in range(150):
            data = bytearray(rnd.choice(seeds))
            for _ in range(rnd.randint(1, 4)):
                op = rnd.randrange(3)
                pos = rnd.randrange(len(data))
                if op == 0:
                    data[pos] = rnd.randrange(256)
                elif op == 1:
                    data.insert(pos, rnd.choice(b"\r\n :\x00\x7f\xff/?%;0aZ"))
                else:
                    del data[pos]
            c = self.server.connect()
            self.addCleanup(c.close)
            send_tolerant(c, bytes(data))
            conns.append((bytes(data), c))
        deadline = time.monotonic() + 3
        for data, c in conns:
            # Read what comes within the common deadline (a request left incomplete by the
            # mutation gets no answer: that is fine).
            left = max(0.05, deadline - time.monotonic())
            try:
                raw = c.read_raw_until_close(timeout=left)
                closed = True
            except socket.timeout:
                raw, closed = c.buf, False
            rs, rest = parse_responses(raw)
            if closed:
                self.assertEqual(rest, b"", "truncated response to %r" % data)
                self.assertTrue(rs, "closed without an answer: %r" % data)
            for r in rs:
                self.assertTrue(200 <= r.status <= 599 or r.status == 100, (data, r))
                if r.status in (400, 413, 431, 505):
                    self.assertTrue(r.closes(), (data, r))
            if rs and rs[-1].status in (400, 413, 431, 505):
                self.assertTrue(closed, (data, raw[:300]))
        self.assertTrue(self.server.alive())
        self.assert_serving()

    def test_http2_version(self):
        self.check_rejected(b"GET /json HTTP/2.0\r\nHost: h\r\n\r\n", 505)

    def test_http12_and_http3_versions(self):
        self.check_rejected(b"GET /json HTTP/1.2\r\nHost: h\r\n\r\n", 505)
        self.server.reset(self.ctl)
        self.check_rejected(b"GET /json HTTP/3.0\r\nHost: h\r\n\r\n", 505)

    def test_content_length_and_transfer_encoding(self):
        self.check_rejected(req("POST", "/echo", [("Content-Length", "5"),
                                                  ("Transfer-Encoding", "chunked")])
                            + b"5\r\nhello\r\n0\r\n\r\n", 400)

    def test_bad_content_length(self):
        for cl in ("abc", "-1", "1x"):
            with self.subTest(cl=cl):
                self.server.reset(self.ctl)
                self.check_rejected(req("POST", "/echo", [("Content-Length", cl)]) + b"x", 400)

    def test_conflicting_content_lengths(self):
        self.check_rejected(req("POST", "/echo", [("Content-Length", "1"),
                                                  ("Content-Length", "2")]) + b"xy", 400)

    def test_bad_chunk_size(self):
        self.check_rejected(req("POST", "/echo", [("Transfer-Encoding", "chunked")])
                            + b"zz\r\nhello\r\n0\r\n\r\n", 400)

    def test_chunk_without_crlf_after_data(self):
        self.check_rejected(req("POST", "/echo", [("Transfer-Encoding", "chunked")])
                            + b"3\r\nabcXY0\r\n\r\n", 400)

    def test_random_binary_junk(self):
        junk = random.Random(20240611).randbytes(600)
        self.check_rejected(junk + b"\r\n\r\n", 400)

    def test_nul_in_request_line(self):
        self.check_rejected(b"GET /js\x00on HTTP/1.1\r\nHost: h\r\n\r\n", 400)

    def test_nul_in_header_value(self):
        self.check_rejected(b"GET /json HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n", 400)

    def test_valid_then_malformed_pipelined(self):
        self.check_rejected(req("GET", "/json") + b"BROKEN LINE\r\n\r\n", 400,
                            answered_before=1)

    def test_malformed_then_valid_not_answered(self):
        # check_rejected asserts that nothing follows the 400 before the close.
        self.check_rejected(b"BROKEN\r\n\r\n" + req("GET", "/json"), 400)


# =============================================================================================
# 1,000 concurrent keep-alive connections.


class ManyConnectionsTest(ServeCase):
    N = 1000

    def _round(self, socks, rnd, timeout=30):
        for i, s in enumerate(socks):
            s.setblocking(True)
            s.settimeout(5)
            s.sendall(req("GET", "/echo?i=%d&round=%d" % (i, rnd)))
            s.setblocking(False)
        sel = selectors.DefaultSelector()
        parsers = {}
        try:
            for i, s in enumerate(socks):
                parsers[s.fileno()] = (i, s, ResponseParser())
                sel.register(s, selectors.EVENT_READ)
            pending = len(socks)
            deadline = time.monotonic() + timeout
            while pending:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, "%d of %d responses missing in round %d"
                                   % (pending, len(socks), rnd))
                for key, _ in sel.select(timeout=min(left, 1.0)):
                    i, s, p = parsers[key.fd]
                    try:
                        d = s.recv(65536)
                    except BlockingIOError:
                        continue
                    if not d:
                        self.fail("connection %d closed in round %d" % (i, rnd))
                    rest = p.feed(d)
                    if p.done:
                        self.assertEqual(rest, b"")
                        sel.unregister(s)
                        pending -= 1
                        r = p.resp
                        self.assertEqual(r.status, 200)
                        self.assertFalse(r.closes())
                        self.assertEqual(json.loads(r.body)["args"],
                                         {"i": str(i), "round": str(rnd)})
        finally:
            sel.close()

    def test_1000_keep_alive_connections(self):
        ctl = self.connect()
        self.server.reset(ctl)
        socks = []
        try:
            for _ in range(self.N):
                socks.append(socket.create_connection((HOST, self.server.port), timeout=10))
            self._round(socks, 1)
            self._round(socks, 2)
            s = self.server.stats(ctl)
            self.assertEqual(s["connections"], {"accepted": self.N, "open": self.N + 1})
            self.assertEqual(s["total"], 2 * self.N)
            self.assertEqual(s["requests"], {"GET /echo": 2 * self.N})
            self.assertEqual(s["statuses"], {"200": 2 * self.N})
            self.assertEqual(len(s["targets"]), 2 * self.N)
        finally:
            for sk in socks:
                sk.close()
        s = self.server.wait_stats(lambda x: x["connections"]["open"] == 1, conn=ctl, timeout=10)
        self.assertEqual(s["connections"]["open"], 1)


if __name__ == "__main__":
    unittest.main()
