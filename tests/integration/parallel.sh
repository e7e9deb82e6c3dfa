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

# A worker killed from outside: the build fails cleanly, naming it.
MKBASE_JOBS=2 TMPDIR=$T/tmp "$MKBASE" -q "$T/base.conf" -o "$out/kill.tar" >/dev/null 2>"$T/kill.err" &
pid=$!
sleep 0.15
pkill -KILL -P "$pid" 2>/dev/null # the workers: children of mkbase-core (which replaced mkbase)
wait "$pid"
rc=$?
if [ "$rc" = 0 ]; then
  diag "the build finished before the workers were killed"
else
  is "$rc" 1 "killed workers fail the build (exit 1)"
  grep -q 'the unpacking worker died' "$T/kill.err"
  ok $? "naming it ($(head -c 100 "$T/kill.err"))"
fi
is "$(ls -A "$T/tmp")" "" "after the kill, nothing is left in the staging directory"
