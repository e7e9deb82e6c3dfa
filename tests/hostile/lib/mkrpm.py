#!/usr/bin/env python3
"""mkrpm.py: write an RPM package from a description, for the hostile tests.

Self-written from the public format description (lead, signature header,
main header, cpio payload).  Every part can be made to disagree with the
others on purpose: the payload need not match the header's file list, header
fields can carry absurd counts and sizes, digests can be wrong, and the
payload can be truncated or corrupted after all digests were computed.

Usage:  mkrpm.py SPEC.json OUT.rpm      (SPEC "-" reads stdin)
   or:  import mkrpm; mkrpm.build(spec_dict) -> bytes

A spec (JSON object; every key but "name" optional):

  name, version ("1"), release ("1"), epoch (int), arch ("noarch"),
  buildtime (1700000000), summary, license, os ("linux")
  provides: ["cap", "cap = 1.0", ...]   (NAME = VERSION-RELEASE is added)
  requires: [...]
  files: [ {                      the header's file list, in this order
      path: "/usr/bin/x"          split into DIRNAMES/BASENAMES/DIRINDEXES
      dirname, basename:          instead of path, to craft odd splits
      type: file|dir|symlink|chr|blk|fifo|sock       ("file")
      perm: 0o755 / "4755"        permission bits (file 0644, dir 0755,
                                  symlink 0777)
      mode: full st_mode          overrides type+perm
      content / content_hex / content_b64 / content_zero (N zero bytes)
      target: symlink target (FILELINKTOS, and the symlink's payload data)
      size: FILESIZES override    digest: FILEDIGESTS override
      user, group ("root")        rdev: [major, minor]  mtime
      inode: N                    files with the same inode form a hardlink
                                  set (content goes with the last member)
      flags: FILEFLAGS (ghost 64, config 1, doc 2)   lang: FILELANGS
      device: FILEDEVICES (1)     payload: false -> left out of the payload
      cpio: {...}                 overrides for this file's cpio entry
  } ]
  payload: null -> made from "files"; or a list of cpio entries that
      replaces it: {name, mode, data/data_hex/data_zero, ino, nlink, uid, gid,
      mtime, filesize (override), namesize (override), rdev: [maj,min],
      devmajor, devminor, magic ("070701"), raw_fields: {field: "8 chars"},
      stripped_fx: N  -> a stripped "07070X" entry for header index N}
  payload_extra: [entries]        appended after the made-up ones
  payload_prepend: [entries]      put before them
  payload_trailer: true           write TRAILER!!! (default true)
  payload_raw_hex / payload_raw_file: the uncompressed payload, verbatim
  stripped: true                  make the whole payload stripped cpio
                                  (07070X + header index; sizes from the
                                  header, LONGFILESIZES instead of FILESIZES)
  compressor: gzip|xz|zstd|bzip2|none ("gzip")
  compressor_tag: what PAYLOADCOMPRESSOR says (default: the compressor;
                  "none" writes no tag)   payload_format ("cpio")
  compressed_raw_file: use this file as the compressed payload verbatim
  payload_digest: true/false/"hex"  (PAYLOADDIGEST over the compressed bytes)
  payload_digest_alt: true/false    (PAYLOADDIGESTALT over the cpio bytes)
  header_digest: true/false/"hex"   (SHA256 of the header in the signature)
  sha1, md5: true/false             (the legacy SHA1 header / MD5 digests)
  region: true/false                (the HEADERIMMUTABLE region, default true)
  region_trailer: {tag, type, offset, count, entry_offset}  a bad region
  sig_region: true/false            (the HEADERSIGNATURES region)
  sig_size, sig_payloadsize, sig_longsize, sig_longarchivesize: overrides
  header_extra: [{tag, type, value|raw_hex, count}]   extra main-header entries
  header_set:  {"TAG": value}      replace the value of a tag made here
  header_drop: [tags]              leave tags out
  header_count: {"TAG": n}         write an entry count other than the data's
  header_il, header_dl: override the main header's il/dl fields
  sig_extra, sig_drop, sig_count: the same for the signature header
  corrupt: [[offset_from_payload_start, "hex"], ...]   patch bytes after
           all digests are computed (negative offsets: from the end)
  truncate: N                       cut N bytes off the end of the file
  append_hex: "..."                 append bytes to the end of the file
"""
import base64
import bz2
import gzip
import hashlib
import json
import lzma
import os
import struct
import subprocess
import sys

