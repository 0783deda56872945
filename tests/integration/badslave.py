"""A misbehaving Modbus slave written for the stale-reply tests (not the project's
simulator): one thread serving several unit ids over one transport, each unit with
its own misbehaviour, every register holding a value of its own so that a value
read from the wrong register, request or unit shows.

Transports: a pty (bus type rtu), a TCP server carrying RTU frames (rtu_tcp), a
client dialling a dtu_server listener with its registration, a Modbus TCP server.
Behaviours (RTU): good; late (every other reply comes LATE_S after the gateway's
response time); twice (every reply sent twice, at once or a moment later);
trailing (a well-formed frame of wrong values right behind every reply); foreign
(answers as another unit). Modbus TCP adds: bad_tid, bad_proto, bad_len, bad_unit.
What the gateway must throw away is counted in `junk` (bytes)."""
import os
import socket
import struct
import threading
import time
import tty

REGS = (0, 1, 2, 5)  # seeed-s-soil-mtec-02's registers
BOGUS = 7777         # what a trailing frame claims: in range for every point
FOREIGN_UNIT = 99


def raw_value(unit, reg):
    """The raw register value: distinct for every unit and register, and in range
    for every point of the profile (so a value in the wrong place still reads good)."""
    return 1000 + 500 * unit + 11 * reg


def scaled(unit):
    """{point: value} the gateway must record for unit (seeed-s-soil-mtec-02)."""
    return {"temperature_c": raw_value(unit, 0) * 0.01, "moisture_pct": raw_value(unit, 1) * 0.01,
            "ec_us_cm": float(raw_value(unit, 2)), "dielectric": raw_value(unit, 5) * 0.01}


def crc16(b):
    c = 0xFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return bytes([c & 0xFF, c >> 8])


def rtu(body):
    return body + crc16(body)


def pdu_reply(unit, fn, addr, count, value=None):
    words = [value if value is not None else raw_value(unit, addr + i) for i in range(count)]
    return bytes([fn, 2 * count]) + b"".join(struct.pack(">H", w & 0xFFFF) for w in words)


class Slave(threading.Thread):
    """Serves until stop(). late_s: how late a late reply is (after the request)."""

    def __init__(self, behaviours, late_s):
        super().__init__(daemon=True)
        self.behaviours = behaviours  # {unit: name}
        self.late_s = late_s
        self.n = {}                   # requests seen per unit
        self.junk = 0
        self.lock = threading.Lock()
        self.stopping = False
        self.error = None

    def add_junk(self, n):
        with self.lock:
            self.junk += n

    def junk_bytes(self):
        with self.lock:
            return self.junk

    def stop(self):
        self.stopping = True
        self.close()
        self.join(5)

    def run(self):
        try:
            self.serve()
        except OSError as e:
            if not self.stopping:
                self.error = e

    # --- RTU framing: requests are 8 bytes (function 03/04/06) ---
    def serve_rtu(self, recv, send):
        buf = b""
        while not self.stopping:
            data = recv()
            if not data:
                return
            buf += data
            while len(buf) >= 8:
                if crc16(buf[:6]) != buf[6:8]:
                    buf = buf[1:]
                    continue
                req, buf = buf[:8], buf[8:]
                self.answer_rtu(req, send)

    def answer_rtu(self, req, send):
        unit, fn = req[0], req[1]
        addr, count = struct.unpack(">HH", req[2:6])
        how = self.behaviours.get(unit)
        if how is None or fn not in (3, 4):
            return
        k = self.n[unit] = self.n.get(unit, 0) + 1
        reply = rtu(bytes([unit]) + pdu_reply(unit, fn, addr, count))
        if how == "late" and k % 2 == 1:
            time.sleep(self.late_s)
            self.add_junk(len(reply))
            send(reply)
        elif how == "twice":
            self.add_junk(len(reply))
            if k % 2:
                send(reply + reply)
            else:
                send(reply)
                time.sleep(0.005)
                send(reply)
        elif how == "trailing":
            bogus = rtu(bytes([unit]) + pdu_reply(unit, fn, addr, count, BOGUS))
            self.add_junk(len(bogus))
            send(reply + bogus)
        elif how == "foreign":
            other = rtu(bytes([FOREIGN_UNIT]) + pdu_reply(unit, fn, addr, count))
            self.add_junk(len(other))
            send(other)
        else:
            send(reply)


