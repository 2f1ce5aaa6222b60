"""Shared helpers for ModelVault test fixtures (stdlib only).

Usage as a library (from fixtures/generate.py, fixtures/damage.py, scripts/engine-crosscheck,
scripts/engine-integration, scripts/scavenge-crosscheck, scripts/validate-reports):

    sys.path.insert(0, "<repo>/scripts"); import mvtools
    f = mvtools.parse(open(path, "rb").read())
    for seg in f.segments: print(seg.offset, seg.type_name, seg.txn_id)
    data = mvtools.flip_payload_byte(data, f.segments[5])
    outcome = mvtools.observe_engine(path, mvtools.MV_PYTHON)
    mvtools.ensure_modelvault(__file__, "prog", "PROG_REEXEC")  # re-exec under that venv
    proc = mvtools.run_binary([mvfsck, "verify", path])       # retried on ETXTBSY
    units = mvtools.replay_units(f)                # committed transactions / legacy units
    inert = mvtools.drop_units(data, units, [3])   # unit 3 aborted (Temp in minors 3-5)
    c = mvtools.replay_closure(data, units, {3: ("requested", None)})  # engine in-process
    print(c.dropped, c.rows)                       # + what no longer replays, and the rows
    problem = mvtools.schema_problem(report, "report")        # None: it fits the JSON Schema

Usage as a script (run by observe_engine under the modelvault 0.16.0 venv's python):

    <venv>/bin/python scripts/mvtools.py observe FILE...     # JSON list of outcomes on stdout
    python3 scripts/mvtools.py walk FILE                     # one line per structure

The byte format is described in docs/file-format.md (superblocks, segments, markers,
checkpoints).
"""

import base64
import errno
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------------------
# Constants

HEADER_SIZE = 32
SB_SIZE = 4096
SB_A = 32
SB_B = 4128
LOG_START = 8224
SEG_HEADER_SIZE = 32
MAX_PAYLOAD = 64 * 1024 * 1024
MARKER_PAYLOAD_LEN = 24
MANIFEST_PAYLOAD_LEN = 18

FILE_MAGIC = b"TDB0"
SB_MAGIC = b"TSB0"
SEG_MAGIC = b"TSG0"

SCHEMA, RECORD, MANIFEST, CHECKPOINT, INDEX, TXN_BEGIN, TXN_COMMIT, TXN_ABORT, TEMP = range(1, 10)
TYPE_NAMES = {
    SCHEMA: "Schema", RECORD: "Record", MANIFEST: "Manifest", CHECKPOINT: "Checkpoint",
    INDEX: "Index", TXN_BEGIN: "TxnBegin", TXN_COMMIT: "TxnCommit", TXN_ABORT: "TxnAbort",
    TEMP: "Temp",
}
TYPE_BY_NAME = {v: k for k, v in TYPE_NAMES.items()}
MARKER_TYPES = (TXN_BEGIN, TXN_COMMIT, TXN_ABORT)
DATA_TYPES = (SCHEMA, RECORD, INDEX)

# ---------------------------------------------------------------------------
# CRC-32C (Castagnoli), reflected polynomial 0x82F63B78


def _make_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _make_table()


def crc32c(data, crc=0):
    """CRC-32C of data; pass a previous result as crc to continue a running checksum."""
    c = crc ^ 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283 and crc32c(b"") == 0

# ---------------------------------------------------------------------------
# Parsing


class FileHeader:
    def __init__(self, raw):
        self.raw = bytes(raw)
        self.complete = len(raw) >= HEADER_SIZE
        raw = bytes(raw) + b"\0" * max(0, HEADER_SIZE - len(raw))
        self.magic = raw[0:4]
        self.major, self.minor = struct.unpack_from("<HH", raw, 4)
        self.header_size, = struct.unpack_from("<I", raw, 8)
        self.flags, = struct.unpack_from("<Q", raw, 12)

    @property
    def valid(self):
        return (self.complete and self.magic == FILE_MAGIC and self.major == 0
                and 2 <= self.minor <= 6)

    def to_dict(self):
        return {"magic": self.magic.decode("latin-1"), "major": self.major, "minor": self.minor,
                "header_size": self.header_size, "flags": self.flags, "valid": self.valid}


class Superblock:
    def __init__(self, slot, offset, raw):
        self.slot = slot
        self.offset = offset
        self.raw = bytes(raw)
        self.complete = len(raw) >= SB_SIZE
        raw = bytes(raw) + b"\0" * max(0, SB_SIZE - len(raw))
        self.magic = raw[0:4]
        self.version, = struct.unpack_from("<H", raw, 4)
        self.generation, self.manifest_offset = struct.unpack_from("<QQ", raw, 8)
        self.manifest_len, = struct.unpack_from("<I", raw, 24)
        self.checksum_kind = raw[28]
        if self.version == 0:
            self.crc, = struct.unpack_from("<I", raw, 32)
            self.crc_computed = crc32c(raw[0:32])
            self.checkpoint_offset, self.checkpoint_len = 0, 0
        else:
            self.checkpoint_offset, = struct.unpack_from("<Q", raw, 36)
            self.checkpoint_len, self.crc = struct.unpack_from("<II", raw, 44)
            self.crc_computed = crc32c(raw[0:48])

    @property
    def recognised(self):
        return self.complete and self.magic == SB_MAGIC and self.version in (0, 1)

    @property
    def sound(self):
        return self.recognised and self.checksum_kind == 0 and self.crc == self.crc_computed

    def to_dict(self):
        return {"slot": self.slot, "offset": self.offset, "magic": self.magic.decode("latin-1"),
                "version": self.version, "generation": self.generation,
                "manifest_offset": self.manifest_offset, "manifest_len": self.manifest_len,
                "checksum_kind": self.checksum_kind, "checkpoint_offset": self.checkpoint_offset,
                "checkpoint_len": self.checkpoint_len, "crc_ok": self.crc == self.crc_computed,
                "sound": self.sound}


