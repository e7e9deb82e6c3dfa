#!/usr/bin/env bash
# The user's side (issue 9): every command's --help, build/resolve/inspect/
# why/diff with and without --json (the JSON parses and its numbers are the
# text output's), `why` two levels down, `diff` after a recipe adds a
# package, the example recipes parse, the man page renders without
# warnings, and make install/uninstall leave nothing behind.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
[ -d "$BOOKWORM" ] || { echo "1..0 # SKIP no bookworm corpus"; exit 77; }
export MKBASE_PROFILES=$TOP/profiles
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "(no JSON)"; }

# --- help, version, usage errors ---------------------------------------------
for c in "" build resolve lock run inspect why diff verify push; do
  "$MKBASE" $c --help >"$T/help" 2>&1
  ok $? "mkbase $c --help exits 0"
done
grep -q "^Usage: mkbase why" "$T/help.why" 2>/dev/null || "$MKBASE" why --help | grep -q "^Usage: mkbase why \[OPTIONS\] RECIPE PACKAGE"
ok $? "mkbase why --help shows its own usage"
"$MKBASE" help diff | grep -q "^Usage: mkbase diff"
ok $? "mkbase help diff"
"$MKBASE" --help | grep -q "^  verify IMAGE"
ok $? "the help lists verify"
"$MKBASE" help verify | grep -q "^Usage: mkbase verify \[OPTIONS\] IMAGE"
ok $? "mkbase help verify"
is "$("$MKBASE" --version)" "mkbase 0.1.0" "--version"
"$MKBASE" inspect --offline x.tar >/dev/null 2>"$T/err"
is "$?" 64 "an option a command does not take is a usage error"
grep -q "no option \`--offline\` for mkbase inspect" "$T/err"
ok $? "naming it: $(cat "$T/err")"
"$MKBASE" why recipes/bookworm-base.conf >/dev/null 2>&1
is "$?" 64 "why without a PACKAGE is a usage error"

# --- build --json ----------------------------------------------------------------
sed "s|^baseurl = .*|baseurl = $BOOKWORM|" recipes/bookworm-base.conf >"$T/base.conf"
"$MKBASE" --json "$T/base.conf" -o "$T/base.tar" >"$T/build.json" 2>"$T/build.err"
ok $? "build --json"
python3 -m json.tool "$T/build.json" >/dev/null
ok $? "its summary parses"
is "$(json "$T/build.json" 'd["sha256"]')" "$(sha256sum "$T/base.tar" | cut -d' ' -f1)" "its sha256 is the tar's"
summary=$(grep ' packages, .* entries, ' "$T/build.err")
is "$summary" "$(json "$T/build.json" '"%d packages, %d entries, %.1f MB in the image; pruned %d entries, %.1f MB" % (d["packages"], d["entries"], d["bytes"]/1e6, d["pruned_entries"], d["pruned_bytes"]/1e6)')" "its numbers are the text summary's"
[ -f "$T/base.record.json" ] && python3 -m json.tool "$T/base.record.json" >/dev/null
ok $? "the build record is written next to the image and parses"

# --- resolve --json ----------------------------------------------------------------
"$MKBASE" resolve "$T/base.conf" >"$T/resolve.txt" 2>/dev/null
"$MKBASE" resolve --json "$T/base.conf" >"$T/resolve.json" 2>/dev/null
ok $? "resolve --json"
is "$(json "$T/resolve.json" '"\n".join(p["nevra"] for p in d["packages"])')" "$(awk '{print $1}' "$T/resolve.txt")" "resolve --json lists the text's packages in the same order"
is "$(json "$T/resolve.json" 'd["count"]')" "$(wc -l <"$T/resolve.txt")" "and its count"

