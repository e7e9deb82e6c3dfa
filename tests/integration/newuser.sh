#!/usr/bin/env bash
# What a new user hits (issue 14): a recipe of their own in a directory of
# their own, with no $MKBASE_PROFILES, finds the built-in profiles from the
# build tree and from a `make install DESTDIR=` tree; one-off remove/keep
# rules in [image], checked and reported as the recipe's; command names and
# paths in `packages`.
. "$(dirname "$0")/../lib.sh"
[ -d "$BOOKWORM" ] || { echo "1..0 # SKIP no bookworm corpus"; exit 77; }
unset MKBASE_PROFILES
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "(no JSON)"; }

mkdir -p "$T/home/img"
recipe() { # recipe FILE PACKAGES [more [image] lines...]
  local f=$1 pk=$2; shift 2
  { echo "[image]"; echo "name = base"; echo "packages = $pk"
    for l in "$@"; do echo "$l"; done
    echo "[repo corpus]"; echo "baseurl = $BOOKWORM"; } >"$f"
}

# --- 1. built-in profiles from anywhere ----------------------------------------
recipe "$T/home/img/base.conf" "bash" "profile = zero"
(cd "$T/home/img" && "$MKBASE" resolve base.conf) >"$T/r.out" 2>"$T/r.err"
ok $? "a recipe outside the tree finds profile zero from the build tree" || sed 's/^/#   /' "$T/r.err"
recipe "$T/home/img/nope.conf" "bash" "profile = nosuch"
(cd "$T/home/img" && "$MKBASE" resolve nope.conf) >/dev/null 2>"$T/e"
is "$?" 3 "an unknown profile is a recipe error"
grep -q "nope.conf:4: profile \`nosuch\` not found (looked in .*$TOP/$OUT/.*profiles" "$T/e"
ok $? "the error lists where it looked, the built-in profiles too: $(cat "$T/e")"
is "$(wc -l <"$T/e")" 1 "in one line"

# An install in a DESTDIR, run from there: nothing is at the configured
# PREFIX, so the profiles can only come from the install's own share/.
[ -e /usr/local/share/mkbase ] && diag "note: /usr/local/share/mkbase exists; the DESTDIR checks below still look for a profile only the DESTDIR has"
build=release; [ "$OUT" = out/asan ] && build=asan
make -s -C "$TOP" install BUILD=$build DESTDIR="$T/inst" >"$T/inst.log" 2>&1
ok $? "make install DESTDIR=" || sed 's/^/#   /' "$T/inst.log" | head
inst=$T/inst/usr/local
printf '[profile]\nremove = /usr/bin/clear\n' >"$inst/share/mkbase/profiles/only-installed.conf"
(cd "$T/home/img" && env -u MKBASE_CORE -u MKBASE_RUNNER "$inst/bin/mkbase" resolve base.conf) >/dev/null 2>"$T/e"
ok $? "the installed mkbase finds profile zero (in its DESTDIR) from a recipe elsewhere" || sed 's/^/#   /' "$T/e"
recipe "$T/home/img/inst.conf" "bash" "profile = only-installed"
(cd "$T/home/img" && env -u MKBASE_CORE -u MKBASE_RUNNER "$inst/bin/mkbase" resolve inst.conf) >/dev/null 2>"$T/e"
ok $? "... and a profile only its share/mkbase/profiles has" || sed 's/^/#   /' "$T/e"
(cd "$T/home/img" && "$MKBASE" resolve inst.conf) >/dev/null 2>&1
is "$?" 3 "which the build tree's mkbase does not see"
mkdir -p "$T/home/img/profiles"
printf '[profile]\nremove = /usr/bin/bashbug\n' >"$T/home/img/profiles/zero.conf"
(cd "$T/home/img" && "$MKBASE" -v base.conf -o "$T/local.tar") >/dev/null 2>"$T/e"
grep -q "prune \[zero\] remove /usr/bin/bashbug" "$T/e" && ! grep -q "%doc files" "$T/e"
ok $? "a recipe-local profiles/zero.conf still comes before the built-in one"
rm -rf "$T/home/img/profiles"
(cd "$T/home/img" && MKBASE_PROFILES=$T/home/img/nowhere-else "$MKBASE" resolve base.conf) >/dev/null 2>&1
ok $? "an MKBASE_PROFILES without the name falls through to the built-in ones"

# --- 2. remove / keep in [image] -----------------------------------------------
recipe "$T/home/img/rk.conf" "bash coreutils" "profile = zero" \
  "remove = /usr/bin/dir /etc/issue*" "keep = /usr/share/doc/bash/*" \
  "output = images/rk.tar"
