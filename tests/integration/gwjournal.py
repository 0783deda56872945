"""Reads a fieldgate journal (data_dir/journal.db) independently of the daemon's code:
each row decoded from its source text and its data bytes (gateway/store/jcodec.h) into a dict
with seq, ts_ms, sensor, plot, gateway, township, values and quality."""
import math
import sqlite3
import struct

QUALITY = ["good", "timeout", "exception", "crc_error", "out_of_range", "decode_error", "stale"]


def _unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            i += 1
            out.append({"t": "\t", "n": "\n", "\\": "\\"}[s[i]])
        else:
            out.append(s[i])
        i += 1
    return "".join(out)


def parse_source(text):
    src = {"points": []}
    for line in text.split("\n"):
        if not line:
            continue
        f = [_unescape(x) for x in line.split("\t")]
        if f[0] == "point":
            src["points"].append((f[1], int(f[2]), f[3]))
        else:
            src[f[0]] = f[1]
    return src


def decode(src, data):
    flags, n = data[0], data[1]
    assert n == len(src["points"]), (n, src)
    pos, values, quality = 2, {}, {}
    for name, _dec, _unit in src["points"]:
        q = data[pos]
        pos += 1
        quality[name] = QUALITY[q]
        if q == 0:
            values[name] = struct.unpack("<d", data[pos:pos + 8])[0]
            pos += 8
        else:
            values[name] = None
    assert pos == len(data), (pos, len(data))
    return values, quality, bool(flags & 1)


def rows(path, after=0):
    db = sqlite3.connect(path)
    try:
        sources = {i: parse_source(t) for i, t in db.execute("SELECT id, desc FROM sources")}
        out = []
        for seq, ts_ms, src, data in db.execute(
                "SELECT seq, ts_ms, src, data FROM readings WHERE seq > ? ORDER BY seq", (after,)):
            s = sources[src]
            values, quality, unsynced = decode(s, bytes(data))
            out.append({"seq": seq, "ts_ms": ts_ms, "sensor": s["sensor"], "plot": s.get("plot", ""),
                        "gateway": s.get("gateway"), "township": s.get("township"),
                        "values": values, "quality": quality, "unsynced": unsynced,
                        "decimals": {p[0]: p[1] for p in s["points"]}})
        return out
    finally:
        db.close()


def same_reading(row, printed):
    """True when a journal row and a printed JSON reading are the same poll."""
    if row["ts_ms"] != printed["ts_ms"] or row["sensor"] != printed["sensor"]:
        return False
    if row["quality"] != printed["quality"]:
        return False
    for k, v in row["values"].items():
        p = printed["values"][k]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            if p is not None:
                return False
        elif p is None or abs(round(v, row["decimals"][k]) - p) > 10 ** -row["decimals"][k] / 2:
            return False
    return True
