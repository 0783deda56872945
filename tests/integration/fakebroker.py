"""A small MQTT 3.1.1 broker for tests that need a broker misbehaving on purpose (in the
manner of mosquitto's own test brokers): on a loopback socket and a free port it answers
CONNECT with CONNACK, PINGREQ with PINGRESP, takes PUBLISH at QoS 0 and 1, and for each QoS 1
PUBLISH asks a policy whether to send the PUBACK now, never (withheld), or to drop the
connection instead. No SUBSCRIBE, no QoS 2, no sessions: it only records what arrives.

Every PUBLISH is recorded as a dict {conn, topic, payload, qos, retain, dup, pid, acked}; a
message is marked acked *before* its PUBACK goes out, so whatever a client can have seen
acknowledged is already in `acked` when a test looks."""
import socket
import threading
import time

ACK, WITHHOLD, DROP = "ack", "withhold", "drop"


def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def _read_packet(sock):
    """(first byte, body) of the next MQTT packet."""
    first = _read_exact(sock, 1)[0]
    mult, length = 1, 0
    for _ in range(4):
        b = _read_exact(sock, 1)[0]
        length += (b & 0x7F) * mult
        if not b & 0x80:
            break
        mult *= 128
    return first, _read_exact(sock, length) if length else b""


class FakeBroker:
    """policy(msg) -> ACK | WITHHOLD | DROP, called for each QoS 1 PUBLISH (msg as recorded).
    drop_now() closes the current connection from the test's side."""

    def __init__(self, policy=lambda msg: ACK):
        self.policy = policy
        self.lock = threading.Lock()
        self.msgs = []
        self.conns = 0
        self.pings = 0
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.port = self.srv.getsockname()[1]
        self.cur = None
        self.stopping = False
        self.t = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.t.start()
        return self

    def stop(self):
        self.stopping = True
        self.drop_now()
        self.t.join(5)
        self.srv.close()

    def drop_now(self):
        with self.lock:
            s = self.cur
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def snapshot(self):
        with self.lock:
            return [dict(m) for m in self.msgs]

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.conns += 1
                n = self.conns
                self.cur = conn
            try:
                self._session(conn, n)
            except (ConnectionError, OSError):
                pass
            finally:
                with self.lock:
                    self.cur = None
                conn.close()

    def _publish(self, conn, n, first, body):
        qos, tlen = (first >> 1) & 3, int.from_bytes(body[:2], "big")
        topic, pos, pid = body[2:2 + tlen].decode("utf-8"), 2 + tlen, None
        if qos:
            pid = int.from_bytes(body[pos:pos + 2], "big")
            pos += 2
        msg = {"conn": n, "topic": topic, "payload": body[pos:].decode("utf-8", "replace"),
               "qos": qos, "retain": bool(first & 1), "dup": bool(first & 8), "pid": pid,
               "acked": False, "t": time.monotonic()}
        with self.lock:
            self.msgs.append(msg)
            idx = len(self.msgs) - 1
        if qos != 1:
            return True
        what = self.policy(dict(msg))
        if what == DROP:
            return False
        if what == ACK:
            with self.lock:
                self.msgs[idx]["acked"] = True
            conn.sendall(bytes([0x40, 2]) + pid.to_bytes(2, "big"))
        return True

    def _session(self, conn, n):
        first, _ = _read_packet(conn)
        if first >> 4 != 1:
            return  # not a CONNECT
        conn.sendall(bytes([0x20, 2, 0, 0]))  # CONNACK, session not present, accepted
        while not self.stopping:
            first, body = _read_packet(conn)
            kind = first >> 4
            if kind == 3:
                if not self._publish(conn, n, first, body):
                    return
            elif kind == 12:
                with self.lock:
                    self.pings += 1
                conn.sendall(bytes([0xD0, 0]))
            elif kind == 14:
                return  # DISCONNECT
            # anything else (PUBREL, SUBSCRIBE...) is not expected from this client: ignored