# ---- header value types and the tags used here ------------------------------
NULL, CHAR, INT8, INT16, INT32, INT64, STRING, BIN, STRING_ARRAY, I18NSTRING = range(10)
ALIGN = {INT16: 2, INT32: 4, INT64: 8}

TAGS = {
    "HEADERSIGNATURES": 62, "HEADERIMMUTABLE": 63, "HEADERI18NTABLE": 100,
    "SIG_SHA1": 269, "SIG_SHA256": 273, "SIG_LONGSIZE": 270,
    "SIG_LONGARCHIVESIZE": 271, "SIG_SIZE": 1000, "SIG_MD5": 1004,
    "SIG_PAYLOADSIZE": 1007,
    "NAME": 1000, "VERSION": 1001, "RELEASE": 1002, "EPOCH": 1003,
    "SUMMARY": 1004, "DESCRIPTION": 1005, "BUILDTIME": 1006,
    "BUILDHOST": 1007, "SIZE": 1009, "LICENSE": 1014, "GROUP": 1016,
    "OS": 1021, "ARCH": 1022, "FILESIZES": 1028, "FILEMODES": 1030,
    "FILERDEVS": 1033, "FILEMTIMES": 1034, "FILEDIGESTS": 1035,
    "FILELINKTOS": 1036, "FILEFLAGS": 1037, "FILEUSERNAME": 1039,
    "FILEGROUPNAME": 1040, "SOURCERPM": 1044, "FILEVERIFYFLAGS": 1045,
    "ARCHIVESIZE": 1046, "PROVIDENAME": 1047, "REQUIREFLAGS": 1048,
    "REQUIRENAME": 1049, "REQUIREVERSION": 1050, "RPMVERSION": 1064,
    "FILEDEVICES": 1095, "FILEINODES": 1096, "FILELANGS": 1097,
    "PROVIDEFLAGS": 1112, "PROVIDEVERSION": 1113, "DIRINDEXES": 1116,
    "BASENAMES": 1117, "DIRNAMES": 1118, "PAYLOADFORMAT": 1124,
    "PAYLOADCOMPRESSOR": 1125, "PAYLOADFLAGS": 1126, "FILECOLORS": 1140,
    "FILECLASS": 1141, "CLASSDICT": 1142, "FILEDEPENDSX": 1143,
    "FILEDEPENDSN": 1144, "LONGFILESIZES": 5008, "LONGSIZE": 5009,
    "FILEDIGESTALGO": 5011, "ENCODING": 5062, "PAYLOADDIGEST": 5092,
    "PAYLOADDIGESTALGO": 5093, "PAYLOADDIGESTALT": 5097,
}

S_IFMT = 0o170000
TYPES = {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000,
         "chr": 0o020000, "blk": 0o060000, "fifo": 0o010000,
         "sock": 0o140000}
DEFAULT_PERM = {"file": 0o644, "dir": 0o755, "symlink": 0o777, "chr": 0o600,
                "blk": 0o600, "fifo": 0o644, "sock": 0o755}
RPMSENSE_LESS, RPMSENSE_GREATER, RPMSENSE_EQUAL = 2, 4, 8


def tagnum(t):
    return t if isinstance(t, int) else TAGS[t]


def _bytes(s):
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


def _str_arg(v):
    """JSON strings may carry arbitrary bytes as "\\udcXX" surrogates
    (surrogateescape) or be given as {"hex": "..."}."""
    if isinstance(v, dict) and "hex" in v:
        return bytes.fromhex(v["hex"])
    return _bytes(v)


def encode_value(typ, value):
    """Header data for one entry, and its natural count."""
    if typ in (STRING,):
        return _str_arg(value) + b"\0", 1
    if typ in (STRING_ARRAY, I18NSTRING):
        vals = value if isinstance(value, list) else [value]
        return b"".join(_str_arg(v) + b"\0" for v in vals), len(vals)
    if typ == BIN:
        b = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
        return b, len(b)
    fmt = {CHAR: "B", INT8: "B", INT16: "H", INT32: "I", INT64: "Q"}[typ]
    vals = value if isinstance(value, list) else [value]
    mask = {"B": 0xff, "H": 0xffff, "I": 0xffffffff, "Q": (1 << 64) - 1}[fmt]
    return b"".join(struct.pack(">" + fmt, v & mask) for v in vals), len(vals)