(cd "$T/home/img" && "$MKBASE" rk.conf) >"$T/rk.out" 2>"$T/rk.err"
ok $? "a recipe with remove/keep builds, into an output directory it makes" || sed 's/^/#   /' "$T/rk.err" | tail -5
img=$T/home/img/images/rk.tar
tar tf "$img" >"$T/rk.list" 2>/dev/null
! grep -qx "./usr/bin/dir" "$T/rk.list" && ! grep -q "^./etc/issue" "$T/rk.list"
ok $? "the recipe's remove took /usr/bin/dir and /etc/issue*"
grep -qx "./usr/bin/ls" "$T/rk.list"
ok $? "... and nothing else of coreutils"
grep -qx "./usr/share/doc/bash/INTRO.gz" "$T/rk.list" && ! grep -q "^./usr/share/doc/coreutils/" "$T/rk.list"
ok $? "the recipe's keep spared /usr/share/doc/bash/* from the profile's docs = drop"
grep -q "prune \[zero\] recipe: remove /usr/bin/dir: 1 entries" "$T/rk.err"
ok $? "the build names the recipe's rule"
"$MKBASE" inspect "$img" >"$T/inspect.txt"
grep -Eq "^  recipe: remove /usr/bin/dir +1 entries" "$T/inspect.txt" \
  && grep -Eq "^  recipe: remove /etc/issue\* +2 entries" "$T/inspect.txt"
ok $? "inspect lists the recipe's remove rules with their counts"
sed -n '/^Kept by keep rules/,$p' "$T/inspect.txt" | grep -Eq "^  recipe: keep /usr/share/doc/bash/\* +[1-9][0-9]* entries"
ok $? "inspect lists the recipe's keep among the rules that spared entries"
"$MKBASE" inspect --json "$img" >"$T/inspect.json"
is "$(json "$T/inspect.json" 'sum(r["entries"] for r in d["pruned"]) == d["pruned_entries"]')" True "the removal rows still add up to the total"
is "$(json "$T/inspect.json" '[r["rule"] for r in d["spared"] if r["rule"].startswith("recipe:")]')" "['recipe: keep /usr/share/doc/bash/*']" "--json has the recipe's keep under spared"

# A recipe remove outranks a profile keep: zero keeps /usr/lib/locale/C.*.
recipe "$T/home/img/rk2.conf" "bash" "profile = zero" "remove = /usr/lib/locale/C.utf8/LC_CTYPE"
(cd "$T/home/img" && "$MKBASE" -q rk2.conf -o "$T/rk2.tar") >/dev/null 2>"$T/e"
ok $? "remove of a file the profile keeps builds" || sed 's/^/#   /' "$T/e"
! tar tf "$T/rk2.tar" | grep -q "C.utf8/LC_CTYPE" && tar tf "$T/rk2.tar" | grep -q "C.utf8/LC_COLLATE"
ok $? "the recipe's remove wins over the profile's keep, for that file only"

# The image check covers the recipe's rules.
mkdir -p "$T/home/img/images"; echo previous >"$T/home/img/images/broken.tar"
recipe "$T/home/img/broken.conf" "bash" "profile = zero" \
  "remove = /usr/lib/x86_64-linux-gnu/libtinfo.so*" "output = images/broken.tar"
(cd "$T/home/img" && "$MKBASE" broken.conf) >/dev/null 2>"$T/e"
is "$?" 1 "removing a library bash needs fails the image check"
grep -q "^mkbase: check: /usr/bin/bash: needs libtinfo.so.6 (DT_NEEDED), not in the image (pruned)" "$T/e"
ok $? "naming the program and the library: $(grep -m1 'check: /usr/bin/bash' "$T/e")"
is "$(cat "$T/home/img/images/broken.tar")" previous "the previous output is untouched"
recipe "$T/home/img/bad.conf" "bash" "remove = usr/bin/x"
"$MKBASE" resolve "$T/home/img/bad.conf" >/dev/null 2>"$T/e"
is "$?" 3 "a relative glob with a / is a recipe error"
grep -q "bad.conf:4: \`usr/bin/x\`: a glob is an absolute path" "$T/e"
ok $? "with file:line: $(cat "$T/e")"

# --- 4. command names and paths in `packages` ------------------------------------
recipe "$T/home/img/seed.conf" "bash coreutils find more"
"$MKBASE" resolve "$T/home/img/seed.conf" >/dev/null 2>"$T/e"
is "$?" 2 "the seed's package line (commands, not packages) is a resolve error"
is "$(cat "$T/e")" "mkbase: $T/home/img/seed.conf:3: \`find\` is no package; /usr/bin/find is in findutils (name the package, or the path)" "which says which package ships the command"
recipe "$T/home/img/seed2.conf" "bash coreutils findutils more"
"$MKBASE" resolve "$T/home/img/seed2.conf" >/dev/null 2>"$T/e"
grep -q "\`more\` is no package; /usr/bin/more is in util-linux" "$T/e"
ok $? "after that one edit, the next: $(cat "$T/e")"
recipe "$T/home/img/sbin.conf" "bash agetty"
"$MKBASE" resolve "$T/home/img/sbin.conf" >/dev/null 2>"$T/e"
grep -q "\`agetty\` is no package; /sbin/agetty is in util-linux\|\`agetty\` is no package; /usr/sbin/agetty is in util-linux" "$T/e"
ok $? "sbin directories are searched too: $(cat "$T/e")"
recipe "$T/home/img/paths.conf" "bash coreutils /usr/bin/find /usr/bin/more"
"$MKBASE" resolve "$T/home/img/paths.conf" >"$T/paths.out" 2>"$T/e"
ok $? "paths in packages resolve through file provides" || sed 's/^/#   /' "$T/e"
grep -q "^findutils-" "$T/paths.out" && grep -q "^util-linux-2" "$T/paths.out"
ok $? "to the packages that ship them"
recipe "$T/home/img/none.conf" "bash nosuchcommand"
"$MKBASE" resolve "$T/home/img/none.conf" >/dev/null 2>"$T/e"
is "$(cat "$T/e")" "mkbase: $T/home/img/none.conf:3: no package matches \`nosuchcommand\`" "a word nothing ships keeps the plain message"

