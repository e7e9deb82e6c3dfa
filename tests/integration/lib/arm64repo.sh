#!/usr/bin/env bash
# tests/integration/lib/arm64repo.sh DEBDIR OUTDIR
#
# Test-data generator: turns the Debian 12 arm64 .debs in DEBDIR (see
# arm64debs.sh) into an aarch64 rpm-md repository that follows the rules of the
# shared x86_64 corpus (its README.md): Depends -> Requires (a | b -> rich
# (a or b), << -> <, >> -> >), Pre-Depends -> Requires(pre), Provides,
# Recommends/Suggests as weak deps, Requires(pre): filesystem, merged /usr
# (/bin /sbin /lib /lib64 -> /usr/...) with relative symlinks rewritten and
# file provides for the old /bin and /sbin paths, owners and modes from the
# .deb tar headers (by name), conffiles as %config(noreplace), %doc, %license,
# %lang, rpmbuild's ELF and #! dependency generators on, the payload
# compressor and scriptlets of the same package in the x86_64 corpus, and
# reproducible builds (SOURCE_DATE_EPOCH, build host mkcorpus).
#
# Writes:
#   OUTDIR/aarch64/Packages/*.rpm   converted packages, plus symlinks to the
#                                   corpus's noarch RPMs (filesystem, setup,
#                                   basesystem and any other noarch package the
#                                   closure needs)
#   OUTDIR/aarch64/repodata/        createrepo_c metadata (deterministic)
#   OUTDIR/x86_64 -> the x86_64 corpus, so `baseurl = OUTDIR/$basearch` works
#                                   for both architectures
# Does nothing when OUTDIR/aarch64 already holds the result for this script
# and these debs. The corpus is $MKBASE_CORPUS/bookworm-x86_64, by default
# ../shared/corpus/bookworm-x86_64 beside the repository (as in tests/lib.sh).
# Needs dpkg-deb, rpmbuild, rpm, createrepo_c, python3; runs as any user.
set -Eeuo pipefail
export LC_ALL=C
umask 022

SDE=1747699200          # SOURCE_DATE_EPOCH of the corpus
RELSUFFIX=bk12          # Release: <debian revision>.bk12, 0.bk12 if native
NOARCH_ALWAYS="filesystem setup basesystem"

die() { echo "mkbase: arm64repo: $1: $2" >&2; exit 1; }