class Header:
    """Entries (tag, type, data bytes, count) in tag order."""

    def __init__(self):
        self.entries = {}

    def add(self, tag, typ, value, count=None):
        data, n = encode_value(typ, value)
        self.entries[tagnum(tag)] = [typ, data, n if count is None else count]

    def add_raw(self, tag, typ, data, count):
        self.entries[tagnum(tag)] = [typ, data, count]

    def drop(self, tag):
        self.entries.pop(tagnum(tag), None)

    def blob(self, region_tag=None, il=None, dl=None, trailer=None):
        """The header as it sits in the file: magic, il, dl, index, store."""
        index, store = [], b""
        for tag in sorted(self.entries):
            typ, data, count = self.entries[tag]
            a = ALIGN.get(typ, 1)
            store += b"\0" * ((-len(store)) % a)
            index.append(struct.pack(">IIII", tag, typ, len(store), count))
            store += data
        if region_tag is not None:
            n = len(index) + 1
            t = dict(tag=region_tag, type=BIN, offset=-16 * n, count=16,
                     entry_offset=len(store))
            t.update(trailer or {})
            index.insert(0, struct.pack(">IIII", region_tag, BIN,
                                        t["entry_offset"] & 0xffffffff, 16))
            store += struct.pack(">IIiI", t["tag"], t["type"], t["offset"], t["count"])
        il = len(index) if il is None else il
        dl = len(store) if dl is None else dl
        return (b"\x8e\xad\xe8\x01\0\0\0\0" + struct.pack(">II", il, dl)
                + b"".join(index) + store)


# ---- cpio ---------------------------------------------------------------------
def _data(e, prefix="data"):
    if prefix + "_hex" in e:
        return bytes.fromhex(e[prefix + "_hex"])
    if prefix + "_b64" in e:
        return base64.b64decode(e[prefix + "_b64"])
    if prefix + "_zero" in e:
        return b"\0" * e[prefix + "_zero"]
    v = e.get(prefix, b"")
    return _str_arg(v)


def _pad4(n):
    return b"\0" * ((-n) % 4)


def cpio_entry(e, offset):
    """One newc entry (header, name, data, padding) starting at offset."""
    data = _data(e)
    if "stripped_fx" in e:
        out = b"07070X" + b"%08x" % e["stripped_fx"]
        out += _pad4(offset + len(out))
        out += data
        return out + _pad4(offset + len(out))
    name = _str_arg(e["name"]) + b"\0"
    rdev = e.get("rdev", [0, 0])
    fields = [
        ("ino", e.get("ino", 0)), ("mode", e.get("mode", 0o100644)),
        ("uid", e.get("uid", 0)), ("gid", e.get("gid", 0)),
        ("nlink", e.get("nlink", 1)), ("mtime", e.get("mtime", 1700000000)),
        ("filesize", e.get("filesize", len(data))),
        ("devmajor", e.get("devmajor", 0)), ("devminor", e.get("devminor", 0)),
        ("rdevmajor", rdev[0]), ("rdevminor", rdev[1]),
        ("namesize", e.get("namesize", len(name))), ("check", 0)]
    raw = e.get("raw_fields", {})
    hdr = e.get("magic", "070701").encode()
    for k, v in fields:
        hdr += raw[k].encode() if k in raw else b"%08x" % (v & 0xffffffff)
    out = hdr + name
    out += _pad4(offset + len(out))
    out += data
    return out + _pad4(offset + len(out))


def cpio_archive(entries, trailer=True):
    out = b""
    for e in entries:
        out += cpio_entry(e, len(out))
    if trailer:
        out += cpio_entry({"name": "TRAILER!!!", "mode": 0, "nlink": 1,
                           "mtime": 0}, len(out))
    return out


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if how == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    if how == "bzip2":
        return bz2.compress(data)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-"], input=data,
                              stdout=subprocess.PIPE, check=True).stdout
    if how == "none":
        return data
    raise ValueError("unknown compressor %r" % how)


# ---- files ----------------------------------------------------------------------
def parse_perm(v, default):
    if v is None:
        return default
    return int(v, 8) if isinstance(v, str) else v


def file_mode(f):
    if "mode" in f:
        return parse_perm(f["mode"], 0)
    t = f.get("type", "file")
    return TYPES[t] | parse_perm(f.get("perm"), DEFAULT_PERM[t])


