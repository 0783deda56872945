"""Interoperability: fieldgate's technician commands against pymodbus, an
independent Modbus implementation, over TCP on 127.0.0.1 and over RTU on a
socat pty pair. Unit 3 holds the Seeed S-Soil MTEC-02 test vector
(21.92 degC, 37.31 %, 590 uS/cm) as input and holding registers.

Run: FIELDGATE=path/to/fieldgate /usr/bin/python3 test_interop_pymodbus.py
(the same file, with "serve", is the pymodbus server it starts)."""

import asyncio
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

UNIT = 3
REGS = [0x0890, 0x0E93, 0x024E, 0, 0, 0x0FA0]  # 0x0005: dielectric 40.00
UNIT_REG = 0x0200
PROFILE = "seeed-s-soil-mtec-02"
WAIT_S = 15


# ---- the server side (a child process) ----

def make_context():
    from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                    ModbusSlaveContext)
    words = [0] * 0x0210
    words[:len(REGS)] = REGS
    words[UNIT_REG] = UNIT
    words[UNIT_REG + 1] = 3  # baud code 3 = 9600
    slave = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, list(words)),
                               ir=ModbusSequentialDataBlock(0, list(words)),
                               zero_mode=True)
    return ModbusServerContext(slaves={UNIT: slave}, single=False)


async def serve_tcp():
    from pymodbus.server.async_io import ModbusTcpServer
    server = ModbusTcpServer(make_context(), address=("127.0.0.1", 0), ignore_missing_slaves=True)
    task = asyncio.ensure_future(server.serve_forever())
    await server.serving
    print("ready %d" % server.server.sockets[0].getsockname()[1], flush=True)
    await task


async def serve_rtu(dev):
    from pymodbus.framer.rtu_framer import ModbusRtuFramer
    from pymodbus.server.async_io import ModbusSerialServer
    server = ModbusSerialServer(make_context(), framer=ModbusRtuFramer, port=dev, baudrate=9600,
                                bytesize=8, parity="N", stopbits=1, ignore_missing_slaves=True)
    await server.start()
    print("ready %s" % dev, flush=True)
    await server.serve_forever()


def serve(argv):
    import logging
    logging.disable(logging.CRITICAL)  # pymodbus logs each closed connection as an error
    if argv[0] == "tcp":
        asyncio.run(serve_tcp())
    else:
        asyncio.run(serve_rtu(argv[1]))


# ---- the test side ----

FIELDGATE = os.environ.get("FIELDGATE", "fieldgate")
started = []  # processes this test started; only these are stopped


def start(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    started.append(p)
    return p


def stop_all():
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def read_line(stream, deadline, what):
    """One line from a pipe, waiting no later than deadline."""
    buf = b""
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError("timed out waiting for %s (got %r)" % (what, buf))
        c = os.read(fd, 1)
        if not c:
            raise AssertionError("%s ended early (got %r)" % (what, buf))
        buf += c
    return buf.decode()


def start_server(args):
    p = start([sys.executable, __file__, "serve"] + args, stdout=subprocess.PIPE)
    line = read_line(p.stdout, time.monotonic() + WAIT_S, "pymodbus server")
    assert line.startswith("ready"), line
    return line.split()[1]


def start_socat_pair():
    """A pty pair; returns the two pty paths, parsed from socat's stderr."""
    p = start(["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
              stderr=subprocess.PIPE)
    deadline = time.monotonic() + WAIT_S
    ptys = []
    while len(ptys) < 2:
        line = read_line(p.stderr, deadline, "socat")
        m = re.search(r"PTY is (\S+)", line)
        if m:
            ptys.append(m.group(1))
    line = read_line(p.stderr, deadline, "socat")  # "starting data transfer loop"
    return ptys


def fieldgate(*args, want=0):
    r = subprocess.run([FIELDGATE] + list(args), capture_output=True, text=True, timeout=120)
    if r.returncode != want:
        raise AssertionError("fieldgate %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), r.returncode, want, r.stdout, r.stderr))
    return r.stdout


failures = []


def check(name, fn):
    try:
        fn()
        print("ok: %s" % name, flush=True)
    except AssertionError as e:
        failures.append(name)
        print("FAIL: %s: %s" % (name, e), flush=True)


def check_json_reading(line):
    out = fieldgate(*line, "--unit", str(UNIT), "--profile", PROFILE, "--json")
    reading = json.loads(out)
    values, quality = reading["values"], reading["quality"]
    assert abs(values["temperature_c"] - 21.92) < 1e-9, values
    assert abs(values["moisture_pct"] - 37.31) < 1e-9, values
    assert values["ec_us_cm"] == 590, values
    assert quality["temperature_c"] == "good", quality
    assert "plot" not in reading, reading


def check_table(line):
    out = fieldgate(*line, "--unit", str(UNIT), "--profile", PROFILE)
    rows = {r.split()[0]: r.split() for r in out.splitlines()[2:] if r.strip()}
    assert rows["moisture_pct"][1] == "37.31" and rows["moisture_pct"][-1] == "good", out


def check_scan(line):
    out = fieldgate("scan", *line, "--ids", "1-5", "--timeout-ms", "150")
    assert re.search(r"^unit 3: answers$", out, re.M), out
    assert len(re.findall(r"^unit \d+:", out, re.M)) == 1, out
    assert "1 of 5 ids answered" in out, out


def check_scan_empty(line):
    fieldgate("scan", *line, "--ids", "4-5", "--timeout-ms", "100", want=1)


def check_raw(line):
    out = fieldgate("read", *line, "--unit", str(UNIT), "--raw", "--addr", "0", "--count", "2",
                    "--function", "input")
    assert "0x0890" in out.lower(), out
    assert "2192" in out, out  # 0x0890 as uint16


def check_set_address(line, read_back):
    out = fieldgate("set-address", *line, "--unit", str(UNIT), "--new-unit", "7",
                    "--profile", PROFILE, "--timeout-ms", "300")
    # pymodbus keeps answering at 3, but the unit register must hold the new id
    assert "power" in out, out
    assert read_back() == 7, out


def run_tcp():
    port = start_server(["tcp"])
    line = ["--tcp", "127.0.0.1:%s" % port]

    def read_unit_reg():
        from pymodbus.client import ModbusTcpClient
        c = ModbusTcpClient("127.0.0.1", port=int(port))
        c.connect()
        rr = c.read_holding_registers(UNIT_REG, 1, slave=UNIT)
        c.close()
        return rr.registers[0]

    check("tcp read --json", lambda: check_json_reading(["read"] + line))
    check("tcp read table", lambda: check_table(["read"] + line))
    check("tcp read --raw", lambda: check_raw(line))
    check("tcp scan finds unit 3", lambda: check_scan(line))
    check("tcp scan of empty ids exits 1", lambda: check_scan_empty(line))
    check("tcp set-address writes the unit register",
          lambda: check_set_address(line, read_unit_reg))


def run_rtu():
    a, b = start_socat_pair()
    start_server(["rtu", a])
    line = ["--port", b, "--baud", "9600"]
    check("rtu read --json", lambda: check_json_reading(["read"] + line))
    check("rtu scan finds unit 3", lambda: check_scan(line))
    check("rtu read --raw", lambda: check_raw(line))
    check("rtu read table", lambda: check_table(["read"] + line))


def main():
    try:
        run_tcp()
        run_rtu()
    finally:
        stop_all()
    if failures:
        print("%d failed: %s" % (len(failures), ", ".join(failures)))
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        sys.exit(main())
