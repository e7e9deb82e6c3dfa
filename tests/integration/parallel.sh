#!/usr/bin/env bash
# Parallel unpacking (src/extract.c): worker processes check and decompress
# the packages, the unpacker moves the contents into place in install
# order.  The image must not depend on the number of workers, errors must
# be the ones a serial unpack reports, and nothing may be left behind.
. "$(dirname "$0")/../lib.sh"

[ -d "$BOOKWORM" ] || { echo "# SKIP: no corpus at $BOOKWORM"; exit 77; }
out=$T/out
mkdir -p "$out" "$T/tmp"
sed -e "s|^baseurl = .*|baseurl = $BOOKWORM|" -e "s|^profile = .*|profile = $TOP/profiles/zero.conf|" \
  "$TOP/recipes/bookworm-base.conf" >"$T/base.conf"

for j in 1 2 3 8; do
  MKBASE_JOBS=$j TMPDIR=$T/tmp "$MKBASE" -q "$T/base.conf" -o "$out/j$j.tar" >/dev/null 2>"$T/j$j.err"
  ok $? "MKBASE_JOBS=$j builds bookworm-base"
done
for j in 2 3 8; do
  cmp -s "$out/j1.tar" "$out/j$j.tar"
  ok $? "$j workers give the same bytes as one"
done
is "$(ls -A "$T/tmp")" "" "no staging tree or scratch directory is left"
MKBASE_JOBS=2 TMPDIR=$T/tmp "$MKBASE" -v "$T/base.conf" -o "$out/v.tar" >/dev/null 2>"$T/v.err"
grep -q 'unpacking with 2 worker processes' "$T/v.err"
ok $? "-v says how many workers unpack"
# A reader that goes away early must not leave a staging tree behind.
MKBASE_JOBS=2 TMPDIR=$T/tmp "$MKBASE" -v "$T/base.conf" -o "$out/v.tar" 2>&1 >/dev/null | head -c 1 >/dev/null
is "$(ls -A "$T/tmp")" "" "a closed stderr pipe (SIGPIPE) leaves no staging tree"

# A package that fails in a worker: the same error line, exit status and
# cleanliness as without workers.  Copy the corpus's packages (as links)
# into a repository where one package in the middle is damaged.
mkdir -p "$T/repo"
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" "$T/repo/"; done
victim=$(ls "$T/repo" | grep '^grep-')
rm "$T/repo/$victim"
cp "$BOOKWORM/Packages/$victim" "$T/repo/$victim"
size=$(stat -c %s "$T/repo/$victim")
printf 'XXXXXXXX' | dd of="$T/repo/$victim" bs=1 seek=$((size - 4000)) conv=notrunc status=none
createrepo_c -q "$T/repo" >/dev/null
sed -e "s|^baseurl = .*|baseurl = $T/repo|" "$T/base.conf" >"$T/bad.conf"
# The repository's checksum is of the damaged file: the payload digest is
# what catches it.
errs=()
for j in 1 2; do
  cp "$out/j1.tar" "$out/bad.tar"
  MKBASE_JOBS=$j TMPDIR=$T/tmp "$MKBASE" -q "$T/bad.conf" -o "$out/bad.tar" >/dev/null 2>"$T/bad$j.err"
  rc=$?
  is "$rc" 1 "MKBASE_JOBS=$j: a damaged package fails the build (exit 1)"
  errs+=("$(cat "$T/bad$j.err")")
  cmp -s "$out/j1.tar" "$out/bad.tar"
  ok $? "MKBASE_JOBS=$j: the previous output is untouched"
done
is "${errs[1]}" "${errs[0]}" "the error line is the same with and without workers"
grep -q "grep-.*payload digest mismatch" "$T/bad2.err"
ok $? "and names the package and the cause ($(head -c 100 "$T/bad2.err"))"
is "$(ls -A "$T/tmp")" "" "nothing is left in the staging directory"

# Workers take the costliest packages first, but the error is still the
# first in install order: damage a small early package (libmd0) and the two
# largest, late ones (coreutils, util-linux), which fail first in time and
# in both workers.
mkdir -p "$T/repo3"
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" "$T/repo3/"; done
for p in libmd0- coreutils- util-linux-2; do
  v=$(ls "$T/repo3" | grep "^$p")
  rm "$T/repo3/$v"
  cp "$BOOKWORM/Packages/$v" "$T/repo3/$v"
  size=$(stat -c %s "$T/repo3/$v")
  printf 'XXXXXXXX' | dd of="$T/repo3/$v" bs=1 seek=$((size - 4000)) conv=notrunc status=none
done
createrepo_c -q "$T/repo3" >/dev/null
sed -e "s|^baseurl = .*|baseurl = $T/repo3|" "$T/base.conf" >"$T/bad3.conf"
errs=()
for j in 1 2 3; do
  MKBASE_JOBS=$j TMPDIR=$T/tmp "$MKBASE" -q "$T/bad3.conf" -o "$out/bad3.tar" >/dev/null 2>"$T/bad3-$j.err"
  is "$?" 1 "MKBASE_JOBS=$j: three damaged packages fail the build (exit 1)"
  errs+=("$(cat "$T/bad3-$j.err")")