class Segment:
    """One segment of the log. `payload` may be shorter than payload_len for a torn tail."""

    def __init__(self, offset, hdr, payload, index):
        self.offset = offset
        self.index = index
        self.header_raw = bytes(hdr)
        self.magic = hdr[0:4]
        self.version, self.type = struct.unpack_from("<HH", hdr, 4)
        self.header_len, = struct.unpack_from("<I", hdr, 8)
        self.payload_len, = struct.unpack_from("<Q", hdr, 12)
        self.payload_crc, = struct.unpack_from("<I", hdr, 20)
        self.checksum_kind = hdr[24]
        self.reserved = hdr[25:28]
        self.header_crc, = struct.unpack_from("<I", hdr, 28)
        self.payload = bytes(payload)

    @property
    def type_name(self):
        return TYPE_NAMES.get(self.type, "type%d" % self.type)

    @property
    def payload_offset(self):
        return self.offset + SEG_HEADER_SIZE

    @property
    def end(self):
        return self.offset + SEG_HEADER_SIZE + self.payload_len

    @property
    def total_len(self):
        return SEG_HEADER_SIZE + self.payload_len

    @property
    def complete(self):
        return len(self.payload) == self.payload_len

    @property
    def header_crc_ok(self):
        return crc32c(self.header_raw[0:28]) == self.header_crc

    @property
    def payload_crc_ok(self):
        return self.complete and crc32c(self.payload) == self.payload_crc

    def header_fault(self):
        """First header fault in the engine's check order (docs/file-format.md section 5, "How
        the engine judges a header"), or None."""
        if self.magic != SEG_MAGIC:
            return "bad_segment_magic"
        if self.version != 0:
            return "unsupported_version"
        if not 1 <= self.type <= 9:
            return "unsupported_version"
        if self.header_len != SEG_HEADER_SIZE:
            return "unsupported_version"
        if self.payload_len > MAX_PAYLOAD:
            return "invalid_catalog_payload"
        if self.checksum_kind != 0:
            return "unsupported_version"
        if not self.header_crc_ok:
            return "bad_segment_header_checksum"
        return None

    @property
    def is_marker(self):
        return self.type in MARKER_TYPES

    @property
    def txn_id(self):
        if self.is_marker and len(self.payload) >= 10:
            return struct.unpack_from("<Q", self.payload, 2)[0]
        return None

    def marker_fault(self):
        if not self.is_marker:
            return None
        p = self.payload
        if len(p) != MARKER_PAYLOAD_LEN:
            return "expected 24 bytes, got %d" % len(p)
        if struct.unpack_from("<H", p, 0)[0] != 0:
            return "unsupported txn payload version"
        if crc32c(p[0:18]) != struct.unpack_from("<I", p, 18)[0]:
            return "txn payload crc mismatch"
        return None

    def raw(self):
        return self.header_raw + self.payload

    def describe(self):
        s = "%8d %-10s len=%-6d" % (self.offset, self.type_name, self.payload_len)
        if self.txn_id is not None:
            s += " txn=%d" % self.txn_id
        if self.header_fault():
            s += " HEADER:" + self.header_fault()
        elif not self.complete:
            s += " TORN(%d/%d)" % (len(self.payload), self.payload_len)
        elif not self.payload_crc_ok:
            s += " PAYLOAD-CRC"
        return s


class ParsedFile:
    def __init__(self, data):
        self.data = bytes(data)
        self.size = len(data)
        self.header = FileHeader(data[0:HEADER_SIZE])
        self.superblocks = [Superblock("A", SB_A, data[SB_A:SB_A + SB_SIZE]),
                            Superblock("B", SB_B, data[SB_B:SB_B + SB_SIZE])]
        self.segments = []
        # where the walk stopped and why: None (clean end), "short_tail", "torn_payload",
        # "bad_header"
        self.stop_offset = None
        self.stop_reason = None
        off = LOG_START
        n = len(data)
        while off < n:
            if n - off < SEG_HEADER_SIZE:
                self.stop_offset, self.stop_reason = off, "short_tail"
                break
            hdr = data[off:off + SEG_HEADER_SIZE]
            plen = struct.unpack_from("<Q", hdr, 12)[0]
            seg = Segment(off, hdr, data[off + SEG_HEADER_SIZE:off + SEG_HEADER_SIZE + min(plen, n)],
                          len(self.segments))
            if seg.header_fault():
                self.stop_offset, self.stop_reason = off, "bad_header"
                self.bad_segment = seg
                break
            self.segments.append(seg)
            if not seg.complete:
                self.stop_offset, self.stop_reason = off, "torn_payload"
                break
            off = seg.end

    @property
    def sb(self):
        return self.superblocks

    def selected_superblock(self):
        """The slot 0.16.0 selects (docs/file-format.md section 4, "Which slot the engine uses"),
        or None when the open fails."""
        rec = [s for s in self.superblocks if s.recognised]
        sound = [s for s in rec if s.sound]
        if not sound:
            return None
        best = max(s.generation for s in sound)
        for s in rec:
            if not s.sound and s.generation > best:
                return None
        for s in sound:  # A first on a tie
            if s.generation == best:
                return s
        return None

    def segment_at(self, offset):
        for s in self.segments:
            if s.offset == offset:
                return s
        return None

    def of_type(self, t):
        if isinstance(t, str):
            t = TYPE_BY_NAME[t]
        return [s for s in self.segments if s.type == t]

    def transactions(self):
        """List of (begin, [body...], end) for complete framed transactions, in file order."""
        out = []
        cur = None
        for s in self.segments:
            if s.type == TXN_BEGIN:
                cur = (s, [])
            elif s.type in (TXN_COMMIT, TXN_ABORT):
                if cur is not None:
                    out.append((cur[0], cur[1], s))
                cur = None
            elif cur is not None:
                cur[1].append(s)
        return out

    def describe(self):
        lines = ["header  %s" % self.header.to_dict()]
        for s in self.superblocks:
            lines.append("sb %s   %s" % (s.slot, s.to_dict()))
        for s in self.segments:
            lines.append(s.describe())
        if self.stop_reason:
            lines.append("%8d stop: %s" % (self.stop_offset, self.stop_reason))
        return "\n".join(lines)


def parse(data):
    return ParsedFile(data)


def parse_file(path):
    with open(path, "rb") as f:
        return ParsedFile(f.read())


# ---------------------------------------------------------------------------
# Building blocks


def file_header(minor=6, major=0, header_size=32, flags=0):
    return FILE_MAGIC + struct.pack("<HHIQ", major, minor, header_size, flags) + b"\0" * 12


def segment_header(seg_type, payload, version=0, checksum_kind=0, payload_len=None,
                   payload_crc=None, header_len=SEG_HEADER_SIZE, magic=SEG_MAGIC,
                   reserved=b"\0\0\0", fix_header_crc=True, header_crc=None):
    plen = len(payload) if payload_len is None else payload_len
    pcrc = crc32c(payload) if payload_crc is None else payload_crc
    h = magic + struct.pack("<HHIQI", version, seg_type, header_len, plen, pcrc)
    h += bytes([checksum_kind]) + bytes(reserved)
    if header_crc is None:
        header_crc = crc32c(h) if fix_header_crc else 0
    return h + struct.pack("<I", header_crc)


def build_segment(seg_type, payload, **kw):
    """A whole segment (header with correct CRCs + payload)."""
    return segment_header(seg_type, payload, **kw) + bytes(payload)


def marker_payload(txn_id, version=0, fix_crc=True):
    p = struct.pack("<HQ", version, txn_id) + b"\0" * 8
    crc = crc32c(p) if fix_crc else 0
    return p + struct.pack("<I", crc) + b"\0\0"


