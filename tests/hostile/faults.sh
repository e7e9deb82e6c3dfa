#!/usr/bin/env bash
# Faults around the build: a full disk for the output and for the staging
# tree (a small tmpfs), a read-only output directory, and a cache that
# belongs to someone else.  Each must give one clear line, leave no partial
# file or staging tree, and keep the previous output.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
if [ "$(id -u)" != 0 ]; then
  echo "# SKIP: mounting a small tmpfs needs root"; trap - EXIT; _cleanup; exit 77
fi
small=$T/small
mkdir -p "$small"
mount -t tmpfs -o size=20m tmpfs "$small" || { ok 1 "mount a 20 MB tmpfs"; exit 1; }
_bg_umount() { umount "$small" 2>/dev/null; }
trap '_bg_umount; _cleanup; echo "1..$_tap_n"; exit $((_tap_failed > 0))' EXIT

# A previous good (small) output on the small filesystem.
printf '[image]\nname = s\npackages = filesystem ncurses-base\n[repo bw]\nbaseurl = %s\n' "$BOOKWORM" >"$T/s.conf"
"$MKBASE" -q "$T/s.conf" -o "$small/img.tar" >/dev/null
ok $? "a small image fits"
before=$(cd "$small" && ls -A | sort; sha256sum img.tar)

"$MKBASE" -q recipes/bookworm-base.conf -o "$small/img.tar" >/dev/null 2>"$T/err"
is "$?" 1 "ENOSPC while packing: exit 1"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^mkbase: write \`$small/img.tar\`: No space left on device$" "$T/err"
ok $? "one line: $(head -c 120 "$T/err")"
is "$(cd "$small" && ls -A | sort; sha256sum img.tar)" "$before" "the previous output is intact and no temporary file is left"

# A cold cache: the payloads are unpacked into scratch space beside the
# staging tree (a warm cache would be read in place and write nothing there).
mkdir -p "$small/staging"
TMPDIR=$small/staging "$MKBASE" -q recipes/bookworm-base.conf --cache "$T/cold" -o "$T/x.tar" >/dev/null 2>"$T/err"
is "$?" 1 "ENOSPC while unpacking: exit 1"
grep -q "No space left on device" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ]
ok $? "one line: $(head -c 160 "$T/err")"
[ -z "$(ls -A "$small/staging")" ] && [ ! -e "$T/x.tar" ]
ok $? "the staging tree is removed and no output is written"

mkdir -p "$T/ro"; chmod 0555 "$T/ro"
start=$(date +%s%N)
setpriv --reuid 65534 --regid 65534 --clear-groups "$MKBASE" -q "$TOP/recipes/bookworm-base.conf" -o "$T/ro/x.tar" >/dev/null 2>"$T/err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 1 "a read-only output directory: exit 1"
grep -q "^mkbase: output directory \`$T/ro\`: Permission denied$" "$T/err"
ok $? "said before any work (${ms} ms): $(head -c 120 "$T/err")"

mkdir -p "$T/othercache"; chown 65534:65534 "$T/othercache"; chmod 0700 "$T/othercache"
printf '[image]\nname = r\npackages = bash\n[repo bw]\nbaseurl = http://127.0.0.1:9/\n' >"$T/r.conf"
"$MKBASE" -q "$T/r.conf" --cache "$T/othercache" -o "$T/r.tar" >/dev/null 2>"$T/err"
is "$?" 1 "a cache directory owned by another user: exit 1"
grep -q "^mkbase: cache \`$T/othercache\` belongs to uid 65534, not to us (uid 0); use --cache DIR$" "$T/err"
ok $? "one line: $(head -c 140 "$T/err")"
