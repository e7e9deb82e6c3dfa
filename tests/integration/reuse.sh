#!/usr/bin/env bash
# Rebuilds that do only the work that changed (issue 17): a rebuild of
# the same inputs reuses its output after checking it (src/reuse.c), and
# a build that reads the contents from where the workers left them (no
# staging files) writes the same bytes as one through the staging tree.
. "$(dirname "$0")/../lib.sh"

[ -d "$BOOKWORM" ] || { echo "# SKIP: no corpus at $BOOKWORM"; exit 77; }
C=$T/cache
mkdir -p "$T/out"
sed -e "s|^baseurl = .*|baseurl = $BOOKWORM|" -e "s|^profile = .*|profile = $TOP/profiles/zero.conf|" \
  "$TOP/recipes/bookworm-base.conf" >"$T/r.conf"
b() { "$MKBASE" --cache "$C" "$T/r.conf" -o "$T/out/r.tar" "$@" >"$T/stdout" 2>"$T/stderr"; }
reused() { grep -q 'reused, its inputs are the ones' "$T/stderr"; }

b; ok $? "first build"
first=$(cat "$T/stdout")
! reused; ok $? "the first build is not a reuse"
is "$(sha256sum "$T/out/r.tar" | cut -d' ' -f1)" "${first%% *}" "the printed sha256 is the file's"

MKBASE_TEST_VIEW=bind b; ok $? "rebuild (with a test harness variable set, as tests/run may)"
reused; ok $? "an unchanged rebuild reuses the output"
is "$(cat "$T/stdout")" "$first" "and prints the same sha256 line"