def file_content(f):
    if "target" in f and (file_mode(f) & S_IFMT) == TYPES["symlink"]:
        return _str_arg(f["target"])
    for k in ("content", "content_hex", "content_b64", "content_zero"):
        if k in f:
            return _data(f, "content")
    return b""


def split_path(f):
    if "dirname" in f:
        return _str_arg(f["dirname"]), _str_arg(f["basename"])
    p = _str_arg(f["path"])
    if p == b"/":
        return b"/", b""
    d, _, b = p.rpartition(b"/")
    return d + b"/", b


def make_payload_entries(spec, files):
    """cpio entries for the header's files, as rpm writes them: "./path",
    hardlink sets with the data on the last member only."""
    last_of_set = {}
    for i, f in enumerate(files):
        if "inode" in f:
            last_of_set[f["inode"]] = i
    entries = []
    for i, f in enumerate(files):
        if f.get("payload", True) is False or f.get("flags", 0) & 64:
            continue
        mode = file_mode(f)
        typ = mode & S_IFMT
        d, b = split_path(f)
        data = b""
        nlink = 1
        if typ in (TYPES["file"], TYPES["symlink"]):
            data = file_content(f)
        if "inode" in f:
            nlink = sum(1 for g in files if g.get("inode") == f["inode"])
            if last_of_set[f["inode"]] != i:
                data = b""
        if spec.get("stripped"):
            e = {"stripped_fx": i, "data": data}
        else:
            e = {"name": b"." + d + b, "mode": mode, "data": data,
                 "ino": f.get("inode", i + 1), "nlink": nlink,
                 "mtime": f.get("mtime", spec.get("buildtime", 1700000000)),
                 "rdev": f.get("rdev", [0, 0])}
        e.update(f.get("cpio", {}))
        if isinstance(e.get("data"), str):
            e["data"] = _bytes(e["data"])
        entries.append(e)
    return entries


def parse_dep(s):
    for op, fl in ((">=", RPMSENSE_GREATER | RPMSENSE_EQUAL),
                   ("<=", RPMSENSE_LESS | RPMSENSE_EQUAL),
                   ("=", RPMSENSE_EQUAL), (">", RPMSENSE_GREATER),
                   ("<", RPMSENSE_LESS)):
        if " %s " % op in s:
            n, v = s.split(" %s " % op, 1)
            return n.strip(), fl, v.strip()
    return s, 0, ""


