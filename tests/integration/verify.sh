#!/usr/bin/env bash
# mkbase verify (issue 6): rpm -V for an image tar.  Fresh bookworm images
# verify clean (headers from the rpm database the build writes, or from
# --packages with the installed set from the image's rpmdb, its
# container-manifest-2 or the .packages list); then single changes made to
# the tar with tests/integration/lib/tarmutate.py (a flipped byte, a mode,
# an owner, a symlink target, a lost capability, a pruned file, an extra
# file, a duplicate entry) are each reported with rpm -V's letter, and
# broken inputs give one clean error line.  No temporary file is left.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
[ -d "$BOOKWORM" ] || { echo "1..0 # SKIP no bookworm corpus"; exit 77; }
export MKBASE_PROFILES=$TOP/profiles
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
PKGS=$BOOKWORM/Packages
MUT=$TOP/tests/integration/lib/tarmutate.py
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "(no JSON)"; }

# run_verify NAME ARGS...: stdout in $T/NAME.out, stderr in $T/NAME.err,
# the exit status in $rc.
run_verify() {
  local name=$1; shift
  "$MKBASE" verify "$@" >"$T/$name.out" 2>"$T/$name.err"
  rc=$?
}
summary_re='^verify: [0-9]+ files of [0-9]+ packages: [0-9]+ ok, [0-9]+ modified, [0-9]+ missing \(pruned\), [0-9]+ extra$'

# --- 1. fresh images ----------------------------------------------------------
for r in bookworm-bash bookworm-base; do
  sed "s|^baseurl = .*|baseurl = $BOOKWORM|" "recipes/$r.conf" >"$T/$r.conf"
  build_image "$T/$r.conf" "$T/$r.tar" >/dev/null
  ok $? "build $r"
done
run_verify bash --packages "$PKGS" "$T/bookworm-bash.tar"
is "$rc" 0 "bookworm-bash (profile none) verifies: exit 0"
is "$(cat "$T/bash.out")" "" "nothing on stdout: no modified, no extra file"
grep -qE "^verify: [0-9]+ files of 27 packages: [0-9]+ ok, 0 modified, 0 missing \(pruned\), 0 extra$" "$T/bash.err"
ok $? "summary: 27 packages, nothing modified, missing or extra ($(cat "$T/bash.err"))"

base=$T/bookworm-base.tar
run_verify base --packages "$PKGS" "$base"
is "$rc" 0 "bookworm-base (profile zero) verifies: exit 0"
is "$(cat "$T/base.out")" "" "nothing on stdout"
grep -qE "$summary_re" "$T/base.err" && grep -q " of 58 packages: .* 0 modified, [1-9][0-9]* missing (pruned), 0 extra$" "$T/base.err"
ok $? "summary: pruned files count as missing, not modified ($(cat "$T/base.err"))"
missing=$(sed -E 's/.* ([0-9]+) missing.*/\1/' "$T/base.err")
run_verify basev -v --packages "$PKGS" "$base"
is "$rc" 0 "-v: exit 0"
is "$(grep -c '^missing ' "$T/basev.out")" "$missing" "-v lists each missing file ($missing)"
grep -qx 'missing   d /usr/share/doc/bash/README.gz' "$T/basev.out" || grep -q '^missing   d /usr/share/doc/bash/' "$T/basev.out"
ok $? "as rpm -V does: 'missing   d /usr/share/doc/bash/...'"
run_verify basej --json --packages "$PKGS" "$base"
is "$rc" 0 "--json: exit 0"
is "$(json "$T/basej.out" '"%s %d %d %d %d" % (d["source"], d["packages"], d["modified"], d["missing"], d["extra"])')" "packages 58 0 $missing 0" \
  "--json: source, packages, modified, missing, extra"
is "$(json "$T/basej.out" 'd["files"] == d["ok"] + d["modified"] + d["missing"] and len(d["list"]) == d["missing"]')" True \
  "--json: files = ok + modified + missing; the list holds the missing ones"