# The same bytes, with the same size and mtime: only a hash can tell.
python3 - "$T/out/r.tar" <<'EOF'
import os, sys
p = sys.argv[1]; st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(st.st_size // 2); c = f.read(1); f.seek(st.st_size // 2)
    f.write(bytes([c[0] ^ 1]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
b; ok $? "rebuild after the output was damaged in place"
! reused; ok $? "a damaged output is not reused"
is "$(sha256sum "$T/out/r.tar" | cut -d' ' -f1)" "${first%% *}" "it is built again, with the same bytes"

# A copy (a CI cache restore): other inode, same bytes: hashed, reused.
cp -p "$T/out/r.tar" "$T/copy.tar" && mv "$T/copy.tar" "$T/out/r.tar"
b; reused; ok $? "a copied output with the recorded bytes is reused (after hashing)"
rm "$T/out/r.record.json"
b; ! reused && [ -s "$T/out/r.record.json" ]
ok $? "a missing side output makes it build again"

MKBASE_REUSE=0 b; ! reused; ok $? "MKBASE_REUSE=0 builds again"
sed 's/^packages = \(.*\)/packages = \1 procps/' "$T/r.conf" >"$T/r2.conf" && cp "$T/r2.conf" "$T/r.conf"
b; ! reused && grep -q "^[0-9a-f]\{64\}  " "$T/stdout"
ok $? "a changed recipe builds again"
b; reused; ok $? "and its rebuild is reused"

# Contents read in place (MK_CONTENT_SOURCE) against the staging tree
# (--keep-staging moves them there) and against one in-process unpack.
MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c2" "$T/r.conf" -o "$T/out/src.tar" >/dev/null 2>&1
ok $? "cold build, contents read where the workers wrote them"
MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c2" "$T/r.conf" -o "$T/out/warm.tar" >/dev/null 2>&1
ok $? "warm build, contents read from the unpacked cache"
MKBASE_REUSE=0 MKBASE_JOBS=1 "$MKBASE" -q --cache "$T/c3" "$T/r.conf" -o "$T/out/serial.tar" >/dev/null 2>&1
ok $? "serial build through the staging tree"
mkdir -p "$T/st"
MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c2" --staging-dir "$T/st" --keep-staging "$T/r.conf" -o "$T/out/kept.tar" >/dev/null 2>&1
ok $? "--keep-staging build"
cmp -s "$T/out/src.tar" "$T/out/serial.tar" && cmp -s "$T/out/warm.tar" "$T/out/serial.tar" &&
  cmp -s "$T/out/kept.tar" "$T/out/serial.tar"
ok $? "all four are byte-identical"
[ -s "$(ls -d "$T"/st/mkbase-staging-*)/usr/bin/bash" ]
ok $? "--keep-staging still leaves the files in the staging tree"

# A relative --staging-dir (librpm needs an absolute root for the rpmdb).
mkdir -p "$T/rel/s"
printf '[image]\nname = sql\npackages = bash\nprofile = none\n[repo bw]\nbaseurl = %s\n' "$BOOKWORM" >"$T/sql.conf"
(cd "$T/rel" && MKBASE_REUSE=0 "$MKBASE" -q --staging-dir s --cache "$T/c2" "$T/sql.conf" -o o.tar >/dev/null 2>"$T/rel.err")
ok $? "a relative --staging-dir builds (with a sqlite rpmdb)"
tar -tf "$T/rel/o.tar" | grep -q '^./var/lib/rpm/rpmdb.sqlite$'
ok $? "and the image has its rpmdb"

# The sqlite rpmdb is kept in the cache by package set, sde and program:
# a second build of the same set takes it from there, with the same bytes
# as one that makes it again (MKBASE_UNPACK_CACHE=0 bypasses both caches).
MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c4" "$T/sql.conf" -o "$T/out/db1.tar" >/dev/null 2>&1
ok $? "a build with a sqlite rpmdb"
ls "$T"/c4/rpmdb/*.sqlite >/dev/null 2>&1
ok $? "puts the database in the cache"
MKBASE_REUSE=0 "$MKBASE" -v --cache "$T/c4" "$T/sql.conf" -o "$T/out/db2.tar" >/dev/null 2>"$T/db2.err"
grep -q "rpm database from the cache" "$T/db2.err"
ok $? "the next build of the same set takes it from there"
MKBASE_REUSE=0 MKBASE_UNPACK_CACHE=0 "$MKBASE" -q --cache "$T/c4" "$T/sql.conf" -o "$T/out/db3.tar" >/dev/null 2>&1
cmp -s "$T/out/db1.tar" "$T/out/db2.tar" && cmp -s "$T/out/db1.tar" "$T/out/db3.tar"
ok $? "with the same bytes as a build that makes it again"
SOURCE_DATE_EPOCH=1700000000 MKBASE_REUSE=0 "$MKBASE" -v --cache "$T/c4" "$T/sql.conf" -o "$T/out/db4.tar" >/dev/null 2>"$T/db4.err"
! grep -q "rpm database from the cache" "$T/db4.err" && ! cmp -s "$T/out/db1.tar" "$T/out/db4.tar"
ok $? "another SOURCE_DATE_EPOCH is another database"

# The rpmdb starts before the headers are read, with the metadata's build
# times for sde.  A repository whose metadata says other build times (here
# all 1) must still give the image the headers' times: the same bytes.
mkdir -p "$T/lie/Packages"
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" "$T/lie/Packages/"; done
cp -r "$BOOKWORM/repodata" "$T/lie/"
python3 - "$T/lie/repodata" <<'PY'
import gzip, hashlib, os, re, sys
d = sys.argv[1]
repomd = open(os.path.join(d, "repomd.xml")).read()
href = re.search(r'<data type="primary">.*?<location href="repodata/([^"]+)"', repomd, re.S).group(1)
old = os.path.join(d, href)
raw = gzip.open(old).read()
new_raw = re.sub(rb'build="\d+"', b'build="1"', raw)
assert new_raw != raw
gz = gzip.compress(new_raw, mtime=0)
os.remove(old)
name = hashlib.sha256(gz).hexdigest() + "-primary.xml.gz"
open(os.path.join(d, name), "wb").write(gz)
def fix(m):
    blk = m.group(0)
    blk = re.sub(r'(<checksum type="sha256">)[0-9a-f]+', r'\g<1>' + hashlib.sha256(gz).hexdigest(), blk)
    blk = re.sub(r'(<open-checksum type="sha256">)[0-9a-f]+', r'\g<1>' + hashlib.sha256(new_raw).hexdigest(), blk)
    blk = re.sub(r'<size>\d+', '<size>%d' % len(gz), blk)
    blk = re.sub(r'<open-size>\d+', '<open-size>%d' % len(new_raw), blk)
    return blk.replace(href, name)
repomd = re.sub(r'<data type="primary">.*?</data>', fix, repomd, flags=re.S)
open(os.path.join(d, "repomd.xml"), "w").write(repomd)
PY
ok $? "a copy of the repository whose metadata says every build time is 1"
sed "s|^baseurl = .*|baseurl = $T/lie|" "$T/sql.conf" >"$T/lie.conf"
MKBASE_REUSE=0 "$MKBASE" -v --cache "$T/c5" "$T/lie.conf" -o "$T/out/lie.tar" >/dev/null 2>"$T/lie.err"
ok $? "builds: $(grep mkbase: "$T/lie.err" | head -c 200)"
grep -q "rpm database started again" "$T/lie.err"
ok $? "and starts the rpm database again with the headers' times"
cmp -s "$T/out/db1.tar" "$T/out/lie.tar"
ok $? "with the bytes of the build from the true metadata"

# A cache on another filesystem than the scratch space: contents are
# copied into it, not moved, and the build reads them from scratch.
other=""
for d in /var/tmp /dev/shm /tmp "$TOP/out"; do
  [ -d "$d" ] && [ -w "$d" ] && [ "$(stat -c %d "$d")" != "$(stat -c %d "$T")" ] && { other=$d; break; }
done
if [ -n "$other" ]; then
  xc=$(mktemp -d "$other/mkbase-test-xfs.XXXXXX")
  MKBASE_REUSE=0 "$MKBASE" -q --cache "$xc" "$T/r.conf" -o "$T/out/xfs1.tar" >/dev/null 2>&1 &&
    MKBASE_REUSE=0 "$MKBASE" -q --cache "$xc" "$T/r.conf" -o "$T/out/xfs2.tar" >/dev/null 2>&1
  ok $? "cold and warm builds with the cache on another filesystem ($other)"
  cmp -s "$T/out/xfs1.tar" "$T/out/serial.tar" && cmp -s "$T/out/xfs2.tar" "$T/out/serial.tar"
  ok $? "write the same bytes"
  rm -rf "$xc"
else
  skip "no writable directory on another filesystem than $T"
  skip "no writable directory on another filesystem than $T"
fi

# Only what is new is checked: a package file the unpacked cache has
# already checked, unchanged since (same inode, size, mtime, ctime), is
# not hashed again; one changed in place, even with its size and mtime
# put back, is, and the build says it does not match the metadata.
mkdir -p "$T/src/Packages"
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" "$T/src/Packages/"; done
bashrpm=$(cd "$BOOKWORM/Packages" && ls bash-[0-9]*.rpm)
rm "$T/src/Packages/$bashrpm" && cp "$BOOKWORM/Packages/$bashrpm" "$T/src/Packages/"
cp -r "$BOOKWORM/repodata" "$T/src/"
sed "s|^baseurl = .*|baseurl = $T/src|" "$T/sql.conf" >"$T/src.conf"
# LeakSanitizer cannot run under ptrace (make asan check).
nolsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
MKBASE_REUSE=0 ASAN_OPTIONS=$nolsan strace -f -qq -e trace=openat -o "$T/s1.trace" "$MKBASE" -q --cache "$T/c6" "$T/src.conf" -o "$T/out/s1.tar" >/dev/null 2>&1 &&
  MKBASE_REUSE=0 ASAN_OPTIONS=$nolsan strace -f -qq -e trace=openat -o "$T/s2.trace" "$MKBASE" -q --cache "$T/c6" "$T/src.conf" -o "$T/out/s2.tar" >/dev/null 2>&1
ok $? "cold and warm builds from a repository with a package file of its own"
cmp -s "$T/out/s1.tar" "$T/out/s2.tar"
ok $? "give the same bytes"
# The hash opens the file O_RDONLY|O_CLOEXEC; librpm's opens, and the rpm
# database child's (rpm.c, db_open_packages), are O_RDONLY.
# (strace may split a call over two lines: "<unfinished ...>".)
hashed() { grep -F "Packages/$bashrpm\"" "$1" | grep -E 'O_RDONLY\|O_CLOEXEC( <unfinished|\))' | grep -vc ENOENT; }
is "$(hashed "$T/s1.trace") $(hashed "$T/s2.trace")" "1 0" \
  "the cold build hashed the package file, the warm one did not"
python3 - "$T/src/Packages/$bashrpm" <<'PY'
import os, sys
p = sys.argv[1]; st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(st.st_size - 4096); c = f.read(1); f.seek(st.st_size - 4096)
    f.write(bytes([c[0] ^ 1]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c6" "$T/src.conf" -o "$T/out/s3.tar" >/dev/null 2>"$T/s3.err"
is "$?" 1 "a package file changed in place (size and mtime put back) fails the build"
grep -q "checksum mismatch with the repository metadata" "$T/s3.err"
ok $? "saying it does not match: $(head -c 160 "$T/s3.err")"

# The tree keeps a directory fd for each package whose contents it reads
# in place: an image with more packages than the soft limit on open files
# (often 1024) must still build.  Here the limit is 40, the set 58.
(ulimit -Sn 40
 MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c8" "$T/r.conf" -o "$T/out/nofile1.tar" >/dev/null 2>"$T/nofile.err" &&
   MKBASE_REUSE=0 "$MKBASE" -q --cache "$T/c8" "$T/r.conf" -o "$T/out/nofile2.tar" >/dev/null 2>>"$T/nofile.err")
ok $? "cold and warm builds with a soft limit of 40 open files: $(head -c 160 "$T/nofile.err")"
cmp -s "$T/out/nofile1.tar" "$T/out/serial.tar" && cmp -s "$T/out/nofile2.tar" "$T/out/serial.tar"
ok $? "write the same bytes"