class PtySlave(Slave):
    """Bus type rtu: the gateway opens the pty's slave end at `link` (a symlink)."""

    def __init__(self, link, behaviours, late_s):
        super().__init__(behaviours, late_s)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.symlink(os.ttyname(self.slave), link)
        self.link = link

    def serve(self):
        import select

        def recv():
            while not self.stopping:
                r, _, _ = select.select([self.master], [], [], 0.2)
                if r:
                    return os.read(self.master, 512)
            return b""
        self.serve_rtu(recv, lambda b: os.write(self.master, b))

    def close(self):
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if os.path.islink(self.link):
            os.unlink(self.link)


class SockSlave(Slave):
    """RTU frames over TCP: listens (rtu_tcp; port) or dials a dtu_server listener
    (dial=port, sending registration first, and again whenever the gateway closes)."""

    def __init__(self, behaviours, late_s, port=None, dial=None, registration=b""):
        super().__init__(behaviours, late_s)
        self.dial, self.registration, self.conn = dial, registration, None
        self.srv = None
        if port is not None:
            self.srv = socket.socket()
            self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.srv.bind(("127.0.0.1", port))
            self.srv.listen(4)
            self.srv.settimeout(0.2)

    def connect(self):
        if self.srv is not None:
            while not self.stopping:
                try:
                    c, _ = self.srv.accept()
                    return c
                except socket.timeout:
                    continue
            return None
        while not self.stopping:
            try:
                c = socket.create_connection(("127.0.0.1", self.dial), 1)
                c.sendall(self.registration)
                return c
            except OSError:
                time.sleep(0.1)
        return None

    def serve(self):
        while not self.stopping:
            c = self.connect()
            if c is None:
                return
            self.conn = c
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.settimeout(0.2)

            def recv():
                while not self.stopping:
                    try:
                        return c.recv(512)
                    except socket.timeout:
                        continue
                return b""
            try:
                self.handle(recv, c.sendall)
            except OSError:
                pass
            c.close()

    def handle(self, recv, send):
        self.serve_rtu(recv, send)

    def close(self):
        for s in (self.conn, self.srv):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


class TcpSlave(SockSlave):
    """Modbus TCP (MBAP framing) on port."""

    def handle(self, recv, send):
        buf = b""
        while not self.stopping:
            data = recv()
            if not data:
                return
            buf += data
            while len(buf) >= 7:
                length = struct.unpack(">H", buf[4:6])[0]
                if len(buf) < 6 + length:
                    break
                req, buf = buf[:6 + length], buf[6 + length:]
                self.answer_tcp(req, send)

    def answer_tcp(self, req, send):
        tid, _proto, _len, unit = struct.unpack(">HHHB", req[:7])
        fn = req[7]
        addr, count = struct.unpack(">HH", req[8:12])
        how = self.behaviours.get(unit)
        if how is None or fn not in (3, 4):
            return
        k = self.n[unit] = self.n.get(unit, 0) + 1
        pdu = pdu_reply(unit, fn, addr, count)
        proto, length, uid = 0, len(pdu) + 1, unit
        if how == "bad_tid":
            tid ^= 0x4000
        elif how == "bad_proto":
            proto = 1
        elif how == "bad_len":
            length += 3
        elif how == "bad_unit":
            uid = FOREIGN_UNIT
        reply = struct.pack(">HHHB", tid, proto, length, uid) + pdu
        if how != "good" and not (how == "late" and k % 2 == 0):
            self.add_junk(len(reply))
        if how == "late" and k % 2 == 1:
            time.sleep(self.late_s)
        send(reply)