# The stem's .packages list is found next to a compressed tar too.
gzip -c "$base" >"$T/bookworm-base.tar.gz"
run_verify gz --packages "$PKGS" "$T/bookworm-base.tar.gz"
is "$rc" 0 ".tar.gz: exit 0"
if command -v zstd >/dev/null; then
  zstd -q -c "$base" >"$T/bookworm-base.tar.zst"
  run_verify zst --packages "$PKGS" "$T/bookworm-base.tar.zst"
  is "$rc" 0 ".tar.zst: exit 0"
else skip "no zstd"; fi

# Single RPM files work as well as a directory.
run_verify files $(sed -E 's/ .*//; s/-[0-9]+:/-/; s|^|--packages '"$PKGS"'/|; s|$|.rpm|' "$T/bookworm-bash.packages") "$T/bookworm-bash.tar"
is "$rc" 0 "--packages FILE.rpm for each package: exit 0"

# --- 2. one change at a time ----------------------------------------------------
mkdir -p "$T/m"
# mutate NAME OP...: a changed copy of bookworm-base as $T/m/NAME.tar, with
# the .packages list next to it.
mutate() {
  local name=$1; shift
  python3 "$MUT" "$base" "$T/m/$name.tar" "$@" && cp "$T/bookworm-base.packages" "$T/m/$name.packages"
}
# expect NAME EXIT STDOUT DESCRIPTION [OP...]
expect() {
  local name=$1 want_rc=$2 want=$3 what=$4; shift 4
  mutate "$name" "$@" || { ok 1 "$what: tarmutate $*"; return; }
  run_verify "$name" --packages "$PKGS" "$T/m/$name.tar"
  is "$rc" "$want_rc" "$what: exit $want_rc"
  is "$(cat "$T/$name.out")" "$want" "$what: $(head -1 "$T/$name.out")"
}
expect flip 1 '..5......    /usr/bin/sed' "one flipped byte in /usr/bin/sed" flip:./usr/bin/sed
grep -q ' 1 modified,' "$T/flip.err"
ok $? "the summary counts 1 modified"
expect chmod 1 '.M.......    /usr/bin/sed' "/usr/bin/sed made setuid (4755)" chmod:./usr/bin/sed:4755
expect chown 1 '.....UG..    /usr/bin/sed' "/usr/bin/sed owned by 1:1" chown:./usr/bin/sed:1:1
expect config 1 'S.5......  c /etc/bash.bashrc' "a %config file grown by a byte" append:./etc/bash.bashrc
expect relink 1 '....L....    /usr/bin/lastb' "the symlink /usr/bin/lastb pointed elsewhere" relink:./usr/bin/lastb:wall
expect caps 1 '........P    /usr/bin/ping' "/usr/bin/ping without its cap_net_raw" dropcaps:./usr/bin/ping
expect hardlink 1 $'..5......    /usr/bin/gunzip\n..5......    /usr/bin/uncompress' \
  "a flipped byte in /usr/bin/gunzip shows in its hardlink /usr/bin/uncompress too" flip:./usr/bin/gunzip
expect dup 1 '..5......    /usr/bin/sed' "a second /usr/bin/sed entry at the end: the one extraction keeps is checked" dup:./usr/bin/sed
expect extra 0 'extra       /usr/local/bin/evil' "a file no package owns is listed as extra, not a failure" add:./usr/local/bin/evil
grep -q ' 0 modified, [0-9]* missing (pruned), 1 extra$' "$T/extra.err"
ok $? "the summary counts 1 extra"
expect pruned 0 '' "a further pruned file is not a failure" remove:./usr/bin/sed
grep -q " $((missing + 1)) missing (pruned)" "$T/pruned.err"
ok $? "it counts as one more missing file"
run_verify prunedv -v --packages "$PKGS" "$T/m/pruned.tar"
grep -qx 'missing     /usr/bin/sed' "$T/prunedv.out"
ok $? "-v names it: missing     /usr/bin/sed"
run_verify flipj --json --packages "$PKGS" "$T/m/flip.tar"
is "$(json "$T/flipj.out" '[(i["path"], i["flags"], i["package"]) for i in d["list"] if i["status"] == "modified"]')" \
  "[('/usr/bin/sed', '..5......', '$(grep -o '^sed-[^ ]*' "$T/bookworm-base.packages")')]" "--json names the file, its flags and its package"