done
grep -q "^mkbase: libmd0-.*payload digest mismatch" "$T/bad3-1.err"
ok $? "naming the first in install order ($(head -c 60 "$T/bad3-1.err"))"
is "${errs[1]}" "${errs[0]}" "the same line with 2 workers (the largest failed first)"
is "${errs[2]}" "${errs[0]}" "and with 3"
is "$(ls -A "$T/tmp")" "" "nothing is left in the staging directory"

# A worker that dies without a word (as the OOM killer would leave it):
# the build fails cleanly, naming the package it was working on.
# MKBASE_TEST_WORKER_DIES=N is a test-only hook: the worker that takes
# job N kills itself.
MKBASE_JOBS=2 MKBASE_UNPACK_CACHE=0 MKBASE_TEST_WORKER_DIES=5 TMPDIR=$T/tmp \
  "$MKBASE" -q "$T/base.conf" -o "$out/kill.tar" >/dev/null 2>"$T/kill.err"
is "$?" 1 "a dead worker fails the build (exit 1)"
grep -q '^mkbase: .*: the unpacking worker died$' "$T/kill.err"
ok $? "naming the package ($(head -c 100 "$T/kill.err"))"
is "$(ls -A "$T/tmp")" "" "and nothing is left in the staging directory"

# --- the unpacked cache -------------------------------------------------------
export MKBASE_CACHE=$T/cache
"$MKBASE" "$T/base.conf" -o "$out/c1.tar" >/dev/null 2>"$T/c1.err"
ok $? "a cold build with an empty cache"
n=$(ls "$T/cache/unpacked" | wc -l)
is "$n" 58 "every package is kept in <cache>/unpacked, by sha256 ($n)"
ls "$T/cache/unpacked" | grep -qvE '^[0-9a-f]{64}$'
ok $((!$?)) "and nothing else is left there"
"$MKBASE" "$T/base.conf" -o "$out/c2.tar" >/dev/null 2>"$T/c2.err"
grep -q '^58 of 58 packages from the unpacked cache$' "$T/c2.err"
ok $? "the rebuild takes every package from the cache"
cmp -s "$out/c1.tar" "$out/c2.tar" && cmp -s "$out/j1.tar" "$out/c2.tar"
ok $? "and gives the same bytes as a cold build"

# One package changed (a rebuilt grep): only it is unpacked again.
mkdir -p "$T/repo2"
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" "$T/repo2/"; done
rm "$T/repo2/$victim"
rpmrebuild_dir=$T/grep-re
mkdir -p "$rpmrebuild_dir"
# Same package, different bytes: re-sign-free rewrite of the lead's reserved
# bytes keeps the header and payload valid but changes the file's sha256.
cp "$BOOKWORM/Packages/$victim" "$T/repo2/$victim"
printf 'x' | dd of="$T/repo2/$victim" bs=1 seek=70 conv=notrunc status=none
createrepo_c -q "$T/repo2" >/dev/null
sed -e "s|^baseurl = .*|baseurl = $T/repo2|" "$T/base.conf" >"$T/one.conf"
"$MKBASE" "$T/one.conf" -o "$out/c3.tar" >/dev/null 2>"$T/c3.err"
ok $? "a rebuild with one package file changed"
grep -q '^57 of 58 packages from the unpacked cache$' "$T/c3.err"
ok $? "unpacks only that one ($(grep 'unpacked cache' "$T/c3.err"))"
cmp -s "$out/c1.tar" "$out/c3.tar"
ok $? "and gives the same image (the package's content did not change)"

# Scriptlets write to the staging tree: it must not share inodes with the
# cache.
sumcache() { find "$T/cache/unpacked" -type f -exec sha256sum {} + | sort | sha256sum; }
before=$(sumcache)
sed -e 's/^profile = .*/scriptlets = run/' "$T/base.conf" >"$T/scr.conf"
"$MKBASE" -q "$T/scr.conf" -o "$out/scr.tar" >/dev/null 2>"$T/scr.err"
ok $? "a warm build with scriptlets = run"
is "$(sumcache)" "$before" "the cache's files are unchanged after the scriptlets ran"
grep -qx /usr/bin/bash <(tar -xOf "$out/scr.tar" ./etc/shells)
ok $? "and bash's %post did its work in the image"
is "$(find "$T/cache/unpacked" -type f -newer "$T/scr.conf" | wc -l)" 0 "no cache file was written to"

# A cache others can write to is not used.
chmod 0777 "$T/cache/unpacked"
"$MKBASE" "$T/base.conf" -o "$out/c4.tar" >/dev/null 2>"$T/c4.err"
ok $? "a build with a world-writable cache still works"
grep -q "not using the unpacked cache" "$T/c4.err" && ! grep -q 'from the unpacked cache' "$T/c4.err"
ok $? "without using it, and says so"
chmod 0700 "$T/cache/unpacked"
MKBASE_UNPACK_CACHE=0 "$MKBASE" "$T/base.conf" -o "$out/c5.tar" >/dev/null 2>"$T/c5.err"
! grep -q 'unpacked cache' "$T/c5.err" && cmp -s "$out/c1.tar" "$out/c5.tar"
ok $? "MKBASE_UNPACK_CACHE=0 turns it off"
