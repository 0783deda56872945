"""Reads a fieldgate journal (data_dir/journal.db) independently of the daemon's code:
each row decoded from its source text and its data bytes (gateway/store/jcodec.h) into a dict
with seq, ts_ms, sensor, plot, gateway, township, values and quality."""
import hashlib
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


def connect_ro(path):
    """A read-only handle, safe to poll while the daemon writes (WAL)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def rows(path, after=0, upto=None, db=None):
    """Decoded rows with after < seq (<= upto); through db (left open) when given."""
    own = db is None
    db = sqlite3.connect(path) if own else db
    try:
        sources = {i: parse_source(t) for i, t in db.execute("SELECT id, desc FROM sources")}
        out = []
        for seq, ts_ms, src, data in db.execute(
                "SELECT seq, ts_ms, src, data FROM readings WHERE seq > ? AND seq <= ? ORDER BY seq",
                (after, upto if upto is not None else 2**62)):
            s = sources[src]
            values, quality, unsynced = decode(s, bytes(data))
            out.append({"seq": seq, "ts_ms": ts_ms, "sensor": s["sensor"], "plot": s.get("plot", ""),
                        "gateway": s.get("gateway"), "township": s.get("township"),
                        "values": values, "quality": quality, "unsynced": unsynced,
                        "decimals": {p[0]: p[1] for p in s["points"]}})
        return out
    finally:
        if own:
            db.close()


def cursor_and_rows(path, sink):
    """(sink's saved cursor, the rows up to it) read in one read-only transaction, so the
    rows are those the cursor covered when it was read; (None, []) before the journal has it."""
    db = connect_ro(path)
    try:
        db.execute("BEGIN")
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name='cursors'").fetchone():
            return None, []
        cur = db.execute("SELECT seq FROM cursors WHERE sink=?", (sink,)).fetchone()
        if cur is None:
            return None, []
        return cur[0], rows(path, 0, cur[0], db)
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


def _be(v, n):
    return v.to_bytes(n, "big", signed=True)


def _str(s):
    b = s.encode()
    return _be(len(b), 4) + b


def content_leaf(ts_ms, sensor, values):
    """One reading's leaf (README "Evidence chain"): values maps name -> (quality, value)."""
    h = hashlib.sha256(_be(ts_ms, 8) + _str(sensor) + _be(len(values), 4))
    for name in sorted(values, key=lambda n: n.encode()):
        q, v = values[name]
        h.update(_str(name) + _str(q))
        if q == "good":
            h.update(struct.pack(">d", v + 0.0 if v != 0 else 0.0))
    return h.digest()


def content_digest(leaves):
    h = hashlib.sha256(b"fieldgate-content-1" + _be(len(leaves), 8))
    for leaf in sorted(leaves):
        h.update(leaf)
    return h.digest()


def _row_leaf(src, ts_ms, data):
    values, quality, _ = decode(src, bytes(data))
    dec = {p[0]: p[1] for p in src["points"]}
    vals = {}
    for name in values:
        q, v = quality[name], values[name]
        if q == "good" and not math.isfinite(v):
            q = "decode_error"
        vals[name] = (q, float(f"{v:.{dec[name]}f}") if q == "good" else None)
    return content_leaf(ts_ms, src["sensor"], vals)


def recompute_chain(path):
    """Each sealed day recomputed from the rows as README specifies it: a list of dicts with
    day, digest, rows, content, content_n, rules (hex; version 1 days have digest only)."""
    db = sqlite3.connect(path)
    try:
        texts = dict(db.execute("SELECT id, desc FROM sources"))
        srcs = {i: parse_source(t) for i, t in texts.items()}
        rules = db.execute("SELECT day, text FROM rules ORDER BY day").fetchall()
        out, prev, prev_last, prev_first = [], bytes(32), -2**63 + 1, None
        for day, first, last, version in db.execute(
                "SELECT day, first_seq, last_seq, version FROM chain ORDER BY day").fetchall():
            h = hashlib.sha256(prev + _be(day, 8))
            start = prev_first if prev_first is not None else prev_last + 1
            leaves = []
            for seq, ts, rday, s, data in db.execute(
                    "SELECT seq, ts_ms, day, src, data FROM readings WHERE seq >= ? AND seq <= ?"
                    " ORDER BY seq", (min(start, prev_last + 1), last)):
                if seq > prev_last:
                    text = texts[s].encode()
                    h.update(_be(seq, 8) + _be(ts, 8) + _be(rday, 8) + _be(len(text), 4) + text
                             + _be(len(data), 4) + bytes(data))
                if version >= 2 and rday == day:
                    leaves.append(_row_leaf(srcs[s], ts, data))
            rec = {"day": day, "rows": h.hexdigest()}
            if version >= 2:
                r = bytes(32)
                for rd, text in rules:
                    if rd <= day:
                        r = hashlib.sha256(text.encode() if isinstance(text, str) else bytes(text)).digest()
                c = content_digest(leaves)
                digest = hashlib.sha256(b"fieldgate-day-2" + h.digest() + c + _be(len(leaves), 8)
                                        + r).digest()
                rec.update(content=c.hex(), content_n=len(leaves), rules=r.hex())
            else:
                digest = h.digest()
            rec["digest"] = digest.hex()
            out.append(rec)
            prev, prev_last, prev_first = digest, max(prev_last, last), first
        return out
    finally:
        db.close()