# --- inspect -------------------------------------------------------------------------
"$MKBASE" inspect "$T/base.tar" >"$T/inspect.txt"
ok $? "inspect"
"$MKBASE" inspect --json "$T/base.tar" >"$T/inspect.json"
python3 -m json.tool "$T/inspect.json" >/dev/null
ok $? "inspect --json parses"
is "$(sed -n 's/^Entries:  \([0-9]*\) .*/\1/p' "$T/inspect.txt")" "$(tar tf "$T/base.tar" | wc -l)" "the entry count is the tar's"
is "$(sed -n 's/^Entries:  \([0-9]*\) .*/\1/p' "$T/inspect.txt")" "$(json "$T/inspect.json" 'd["entries"]')" "and the JSON's"
is "$(sed -n 's/^Size:     \([0-9]*\) bytes.*/\1/p' "$T/inspect.txt")" "$(json "$T/inspect.json" 'd["bytes"]')" "the size matches the JSON"
is "$(json "$T/inspect.json" 'd["bytes"]')" "$(json "$T/build.json" 'd["bytes"]')" "and the build's"
grep -q "^Pruned by profile zero: $(json "$T/build.json" 'd["pruned_entries"]') entries, $(json "$T/build.json" 'd["pruned_bytes"]') bytes" "$T/inspect.txt"
ok $? "inspect shows what pruning removed, as the build counted it"
grep -q "^  %doc files  *270 entries, 3758983 bytes$" "$T/inspect.txt"
ok $? "per rule, as the build printed it"
is "$(json "$T/inspect.json" 'sum(r["entries"] for r in d["pruned"])')" "$(json "$T/inspect.json" 'd["pruned_entries"]')" "the rules add up to the total"
is "$(json "$T/inspect.json" 'sum(p["bytes"] for p in d["packages"]) + d["unowned_bytes"]')" "$(json "$T/inspect.json" 'd["bytes"]')" "the packages' bytes and the unowned ones (package manifest) add up to the image's"
is "$(json "$T/inspect.json" 'd["unowned_bytes"]')" "$(tar -xOf "$T/base.tar" ./var/lib/rpmmanifest/container-manifest-2 | wc -c)" "the unowned bytes are the package manifest's (profile zero)"
is "$(json "$T/inspect.json" 'sum(t["bytes"] for t in d["top_directories"])')" "$(json "$T/inspect.json" 'd["bytes"]')" "so do the top directories'"
top=$(json "$T/inspect.json" 'max(d["packages"], key=lambda p: p["bytes"])["nevra"]')
is "$(sed -n '/^Size by package/{n;p}' "$T/inspect.txt" | awk '{print $1}')" "$top" "the largest package comes first ($top)"
grep -q "^Size by package (58 packages):" "$T/inspect.txt"
ok $? "all 58 packages are listed"

# --- why ---------------------------------------------------------------------------------
"$MKBASE" why "$T/base.conf" libpcre2-8-0 >"$T/why.txt"
ok $? "why libpcre2-8-0"
grep -q "^libpcre2-8-0-.* is needed: grep requires libpcre2-8.so.0()(64bit)$" "$T/why.txt"
ok $? "grep requires libpcre2-8.so.0()(64bit)"
grep -q "^  grep-.* is requested directly ($T/base.conf:[0-9]*: \`grep\`)$" "$T/why.txt"
ok $? "and grep was requested: $(tail -1 "$T/why.txt")"
"$MKBASE" why --json "$T/base.conf" libpcre2-8-0 >"$T/why.json"
is "$(json "$T/why.json" '" ".join(l["name"] for l in d["chain"]) + " " + d["chain"][0]["dependency"] + " " + str(d["requested"]["line"])')" \
   "libpcre2-8-0 grep libpcre2-8.so.0()(64bit) $(grep -n '^packages' "$T/base.conf" | cut -d: -f1)" "why --json: the same chain, dependency and line"
"$MKBASE" why "$T/base.conf" libtinfo6 | grep -q "bash requires libtinfo.so.6()(64bit)"
ok $? "why libtinfo6: bash requires libtinfo.so.6"
"$MKBASE" why "$T/base.conf" grep | grep -q "^grep-.* is requested directly"
ok $? "why grep: requested directly"
"$MKBASE" why "$T/base.conf" nosuchpkg >/dev/null 2>"$T/err"
is "$?" 1 "why on a package not in the set fails"
grep -q "\`nosuchpkg\` is not in the package set" "$T/err"
ok $? "saying so"

# --- diff ---------------------------------------------------------------------------------
sed "s|^baseurl = .*|baseurl = $BOOKWORM|" recipes/bookworm-bash.conf >"$T/a.conf"
sed 's/^packages = bash coreutils$/packages = bash coreutils sed/' "$T/a.conf" >"$T/b.conf"
"$MKBASE" -q "$T/a.conf" -o "$T/a.tar" >/dev/null && "$MKBASE" -q "$T/b.conf" -o "$T/b.tar" >/dev/null
ok $? "two builds, the second with sed"
mkdir "$T/again"
"$MKBASE" -q "$T/a.conf" -o "$T/again/a.tar" >/dev/null
cmp -s "$T/a.record.json" "$T/again/a.record.json"
ok $? "the build record is reproducible (two builds, the same bytes)"
rm "$T/again/a.record.json"
"$MKBASE" inspect "$T/again/a.tar" >"$T/inspect2.txt"
ok $? "inspect works without a record"
grep -q "^No build record ($T/again/a.record.json)" "$T/inspect2.txt"
ok $? "and says it is missing"
is "$(json <("$MKBASE" inspect --json "$T/again/a.tar") 'd["record"]')" "None" "JSON: record is null"
"$MKBASE" diff "$T/a.tar" "$T/b.tar" >"$T/diff.txt"
ok $? "diff"
"$MKBASE" diff --json "$T/a.tar" "$T/b.tar" >"$T/diff.json"
python3 -m json.tool "$T/diff.json" >/dev/null
ok $? "diff --json parses"
is "$(sed -n 1,2p "$T/diff.txt")" "packages: 1 added, 0 removed, 0 changed
  + $(grep '^sed-' "$T/b.packages" | cut -d' ' -f1)" "diff: sed was added"