# --- 3. where the list of installed packages comes from -------------------------
# Profile zero keeps no rpmdb, only /var/lib/rpmmanifest/container-manifest-2
# (Azure Linux's format: name, version-release, ..., arch in column 8):
# without .packages next to the tar, it says what is installed.
mkdir -p "$T/nolist"
tar -tf "$base" | grep -q '^\./var/lib/rpmmanifest/container-manifest-2$' && ! tar -tf "$base" | grep -q 'rpmdb.sqlite'
ok $? "bookworm-base (profile zero) has a container-manifest-2 and no rpmdb"
cp "$base" "$T/nolist/manifest.tar"
run_verify manifest --packages "$PKGS" "$T/nolist/manifest.tar"
is "$rc" 0 "container-manifest-2 lists the installed packages: exit 0"
grep -q " of 58 packages: .* 0 extra$" "$T/manifest.err"
ok $? "58 packages; the manifest itself is not extra ($(cat "$T/manifest.err"))"
python3 "$MUT" "$base" "$T/nolist/plain.tar" remove:./var/lib/rpmmanifest/container-manifest-2
run_verify nolist --packages "$PKGS" "$T/nolist/plain.tar"
is "$rc" 2 "no rpmdb, no manifest, no .packages: exit 2"
is "$(wc -l <"$T/nolist.err")" 1 "one error line: $(cat "$T/nolist.err")"
mkdir -p "$T/few"
cp "$PKGS"/bash-*.rpm "$PKGS"/coreutils-*.rpm "$T/few/"
run_verify few --packages "$T/few" "$base"
is "$rc" 2 "--packages without some installed package: exit 2"
grep -q '^mkbase: .* is installed in .* but is not among --packages$' "$T/few.err"
ok $? "naming it: $(cat "$T/few.err")"

# --- 4. the image's rpm database ---------------------------------------------------
# The build writes var/lib/rpm/rpmdb.sqlite (rpmdb = sqlite, the default;
# profile none): verify needs nothing else.
bash_img=$T/bookworm-bash.tar
run_verify own "$bash_img"
is "$rc" 0 "bookworm-bash, headers from its own rpmdb: exit 0"
grep -qx "verify: [0-9]* files of 27 packages: [0-9]* ok, 0 modified, 0 missing (pruned), 0 extra" "$T/own.err"
ok $? "27 packages, nothing modified, missing or extra: the rpmdb is not extra ($(cat "$T/own.err"))"
run_verify ownj --json "$bash_img"
is "$(json "$T/ownj.out" '"%s %d %d" % (d["source"], d["packages"], d["files"] == d["ok"])')" "rpmdb 27 1" "--json: source rpmdb, every file ok"
python3 "$MUT" "$bash_img" "$T/nolist/ownflip.tar" flip:./usr/bin/cat chmod:./usr/bin/ls:0700
run_verify ownflip "$T/nolist/ownflip.tar"
is "$rc" 1 "its rpmdb, a flipped byte and a mode: exit 1"
is "$(sort -k2 "$T/ownflip.out")" $'..5......    /usr/bin/cat\n.M.......    /usr/bin/ls' "names /usr/bin/cat (5) and /usr/bin/ls (M)"
# With scriptlets = run, bash's %post adds itself to /etc/shells and
# ldconfig writes its cache: rpm -V inside the image says the same, and so
# does mkbase verify --no-record (by default the build record vouches for
# them; see the end).
sed 's/^profile = none/profile = none\nscriptlets = run/' "$T/bookworm-bash.conf" >"$T/scripts.conf"
build_image "$T/scripts.conf" "$T/nolist/scripts.tar" >/dev/null
run_verify scripts --no-record "$T/nolist/scripts.tar"
is "$rc" 1 "scriptlets = run, --no-record: exit 1 (a %config file changed by a %post)"
is "$(cat "$T/scripts.out")" $'S.5......  c /etc/shells\nextra       /etc/ld.so.cache' \
  "/etc/shells (c) is modified, /etc/ld.so.cache extra"

run_verify nodb "$base"
is "$rc" 2 "no rpm database and no --packages: exit 2"
is "$(wc -l <"$T/nodb.err")" 1 "one error line"
grep -q "has no rpm database.*--packages" "$T/nodb.err"
ok $? "saying so and naming --packages: $(cat "$T/nodb.err")"