def fix_marker_inner_crc(payload):
    """Recompute a marker payload's inner CRC (bytes 18..21 over 0..17)."""
    p = bytearray(payload)
    if len(p) >= 22:
        struct.pack_into("<I", p, 18, crc32c(bytes(p[0:18])))
    return bytes(p)


def manifest_payload(last_offset, last_len=50, version=0):
    return struct.pack("<HQQ", version, last_offset, last_len)


def superblock(version=1, generation=1, manifest_offset=0, manifest_len=18, checksum_kind=0,
               checkpoint_offset=0, checkpoint_len=0, magic=SB_MAGIC, fix_crc=True, crc=None):
    """A 4096-byte superblock, v0 or v1 layout."""
    b = bytearray(SB_SIZE)
    b[0:4] = magic
    struct.pack_into("<HHQQI", b, 4, version, 0, generation, manifest_offset, manifest_len)
    b[28] = checksum_kind
    if version == 0:
        c = crc32c(bytes(b[0:32])) if fix_crc else 0
        struct.pack_into("<I", b, 32, c if crc is None else crc)
    else:
        struct.pack_into("<QI", b, 36, checkpoint_offset, checkpoint_len)
        c = crc32c(bytes(b[0:48])) if fix_crc else 0
        struct.pack_into("<I", b, 48, c if crc is None else crc)
    return bytes(b)


def rebuild_superblock(sb, fix_crc=True, **changes):
    """Rebuild Superblock `sb` (from parse) with some fields changed, CRC fixed by default."""
    fields = dict(version=sb.version, generation=sb.generation,
                  manifest_offset=sb.manifest_offset, manifest_len=sb.manifest_len,
                  checksum_kind=sb.checksum_kind, checkpoint_offset=sb.checkpoint_offset,
                  checkpoint_len=sb.checkpoint_len, magic=sb.magic)
    fields.update(changes)
    return superblock(fix_crc=fix_crc, **fields)


def sb_crc(raw):
    """Correct CRC for a superblock image (layout from its version field)."""
    version = struct.unpack_from("<H", raw, 4)[0]
    return crc32c(raw[0:32]) if version == 0 else crc32c(raw[0:48])


def sb_fix_crc(data, slot):
    """Recompute the CRC of superblock `slot` ("A"/"B") in place-copy of data."""
    d = bytearray(data)
    off = SB_A if slot == "A" else SB_B
    raw = bytes(d[off:off + SB_SIZE])
    version = struct.unpack_from("<H", raw, 4)[0]
    pos = 32 if version == 0 else 48
    struct.pack_into("<I", d, off + pos, sb_crc(raw))
    return bytes(d)


# ---------------------------------------------------------------------------
# Payload helpers


def read_tagged_scalar_len(buf, pos):
    """Length of the tagged scalar at buf[pos:] (tag byte included)."""
    tag = buf[pos]
    if tag == 0:
        return 2
    if tag in (1, 2, 3, 7):
        return 9
    if tag in (4, 5):
        return 5 + struct.unpack_from("<I", buf, pos + 1)[0]
    if tag == 6:
        return 17
    raise ValueError("bad scalar tag %d" % tag)


def record_info(payload):
    """(version, collection_id, schema_version, op, pk_offset, field_count_offset)."""
    version, coll, schema_v, op = struct.unpack_from("<HIIB", payload, 0)
    pk_len = read_tagged_scalar_len(payload, 11)
    return version, coll, schema_v, op, 11, 11 + pk_len


def schema_info(payload):
    """(catalog_version, kind, collection_id)."""
    cv, kind, coll = struct.unpack_from("<HHI", payload, 0)
    return cv, kind, coll


def checkpoint_info(payload):
    """(version, replay_from_offset)."""
    return struct.unpack_from("<HQ", payload, 0)


def decode_index(payload):
    """(version, [entry dict: collection, kind, op, name, key, pk]) of an Index payload."""
    version, count = struct.unpack_from("<HI", payload, 0)
    pos = 6
    entries = []
    for _ in range(count):
        coll, kind = struct.unpack_from("<IB", payload, pos)
        pos += 5
        op = 1
        if version >= 2:
            op = payload[pos]
            pos += 1
        vals = []
        for _ in range(3):
            n = struct.unpack_from("<I", payload, pos)[0]
            vals.append(bytes(payload[pos + 4:pos + 4 + n]))
            pos += 4 + n
        entries.append({"collection": coll, "kind": kind, "op": op,
                        "name": vals[0].decode("utf-8"), "key": vals[1], "pk": vals[2]})
    if pos != len(payload):
        raise ValueError("trailing bytes in index payload")
    return version, entries


def encode_index(version, entries):
    out = struct.pack("<HI", version, len(entries))
    for e in entries:
        out += struct.pack("<IB", e["collection"], e["kind"])
        if version >= 2:
            out += bytes([e.get("op", 1)])
        for v in (e["name"].encode("utf-8"), e["key"], e["pk"]):
            out += struct.pack("<I", len(v)) + v
    return out


# ---------------------------------------------------------------------------
# Damage operations.  All take and return bytes; `seg` is a Segment from parse(data) of the
# same data (operations use only its offset and lengths).


def _b(data):
    return bytearray(data)


def flip_byte(data, offset, mask=0x01):
    d = _b(data)
    d[offset] ^= mask
    return bytes(d)


def flip_payload_byte(data, seg, index=None, mask=0x01):
    """Flip one payload bit (default: the middle byte) leaving the stored CRC stale."""
    if index is None:
        index = seg.payload_len // 2
    return flip_byte(data, seg.payload_offset + index, mask)


def flip_header_byte(data, seg, field_offset, mask=0x01):
    """Flip one bit of a segment header byte (header CRC left stale)."""
    return flip_byte(data, seg.offset + field_offset, mask)


def set_header_fields(data, seg, fix_header_crc=True, **fields):
    """Rewrite segment header fields: magic, version, type, header_len, payload_len,
    payload_crc, checksum_kind, reserved, header_crc."""
    h = dict(magic=seg.magic, version=seg.version, seg_type=seg.type, header_len=seg.header_len,
             payload_len=seg.payload_len, payload_crc=seg.payload_crc,
             checksum_kind=seg.checksum_kind, reserved=seg.reserved, header_crc=None)
    if "type" in fields:
        fields["seg_type"] = fields.pop("type")
    h.update(fields)
    if h["header_crc"] is None and not fix_header_crc:
        h["header_crc"] = seg.header_crc
    hdr = segment_header(h.pop("seg_type"), b"", **h)
    d = _b(data)
    d[seg.offset:seg.offset + SEG_HEADER_SIZE] = hdr
    return bytes(d)