def build(spec):
    name = spec["name"]
    version = spec.get("version", "1")
    release = spec.get("release", "1")
    arch = spec.get("arch", "noarch")
    buildtime = spec.get("buildtime", 1700000000)
    files = spec.get("files", [])
    stripped = spec.get("stripped", False)

    # -- the payload
    if "payload_raw_hex" in spec:
        cpio = bytes.fromhex(spec["payload_raw_hex"])
    elif "payload_raw_file" in spec:
        with open(spec["payload_raw_file"], "rb") as fh:
            cpio = fh.read()
    else:
        if spec.get("payload") is not None:
            entries = list(spec["payload"])
        else:
            entries = make_payload_entries(spec, files)
        entries = (list(spec.get("payload_prepend", [])) + entries
                   + list(spec.get("payload_extra", [])))
        cpio = cpio_archive(entries, spec.get("payload_trailer", True))
    how = spec.get("compressor", "gzip")
    if "compressed_raw_file" in spec:
        with open(spec["compressed_raw_file"], "rb") as fh:
            payload = fh.read()
    else:
        payload = compress(cpio, how)

    # -- the main header
    h = Header()
    h.add("HEADERI18NTABLE", STRING_ARRAY, ["C"])
    h.add("NAME", STRING, name)
    h.add("VERSION", STRING, version)
    h.add("RELEASE", STRING, release)
    if "epoch" in spec:
        h.add("EPOCH", INT32, spec["epoch"])
    h.add("SUMMARY", I18NSTRING, [spec.get("summary", "crafted test package")])
    h.add("DESCRIPTION", I18NSTRING, [spec.get("description", "Made by mkrpm.py.")])
    h.add("BUILDTIME", INT32, buildtime)
    h.add("BUILDHOST", STRING, "mkrpm")
    sizes = [len(file_content(f)) if (file_mode(f) & S_IFMT) in
             (TYPES["file"], TYPES["symlink"]) else 0 for f in files]
    sizes = [f.get("size", s) for f, s in zip(files, sizes)]
    h.add("SIZE", INT32, sum(s for s in sizes if s < 1 << 32) & 0xffffffff)
    h.add("LICENSE", STRING, spec.get("license", "MIT"))
    h.add("GROUP", I18NSTRING, ["Unspecified"])
    h.add("OS", STRING, spec.get("os", "linux"))
    h.add("ARCH", STRING, arch)
    h.add("SOURCERPM", STRING, "%s-%s-%s.src.rpm" % (name, version, release))
    h.add("RPMVERSION", STRING, "4.18.0")
    if files:
        dirs, dirindex, bases = [], [], []
        for f in files:
            d, b = split_path(f)
            if d not in dirs:
                dirs.append(d)
            dirindex.append(dirs.index(d))
            bases.append(b)
        if stripped or any(s >= 1 << 32 for s in sizes):
            h.add("LONGFILESIZES", INT64, sizes)
            h.add("LONGSIZE", INT64, sum(sizes))
            h.drop("SIZE")
        else:
            h.add("FILESIZES", INT32, sizes)
        h.add("FILEMODES", INT16, [file_mode(f) for f in files])
        h.add("FILERDEVS", INT16, [(f.get("rdev", [0, 0])[0] << 8 | f.get("rdev", [0, 0])[1])
                                   for f in files])
        h.add("FILEMTIMES", INT32, [f.get("mtime", buildtime) for f in files])
        digests = []
        for f in files:
            if "digest" in f:
                digests.append(f["digest"])
            elif (file_mode(f) & S_IFMT) == TYPES["file"]:
                digests.append(hashlib.sha256(file_content(f)).hexdigest())
            else:
                digests.append("")
        h.add("FILEDIGESTS", STRING_ARRAY, digests)
        h.add("FILELINKTOS", STRING_ARRAY,
              [f.get("target", "") if (file_mode(f) & S_IFMT) == TYPES["symlink"]
               else f.get("linkto", "") for f in files])
        h.add("FILEFLAGS", INT32, [f.get("flags", 0) for f in files])
        h.add("FILEUSERNAME", STRING_ARRAY, [f.get("user", "root") for f in files])
        h.add("FILEGROUPNAME", STRING_ARRAY, [f.get("group", "root") for f in files])
        h.add("FILEVERIFYFLAGS", INT32, [f.get("verifyflags", 0xffffffff) for f in files])
        h.add("FILEDEVICES", INT32, [f.get("device", 1) for f in files])
        inodes = []
        for i, f in enumerate(files):
            inodes.append(f.get("inode", 100000 + i + 1))
        h.add("FILEINODES", INT32, inodes)
        h.add("FILELANGS", STRING_ARRAY, [f.get("lang", "") for f in files])
        h.add("FILECOLORS", INT32, [0 for f in files])
        h.add("FILECLASS", INT32, [0 for f in files])
        h.add("CLASSDICT", STRING_ARRAY, [""])
        h.add("DIRINDEXES", INT32, dirindex)
        h.add("BASENAMES", STRING_ARRAY, bases)
        h.add("DIRNAMES", STRING_ARRAY, dirs)
        h.add("FILEDIGESTALGO", INT32, 8)
    provides = ["%s = %s-%s" % (name, version, release)] + spec.get("provides", [])
    pn, pf, pv = zip(*[parse_dep(p) for p in provides])
    h.add("PROVIDENAME", STRING_ARRAY, list(pn))
    h.add("PROVIDEFLAGS", INT32, list(pf))
    h.add("PROVIDEVERSION", STRING_ARRAY, list(pv))
    requires = spec.get("requires", [])
    if stripped:
        requires = requires + ["rpmlib(LargeFiles) <= 4.12.0-1"]
    if requires:
        rn, rf, rv = zip(*[parse_dep(r) for r in requires])
        rf = [f | (0x1000000 if n.startswith("rpmlib(") else 0) for n, f in zip(rn, rf)]
        h.add("REQUIRENAME", STRING_ARRAY, list(rn))
        h.add("REQUIREFLAGS", INT32, list(rf))
        h.add("REQUIREVERSION", STRING_ARRAY, list(rv))
    h.add("ENCODING", STRING, "utf-8")
    h.add("PAYLOADFORMAT", STRING, spec.get("payload_format", "cpio"))
    ctag = spec.get("compressor_tag", how)
    if ctag != "none":
        h.add("PAYLOADCOMPRESSOR", STRING, ctag)
    h.add("PAYLOADFLAGS", STRING, spec.get("payload_flags", "6"))
    pd = spec.get("payload_digest", True)
    if pd:
        h.add("PAYLOADDIGEST", STRING_ARRAY,
              [pd if isinstance(pd, str) else hashlib.sha256(payload).hexdigest()])
        h.add("PAYLOADDIGESTALGO", INT32, 8)
        if spec.get("payload_digest_alt", True):
            h.add("PAYLOADDIGESTALT", STRING_ARRAY, [hashlib.sha256(cpio).hexdigest()])
    for x in spec.get("header_extra", []):
        if "raw_hex" in x:
            h.add_raw(x["tag"], x["type"], bytes.fromhex(x["raw_hex"]), x["count"])
        else:
            h.add(x["tag"], x["type"], x["value"], x.get("count"))
    for k, v in spec.get("header_set", {}).items():
        typ = h.entries[tagnum(k)][0]
        h.add(k, typ, v)
    for k in spec.get("header_drop", []):
        h.drop(k)
    for k, n in spec.get("header_count", {}).items():
        h.entries[tagnum(k)][2] = n
    region = TAGS["HEADERIMMUTABLE"] if spec.get("region", True) else None
    hdr = h.blob(region, spec.get("header_il"), spec.get("header_dl"),
                 spec.get("region_trailer"))

    # -- the signature header
    s = Header()
    hd = spec.get("header_digest", True)
    if hd:
        s.add("SIG_SHA256", STRING, hd if isinstance(hd, str) else hashlib.sha256(hdr).hexdigest())
    if spec.get("sha1", True):
        s.add("SIG_SHA1", STRING, hashlib.sha1(hdr).hexdigest())
    if spec.get("md5", True):
        s.add("SIG_MD5", BIN, hashlib.md5(hdr + payload).hexdigest())
    big = len(hdr) + len(payload) >= 1 << 32 or len(cpio) >= 1 << 32
    if big:
        s.add("SIG_LONGSIZE", INT64, spec.get("sig_longsize", len(hdr) + len(payload)))
        s.add("SIG_LONGARCHIVESIZE", INT64, spec.get("sig_longarchivesize", len(cpio)))
    else:
        s.add("SIG_SIZE", INT32, spec.get("sig_size", len(hdr) + len(payload)))
        s.add("SIG_PAYLOADSIZE", INT32, spec.get("sig_payloadsize", len(cpio)))
        if "sig_longarchivesize" in spec:
            s.add("SIG_LONGARCHIVESIZE", INT64, spec["sig_longarchivesize"])
    for x in spec.get("sig_extra", []):
        if "raw_hex" in x:
            s.add_raw(x["tag"], x["type"], bytes.fromhex(x["raw_hex"]), x["count"])
        else:
            s.add(x["tag"], x["type"], x["value"], x.get("count"))
    for k in spec.get("sig_drop", []):
        s.drop(k)
    for k, n in spec.get("sig_count", {}).items():
        s.entries[tagnum(k)][2] = n
    sig = s.blob(TAGS["HEADERSIGNATURES"] if spec.get("sig_region", True) else None)
    sig += b"\0" * ((-len(sig)) % 8)

    # -- the lead
    lead = (b"\xed\xab\xee\xdb" + struct.pack(">BBhh", 3, 0, 0, 1)
            + _bytes("%s-%s-%s" % (name, version, release))[:65].ljust(66, b"\0")
            + struct.pack(">hh", 1, 5) + b"\0" * 16)
    assert len(lead) == 96

    out = bytearray(lead + sig + hdr + payload)
    start = len(lead) + len(sig) + len(hdr)
    for off, hexbytes in spec.get("corrupt", []):
        b = bytes.fromhex(hexbytes)
        pos = start + off if off >= 0 else len(out) + off
        out[pos:pos + len(b)] = b
    if spec.get("truncate"):
        del out[len(out) - spec["truncate"]:]
    if "append_hex" in spec:
        out += bytes.fromhex(spec["append_hex"])
    return bytes(out)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: mkrpm.py SPEC.json|- OUT.rpm\n")
        return 64
    text = sys.stdin.read() if argv[1] == "-" else open(argv[1]).read()
    spec = json.loads(text)
    data = build(spec)
    tmp = argv[2] + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