# ---------------------------------------------------------------- helper ---
# The Python part: everything that needs exact parsing (control files, tar
# headers, dependency syntax) and the spec file. Modes:
#   spec WORK PKGDIR    move the extracted tree in PKGDIR/root to merged /usr
#                       and write PKGDIR/spec (+ PKGDIR/meta)
#   closure WORK RPM... which of the (noarch corpus) RPMs WORK/aarch64 needs
#                       to be dependency-complete, and what stays unmet
helper() {
  "$PYTHON" - "$@" <<'PY'
import os, re, sys, tarfile, posixpath, subprocess

RELSUFFIX = os.environ["A64_RELSUFFIX"]
MERGED = {"/bin": "/usr/bin", "/sbin": "/usr/sbin",
          "/lib": "/usr/lib", "/lib64": "/usr/lib64"}
SAFE_NAME = re.compile(r"^/[A-Za-z0-9._/+@,=:~\[\]-]*$")

class Fail(Exception):
    pass

def merged(path):
    """Debian path -> merged-/usr path."""
    for old, new in MERGED.items():
        if path == old or path.startswith(old + "/"):
            return new + path[len(old):]
    return path

def parse_control(text):
    fields, key = {}, None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
        else:
            key, _, val = line.partition(":")
            fields[key.strip()] = val.strip()
    return fields

def rpm_chars(s):
    """Characters illegal in an rpm version/release become '.'."""
    return re.sub(r"[^A-Za-z0-9._+~^]", ".", s)

def split_debver(v):
    """[epoch:]upstream[-revision] -> (epoch, upstream, revision)"""
    epoch, colon, rest = v.partition(":")
    if not colon:
        epoch, rest = "", v
    up, dash, rev = rest.rpartition("-")
    if not dash:
        up, rev = rest, ""
    return epoch, up, rev

def pkg_evr(v):
    epoch, up, rev = split_debver(v)
    rel = (rpm_chars(rev) if rev else "0") + "." + RELSUFFIX
    return epoch, rpm_chars(up), rel

def dep_version(op, v):
    """Version of a Debian relation as rpm should compare it.

    >=, << : kept as Debian wrote it (rpm compares a missing release as
             equal, which is what Debian means here).
    =, <=, >> with a revision: the revision gets the .bk12 suffix the
             packages have, else an exact match could never hold.
    >> without a revision: -0 is added so rpm compares releases too
             (Debian: 2.36-9 >> 2.36; rpm: 2.36-9 > 2.36 is false).
    """
    epoch, up, rev = split_debver(v)
    out = (epoch + ":" if epoch else "") + up
    if rev:
        out += "-" + rev
        if op in ("=", "<=", ">"):
            out += "." + RELSUFFIX
    elif op == ">":
        out += "-0"
    return out

OPS = {"<<": "<", "<=": "<=", "=": "=", ">=": ">=", ">>": ">",
       "<": "<=", ">": ">="}    # bare < and > are Debian's obsolete <= / >=
REL = re.compile(r"^\s*([^\s(\[<:]+)(?::[a-z0-9-]+)?\s*"
                 r"(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^)\s]+)\s*\))?"
                 r"\s*(?:\[[^\]]*\])?\s*(?:<[^>]*>\s*)*$")

def one_rel(s):
    m = REL.match(s)
    if not m:
        raise Fail("cannot parse relation %r" % s)
    name, op, ver = m.groups()
    if not op:
        return name
    op = OPS[op]
    return "%s %s %s" % (name, op, dep_version(op, ver))

def relations(value):
    out = []
    for group in value.replace("\n", " ").split(","):
        if not group.strip():
            continue
        alts = [one_rel(a) for a in group.split("|")]
        out.append(alts[0] if len(alts) == 1 else "(" + " or ".join(alts) + ")")
    return out

def license_of(text):
    """Main license of a Debian copyright file (the first License: of a
    Files: paragraph for DEP-5, else the first License: line)."""
    lines = text.splitlines()
    if any(l.startswith("Format:") for l in lines[:3]):
        in_files = False
        for l in lines:
            if l.startswith("Files:"):
                in_files = True
            elif in_files and l.startswith("License:") and l[8:].strip():
                return l[8:].strip()
    for i, l in enumerate(lines):
        if l.startswith("License:"):
            if l[8:].strip():
                return l[8:].strip()
            for l2 in lines[i + 1:]:
                if l2.strip():
                    return l2.strip()
    return "Distributable"

def specesc(s):
    return s.replace("%", "%%")

def filesesc(path):
    """A path as a %files entry that matches only itself: rpm globs an entry
    with [ ] * ? { } in it (and keeps a backslash), so each such character
    becomes a bracket expression matching just it: /usr/bin/[ -> /usr/bin/[[]"""
    return re.sub(r"([\[\]*?{}])", r"[\1]", specesc(path))

def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return default

def cmd_spec(work, pkgdir):
    ctl = parse_control(read(os.path.join(pkgdir, "ctl/control")))
    name, debver, debarch = ctl["Package"], ctl["Version"], ctl["Architecture"]
    rpmarch = {"arm64": "aarch64", "amd64": "x86_64", "all": "noarch"}.get(debarch)
    if not rpmarch:
        raise Fail("Debian architecture %s is not supported" % debarch)
    epoch, version, release = pkg_evr(debver)
    conffiles = set()
    for l in read(os.path.join(pkgdir, "ctl/conffiles")).splitlines():
        w = l.split()
        if w and w[-1].startswith("/"):
            conffiles.add(w[-1])
    owned = set(read(os.path.join(work, "fsowned")).split("\n")) - {""}
    corpus = {}
    for l in read(os.path.join(work, "corpus.tsv")).splitlines():
        n, a, comp, lvl, path = l.split("\t")
        corpus[n] = (a, comp, lvl, path)

    root = os.path.join(pkgdir, "root")
    # (newpath, kind, mode, user, group, oldpath, mtime, linkname) per member
    entries = []
    seen = {}
    with tarfile.open(os.path.join(pkgdir, "data.tar")) as tf:
        for ti in tf:
            member = ti.name[2:] if ti.name.startswith("./") else ti.name
            old = posixpath.normpath("/" + member)
            if old == "/":
                continue
            new = merged(old)
            if not SAFE_NAME.match(new):
                raise Fail("unsupported file name %r" % old)
            kind = ("dir" if ti.isdir() else "link" if ti.issym()
                    else "file" if ti.isfile() or ti.islnk() else None)
            if kind is None:
                raise Fail("%s: unsupported tar member type" % old)
            if new in seen:
                if kind == "dir" and seen[new][1] == "dir":
                    # /lib/X and /usr/lib/X both shipped: keep the /usr one
                    if old == new:
                        entries[seen[new][0]] = (new, kind, ti.mode & 0o7777,
                                                 ti.uname or "root", ti.gname or "root",
                                                 old, ti.mtime, ti.linkname)
                    continue
                raise Fail("%s and %s both become %s" % (seen[new][2], old, new))
            seen[new] = (len(entries), kind, old)
            entries.append((new, kind, ti.mode & 0o7777, ti.uname or "root",
                            ti.gname or "root", old, ti.mtime, ti.linkname))

    # merged /usr: move what Debian ships below /bin /sbin /lib /lib64
    for new, kind, mode, user, group, old, mtime, linkname in entries:
        if new == old:
            continue
        src, dst = root + old, root + new
        if kind == "dir":
            os.makedirs(dst, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if kind == "link":
            target = linkname
            if not target.startswith("/"):
                dest = merged(posixpath.normpath(
                    posixpath.join(posixpath.dirname(old), target)))
                target = posixpath.relpath(dest, posixpath.dirname(new))
            os.unlink(src)
            os.symlink(target, dst)
        else:
            os.rename(src, dst)
    # a relative symlink that was not moved but points into a moved tree
    for new, kind, mode, user, group, old, mtime, linkname in entries:
        if kind == "link" and new == old and not linkname.startswith("/"):
            dest = posixpath.normpath(posixpath.join(posixpath.dirname(old), linkname))
            if merged(dest) != dest:
                os.unlink(root + new)
                os.symlink(posixpath.relpath(merged(dest), posixpath.dirname(new)),
                           root + new)
    for d in sorted(MERGED, reverse=True):
        for dirpath, dirs, files in os.walk(root + d, topdown=False):
            if files:
                raise Fail("%s left behind after the /usr merge" % dirpath)
            os.rmdir(dirpath)
    # directory mtimes: as in the .deb, except (as in the corpus) for the
    # directories that got moved entries or hold symlinks, which are new
    # (rpmbuild clamps them to SOURCE_DATE_EPOCH)
    fresh = {posixpath.dirname(e[0]) for e in entries
             if e[1] != "dir" and (e[1] == "link" or e[0] != e[5])}
    fresh |= {e[0] for e in entries if e[1] == "dir" and e[0] != e[5]}
    for new, kind, mode, user, group, old, mtime, linkname in entries:
        if kind == "dir":
            t = None if new in fresh else (mtime, mtime)
            os.utime(root + new, t)

    files, provides_old, rtld = [], [], False
    for new, kind, mode, user, group, old, mtime, linkname in entries:
        if new in owned:      # filesystem's (or setup's) version wins
            continue
        attr = "%%attr(%s,%s,%s)" % ("-" if kind == "link" else "%04o" % mode,
                                     user, group)
        if kind == "dir":
            files.append("%%dir %s %s" % (attr, filesesc(new)))
            continue
        flags = []
        if old in conffiles:
            flags.append("%config(noreplace)")
        m = re.match(r"^/usr/share/locale/([^/]+)/", new)
        if m:
            flags.append("%%lang(%s)" % m.group(1))
        if re.match(r"^/usr/share/doc/[^/]+/copyright$", new):
            flags.append("%license")
        elif new.startswith("/usr/share/doc/"):
            flags.append("%doc")
        files.append(" ".join(flags + [attr, filesesc(new)]))
        if old != new and (old.startswith("/bin/") or old.startswith("/sbin/")):
            provides_old.append(old)
        if kind == "file" and re.match(r"^/usr/lib/[^/]+/ld-linux[^/]*\.so\.[0-9]+$", new):
            rtld = True     # the dynamic linker: Provides rtld(GNU_HASH), as EL glibc

    desc = ctl.get("Description", name).split("\n")
    summary = desc[0].strip() or name
    copyright_text = read(os.path.join(root, "usr/share/doc", name, "copyright"))
    if os.path.islink(os.path.join(root, "usr/share/doc", name)):
        copyright_text = ""
    lic = license_of(copyright_text) if copyright_text else "Distributable"

    s = []
    s.append("Name: %s" % name)
    if epoch:
        s.append("Epoch: %s" % epoch)
    s.append("Version: %s" % version)
    s.append("Release: %s" % release)
    s.append("Summary: %s" % specesc(summary))
    s.append("License: %s" % specesc(lic))
    if ctl.get("Homepage"):
        s.append("URL: %s" % specesc(ctl["Homepage"]))
    s.append("Distribution: Debian 12 (bookworm) as RPM")
    s.append("Vendor: Debian (repackaged by mkcorpus)")
    s.append("Packager: mkcorpus")
    if rpmarch == "noarch":
        s.append("BuildArch: noarch")
    s.append("Requires(pre): filesystem")
    for r in relations(ctl.get("Pre-Depends", "")):
        s.append("Requires(pre): %s" % r)
    for r in relations(ctl.get("Depends", "")):
        s.append("Requires: %s" % r)
    for p in relations(ctl.get("Provides", "")):
        s.append("Provides: %s" % p)
    for p in provides_old:
        s.append("Provides: %s" % p)
    if rtld:
        s.append("Provides: rtld(GNU_HASH)")
    for r in relations(ctl.get("Recommends", "")):
        s.append("Recommends: %s" % r)
    for r in relations(ctl.get("Suggests", "")):
        s.append("Suggests: %s" % r)
    s.append("")
    s.append("%description")
    s.append(specesc(summary))
    s.append("")
    s.append("%install")
    s.append('rmdir "%{buildroot}"')
    s.append('mv "%s" "%%{buildroot}"' % specesc(root))
    s.append("")
    # scriptlets: the same as the package of that name in the x86_64 corpus
    if name in corpus:
        s.extend(corpus_scriptlets(corpus[name][3]))
    s.append("%files")
    s.extend(files)
    with open(os.path.join(pkgdir, "spec"), "w") as f:
        f.write("\n".join(s) + "\n")
    if name in corpus:
        comp, lvl = corpus[name][1], corpus[name][2]
    else:
        comp, lvl = "zstd", "19"
    io = {"gzip": "gzdio", "bzip2": "bzdio", "xz": "xzdio", "lzma": "lzdio",
          "zstd": "zstdio"}.get(comp)
    if not io:
        raise Fail("corpus payload compressor %s is not known" % comp)
    with open(os.path.join(pkgdir, "meta"), "w") as f:
        f.write("name=%s\nrpmarch=%s\npayload=w%s.%s\n" % (name, rpmarch, lvl, io))

SCRIPTLETS = [("PREIN", "%pre"), ("POSTIN", "%post"), ("PREUN", "%preun"),
              ("POSTUN", "%postun"), ("PRETRANS", "%pretrans"),
              ("POSTTRANS", "%posttrans")]

def corpus_scriptlets(rpmfile):
    sep = "@@A64SEP@@"
    qf = sep.join("[%%{%sPROG} ]%s%%|%s?{%%{%s}}:{}|" % (t, sep, t, t)
                  for t, _ in SCRIPTLETS)
    out = subprocess.run(["rpm", "-qp", "--nosignature", "--qf", qf, rpmfile],
                         capture_output=True, text=True, check=True).stdout
    parts = out.split(sep)
    s = []
    for i, (tag, sect) in enumerate(SCRIPTLETS):
        prog, body = parts[2 * i].strip(), parts[2 * i + 1]
        if not prog and not body:
            continue
        head = sect if prog in ("", "/bin/sh") else "%s -p %s" % (sect, prog)
        s.append(head)
        if body:
            s.append(specesc(body.rstrip("\n")))
        s.append("")
    return s

def rpm_info(files):
    """NAME, provides, files and hard requirements of each RPM file."""
    sep = "@@A64SEP@@"
    qf = ("%{NAME}" + sep + "[%{PROVIDENAME}\\n]" + sep + "[%{FILENAMES}\\n]" +
          sep + "[%{REQUIRENAME}\\n]" + sep + "@@A64END@@")
    out = subprocess.run(["rpm", "-qp", "--nosignature", "--qf", qf] + files,
                         capture_output=True, text=True, check=True).stdout
    recs = out.split("@@A64END@@")[:-1]
    if len(recs) != len(files):
        raise Fail("rpm -qp returned %d headers for %d files" % (len(recs), len(files)))
    info = []
    for f, rec in zip(files, recs):
        name, prov, fl, req, _ = rec.split(sep)
        info.append({"file": f, "name": name,
                     "have": set(prov.split("\n")) | set(fl.split("\n")),
                     "reqs": [r for r in req.split("\n")
                              if r and not r.startswith("rpmlib(")]})
    return info

def satisfied(req, have):
    if req.startswith("("):
        return any(satisfied(a, have)
                   for a in re.split(r"\s+or\s+", req.strip()[1:-1]))
    return req.split()[0] in have

def cmd_closure(work, pool_files):
    """Make WORK/aarch64/Packages dependency-complete (by name; version
    ranges are not checked, a rich dep is met by any alternative) from the
    noarch corpus RPMs POOL_FILES. Prints 'ADD <file>' for each pool RPM
    needed and 'MISSING <package> <requirement>' for what stays unmet."""
    pkgdir = os.path.join(work, "aarch64/Packages")
    repo = rpm_info(sorted(os.path.join(pkgdir, f) for f in os.listdir(pkgdir)))
    names = {p["name"] for p in repo}
    pool = [p for p in rpm_info(pool_files) if p["name"] not in names] if pool_files else []
    have = set().union(*(p["have"] for p in repo))
    while True:
        missing = [(p["name"], r) for p in repo for r in p["reqs"]
                   if not satisfied(r, have)]
        grow = False
        for who, r in missing:
            if satisfied(r, have):
                continue
            for cand in pool:
                if cand["name"] not in names and satisfied(r, cand["have"]):
                    repo.append(cand)
                    names.add(cand["name"])
                    have |= cand["have"]
                    print("ADD " + cand["file"])
                    grow = True
                    break
        if not grow:
            break
    for who, r in missing:
        print("MISSING %s %s" % (who, r))

try:
    if sys.argv[1] == "spec":
        cmd_spec(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "closure":
        cmd_closure(sys.argv[2], sys.argv[3:])
    else:
        raise Fail("unknown helper mode %s" % sys.argv[1])
except (Fail, KeyError, OSError, subprocess.CalledProcessError) as e:
    print(e, file=sys.stderr)
    sys.exit(1)
PY
}
export A64_RELSUFFIX=$RELSUFFIX
# Debian's python3 (only the standard library is used); a python3 earlier in
# PATH may be a slow version-manager shim
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHON

# ---------------------------------------------------------------- worker ---
# arm64repo.sh --one WORK DEB: convert one .deb into WORK/rpms/*.rpm. On
# failure leaves the reason in WORK/fail/<deb> and exits 1.
one() {
  local work=$1 deb=$2 base d name rpmarch payload why
  base=$(basename "$deb" .deb)
  d=$work/pkg/$base
  fail() { mkdir -p "$work/fail"; echo "$1" >"$work/fail/$base"; exit 1; }
  mkdir -p "$d/root" "$d/top" "$d/tmp" 2>/dev/null || fail "$base: cannot create $d"
  dpkg-deb -e "$deb" "$d/ctl" 2>"$d/log" || fail "$base: dpkg-deb -e: $(tail -n1 "$d/log")"
  name=$(sed -n 's/^Package: *//p' "$d/ctl/control")
  mkdir -p "$work/names"
  mkdir "$work/names/$name" 2>/dev/null || fail "$base: more than one .deb of $name in DEBDIR"
  dpkg-deb --fsys-tarfile "$deb" >"$d/data.tar" 2>"$d/log" ||
    fail "$base: dpkg-deb --fsys-tarfile: $(tail -n1 "$d/log")"
  tar -xf "$d/data.tar" -C "$d/root" --no-same-owner 2>"$d/log" ||
    fail "$base: tar: $(tail -n1 "$d/log")"
  chmod -R u+rwX "$d/root"
  helper spec "$work" "$d" 2>"$d/log" || fail "$base: $(tail -n1 "$d/log")"
  # shellcheck source=/dev/null  # name=, rpmarch=, payload= from the helper
  . "$d/meta"
  local target=()
  [ "$rpmarch" = noarch ] || target=(--target "$rpmarch")
  # shellcheck disable=SC2016
  if ! SOURCE_DATE_EPOCH=$SDE rpmbuild -bb "${target[@]}" \
      --define "_topdir $d/top" --define "_tmppath $d/tmp" \
      --define "buildroot $d/br" --define "_rpmdir $work/rpms" \
      --define '_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm' \
      --define '_buildhost mkcorpus' \
      --define 'use_source_date_epoch_as_buildtime 1' \
      --define 'clamp_mtime_to_source_date_epoch 1' \
      --define "_binary_payload $payload" \
      --define '__os_install_post %{nil}' --define '__arch_install_post %{nil}' \
      --define 'debug_package %{nil}' --define '_build_id_links none' \
      --define '__docdir_path /usr/share/doc' \
      --define '__perl_requires %{nil}' --define '__perllib_provides %{nil}' \
      --define '__perllib_requires %{nil}' --define '__python_provides %{nil}' \
      --define '__python_requires %{nil}' --define '__pythondist_provides %{nil}' \
      --define '__pythondist_requires %{nil}' --define '__pkgconfig_provides %{nil}' \
      --define '__pkgconfig_requires %{nil}' --define '__ocaml_provides %{nil}' \
      --define '__ocaml_requires %{nil}' --define '__font_provides %{nil}' \
      --define '__font_requires %{nil}' --define '__desktop_provides %{nil}' \
      --define '__metainfo_provides %{nil}' --define '__rpm_macro_provides %{nil}' \
      --define '__debuginfo_provides %{nil}' \
      "$d/spec" >"$d/log" 2>&1; then
    why=$(grep -m1 -i 'error' "$d/log" || tail -n1 "$d/log")
    fail "rpmbuild $name: $why (log: $d/log)"
  fi
  rm -rf "$d"
}

if [ "${1:-}" = --one ]; then
  one "$2" "$3"
  exit 0
fi

# ------------------------------------------------------------------ main ---
[ $# = 2 ] || { echo "usage: $0 DEBDIR OUTDIR" >&2; exit 2; }
DEBDIR=$1 OUTDIR=$2
for c in dpkg-deb rpmbuild rpm createrepo_c "$PYTHON" flock sha256sum; do
  command -v "$c" >/dev/null || die "$c" "not installed (tests/deps.sh test installs it)"
done
[ -d "$DEBDIR" ] || die "$DEBDIR" "no such directory"
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
TOP=$(cd "$(dirname "$self")/../../.." && pwd)
if [ -n "${MKBASE_CORPUS:-}" ]; then
  BOOKWORM=$MKBASE_CORPUS/bookworm-x86_64
else
  BOOKWORM=$(cd "$TOP/../shared/corpus" 2>/dev/null && pwd)/bookworm-x86_64 ||
    die corpus "no $TOP/../shared/corpus (set MKBASE_CORPUS)"
fi
if [ ! -d "$BOOKWORM/Packages" ] || [ ! -f "$BOOKWORM/repodata/repomd.xml" ]; then
  die corpus "$BOOKWORM is not the x86_64 corpus repository"
fi
BOOKWORM=$(cd "$BOOKWORM" && pwd -P)

shopt -s nullglob
debs=("$DEBDIR"/*.deb)
shopt -u nullglob
[ ${#debs[@]} -gt 0 ] || die "$DEBDIR" "no .deb files (run arm64debs.sh first)"
for f in "${debs[@]}"; do [ -r "$f" ] || die "$f" "not readable"; done

mkdir -p "$OUTDIR" 2>/dev/null || die "$OUTDIR" "cannot create it"
OUTDIR=$(cd "$OUTDIR" && pwd)
exec 9>"$OUTDIR/.arm64repo.lock" || die "$OUTDIR" "not writable"
flock 9

stamp=$( {
  echo "script $(sha256sum <"$self" | cut -d' ' -f1)"
  echo "corpus $BOOKWORM $(sha256sum <"$BOOKWORM/repodata/repomd.xml" | cut -d' ' -f1)"
  (cd "$DEBDIR" && sha256sum -- "${debs[@]##*/}")
} )
if [ -f "$OUTDIR/aarch64/repodata/repomd.xml" ] &&
   [ "$(cat "$OUTDIR/aarch64/.arm64repo.stamp" 2>/dev/null)" = "$stamp" ] &&
   [ "$(readlink "$OUTDIR/x86_64" 2>/dev/null)" = "$BOOKWORM" ]; then
  exit 0
fi

work=$(mktemp -d "$OUTDIR/.arm64repo.XXXXXX") || die "$OUTDIR" "cannot create a work directory"
conv=
# on any exit: stop the conversions if still running (their own process
# group, see below), remove the work directory
trap '[ -z "$conv" ] || kill -TERM -- "-$conv" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
trap 'echo "mkbase: arm64repo: line $LINENO: $BASH_COMMAND failed" >&2' ERR
mkdir -p "$work/rpms" "$work/aarch64/Packages"

# what the corpus tells: payload compressor and file of each package, and the
# paths its filesystem and setup packages own (those stay theirs)
printf '%s\n' "$BOOKWORM"/Packages/*.rpm >"$work/corpus.files"
mapfile -t corpus_files <"$work/corpus.files"
rpm -qp --nosignature --qf '%{NAME}\t%{ARCH}\t%{PAYLOADCOMPRESSOR}\t%{PAYLOADFLAGS}\n' \
  "${corpus_files[@]}" 2>"$work/log" | paste - "$work/corpus.files" >"$work/corpus.tsv" ||
  die corpus "rpm -qp: $(tail -n1 "$work/log")"
awk -F'\t' 'NF != 5 { bad = 1 } END { exit bad || NR == 0 }' "$work/corpus.tsv" ||
  die corpus "cannot read its packages"
for n in filesystem setup; do
  f=$(awk -F'\t' -v n=$n '$1 == n { print $5 }' "$work/corpus.tsv")
  [ -n "$f" ] || die corpus "has no $n package"
  rpm -qpl --nosignature "$f" >>"$work/fsowned"
done

# convert, two at a time, biggest first
stat -c '%s %n' -- "${debs[@]}" | sort -k1,1nr | cut -d' ' -f2- | tr '\n' '\0' >"$work/order"
setsid xargs -0 -n1 -P2 bash "$self" --one "$work" <"$work/order" &
conv=$!
rc=0
wait "$conv" || rc=$?
conv=
if [ $rc != 0 ]; then
  for f in "$work"/fail/*; do die convert "$(cat "$f")"; done
  die convert "a conversion failed (xargs exit $rc)"
fi
touch -d "@$SDE" "$work"/rpms/*.rpm     # createrepo_c records file mtimes
mv "$work"/rpms/*.rpm "$work/aarch64/Packages/"

# noarch packages come from the corpus, as symlinks to its files
link_noarch() {
  local f
  f=$(awk -F'\t' -v n="$1" '$1 == n && $2 == "noarch" { print $5 }' "$work/corpus.tsv")
  [ -n "$f" ] || return 1
  ln -sfn "$f" "$work/aarch64/Packages/${f##*/}"
}
for n in $NOARCH_ALWAYS; do link_noarch "$n" || die corpus "has no noarch $n package"; done
# and whatever other noarch corpus package the closure needs
mapfile -t pool < <(awk -F'\t' '$2 == "noarch" { print $5 }' "$work/corpus.tsv")
helper closure "$work" "${pool[@]}" >"$work/closure" 2>"$work/log" ||
  die closure "$(tail -n1 "$work/log")"
while read -r what a b; do
  case $what in
    ADD) ln -sfn "$a" "$work/aarch64/Packages/${a##*/}" ;;
    MISSING) die closure "$a requires $b, which nothing in the aarch64 repository provides" ;;
  esac
done <"$work/closure"

createrepo_c --quiet --revision "$SDE" --set-timestamp-to-revision --workers 2 \
  "$work/aarch64" >"$work/log" 2>&1 || die createrepo_c "$(tail -n1 "$work/log")"
printf '%s\n' "$stamp" >"$work/aarch64/.arm64repo.stamp"

# into place
ln -sfn "$BOOKWORM" "$work/x86_64"
if [ -e "$OUTDIR/x86_64" ] && [ ! -L "$OUTDIR/x86_64" ]; then
  die "$OUTDIR/x86_64" "exists and is not a symlink"
fi
mv -T "$work/x86_64" "$OUTDIR/x86_64"
if [ -e "$OUTDIR/aarch64" ]; then mv -T "$OUTDIR/aarch64" "$work/old"; fi
mv -T "$work/aarch64" "$OUTDIR/aarch64"