# A database made with the host's rpm (test-only: the installed packages,
# --justdb, sqlite backend, WAL journal) added to the profile-zero tar: the
# other place an rpmdb lives, and a corrupted one.
files=$(sed -E 's/ .*//; s/-[0-9]+:/-/; s|^|'"$PKGS"'/|; s|$|.rpm|' "$T/bookworm-base.packages")
if rpm --root "$T/dbroot" --dbpath /var/lib/rpm --define '_db_backend sqlite' -i --justdb --nodeps \
     --noscripts --notriggers --ignorearch $files >"$T/rpm.log" 2>&1 \
   && [ -s "$T/dbroot/var/lib/rpm/rpmdb.sqlite" ]; then
  db=$T/dbroot/var/lib/rpm/rpmdb.sqlite
  python3 "$MUT" "$base" "$T/nolist/db.tar" db:./var/lib/rpm/rpmdb.sqlite:"$db"
  run_verify db "$T/nolist/db.tar"
  is "$rc" 0 "headers from the image's rpmdb (var/lib/rpm/rpmdb.sqlite): exit 0"
  grep -q " of 58 packages: .* 0 modified, $missing missing (pruned), 0 extra$" "$T/db.err"
  ok $? "the same counts as with --packages ($(cat "$T/db.err"))"
  run_verify dbj --json "$T/nolist/db.tar"
  is "$(json "$T/dbj.out" 'd["source"]')" rpmdb "--json: source rpmdb"
  python3 "$MUT" "$base" "$T/nolist/dbflip.tar" db:./var/lib/rpm/rpmdb.sqlite:"$db" flip:./usr/bin/sed
  run_verify dbflip "$T/nolist/dbflip.tar"
  is "$rc" 1 "rpmdb route, a flipped byte: exit 1"
  is "$(cat "$T/dbflip.out")" '..5......    /usr/bin/sed' "rpmdb route names /usr/bin/sed"
  python3 "$MUT" "$base" "$T/nolist/dbusr.tar" db:./usr/lib/sysimage/rpm/rpmdb.sqlite:"$db"
  run_verify dbusr "$T/nolist/dbusr.tar"
  is "$rc" 0 "usr/lib/sysimage/rpm/rpmdb.sqlite is found too"
  run_verify dbpk --packages "$PKGS" "$T/nolist/dbflip.tar"
  is "$rc$(cat "$T/dbpk.out")" '1..5......    /usr/bin/sed' "--packages with an rpmdb: the rpmdb lists, the RPM files vouch"
  printf 'SQLite format 3\0garbage' >"$T/baddb"
  python3 "$MUT" "$base" "$T/nolist/baddb.tar" db:./var/lib/rpm/rpmdb.sqlite:"$T/baddb"
  run_verify baddb "$T/nolist/baddb.tar"
  is "$rc" 2 "a corrupted rpmdb: exit 2"
  is "$(wc -l <"$T/baddb.err")" 1 "one error line: $(cat "$T/baddb.err")"
else
  diag "$(tail -3 "$T/rpm.log")"
  for i in 1 2 3 4 5 6 7 8 9 10; do skip "the host rpm cannot write a sqlite rpmdb"; done
fi

# --- 5. broken input ------------------------------------------------------------------
head -c 100000 /dev/urandom >"$T/random.tar"
printf 'hello\n' >"$T/text.tar"
: >"$T/empty.tar"
head -c 3000000 "$base" >"$T/truncated.tar"
for f in random text empty truncated; do
  run_verify "bad-$f" --packages "$PKGS" "$T/$f.tar"
  is "$rc" 2 "$f input: exit 2"
  is "$(wc -l <"$T/bad-$f.err")" 1 "$f input: one line: $(cat "$T/bad-$f.err")"
done
run_verify nofile --packages "$PKGS" "$T/no-such.tar"
is "$rc:$(cat "$T/nofile.err")" "2:mkbase: open \`$T/no-such.tar\`: No such file or directory" "a missing image"
"$MKBASE" verify >/dev/null 2>&1
is "$?" 64 "no IMAGE: usage error"
"$MKBASE" verify --offline "$base" >/dev/null 2>&1
is "$?" 64 "an option verify does not take: usage error"

