#!/usr/bin/env bash
# Writes never leave the staging root; file conflicts fail with the list;
# bad input gets one clear line and leaves the previous output untouched.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
token=mkbase-escape-$$-$RANDOM
specs=$T/specs
mkdir -p "$specs"
for s in tests/data/specs/*.spec; do sed "s/@TOKEN@/$token/g" "$s" >"$specs/$(basename "$s")"; done
build_rpms "$T/repo" "$specs"/*.spec
ok $? "build the crafted test packages with rpmbuild"
createrepo_c -q "$T/repo" >/dev/null
ok $? "createrepo_c"

recipe() { # recipe FILE PACKAGES [extra image lines]
  local f=$1 pk=$2; shift 2
  { echo "[image]"; echo "name = t"; echo "packages = $pk"; for l in "$@"; do echo "$l"; done
    echo "[repo test]"; echo "baseurl = $T/repo"; } >"$f"
}

# --- 5. symlinks out of the image --------------------------------------------
recipe "$T/escape.conf" "escape-file escape-link"
"$MKBASE" -q "$T/escape.conf" -o "$T/escape.tar" >/dev/null 2>"$T/escape.err"
ok $? "packages with outward symlinks build"
[ ! -e "/tmp/$token" ] && [ ! -e "/tmp/$token-rel" ] && [ ! -L "/tmp/$token" ]
ok $? "nothing was written to the host's /tmp/$token(-rel)"
tar -tf "$T/escape.tar" >"$T/escape.list"
grep -qx "./tmp/$token/file" "$T/escape.list" && grep -qx "./tmp/$token-rel/file" "$T/escape.list"
ok $? "the files landed inside the image, where the links resolve within it"
[ "$(tar -xOf "$T/escape.tar" "./tmp/$token/file")" = planted ]
ok $? "with their content"

# --- 17. file conflicts ----------------------------------------------------------
recipe "$T/clash.conf" "conflict-a conflict-b"
mkdir -p "$T/clash-staging"
TMPDIR=$T/clash-staging "$MKBASE" -q "$T/clash.conf" -o "$T/clash.tar" >/dev/null 2>"$T/clash.err"
rc=$?
is "$rc" 1 "a file conflict fails the build (exit 1)"
grep -q "^mkbase: 1 file conflict between packages: /etc/clash (different content: conflict-a-1-1.noarch vs conflict-b-1-1.noarch)$" "$T/clash.err"
ok $? "the error names the path, the reason and both packages; /etc/shared (identical) is not a conflict"
[ ! -e "$T/clash.tar" ] && [ -z "$(ls -A "$T/clash-staging")" ]
ok $? "no output is written and the staging tree is removed"

# --- 6. bad input: one line, file:line, out/ untouched ------------------------
out=$T/out
mkdir -p "$out"
recipe "$T/good.conf" "refuse-a"
"$MKBASE" -q "$T/good.conf" -o "$out/img.tar" >/dev/null
ok $? "a good build to compare against"
before=$(cd "$out" && ls -A | sort; sha256sum img.tar img.packages)

expect_fail() { # expect_fail NAME CODE REGEX RECIPE
  local name=$1 code=$2 re=$3 r=$4 rc
  mkdir -p "$T/staging"
  TMPDIR=$T/staging "$MKBASE" -q "$r" -o "$out/img.tar" >"$T/stdout" 2>"$T/stderr"
  rc=$?
  is "$rc" "$code" "$name: exit status $code"
  [ "$(wc -l <"$T/stderr")" = 1 ] && grep -Eq "$re" "$T/stderr"
  ok $? "$name: one line: $(head -c 200 "$T/stderr")"
  after=$(cd "$out" && ls -A | sort; sha256sum img.tar img.packages)
  is "$after" "$before" "$name: the output dir is exactly as it was"
  [ -z "$(ls -A "$T/staging")" ]
  ok $? "$name: no staging tree left behind"
}

recipe "$T/typo.conf" "refuse-a" "pakages = refuse-b"
expect_fail "typo'd key" 3 "^mkbase: $T/typo.conf:4: unknown key \`pakages\` in \[image\] \(did you mean \`packages\`\?\)$" "$T/typo.conf"

printf '[image]\nname = t\npackages = refuse-a\n[repo gone]\nbaseurl = %s/does-not-exist\n' "$T" >"$T/norepo.conf"
expect_fail "missing repo" 3 "^mkbase: $T/norepo.conf:4: \[repo gone\]: baseurl \`$T/does-not-exist\`: No such file or directory$" "$T/norepo.conf"

recipe "$T/unknown.conf" "refuse-a no-such-package"
expect_fail "unknown package" 2 "^mkbase: $T/unknown.conf:3: no package matches \`no-such-package\`$" "$T/unknown.conf"

recipe "$T/unsolvable.conf" "refuse-a refuse-b"
expect_fail "unsolvable job" 2 "^mkbase: $T/unsolvable.conf: cannot resolve the package set: problem 1: .*refuse-a-1-1.noarch.*refuse-b" "$T/unsolvable.conf"

printf '[image]\nname = t\npackages = refuse-a\nprofile = nosuch\n[repo test]\nbaseurl = %s/repo\n' "$T" >"$T/noprofile.conf"
expect_fail "unknown profile" 3 "^mkbase: $T/noprofile.conf:4: profile \`nosuch\` not found" "$T/noprofile.conf"

"$MKBASE" --no-such-option "$T/good.conf" >/dev/null 2>"$T/stderr"
is "$?" 64 "an unknown option is a usage error (64)"
"$MKBASE" nosuchcommand >/dev/null 2>"$T/stderr"
is "$?" 64 "an unknown command is a usage error (64)"

# --- interrupted builds: exit 130/143, previous output kept, nothing left ----
mkdir -p "$T/intr-staging"
sed -e "s|^baseurl = .*|baseurl = $BOOKWORM|" -e "s|^profile = .*|profile = $TOP/profiles/zero.conf|" \
  "$TOP/recipes/bookworm-base.conf" >"$T/intr.conf"
# Delays as fractions of how long this build takes here, so the signal
# lands during resolution/unpacking and during unpacking/packing on a fast
# machine and a slow one alike.
# The unpacked cache is off here: a build that takes its packages from the
# cache would be over before the later delays.
export MKBASE_UNPACK_CACHE=0
start=$(date +%s%N)
TMPDIR=$T/intr-staging "$MKBASE" -q "$T/intr.conf" -o "$out/probe.tar" >/dev/null 2>&1
took=$(( ($(date +%s%N) - start) / 1000000 ))
rm -f "$out"/probe.*
diag "a build takes ${took} ms here"
for sig in INT TERM; do
  for delay in $(awk -v t="$took" 'BEGIN { printf "%.3f %.3f", t * 0.15 / 1000, t * 0.5 / 1000 }'); do
    TMPDIR=$T/intr-staging "$MKBASE" -q "$T/intr.conf" -o "$out/img.tar" >/dev/null 2>"$T/intr.err" &
    pid=$!
    sleep "$delay"
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    want=$([ "$sig" = INT ] && echo 130 || echo 143)
    if [ "$rc" = 0 ]; then
      skip "SIG$sig after ${delay}s: the build had already finished"
      "$MKBASE" -q "$T/good.conf" -o "$out/img.tar" >/dev/null
      continue
    fi
    is "$rc" "$want" "SIG$sig after ${delay}s: exit $want ($(head -c 120 "$T/intr.err"))"
    after=$(cd "$out" && ls -A | sort; sha256sum img.tar img.packages)
    [ "$after" = "$before" ] && [ -z "$(ls -A "$T/intr-staging")" ]
    ok $? "SIG$sig after ${delay}s: previous output intact, no temporary file, no staging tree"
  done
done

unset MKBASE_UNPACK_CACHE

# --- repository trust: metadata and package checksums ---------------------------
cp -r "$T/repo" "$T/repo-swap"
a=$(ls "$T/repo-swap"/conflict-a-*.rpm)
cp "$T/repo-swap"/conflict-b-*.rpm "$a"
printf '[image]\nname = t\npackages = conflict-a\n[repo test]\nbaseurl = %s\n' "$T/repo-swap" >"$T/swap.conf"
"$MKBASE" -q "$T/swap.conf" -o "$T/swap.tar" >/dev/null 2>"$T/swap.err"
is "$?" 1 "an RPM that is not the one the metadata describes: exit 1"
grep -q "^mkbase: conflict-a-1-1.noarch: sha256 checksum mismatch with the repository metadata" "$T/swap.err"
ok $? "named, before anything is unpacked: $(head -c 150 "$T/swap.err")"
cp -r "$T/repo" "$T/repo-md"
primary=$(ls "$T/repo-md"/repodata/*-primary.xml.gz)
printf 'garbage' | gzip >"$primary"
printf '[image]\nname = t\npackages = conflict-a\n[repo test]\nbaseurl = %s\n' "$T/repo-md" >"$T/md.conf"
"$MKBASE" -q "$T/md.conf" -o "$T/md.tar" >/dev/null 2>"$T/md.err"
is "$?" 1 "primary.xml that does not match repomd.xml's checksum: exit 1"
grep -q "^mkbase: repo \`test\`: repodata/.*-primary.xml.gz: checksum mismatch (repomd.xml states" "$T/md.err"
ok $? "refused before libsolv parses it: $(head -c 150 "$T/md.err")"