def replace_payload(data, seg, payload, fix_crc=True):
    """Replace a segment's payload (length may change), recomputing both CRCs by default."""
    d = _b(data)
    if fix_crc:
        hdr = segment_header(seg.type, payload, version=seg.version,
                             checksum_kind=seg.checksum_kind, reserved=seg.reserved)
    else:
        hdr = segment_header(seg.type, payload, version=seg.version,
                             checksum_kind=seg.checksum_kind, reserved=seg.reserved,
                             payload_crc=seg.payload_crc)
    d[seg.offset:seg.end] = hdr + bytes(payload)
    return bytes(d)


def patch_payload(data, seg, pos, new_bytes, fix_crc=True):
    """Overwrite bytes inside a payload at payload offset pos; CRCs recomputed by default."""
    p = bytearray(seg.payload)
    p[pos:pos + len(new_bytes)] = new_bytes
    return replace_payload(data, seg, bytes(p), fix_crc=fix_crc)


def truncate(data, length):
    return bytes(data[:length])


def zero_range(data, start, end):
    d = _b(data)
    end = min(end, len(d))
    d[start:end] = b"\0" * (end - start)
    return bytes(d)


def append(data, extra):
    return bytes(data) + bytes(extra)


def insert_at(data, offset, blob):
    return bytes(data[:offset]) + bytes(blob) + bytes(data[offset:])


def remove_segments(data, segs, fix_pointers=False):
    """Remove whole segments. With fix_pointers, superblock manifest/checkpoint offsets and
    checkpoint replay_from_offset values after the removed ranges are shifted to match."""
    segs = sorted(segs, key=lambda s: s.offset, reverse=True)
    d = bytes(data)
    for s in segs:
        d = d[:s.offset] + d[s.end:]
        if fix_pointers:
            # a pointer at the removed segment keeps its value (now the next segment)
            d = shift_pointers(d, s.offset, -s.total_len, exclusive=True)
    return d


def remove_segment(data, seg, fix_pointers=False):
    return remove_segments(data, [seg], fix_pointers)


def duplicate_segment(data, seg, at=None, fix_pointers=False):
    """Insert a copy of seg at offset `at` (default: right after it)."""
    at = seg.end if at is None else at
    d = insert_at(data, at, seg.raw())
    if fix_pointers:
        d = shift_pointers(d, at, seg.total_len)
    return d


def insert_segment(data, at, blob, fix_pointers=False):
    d = insert_at(data, at, blob)
    if fix_pointers:
        d = shift_pointers(d, at, len(blob), exclusive=False)
    return d


def shift_pointers(data, at, delta, exclusive=False):
    """Shift every superblock manifest/checkpoint pointer >= at (> at if exclusive) by delta,
    and every Checkpoint's replay_from_offset likewise; a CRC that was right is recomputed,
    a stale one stays stale. Use after inserting (at = insertion point) or removing
    (at = removed offset, exclusive) bytes at `at`."""
    def moves(v):
        return v != 0 and (v > at if exclusive else v >= at)
    d = bytes(data)
    pf = parse(d)
    for sb in pf.superblocks:
        if not sb.complete or sb.magic != SB_MAGIC:
            continue
        ch = {}
        if moves(sb.manifest_offset):
            ch["manifest_offset"] = sb.manifest_offset + delta
        if sb.version == 1 and moves(sb.checkpoint_offset):
            ch["checkpoint_offset"] = sb.checkpoint_offset + delta
        if ch:
            d = d[:sb.offset] + rebuild_superblock(sb, fix_crc=sb.crc == sb.crc_computed, **ch) \
                + d[sb.offset + SB_SIZE:]
    pf = parse(d)
    for seg in pf.of_type(CHECKPOINT):
        if len(seg.payload) >= 10:
            v, rfo = checkpoint_info(seg.payload)
            if moves(rfo):
                d = patch_payload(d, seg, 2, struct.pack("<Q", rfo + delta),
                                  fix_crc=seg.payload_crc_ok)
    return d


def change_txn_id(data, seg, new_id, fix_inner=True, fix_crc=True):
    """Change a marker's txn id (inner CRC and segment CRCs recomputed by default)."""
    p = bytearray(seg.payload)
    struct.pack_into("<Q", p, 2, new_id)
    if fix_inner:
        p = bytearray(fix_marker_inner_crc(bytes(p)))
    return replace_payload(data, seg, bytes(p), fix_crc=fix_crc)


def retype_segment(data, seg, new_type, fix_header_crc=True):
    return set_header_fields(data, seg, type=new_type, fix_header_crc=fix_header_crc)


def relabel_minor(data, minor):
    d = _b(data)
    struct.pack_into("<H", d, 6, minor)
    return bytes(d)


def set_file_header(data, **fields):
    """Change file header fields: magic, major, minor, header_size, flags."""
    h = FileHeader(data[0:HEADER_SIZE])
    vals = dict(magic=h.magic, major=h.major, minor=h.minor, header_size=h.header_size,
                flags=h.flags)
    vals.update(fields)
    hdr = vals["magic"] + struct.pack("<HHIQ", vals["major"], vals["minor"],
                                      vals["header_size"], vals["flags"]) + bytes(data[20:32])
    return hdr + bytes(data[HEADER_SIZE:])


SB_FIELDS = {  # name -> (offset, struct format) common to v0/v1
    "magic": (0, "4s"), "version": (4, "<H"), "generation": (8, "<Q"),
    "manifest_offset": (16, "<Q"), "manifest_len": (24, "<I"), "checksum_kind": (28, "B"),
    "checkpoint_offset": (36, "<Q"), "checkpoint_len": (44, "<I"),
}


def set_superblock_field(data, slot, field, value, fix_crc=False):
    """Overwrite one superblock field; CRC left stale unless fix_crc."""
    d = _b(data)
    base = SB_A if slot == "A" else SB_B
    off, fmt = SB_FIELDS[field]
    struct.pack_into(fmt, d, base + off, value)
    d = bytes(d)
    if fix_crc:
        d = sb_fix_crc(d, slot)
    return d


def flip_superblock_byte(data, slot, offset, mask=0x01):
    base = SB_A if slot == "A" else SB_B
    return flip_byte(data, base + offset, mask)


def zero_superblock(data, slot):
    base = SB_A if slot == "A" else SB_B
    return zero_range(data, base, base + SB_SIZE)


def newer_slot(pf):
    """('A'|'B') of the superblock with the higher generation (A on a tie)."""
    a, b = pf.superblocks
    return "B" if b.generation > a.generation else "A"


def older_slot(pf):
    return "A" if newer_slot(pf) == "B" else "B"


# ---------------------------------------------------------------------------
# A model of 0.16.0's open (docs/file-format.md sections 4, 5, 9): framing only, no replay


