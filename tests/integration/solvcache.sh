#!/usr/bin/env bash
# The parsed-metadata cache (issue 8): a resolve writes each rpm-md
# repository's metadata as a libsolv .solv file under <cache>/solv/, the
# next one reads it instead of the XML, and the result is the same.  A
# damaged, truncated, foreign, stale or unreadable file is ignored and
# rewritten; a directory others can write is not used at all.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

C=$T/cache
printf '[image]\nname = r\npackages = bash coreutils findutils grep sed gzip tar less iputils-ping util-linux procps\n[repo bw]\nbaseurl = %s\n' \
  "$BOOKWORM" >"$T/r.conf"
resolve() { # resolve [OPTIONS] -> stdout in $T/out, -v stderr in $T/err
  "$MKBASE" resolve -v --cache "$C" "$@" "$T/r.conf" >"$T/out" 2>"$T/err"
}
solv() { ls "$C"/solv/bw-*.solv 2>/dev/null; }
said() { grep -q "repo bw: $1" "$T/err"; }

resolve; rc=$?
is "$rc" 0 "cold resolve"
cp "$T/out" "$T/expected"
said 'metadata cached in'
ok $? "the cold resolve writes the cache (-v says so)"
f=$(solv)
[ -n "$f" ] && [ "$(stat -c '%a %u' "$f")" = "600 $(id -u)" ] &&
  [ "$(stat -c '%a' "$C/solv")" = 700 ]
ok $? "one file, 0600 in a 0700 directory: $f"

resolve
said 'metadata from the cache' && ! said 'metadata cached in'
ok $? "the warm resolve reads it and writes nothing"
cmp -s "$T/out" "$T/expected"
ok $? "same packages, same order"
"$MKBASE" resolve --json --cache "$C" "$T/r.conf" >"$T/warm.json" 2>/dev/null
"$MKBASE" resolve --json --cache "$T/other" "$T/r.conf" >"$T/cold.json" 2>/dev/null
cmp -s "$T/warm.json" "$T/cold.json" && grep -q '"checksum\|download_size' "$T/cold.json"
ok $? "resolve --json (sizes, repo) is the same from the cache and from the XML"

# A cache the user cannot use: a local repository resolves without one.
mkdir -p "$T/foreign"; chown 65534:65534 "$T/foreign" 2>/dev/null
if [ "$(stat -c %u "$T/foreign")" != "$(id -u)" ]; then
  "$MKBASE" resolve -v --cache "$T/foreign" "$T/r.conf" >"$T/out" 2>"$T/err"
  is "$?" 0 "a cache owned by another user: a local repository still resolves"
  said 'no metadata cache' && cmp -s "$T/out" "$T/expected"
  ok $? "without the metadata cache (-v says why), and the same packages"
else
  skip "chown needs root"; skip "chown needs root"
fi

# An ordinary user whose HOME has no usable cache: no metadata cache, and
# the same packages.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod 0755 "$T"; chmod 0644 "$T/r.conf"
  HOME=/nonexistent XDG_CACHE_HOME= MKBASE_CACHE= setpriv --reuid 65534 --regid 65534 --clear-groups \
    "$MKBASE" resolve -v "$T/r.conf" >"$T/out" 2>"$T/err"
  is "$?" 0 "as an ordinary user without a usable cache directory: resolves"
  said 'no metadata cache' && cmp -s "$T/out" "$T/expected"
  ok $? "without the metadata cache, the same packages"
else
  skip "needs root and setpriv"; skip "needs root and setpriv"
fi

# damaged DESCRIPTION WHY: after the file was damaged, resolve: it must be ignored,
# the result unchanged and the file rewritten (the next resolve
# reads it again).
damaged() { # damaged DESCRIPTION WHY-PATTERN
  resolve
  said "metadata cache .* ignored: $2" && said 'metadata cached in' &&
    cmp -s "$T/out" "$T/expected"
  ok $? "$1: ignored ($(grep -o 'ignored: .*' "$T/err" | head -1)), same packages, rewritten"
  resolve
  said 'metadata from the cache' && cmp -s "$T/out" "$T/expected"
  ok $? "$1: the rewritten file is read on the next resolve"
}
f=$(solv)
size=$(stat -c %s "$f")
printf 'XXXXXXXX' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
damaged "bytes changed in the middle" "damaged"
truncate -s $((size / 3)) "$f"
damaged "truncated" "written for other metadata\|damaged\|truncated"
: >"$f"
damaged "empty" "truncated"
# Garbage libsolv must refuse, behind a trailer that is right for it.
python3 - "$f" <<'EOF'
import os, sys
path = sys.argv[1]
trailer = open(path, "rb").read()[-(1 + 14 + 5 + 64 + 5 + 16 + 1):]
key = trailer.split(b"key=")[1][:64]
data = b"SOLV" + os.urandom(4000)
M = (1 << 64) - 1
h = 0x9e3779b97f4a7c15 ^ len(data)
i = 0
while i + 8 <= len(data):
    h = ((h ^ int.from_bytes(data[i:i + 8], "little")) * 0xff51afd7ed558ccd) & M
    h ^= h >> 32
    i += 8
for b in data[i:]:
    h = ((h ^ b) * 0xc4ceb9fe1a85ec53) & M
h ^= h >> 29
with open(path, "wb") as out:
    out.write(data + b"\nmkbase-solv v1 key=" + key + b" sum=%016x\n" % h)
EOF
damaged "garbage with a valid trailer (libsolv refuses it)" "[^d]"
sed -i '$ s/key=[0-9a-f]\{8\}/key=00000000/' "$f"
damaged "written for other metadata (another repomd.xml)" "written for other metadata"
chown 65534 "$f" 2>/dev/null && {
  damaged "owned by another user" "not ours"
  is "$(stat -c %u "$f")" "$(id -u)" "the rewritten file is ours again"
}
chmod 0666 "$f"
damaged "writable by others" "not ours, or writable by others"
echo outside >"$T/target"
rm -f "$f"; ln -s "$T/target" "$f"
damaged "a symlink" "Too many levels\|symbolic"
[ ! -L "$f" ] && [ "$(cat "$T/target")" = outside ]
ok $? "the symlink was replaced, its target untouched"

# A solv directory others can write is not used (nor written).
chmod 0777 "$C/solv"
before=$(stat -c %Y.%s "$f")
resolve
said 'no metadata cache' && ! said 'metadata from the cache' &&
  [ "$(stat -c %Y.%s "$f")" = "$before" ] && cmp -s "$T/out" "$T/expected"
ok $? "a world-writable $C/solv is neither read nor written"
chmod 0700 "$C/solv"

# The image from a warm cache is byte for byte the pinned one.
"$MKBASE" -q --cache "$C" recipes/bookworm-base.conf -o "$T/base.tar" >"$T/sum" 2>"$T/err"
rc=$?
[ $rc = 0 ] && [[ $(cat "$T/sum") == 577034ca* ]]
ok $? "bookworm-base built with the metadata cache: sha256 $(cut -c1-16 "$T/sum")"
"$MKBASE" why --cache "$C" "$T/r.conf" libc6 >"$T/why" 2>&1
ok $? "mkbase why works from the cache: $(head -1 "$T/why")"