# --- 7. the image's own command ---------------------------------------------------
recipe "$T/home/img/ep.conf" "bash coreutils" \
  "entrypoint = /bin/echo from-entrypoint" "cmd = default-arg" \
  "env = GREETING=hello PATH=/usr/bin:/bin" "output_format = docker-archive"
"$MKBASE" -q "$T/home/img/ep.conf" -o "$T/ep.tar" >/dev/null 2>"$T/e"
ok $? "a recipe with entrypoint, cmd and env builds" || sed 's/^/#   /' "$T/e"
is "$("$MKBASE" run --rm "$T/ep.tar" 2>/dev/null)" "from-entrypoint default-arg" "mkbase run IMAGE runs entrypoint + cmd"
is "$("$MKBASE" run --rm "$T/ep.tar" x y 2>/dev/null)" "from-entrypoint x y" "a CMD replaces cmd, after the entrypoint"
is "$("$MKBASE" run --rm --entrypoint /bin/sh "$T/ep.tar" -c 'echo $GREETING $PATH' 2>/dev/null)" "hello /usr/bin:/bin" "--entrypoint replaces it; the recipe's env is the environment"
is "$("$MKBASE" run --rm --entrypoint '' "$T/ep.tar" /bin/echo plain 2>/dev/null)" "plain" "--entrypoint '' runs CMD alone"
is "$("$MKBASE" run --rm -e GREETING=over --entrypoint /bin/sh "$T/ep.tar" -c 'echo $GREETING' 2>/dev/null)" "over" "-e goes over the image's env"
recipe "$T/home/img/cmd.conf" "bash coreutils" "cmd = /bin/echo only-cmd"
"$MKBASE" -q "$T/home/img/cmd.conf" -o "$T/cmd.tar" >/dev/null 2>&1
is "$("$MKBASE" run --rm "$T/cmd.tar" 2>/dev/null)" "only-cmd" "a cmd without entrypoint runs as it is"
is "$("$MKBASE" run --rm "$T/cmd.tar" /bin/echo mine 2>/dev/null)" "mine" "and a CMD replaces it"
is "$("$MKBASE" run --rm "$T/home/img/images/rk.tar" /bin/sh -c 'echo $0' 2>/dev/null)" "/bin/sh" "an image without one runs CMD (/bin/sh default)"
cp "$T/home/img/images/rk.tar" "$T/copy.tar"
cp "$T/ep.record.json" "$T/copy.record.json"
is "$(echo 'echo from-sh' | "$MKBASE" run --rm "$T/copy.tar" 2>/dev/null)" "from-sh" "a record of another tar is not believed: /bin/sh runs"
python3 - "$T/ep.docker.tar" >"$T/cfg" 2>&1 <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))
c = json.load(t.extractfile(m[0]["Config"]))["config"]
print(c.get("Entrypoint"), c.get("Cmd"), c.get("Env"))
PY
is "$(cat "$T/cfg")" "['/bin/echo', 'from-entrypoint'] ['default-arg'] ['GREETING=hello', 'PATH=/usr/bin:/bin']" "the docker archive's config has the same Entrypoint, Cmd and Env"
podman_setup
loaded=$(podman load -q -i "$T/ep.docker.tar" 2>"$T/podman.err" | sed -n 's/^Loaded image: //p' | head -1)
is "$(podman run --rm --network none "$loaded" 2>>"$T/podman.err" | tail -1)" "from-entrypoint default-arg" "podman run of it runs the same" || sed 's/^/#   /' "$T/podman.err" | tail -5
podman rmi -f "$loaded" >/dev/null 2>&1

# --- a commented example copied into a recipe ------------------------------------
printf '[image]\nname = c\npackages = bash\nprofile = zero                 # prune rules\n[repo c]\nbaseurl = %s\n' "$BOOKWORM" >"$T/home/img/cm.conf"
"$MKBASE" resolve "$T/home/img/cm.conf" >/dev/null 2>"$T/e"
grep -q "^mkbase: warning: $T/home/img/cm.conf:4: a \`#\` after a value is part of the value; put comments on a line of their own$" "$T/e"
ok $? "a # after a value gets a warning naming file:line"