def engine_scan(data):
    """Predict the framing part of a 0.16.0 read-write open of `data`:

    {"fatal": variant or None      -- fails both modes before any cut, file untouched
     "strict_pre": error or None   -- strict-only failure of the selected Manifest check
     "safe_end": N, "reason": R,   -- AutoTruncate cut (R None when nothing is cut)
     "checkpoint_strict": error    -- checkpoint step, strict only (AutoTruncate replays fully)
     "checkpoint_fatal": error}    -- checkpoint step, both modes (after any cut)

    Replay itself (catalog, records, indexes, checkpoint contents) is not modelled."""
    n = len(data)
    out = {"fatal": None, "strict_pre": None, "safe_end": n, "reason": None,
           "checkpoint_strict": None, "checkpoint_fatal": None}
    if n == 0:
        out["empty"] = True
        return out
    if n < HEADER_SIZE:
        out["fatal"] = "truncated_header"
        return out
    pf = parse(data)
    h = pf.header
    if h.magic != FILE_MAGIC:
        out["fatal"] = "bad_magic"
        return out
    if h.major != 0 or not 2 <= h.minor <= 6 or (h.minor == 2 and n != HEADER_SIZE):
        out["fatal"] = "unsupported_version"
        return out
    if h.minor == 2:
        out["stub"] = True
        return out
    if n < LOG_START:
        out["fatal"] = "truncated_superblock"
        return out
    sel = pf.selected_superblock()
    if sel is None:
        out["fatal"] = "bad_superblock_checksum"
        return out
    mo = sel.manifest_offset
    if mo != 0:
        if mo + SEG_HEADER_SIZE > n:
            out["strict_pre"] = "OSError: read past end of store"
        else:
            hdr = data[mo:mo + SEG_HEADER_SIZE]
            seg = Segment(mo, hdr, b"", 0)
            fault = seg.header_fault()
            if fault:
                out["strict_pre"] = fault
            elif seg.end > n:
                out["strict_pre"] = "OSError: read past end of store"
            elif seg.type != MANIFEST:
                out["strict_pre"] = "unsupported_version"
            elif seg.payload_len < MANIFEST_PAYLOAD_LEN:
                # measured: "truncated header: got N bytes, expected 18"; longer is accepted
                out["strict_pre"] = "truncated_header"
            elif struct.unpack_from("<H", data, mo + SEG_HEADER_SIZE)[0] != 0:
                out["strict_pre"] = "unsupported_version"
    # scan
    scanned = []
    off = LOG_START
    while off < n:
        if n - off < SEG_HEADER_SIZE:
            break
        seg = Segment(off, data[off:off + SEG_HEADER_SIZE], b"", len(scanned))
        fault = seg.header_fault()
        if fault:
            out["fatal"] = fault
            return out
        if seg.end > n:
            break
        seg.payload = bytes(data[seg.payload_offset:seg.end])
        if seg.type not in (CHECKPOINT, TEMP) and not seg.payload_crc_ok:
            break
        scanned.append(seg)
        off = seg.end
    _frame(out, scanned, h.minor, n)
    if not out["fatal"]:
        out["checkpoint_strict"], out["checkpoint_fatal"] = _checkpoint_model(
            data[:out["safe_end"]], sel)
    return out


def _checkpoint_model(data, sel):
    """(strict-only error, both-modes error) of the checkpoint step (docs/file-format.md section
    9 step 7; the payload is section 6.7) on the log as it stands after any cut. Payload decode
    faults are not modelled."""
    n = len(data)
    off = sel.checkpoint_offset
    if sel.version != 1 or off == 0 or sel.checkpoint_len == 0 or off < LOG_START or off >= n:
        return None, None
    if off + SEG_HEADER_SIZE > n:
        return "OSError: read past end of store", None
    cp = Segment(off, data[off:off + SEG_HEADER_SIZE], b"", 0)
    fault = cp.header_fault()
    if fault:
        return fault, None
    if cp.type != CHECKPOINT:
        return None, None
    if cp.end > n:
        return "OSError: read past end of store", None
    cp.payload = bytes(data[cp.payload_offset:cp.end])
    if not cp.payload_crc_ok:
        return "bad_segment_payload_checksum", None
    if len(cp.payload) < 10:
        return "invalid_checkpoint_payload", None
    version, rfo = checkpoint_info(cp.payload)
    if version != 0:
        return "unsupported_version", None
    if rfo < cp.end:
        return None, "invalid_checkpoint_payload"
    if LOG_START <= rfo < n:
        pos = rfo
        while pos < n:
            if n - pos < SEG_HEADER_SIZE:
                break
            seg = Segment(pos, data[pos:pos + SEG_HEADER_SIZE], b"", 0)
            fault = seg.header_fault()
            if fault:
                return None, fault
            if seg.type == TXN_BEGIN:
                break
            if seg.type == TXN_COMMIT:
                return None, "invalid_txn_payload"
            pos = seg.end
    return None, None


def _frame(out, scanned, minor, n):
    """Safe end of the scanned segments (docs/file-format.md section 9 step 5), into `out`."""
    if minor < 6:
        end = scanned[-1].end if scanned else LOG_START
        if end < n:
            out["safe_end"], out["reason"] = end, "torn_tail_pre_v6"
        return
    safe = LOG_START
    open_begin = None
    for seg in scanned:
        if seg.is_marker and seg.marker_fault():
            out["fatal"] = "invalid_txn_payload"
            return
        if seg.type == TXN_BEGIN:
            if open_begin is not None:
                out["safe_end"], out["reason"] = open_begin.offset, "uncommitted_transaction"
                return
            open_begin = seg
            safe = seg.offset
        elif seg.type == TXN_COMMIT:
            if open_begin is None:
                out["safe_end"], out["reason"] = seg.offset, "orphan_txn_commit"
                return
            if seg.txn_id != open_begin.txn_id:
                out["safe_end"], out["reason"] = open_begin.offset, "txn_id_mismatch"
                return
            open_begin = None
            safe = seg.end
        elif seg.type == TXN_ABORT:
            open_begin = None
            safe = seg.end
        elif open_begin is None:
            safe = seg.end
    if open_begin is not None:
        out["safe_end"], out["reason"] = open_begin.offset, "uncommitted_transaction"
    elif safe < n:
        out["safe_end"], out["reason"] = safe, "torn_tail"


# ---------------------------------------------------------------------------
# Engine observation (modelvault 0.16.0)


