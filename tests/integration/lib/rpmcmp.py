#!/usr/bin/env python3
"""Compare one package's files in an mkbase image tar with what rpm reports.

Usage: rpmcmp.py IMAGE.tar PACKAGE.rpm SOURCE_DATE_EPOCH

The package's metadata comes from rpm itself:
  rpm -qp --dump                       mode, size, mtime, rdev, symlink target
  rpm -qp --qf '[%{FILENAMES}\t...]'   names, FILECAPS, FILEFLAGS (ghost),
                                       FILEDEVICES/FILEINODES/FILENLINKS (hardlink sets)
The tar is read with tarfile (pax headers included, for
SCHILY.xattr.security.capability).  Only the package's own paths are compared:
the image also holds the packages it depends on.

Output, one result per property group, for the shell to turn into TAP:
  RESULT <0|1> <group>       0 = pass
  DIAG <text>                explanation of the preceding mismatch(es)
"""
import os
import stat
import struct
import subprocess
import sys
import tarfile

RPMFILE_GHOST = 1 << 6
CAP_XATTR = "SCHILY.xattr.security.capability"
CAP_NAMES = [
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
    "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
    "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
    "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
    "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
]
ALL_CAPS = (1 << len(CAP_NAMES)) - 1


def rpm(args, pkg):
    env = dict(os.environ, LC_ALL="C")
    p = subprocess.run(["rpm", "-qp", "--nosignature", "--nodigest"] + args + [pkg],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if p.returncode != 0:
        sys.exit("rpm %s failed: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout.decode("utf-8", "surrogateescape")


def parse_caps(text):
    """cap_from_text() subset -> (permitted, inheritable, effective) bitmasks."""
    perm = inh = eff = 0
    for clause in text.split():
        i = 0
        while i < len(clause) and clause[i] not in "=+-":
            i += 1
        names, rest = clause[:i], clause[i:]
        if names in ("", "all"):
            mask = ALL_CAPS
        else:
            mask = 0
            for n in names.split(","):
                n = n.lower()
                if n.startswith("cap_"):
                    n = n[4:]
                mask |= 1 << CAP_NAMES.index(n)
        while rest:
            op = rest[0]
            j = 1
            while j < len(rest) and rest[j] not in "=+-":
                j += 1
            flags, rest = rest[1:j], rest[j:]
            if op == "=":
                perm &= ~mask
                inh &= ~mask
                eff &= ~mask
                if names == "" and not flags:
                    continue  # bare "=": the empty set
            for f in flags:
                if f == "p":
                    perm = perm | mask if op != "-" else perm & ~mask
                elif f == "i":
                    inh = inh | mask if op != "-" else inh & ~mask
                elif f == "e":
                    eff = eff | mask if op != "-" else eff & ~mask
    return perm, inh, eff


def decode_vfs_cap(raw):
    """struct vfs_cap_data (rev 1/2/3) -> (permitted, inheritable, effective-flag)."""
    if len(raw) < 12:
        raise ValueError("capability xattr too short (%d bytes)" % len(raw))
    magic = struct.unpack_from("<I", raw, 0)[0]
    rev = magic & 0xFF000000
    eff = bool(magic & 1)
    if rev == 0x01000000:
        perm, inh = struct.unpack_from("<II", raw, 4)
    elif rev in (0x02000000, 0x03000000):
        if len(raw) < 20:
            raise ValueError("rev%d capability xattr too short" % (rev >> 24))
        pl, il, ph, ih = struct.unpack_from("<IIII", raw, 4)
        perm, inh = pl | ph << 32, il | ih << 32
    else:
        raise ValueError("unknown vfs_cap revision 0x%08x" % magic)
    return perm, inh, eff


def capstr(perm, inh, eff):
    def names(m):
        return ",".join(CAP_NAMES[i] for i in range(len(CAP_NAMES)) if m >> i & 1) or "-"
    return "permitted=%s inheritable=%s effective=%s" % (names(perm), names(inh), eff)


def norm(name):
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    return "/" + name if name else "/"


def main():
    tarpath, pkg, sde = sys.argv[1], sys.argv[2], int(sys.argv[3])

    # --- the package, as rpm reports it
    qf = "[%{FILENAMES}\\t%{FILECAPS}\\t%{FILEFLAGS}\\t%{FILEDEVICES}\\t%{FILEINODES}\\t%{FILENLINKS}\\n]"
    files = []          # dicts in header order
    for line in rpm(["--qf", qf], pkg).splitlines():
        if not line:
            continue
        name, caps, flags, dev, ino, nlink = line.split("\t")
        files.append(dict(path=name, caps="" if caps == "(none)" else caps,
                          flags=int(flags), dev=int(dev), ino=int(ino), nlink=int(nlink)))
    dump = rpm(["--dump"], pkg).splitlines() if files else []
    if len(dump) != len(files):
        sys.exit("rpm --dump gave %d lines for %d files" % (len(dump), len(files)))
    for f, line in zip(files, dump):
        # the path may contain spaces: strip the known name, then 10 fields remain
        if not line.startswith(f["path"] + " "):
            sys.exit("rpm --dump line does not start with %r: %r" % (f["path"], line))
        size, mtime, _digest, mode, _owner, _group, _conf, _doc, rdev, link = \
            line[len(f["path"]) + 1:].split(" ", 9)
        f.update(size=int(size), mtime=int(mtime), mode=int(mode, 8), rdev=int(rdev), link=link)

    # --- the image
    members = {}
    with tarfile.open(tarpath, "r:*", errors="surrogateescape") as tf:
        for m in tf:
            members[norm(m.name)] = m

    def resolve(path):
        """Follow symlinked parent directories of PATH inside the image
        (e.g. /bin -> usr/bin from the filesystem/base-files package)."""
        parts = [p for p in path.split("/") if p]
        done = []
        hops = 0
        while len(parts) > 1:
            comp = parts.pop(0)
            cand = "/" + "/".join(done + [comp])
            m = members.get(cand)
            if m is not None and m.issym() and hops < 40:
                hops += 1
                tgt = m.linkname
                base = [] if tgt.startswith("/") else list(done)
                new = []
                for p in base + [p for p in tgt.split("/") if p]:
                    if p == "..":
                        if new:
                            new.pop()
                    elif p != ".":
                        new.append(p)
                parts = new + parts   # walk the substituted prefix again
                done = []
                continue
            done.append(comp)
        return "/" + "/".join(done + parts)

    results = []

    def result(group, problems, note=None):
        results.append((group, problems, note))

    real = [f for f in files if not f["flags"] & RPMFILE_GHOST]
    ghosts = [f for f in files if f["flags"] & RPMFILE_GHOST]
    for f in files:
        f["image"] = resolve(f["path"])
        f["m"] = members.get(f["image"])

    # file list
    probs = []
    for f in real:
        if f["m"] is None:
            where = "" if f["image"] == f["path"] else " (looked up as %s)" % f["image"]
            probs.append("missing: %s%s" % (f["path"], where))
    moved = ["%s -> %s" % (f["path"], f["image"]) for f in real if f["image"] != f["path"]]
    result("file list (%d files)" % len(real), probs,
           ("paths under symlinked dirs: " + ", ".join(moved)) if moved else None)
    if ghosts:
        result("%%ghost entries absent (%d)" % len(ghosts),
               ["%%ghost present in image: %s" % f["path"] for f in ghosts if f["m"] is not None])

    present = [f for f in real if f["m"] is not None]
    if not present:
        emit(results)
        return

    # types and permission bits (a tar hardlink carries its own mode field)
    def tartype(m):
        if m.isreg() or m.islnk():
            return stat.S_IFREG
        return {tarfile.DIRTYPE: stat.S_IFDIR, tarfile.SYMTYPE: stat.S_IFLNK,
                tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK,
                tarfile.FIFOTYPE: stat.S_IFIFO}.get(m.type, 0)
    # One inode has one mode: rpm -i applies each member's metadata in turn,
    # so the last path of a hardlink set (in header order) decides it, and
    # mkbase gives every member of the set that mode.
    inode_mode = {}
    for f in real:
        if stat.S_ISREG(f["mode"]) and f["nlink"] > 1:
            inode_mode[(f["dev"], f["ino"])] = f["mode"]
    probs = []
    for f in present:
        m = f["m"]
        eff = f["mode"]
        if stat.S_ISREG(f["mode"]) and f["nlink"] > 1:
            eff = inode_mode[(f["dev"], f["ino"])]
        want_t, want_p = stat.S_IFMT(eff), stat.S_IMODE(eff)
        got_t, got_p = tartype(m), m.mode & 0o7777
        if got_t != want_t:
            probs.append("%s: type %s, rpm says %s" % (f["path"], stat.filemode(got_t | got_p),
                                                     stat.filemode(f["mode"])))
        elif want_t != stat.S_IFLNK and got_p != want_p:
            probs.append("%s: mode %04o (%s), rpm says %04o (%s)%s" % (
                f["path"], got_p, stat.filemode(got_t | got_p), want_p, stat.filemode(eff),
                " [tar hardlink entry]" if m.islnk() else ""))
    result("types and modes", probs)

    # symlink targets
    links = [f for f in present if stat.S_ISLNK(f["mode"])]
    if links:
        result("symlink targets (%d)" % len(links),
               ["%s -> %r, rpm says -> %r" % (f["path"], f["m"].linkname, f["link"])
                for f in links if f["m"].issym() and f["m"].linkname != f["link"]]
               + ["%s is not a symlink in the image" % f["path"] for f in links if not f["m"].issym()])

    # regular-file sizes (a tar hardlink's data lives in the entry it points to)
    regs = [f for f in present if stat.S_ISREG(f["mode"])]
    if regs:
        probs = []
        for f in regs:
            m = f["m"]
            if m.islnk():
                holder = members.get(norm(m.linkname))
                got = holder.size if holder is not None else None
            else:
                got = m.size
            if got != f["size"]:
                probs.append("%s: size %s, rpm says %d" % (f["path"], got, f["size"]))
        result("regular file sizes (%d)" % len(regs), probs)

    # hardlink sets: one regular entry + tar hardlinks to it; nothing else is a hardlink
    sets = {}
    for f in real:
        if stat.S_ISREG(f["mode"]) and f["nlink"] > 1:
            sets.setdefault((f["dev"], f["ino"]), []).append(f)
    sets = {k: v for k, v in sets.items() if len(v) > 1}
    probs = []
    inset = set()
    for group in sets.values():
        names = sorted(f["path"] for f in group)
        inset.update(f["path"] for f in group)
        if any(f["m"] is None for f in group):
            continue  # reported under file list
        heads = [f for f in group if f["m"].isreg()]
        lnks = [f for f in group if f["m"].islnk()]
        if len(heads) != 1 or len(lnks) != len(group) - 1:
            probs.append("set %s: %d regular entries, %d tar hardlinks (want 1 + %d)"
                         % (names, len(heads), len(lnks), len(group) - 1))
            continue
        head = heads[0]["image"]
        for f in lnks:
            if norm(f["m"].linkname) != head:
                probs.append("%s links to %s, want %s" % (f["path"], norm(f["m"].linkname), head))
    for f in present:
        if f["path"] not in inset and f["m"].islnk():
            probs.append("%s is a tar hardlink to %s but rpm has it as a separate file"
                         % (f["path"], f["m"].linkname))
    mixed = []
    for group in sets.values():
        if len({f["mode"] for f in group}) > 1:
            mixed.append("hardlink set with different header modes: %s; the image gives the "
                         "inode %04o, the last path's, as rpm -i does"
                         % (", ".join("%s %04o" % (f["path"], stat.S_IMODE(f["mode"]))
                                      for f in group), stat.S_IMODE(group[-1]["mode"])))
    if sets or any(f["m"].islnk() for f in present):
        result("hardlinks (%d sets: %s)" % (len(sets), "; ".join(
            "+".join(os.path.basename(f["path"]) for f in g) for g in sets.values())), probs,
               "; ".join(mixed) or None)

    # device nodes and fifos
    devs = [f for f in present if stat.S_ISCHR(f["mode"]) or stat.S_ISBLK(f["mode"])]
    if devs:
        probs = []
        for f in devs:
            m = f["m"]
            want = (os.major(f["rdev"]), os.minor(f["rdev"]))
            if not (m.ischr() or m.isblk()):
                probs.append("%s is not a device in the image" % f["path"])
            elif (m.devmajor, m.devminor) != want:
                probs.append("%s: %d:%d, rpm says %d:%d" % (f["path"], m.devmajor, m.devminor, *want))
        result("device nodes major:minor (%s)" % ", ".join(
            "%s %s %d:%d" % (f["path"], "c" if stat.S_ISCHR(f["mode"]) else "b",
                             os.major(f["rdev"]), os.minor(f["rdev"])) for f in devs), probs)
    fifos = [f for f in present if stat.S_ISFIFO(f["mode"])]
    if fifos:
        result("fifos (%s)" % ", ".join(f["path"] for f in fifos),
               ["%s is not a fifo in the image" % f["path"] for f in fifos if not f["m"].isfifo()])

    # file capabilities
    capfiles = [f for f in present if f["caps"]]
    probs = []
    for f in present:
        raw = f["m"].pax_headers.get(CAP_XATTR)
        want = parse_caps(f["caps"]) if f["caps"] else (0, 0, 0)
        if want == (0, 0, 0):
            if raw is not None:
                probs.append("%s: rpm caps %r but the image has a capability xattr"
                             % (f["path"], f["caps"] or "(none)"))
            continue
        if raw is None:
            probs.append("%s: rpm caps %r, image has no %s" % (f["path"], f["caps"], CAP_XATTR))
            continue
        try:
            perm, inh, eff = decode_vfs_cap(raw.encode("utf-8", "surrogateescape"))
        except ValueError as e:
            probs.append("%s: %s" % (f["path"], e))
            continue
        wp, wi, we = want
        if (perm, inh, eff) != (wp, wi, bool(we)):
            probs.append("%s: image %s, rpm %r = %s" % (f["path"], capstr(perm, inh, eff),
                                                       f["caps"], capstr(wp, wi, bool(we))))
    result("file caps (%s)" % (", ".join("%s %s" % (f["path"], f["caps"]) for f in capfiles)
                               or "none set"), probs)

    # mtimes: every entry <= SOURCE_DATE_EPOCH; package entries = min(rpm mtime, SDE)
    probs = ["%s: mtime %d > SOURCE_DATE_EPOCH %d" % (n, m.mtime, sde)
             for n, m in sorted(members.items()) if m.mtime > sde]
    for f in present:
        want = min(f["mtime"], sde)
        if f["m"].mtime != want:
            probs.append("%s: mtime %d, want min(rpm %d, SOURCE_DATE_EPOCH %d) = %d"
                         % (f["path"], f["m"].mtime, f["mtime"], sde, want))
    result("mtimes clamped", probs)

    emit(results)


def emit(results):
    for group, probs, note in results:
        print("RESULT %d %s" % (1 if probs else 0, group))
        for p in probs[:15]:
            print("DIAG   " + p)
        if len(probs) > 15:
            print("DIAG   ... and %d more" % (len(probs) - 15))
        if note:
            print("DIAG   note: " + note)


if __name__ == "__main__":
    main()