grep -q "^  + /usr/bin/sed  *+$(tar tvf "$T/b.tar" ./usr/bin/sed | awk '{print $3}')$" "$T/diff.txt"
ok $? "/usr/bin/sed added with its size"
line=$(grep '^files: ' "$T/diff.txt")
is "$line" "$(json "$T/diff.json" '"files: %d added, %d removed, %d changed; %+d bytes" % (d["files"]["added"], d["files"]["removed"], d["files"]["changed"], d["files"]["bytes_delta"])')" "the JSON's numbers are the text's ($line)"
is "$(json "$T/diff.json" 'sum(f["delta"] for f in d["files"]["list"])')" "$(json "$T/diff.json" 'd["files"]["bytes_delta"]')" "the deltas add up"
is "$("$MKBASE" diff "$T/a.tar" "$T/a.tar")" "packages: 0 added, 0 removed, 0 changed
files: 0 added, 0 removed, 0 changed; +0 bytes" "an image against itself: no difference"

# --- the environment: huge pages for mkbase-core, the user's for what it runs -------------------
cat >"$T/fake" <<'EOS'
#!/bin/sh
echo "${GLIBC_TUNABLES-unset}|${MKBASE_TUNABLES_WERE-unset}" >"$DUMP"
exit 1
EOS
chmod +x "$T/fake"
fe() { # fe TUNABLES|-: what the front end hands mkbase-core
  if [ "$1" = - ]; then env -u GLIBC_TUNABLES DUMP="$T/dump" MKBASE_CORE="$T/fake" "$MKBASE" resolve x.conf
  else env GLIBC_TUNABLES="$1" DUMP="$T/dump" MKBASE_CORE="$T/fake" "$MKBASE" resolve x.conf; fi >/dev/null 2>&1
  cat "$T/dump"
}
is "$(fe -)" "glibc.malloc.hugetlb=1|-" "mkbase-core is started with glibc's malloc on huge pages"
is "$(fe glibc.malloc.arena_max=2)" "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1|=glibc.malloc.arena_max=2" \
  "added to the user's own tunables"
is "$(fe glibc.malloc.hugetlb=0)" "glibc.malloc.hugetlb=0|unset" "a user's own hugetlb setting is left alone"
# What mkbase-core runs (here the scriptlet runner) sees the user's setting.
{ sed "s|^baseurl = .*|baseurl = $BOOKWORM|" recipes/bookworm-base.conf; } |
  sed 's/^profile = .*/&\nscriptlets = run/' >"$T/scripted.conf"
rm -f "$T/dump"
env -u GLIBC_TUNABLES DUMP="$T/dump" MKBASE_RUNNER="$T/fake" "$MKBASE" -q "$T/scripted.conf" -o "$T/scripted.tar" >/dev/null 2>&1
is "$(cat "$T/dump" 2>/dev/null)" "unset|unset" "the scriptlet runner gets no GLIBC_TUNABLES when the user had none"
rm -f "$T/dump"
env GLIBC_TUNABLES=glibc.malloc.arena_max=2 DUMP="$T/dump" MKBASE_RUNNER="$T/fake" MKBASE_REUSE=0 "$MKBASE" -q "$T/scripted.conf" \
  -o "$T/scripted.tar" >/dev/null 2>&1
is "$(cat "$T/dump" 2>/dev/null)" "glibc.malloc.arena_max=2|unset" "and the user's own when they had some"

# --- the example recipes parse ----------------------------------------------------------------
for r in el9-micro fedora-minimal; do
  "$MKBASE" resolve --offline --cache "$T/empty-cache" "recipes/$r.conf" >/dev/null 2>"$T/err"
  is "$?" 1 "recipes/$r.conf parses (offline with an empty cache: exit 1, not 3)"
  grep -q -- "--offline: gpgkey https://.* is not in the cache" "$T/err"
  ok $? "and stops at the missing key: $(head -c 150 "$T/err")"
done

# --- man page, completion, install -------------------------------------------------------------
out=$(groff -ww -z -man docs/mkbase.1 2>&1)
is "$?:$out" "0:" "groff -ww -z renders the man page without warnings"
out=$(MANWIDTH=80 man -l docs/mkbase.1 2>&1 >/dev/null)
is "$out" "" "man -l prints no warning"
bash -n docs/mkbase.bash-completion
ok $? "the bash completion parses"
make -s install DESTDIR="$T/inst" PREFIX=/usr OUT="$OUT" >/dev/null 2>"$T/err"
ok $? "make install DESTDIR PREFIX=/usr"
for f in bin/mkbase libexec/mkbase/mkbase-core share/man/man1/mkbase.1 \
         share/bash-completion/completions/mkbase share/mkbase/profiles/zero.conf; do
  [ -f "$T/inst/usr/$f" ]
  ok $? "installs /usr/$f"
done
make -s uninstall DESTDIR="$T/inst" PREFIX=/usr >/dev/null 2>&1
ok $? "make uninstall"
is "$(find "$T/inst" -type f -o -type l)" "" "leaves no file behind"