def _jsonable(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return repr(v)
        return v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return repr(v)


def _error_info(e):
    details = getattr(e, "details", None)
    variant = None
    if isinstance(details, dict):
        variant = details.get("variant")
        details = {str(k): str(v) for k, v in details.items()}
    else:
        details = None
    msg = str(e)
    return {"error": variant if variant else "%s: %s" % (type(e).__name__, msg),
            "type": type(e).__name__, "message": msg, "details": details}


def _digest(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None, None
    return hashlib.sha256(data).hexdigest(), len(data)


def _release():
    # the Python binding has no close(): dropping the last reference releases the locks
    import gc
    gc.collect()


def _read_rows(db):
    rows = {}
    for name in sorted(db.collection_names()):
        got = [_jsonable(r) for r in db.collection(name).all()]
        got.sort(key=lambda r: json.dumps(r, sort_keys=True))
        rows[name] = got
    return rows


def observe_in_process(path, want_rows=True):
    """Observe modelvault 0.16.0 on `path` in this interpreter. Works ON COPIES in a temp dir;
    `path` itself is never opened for writing."""
    import modelvault
    tmp = tempfile.mkdtemp(prefix="mvobs-")
    try:
        strict_copy = os.path.join(tmp, "strict.modelvault")
        auto_copy = os.path.join(tmp, "auto.modelvault")
        shutil.copyfile(path, strict_copy)
        shutil.copyfile(path, auto_copy)
        before, size_before = _digest(auto_copy)

        res = {"size": size_before}
        try:
            db = modelvault.Database.open(strict_copy, recovery="strict")
            st = {"ok": True}
            db = None
            _release()
        except Exception as e:  # noqa: BLE001 - engine errors are data here
            st = {"ok": False}
            st.update(_error_info(e))
        after_s, _ = _digest(strict_copy)
        st["modifies_file"] = after_s != before
        res["strict"] = st

        at = {}
        rows = None
        try:
            db = modelvault.Database.open(auto_copy, recovery="auto_truncate")
            info = db.recovery_info or {}
            at.update(opens=True, truncated_bytes=info.get("truncated_bytes", 0),
                      truncate_reason=info.get("truncate_reason"), error=None)
            if want_rows:
                try:
                    rows = _read_rows(db)
                except Exception as e:  # noqa: BLE001
                    rows = {"__error__": _error_info(e)["error"]}
            db = None
            _release()
        except Exception as e:  # noqa: BLE001
            info = _error_info(e)
            at.update(opens=False, truncated_bytes=None, truncate_reason=None,
                      error=info["error"], type=info["type"], message=info["message"],
                      details=info["details"])
        after, size_after = _digest(auto_copy)
        at["modifies_file"] = after != before
        at["size_after"] = size_after
        if not at["opens"] and at["modifies_file"] and size_after is not None:
            at["cut_bytes"] = size_before - size_after
        res["auto_truncate"] = at
        res["rows"] = rows
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def observe_many(paths, python_for_modelvault=None, want_rows=True, timeout=600):
    """Observe the engine on several files with one subprocess (see observe_engine)."""
    paths = [os.path.abspath(p) for p in paths]
    if python_for_modelvault is None:
        return [observe_in_process(p, want_rows) for p in paths]
    # copy the inputs first so the child never sees the originals
    tmp = tempfile.mkdtemp(prefix="mvobs-in-")
    try:
        copies = []
        for i, p in enumerate(paths):
            c = os.path.join(tmp, "%05d.modelvault" % i)
            shutil.copyfile(p, c)
            copies.append(c)
        cmd = [python_for_modelvault, os.path.abspath(__file__), "observe"]
        if not want_rows:
            cmd.append("--no-rows")
        proc = subprocess.run(cmd + copies, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError("engine observer failed (%d): %s"
                               % (proc.returncode, proc.stderr.decode(errors="replace")[-2000:]))
        return json.loads(proc.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def observe_engine(path, python_for_modelvault=None, want_rows=True):
    """What modelvault 0.16.0 does with `path`, observed on copies:

    {"size": N,
     "strict": {"ok": bool, "error": variant or "Type: message", "type", "message",
                "modifies_file": bool},
     "auto_truncate": {"opens": bool, "truncated_bytes", "truncate_reason", "error",
                       "modifies_file": bool, "size_after": N},
     "rows": {collection: [row, ...]} after a successful AutoTruncate open, else None}

    python_for_modelvault: the python of a venv with modelvault==0.16.0 (run as a subprocess);
    None observes in this interpreter (modelvault must be importable)."""
    return observe_many([path], python_for_modelvault, want_rows)[0]


# ---------------------------------------------------------------------------
# Replay units, and the state the engine reaches without some of them
#
# A replay unit is what a salvage keeps or drops whole (CONTRACT "Beyond the first damage"): in
# format minor 6 a committed transaction, from its TxnBegin to its TxnCommit; in minors 3-5,
# which have no transaction markers, a single Schema segment, or a Record together with the
# Index segment(s) written for it (typra writes them Index, Manifest, Record: the Manifest in
# between is not part of the unit).
#
# Dropping units from an intact file without changing its length (drop_units):
# - minor 6: each dropped transaction's TxnCommit is retyped TxnAbort (the marker payload,
#   whose inner CRC does not cover the type, is kept; the header CRC is recomputed), so the
#   engine stages the body and discards it at the abort;
# - minors 3-5: each segment of a dropped unit is retyped Temp (header CRC recomputed), which
#   replay ignores in every minor;
# - a Checkpoint after a dropped unit is retyped Temp as well (with full_replay, every
#   Checkpoint): the engine trusts a checkpoint's snapshot, which would still hold the dropped
#   unit's effects; a superblock pointing at a segment of another type is ignored and the log
#   is replayed in full.


class Unit:
    """One replay unit of a parsed file: `segments` in file order (markers included)."""

    def __init__(self, index, segments, txn_id=None):
        self.index = index
        self.segments = list(segments)
        self.txn_id = txn_id

    @property
    def begin(self):
        return self.segments[0].offset

    @property
    def end(self):
        return self.segments[-1].end

    @property
    def framed(self):
        return self.txn_id is not None

    @property
    def commit(self):
        return self.segments[-1] if self.framed else None

    @property
    def body(self):
        return self.segments[1:-1] if self.framed else list(self.segments)

    def touched_by(self, start, end):
        """Does the byte range [start, end) of the same file touch this unit? A transaction is
        its whole span; a legacy unit only its own segments (not the Manifest between its Index
        and its Record). An empty range (an insertion at `start`) touches a transaction when it
        lies strictly inside it, a legacy unit never."""
        if self.framed:
            if start == end:
                return self.begin < start < self.end
            return start < self.end and self.begin < end
        return start < end and any(start < s.end and s.offset < end for s in self.segments)

    def describe(self):
        kinds = ",".join(s.type_name for s in self.body)
        if self.framed:
            return "txn %d @%d..%d [%s]" % (self.txn_id, self.begin, self.end, kinds)
        return "unit @%d..%d [%s]" % (self.begin, self.end, kinds)


def replay_units(pf):
    """[Unit] of a parsed file in file order: its committed transactions (minor 6: TxnBegin,
    body, TxnCommit with the same id and sound markers) or its data units (minors 3-5)."""
    if pf.header.minor >= 6:
        units = []
        for begin, body, end in pf.transactions():
            if (end.type == TXN_COMMIT and begin.txn_id == end.txn_id
                    and not begin.marker_fault() and not end.marker_fault()):
                units.append(Unit(len(units), [begin] + body + [end], begin.txn_id))
        return units
    units = []
    pending = []
    for s in pf.segments:
        if s.type == INDEX:
            pending.append(s)
        elif s.type == RECORD:
            units.append(Unit(len(units), pending + [s]))
            pending = []
        elif s.type == SCHEMA:
            units.append(Unit(len(units), [s]))
    if pending:
        units.append(Unit(len(units), pending))
    return units


def drop_units(data, units, dropped, full_replay=False):
    """`data` (whose replay units are `units`) with the units whose index is in `dropped` made
    inert, every offset unchanged (see the comment above Unit). full_replay: every Checkpoint is
    made inert too, so that the engine replays the whole log."""
    dropped = sorted(set(dropped))
    d = bytes(data)
    if not dropped and not full_replay:
        return d
    for i in dropped:
        u = units[i]
        if u.framed:
            d = retype_segment(d, u.commit, TXN_ABORT)
        else:
            for s in u.segments:
                d = retype_segment(d, s, TEMP)
    first = min(units[i].begin for i in dropped) if dropped and not full_replay else 0
    for cp in parse(d).of_type(CHECKPOINT):
        if cp.offset > first:
            d = retype_segment(d, cp, TEMP)
    return d


def open_strict(data, want_rows=True):
    """A strict read-write open of `data` by modelvault 0.16.0 in this interpreter, on a
    temporary file: {"ok": bool, "rows": {collection: [row...]} or None, "error", "type",
    "message", "details"} (error fields as in observe_engine; None when it opens)."""
    import modelvault
    tmp = tempfile.mkdtemp(prefix="mvopen-")
    path = os.path.join(tmp, "db.modelvault")
    try:
        with open(path, "wb") as f:
            f.write(data)
        try:
            db = modelvault.Database.open(path, recovery="strict")
            rows = _read_rows(db) if want_rows else None
            db = None
            _release()
        except Exception as e:  # noqa: BLE001 - engine errors are data here
            _release()
            out = {"ok": False, "rows": None}
            out.update(_error_info(e))
            return out
        return {"ok": True, "rows": rows, "error": None, "type": None, "message": None,
                "details": None}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Closure:
    """The outcome of replay_closure."""

    def __init__(self, dropped, rows, opens):
        self.dropped = dropped    # {unit index: (reason, detail)}, initial ones and dependents
        self.rows = rows          # the engine's rows with every dropped unit inert
        self.opens = opens        # engine opens it took

    def kept(self, units):
        return [u for u in units if u.index not in self.dropped]


def replay_closure(data, units, dropped, reason="does_not_replay", opener=open_strict):
    """Close the dropped set of `data` under the engine's dependencies, by the contract's rule:
    a unit is kept iff the engine opens the kept units before it plus this one.

    `dropped` maps the indexes of the units dropped to start with to (reason, detail). Every
    open replays the whole log (Checkpoints made inert: a snapshot the engine trusts would hide
    damage before it, or a transaction aborted in the log but present in the snapshot). First
    the file with every dropped unit made inert is opened; if the engine opens it, so would
    every prefix of it (assumed: a later unit never repairs an earlier failure, as the engine
    applies catalog entries, then index entries, then records, each in log order). If the
    engine refuses it, the units are walked forward from the first dropped one: a kept unit k
    is dropped (with `reason` and the engine's error as detail) when the engine refuses the file
    with the dropped units and every unit after k inert, and the whole file is tried again
    after each such drop. The walk therefore finds the dependent the engine itself refuses
    first; the engine's errors carry no offsets, so nothing else could. Raises RuntimeError when
    the engine refuses the kept prefix before the first dropped unit, or a failure no unit
    explains."""
    dropped = dict(dropped)
    n = len(units)
    opens = [0]

    def attempt(extra=()):
        opens[0] += 1
        return opener(drop_units(data, units, set(dropped) | set(extra), full_replay=True),
                      want_rows=not extra)

    res = attempt()
    if res["ok"]:
        return Closure(dropped, res["rows"], opens[0])
    start = min(dropped) + 1 if dropped else 0
    base = attempt(range(start, n))
    if not base["ok"]:
        raise RuntimeError("the engine refuses the units before the first dropped one: %s"
                           % base["error"])
    for k in range(start, n):
        if k in dropped:
            continue
        res = attempt(range(k + 1, n))
        if res["ok"]:
            continue
        dropped[k] = (reason, "%s: %s" % (res["type"], res["message"]))
        res = attempt()
        if res["ok"]:
            return Closure(dropped, res["rows"], opens[0])
    raise RuntimeError("the engine refuses the file, yet every prefix opens: %s"
                       % res["error"])


# ---------------------------------------------------------------------------
# Engine virtualenvs and running binaries

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENVS = os.environ.get("MVFSCK_VENVS") or os.path.join(REPO, ".venvs")
SETUP_ENGINES = os.path.join(REPO, "scripts", "setup-engines")
MODELVAULT_VENV = "modelvault-0.16.0"


def venv_python(venv):
    """The python of engine virtualenv `venv` (e.g. "typra-0.7.0") under VENVS."""
    return os.path.join(VENVS, venv, "bin", "python")


MV_PYTHON = venv_python(MODELVAULT_VENV)


def ensure_engines(*venvs):
    """Runs scripts/setup-engines (which creates every engine venv) unless each of `venvs`
    (default: the modelvault 0.16.0 one) already has its python."""
    if all(os.path.exists(venv_python(v)) for v in venvs or (MODELVAULT_VENV,)):
        return
    subprocess.run([SETUP_ENGINES], check=True)


def ensure_modelvault(script, prog, reexec_flag, needs=()):
    """Returns when modelvault (and each module named in `needs`) is importable here; otherwise
    re-executes `script` (with this process's arguments) under the modelvault 0.16.0 venv's
    python, creating the venv first if it is missing. `reexec_flag` names the environment
    variable that marks the re-executed process, which exits with an error (naming `prog`) if
    a module is still not importable."""
    import importlib
    missing = None
    for module in ("modelvault",) + tuple(needs):
        try:
            importlib.import_module(module)
        except ImportError:
            missing = module
            break
    if missing is None:
        return
    if os.environ.get(reexec_flag):
        sys.exit("%s: %s is not importable under %s (run scripts/setup-engines)"
                 % (prog, missing, sys.executable))
    ensure_engines(MODELVAULT_VENV)
    os.environ[reexec_flag] = "1"
    os.execv(MV_PYTHON, [MV_PYTHON, os.path.abspath(script)] + sys.argv[1:])


def run_binary(cmd, attempts=40, delay=0.5, **kw):
    """subprocess.run(cmd, **kw), retried while executing cmd[0] fails with ETXTBSY ("Text
    file busy": the binary is still being written or replaced, e.g. by a concurrent build)."""
    for attempt in range(attempts):
        try:
            return subprocess.run(cmd, **kw)
        except OSError as e:
            if e.errno != errno.ETXTBSY or attempt == attempts - 1:
                raise
            time.sleep(delay)


# ---------------------------------------------------------------------------
# The published JSON Schema of mvfsck's output

SCHEMA_PATH = os.path.join(REPO, "schema", "report-v1.schema.json")
_schema_validators = {}


def schema_validator(definition):
    """A validator of one definition under $defs of schema/report-v1.schema.json ("report",
    "verify_json", "json_lines_line", "walk_line", "catalog_dump", ...), built once per process.
    Needs jsonschema, which scripts/setup-engines installs in the modelvault 0.16.0 venv."""
    if definition not in _schema_validators:
        import jsonschema
        from referencing import Registry, Resource
        with open(SCHEMA_PATH) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        if definition not in schema["$defs"]:
            raise KeyError("%s has no definition %r" % (SCHEMA_PATH, definition))
        registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
        _schema_validators[definition] = jsonschema.Draft202012Validator(
            {"$ref": "%s#/$defs/%s" % (schema["$id"], definition)}, registry=registry)
    return _schema_validators[definition]


def schema_problem(document, definition):
    """None when `document` (parsed JSON) conforms to `definition` of the schema; otherwise one
    line saying where and how it does not."""
    import jsonschema
    error = jsonschema.exceptions.best_match(schema_validator(definition).iter_errors(document))
    if error is None:
        return None
    return "%s: %s" % (error.json_path, error.message[:300])


# ---------------------------------------------------------------------------
# Command line


def _main(argv):
    if len(argv) >= 1 and argv[0] == "observe":
        want_rows = "--no-rows" not in argv
        files = [a for a in argv[1:] if a != "--no-rows"]
        out = [observe_in_process(p, want_rows) for p in files]
        json.dump(out, sys.stdout)
        return 0
    if len(argv) == 2 and argv[0] == "walk":
        print(parse_file(argv[1]).describe())
        return 0
    sys.stderr.write("usage: mvtools.py observe [--no-rows] FILE... | walk FILE\n")
    return 16


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


# ---------------------------------------------------------------------------
# `mvfsck export` against the engine: the contract's JSON encoding decoded back to typed values
# and compared, type for type, with the engine's own rows.


def _days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def timestamp_micros(text):
    """RFC 3339 `YYYY-MM-DDTHH:MM:SS.ffffffZ` (or the expanded ±YYYYY year) to microseconds."""
    m = re.fullmatch(r"([+-]?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z", text)
    if not m:
        raise ValueError("not an export timestamp: %r" % text)
    y, mo, d, h, mi, s, f = (int(g) for g in m.groups())
    return ((_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000) + f


def _typed_scalar(v):
    """(type, value) of a JSON-native scalar as both the engine and export hand it over (floats by
    their bits); None for anything else."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", struct.pack("<d", v).hex())
    if isinstance(v, str):
        return ("str", v)
    return None


def _typed_engine(v):
    import uuid as _uuid
    if v is None:
        return None
    scalar = _typed_scalar(v)
    if scalar is not None:
        return scalar
    if isinstance(v, (bytes, bytearray)):
        return ("bytes", bytes(v).hex())
    if isinstance(v, _uuid.UUID):
        return ("uuid", str(v))
    if isinstance(v, dict):
        return {str(k): _typed_engine(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_typed_engine(x) for x in v]
    return ("other", repr(v))


def _typed_export(v):
    """The engine's Python value for an export JSON value (timestamps: integer microseconds)."""
    if v is None:
        return None
    scalar = _typed_scalar(v)
    if scalar is not None:
        return scalar
    if isinstance(v, list):
        return [_typed_export(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$bytes":
                return ("bytes", base64.b64decode(x, validate=True).hex())
            if k == "$uuid":
                return ("uuid", x)
            if k == "$timestamp":
                return ("int", timestamp_micros(x))
            if k == "$float":
                return ("float", struct.pack("<d", float(x)).hex())
        return {k: _typed_export(x) for k, x in v.items()}
    return ("other", repr(v))


def _canon(rows):
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def engine_typed_rows(path):
    """{collection: rows} as the engine shows them after a strict open of `path`, typed."""
    import modelvault
    db = modelvault.Database.open(path, recovery="strict")
    try:
        return {name: _canon([_typed_engine(r) for r in db.collection(name).all()])
                for name in db.collection_names()}
    finally:
        db = None
        _release()


def _key_sort_value(key):
    if isinstance(key, bool):
        return (0, int(key))
    if isinstance(key, (int, float)):
        return (1, key)
    if isinstance(key, str):
        return (2, key.encode())
    if isinstance(key, dict) and len(key) == 1:
        (k, x), = key.items()
        if k == "$timestamp":
            return (1, timestamp_micros(x))
        if k == "$bytes":
            return (2, base64.b64decode(x))
        if k == "$uuid":
            return (2, bytes.fromhex(x.replace("-", "")))
        if k == "$float":
            return (1, float(x))
    raise ValueError("unexpected key %r" % (key,))


def export_problem(lines, expected):
    """Compares `mvfsck export` output lines with `expected` ({collection: typed rows}, or None
    when nothing is salvageable). Returns a problem sentence or None."""
    got = {}
    order = []
    for n, line in enumerate(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            return "line %d is not JSON: %r" % (n + 1, line[:120])
        if set(obj) != {"collection", "key", "row"}:
            return "line %d has keys %s" % (n + 1, sorted(obj))
        order.append((obj["collection"], _key_sort_value(obj["key"])))
        got.setdefault(obj["collection"], []).append(_typed_export(obj["row"]))
    for (c1, k1), (c2, k2) in zip(order, order[1:]):
        if c1 == c2 and not k1 < k2:
            return "keys of %s out of order: %r then %r" % (c1, k1, k2)
    if len(set(c for c, _ in order)) != len([c for i, (c, _) in enumerate(order)
                                             if i == 0 or order[i - 1][0] != c]):
        return "a collection's lines are not together"
    if expected is None:
        return "export wrote %d lines where nothing is salvageable" % len(lines) if lines else None
    want = {c: rows for c, rows in expected.items() if rows}
    got = {c: _canon(rows) for c, rows in got.items()}
    if got != want:
        for c in sorted(set(got) | set(want)):
            if got.get(c) != want.get(c):
                g, w = got.get(c) or [], want.get(c) or []
                diff = [r for r in g if r not in w][:1] + [r for r in w if r not in g][:1]
                return ("collection %s: export has %d rows, the engine %d; first difference %s"
                        % (c, len(g), len(w), json.dumps(diff)[:400]))
    return None