# --- 6. unprivileged, and nothing left behind ----------------------------------------
mkdir -p "$T/tmpn" && chmod 1777 "$T/tmpn"
setpriv --reuid 65534 --regid 65534 --clear-groups env TMPDIR="$T/tmpn" \
  "$MKBASE" verify -q --packages "$PKGS" "$T/m/flip.tar" >"$T/nobody.out" 2>&1
is "$?:$(cat "$T/nobody.out")" '1:..5......    /usr/bin/sed' "as nobody: the same result"
is "$(ls -A "$TMPDIR" "$T/tmpn" | grep -v ':$' | grep -c .)" 0 "no temporary file left in \$TMPDIR"

# --- scriptlets = run: what the build's scriptlets changed is as built ------------
printf '[image]\nname = sc\npackages = bash coreutils libacl1\nscriptlets = run\n[repo c]\nbaseurl = %s\n' "$BOOKWORM" >"$T/sc.conf"
"$MKBASE" -q "$T/sc.conf" -o "$T/sc/sc.tar" >/dev/null 2>"$T/sc.build.err"
ok $? "a bookworm image with scriptlets = run builds" || sed 's/^/#   /' "$T/sc.build.err" | tail -3
run_verify sc "$T/sc/sc.tar"
is "$rc:$(cat "$T/sc.out")" "0:" "a fresh image with scriptlets = run verifies clean (exit 0, nothing listed)"
grep -q "^verify: 2 entries as the build's scriptlets left them" "$T/sc.err"
ok $? "the summary counts what the scriptlets changed: $(tail -1 "$T/sc.err")"
run_verify scv -v "$T/sc/sc.tar"
grep -qx "scripted  c /etc/shells" "$T/scv.out" && grep -qx "scripted    /etc/ld.so.cache" "$T/scv.out"
ok $? "-v shows /etc/shells (a %config add-shell changed) and ld.so.cache (ldconfig made) as scripted"
run_verify scj --json "$T/sc/sc.tar"
is "$(json "$T/scj.out" '(d["modified"], d["scripted"], [i["path"] for i in d["list"] if i["status"] == "scripted"])')" \
   "(0, 2, ['/etc/shells', '/etc/ld.so.cache'])" "--json: status scripted"
run_verify scn --no-record "$T/sc/sc.tar"
is "$rc:$(head -1 "$T/scn.out")" "1:S.5......  c /etc/shells" "--no-record judges it by the header alone, as rpm -V"
mkdir -p "$T/scm"
for op in flip append chmod:0600 chown:5:5; do
  name=${op%%:*}
  python3 "$MUT" "$T/sc/sc.tar" "$T/scm/$name.tar" "$(case $op in flip|append) echo "$op:./etc/shells" ;; *) echo "${op%%:*}:./etc/shells:${op#*:}" ;; esac)" 2>"$T/scm.err"
  cp "$T/sc/sc.record.json" "$T/scm/$name.record.json"
  run_verify "scm-$name" "$T/scm/$name.tar"
  is "$rc:$(grep -c '/etc/shells$' "$T/scm-$name.out")" "1:1" "a later change ($op) of a scripted file is still caught: $(head -1 "$T/scm-$name.out")"
done
python3 "$MUT" "$T/sc/sc.tar" "$T/scm/ld.tar" flip:./etc/ld.so.cache && cp "$T/sc/sc.record.json" "$T/scm/ld.record.json"
run_verify scm-ld -v "$T/scm/ld.tar"
grep -qx "extra       /etc/ld.so.cache" "$T/scm-ld.out"
ok $? "a changed file the scriptlets made (no package's) is extra again, not as built"
python3 "$MUT" "$T/sc/sc.tar" "$T/scm/other.tar" flip:./usr/bin/cat; cp "$T/sc/sc.record.json" "$T/scm/other.record.json"
run_verify scm-other "$T/scm/other.tar"
is "$rc:$(cat "$T/scm-other.out")" "1:..5......    /usr/bin/cat" "a change elsewhere is caught as before"
