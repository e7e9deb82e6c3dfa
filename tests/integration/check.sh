#!/usr/bin/env bash
# Issue 6, acceptance 3: the image check after pruning.  A profile that
# removes what a program needs (a library, a #! interpreter, a symlink's
# target) or a recipe naming a locale the image lacks fails the build with
# the list, exit 1, and leaves the previous output alone; allow_broken
# accepts known cases.  On the bookworm corpus (bash coreutils grep).
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
[ -f "$BOOKWORM/repodata/repomd.xml" ] || { echo "# SKIP no bookworm corpus at $BOOKWORM"; exit 77; }

recipe() { # recipe FILE PROFILE [more [image] lines...]
  local f=$1 prof=$2; shift 2
  { echo "[image]"; echo "name = t"; echo "packages = bash coreutils grep"
    echo "profile = $prof"; for l in "$@"; do echo "$l"; done
    echo "[repo bookworm]"; echo "baseurl = $BOOKWORM"; } >"$f"
}
profile() { # profile FILE GLOB...   (a profile that removes GLOB...)
  local f=$1; shift
  { echo "[profile]"; echo "remove = $*"; } >"$f"
}
out=$T/out staging=$T/staging
mkdir -p "$out" "$staging"
build() { # build NAME RECIPE [options]: stdout/stderr in $T/NAME.out/.err
  local name=$1 r=$2; shift 2
  "$MKBASE" --staging-dir "$staging" "$@" "$r" >"$T/$name.out" 2>"$T/$name.err"
}
outdir_state() { (cd "$out" && ls -A | grep -v '^allowed\.\|^c\.' | sort && sha256sum -- t.* | sort); }

# --- the previous output, built with nothing pruned --------------------------
recipe "$T/plain.conf" none
build plain "$T/plain.conf" -o "$out/t.tar"
ok $? "bash coreutils grep, profile none: the check passes"
! grep -q '^mkbase: check:' "$T/plain.err"
ok $? "... with no problem"
grep -q '^mkbase: warning: check: /etc/rmt: symlink to /usr/sbin/rmt: dangling (no package has /usr/sbin/rmt)$' "$T/plain.err"
ok $? "a symlink dangling by design (an alternatives link) is only a warning"
grep -q 'check: /etc/mtab\|check: .*/proc/' "$T/plain.err"
ok $(( ! $? )) "links into /proc are not reported"
before=$(outdir_state)

# --- (a) acceptance 3: pruning libpcre2-8 breaks grep ------------------------
profile "$T/pcre.profile" '/usr/lib/x86_64-linux-gnu/libpcre2-8.so*'
recipe "$T/pcre.conf" "$T/pcre.profile"
build pcre "$T/pcre.conf" -o "$out/t.tar"
is $? 1 "pruning /usr/lib/x86_64-linux-gnu/libpcre2-8.so* fails the build (exit 1)"
grep -qx 'mkbase: check: /usr/bin/grep: needs libpcre2-8.so.0 (DT_NEEDED), not in the image (pruned)' "$T/pcre.err"
ok $? "the problem names grep and the library"
n=$(grep -c '^mkbase: check: ' "$T/pcre.err")
is "$(tail -1 "$T/pcre.err")" "mkbase: image check: $n problems after pruning (allow_broken = GLOB accepts known ones)" \
  "one closing error line counts the $n problems"
grep '^mkbase: check: ' "$T/pcre.err" | sed 's/^/#   /'
is "$(cat "$T/pcre.out")" "" "nothing on stdout"
is "$(outdir_state)" "$before" "the output directory is as before: the previous image intact, no new or temporary file"
is "$(ls -A "$staging")" "" "the staging tree is removed"
build pcre-q "$T/pcre.conf" -o "$out/t.tar" -q
is "$(grep -c '^mkbase: check: ' "$T/pcre-q.err")" "$n" "-q still lists the problems"

paths=$(sed -n 's/^mkbase: check: \([^:]*\): .*/\1/p' "$T/pcre.err" | tr '\n' ' ')
recipe "$T/pcre-allow.conf" "$T/pcre.profile" "allow_broken = $paths"
build pcre-allow "$T/pcre-allow.conf" -o "$out/allowed.tar"
ok $? "allow_broken = ${paths% }: the build passes"
grep -qx 'mkbase: warning: check: /usr/bin/grep: needs libpcre2-8.so.0 (DT_NEEDED), not in the image (pruned) (allowed by allow_broken = /usr/bin/grep)' "$T/pcre-allow.err"
ok $? "an accepted problem is still shown, as a warning"
tar -tf "$out/allowed.tar" >"$T/allowed.list"
grep -qx './usr/bin/grep' "$T/allowed.list" && ! grep -q '^./usr/lib/x86_64-linux-gnu/libpcre2-8' "$T/allowed.list"
ok $? "the image has grep and no libpcre2-8"
recipe "$T/pcre-soname.conf" "$T/pcre.profile" "allow_broken = libpcre2-8.so.*"
build pcre-soname "$T/pcre-soname.conf" -o "$out/allowed.tar"
ok $? "allow_broken = libpcre2-8.so.* (the missing library's name) passes too"

# --- (b) a pruned #! interpreter, (c) a symlink made dangling ---------------
profile "$T/dash.profile" /usr/bin/dash
recipe "$T/dash.conf" "$T/dash.profile"
build dash "$T/dash.conf" -o "$out/t.tar"
is $? 1 "pruning /usr/bin/dash fails the build"
grep -qx 'mkbase: check: /usr/bin/egrep: #! interpreter /bin/sh: not in the image (pruned)' "$T/dash.err"
ok $? "egrep's #!/bin/sh is named"
grep -qx 'mkbase: check: /usr/bin/sh: symlink to dash: the target /usr/bin/dash was pruned' "$T/dash.err"
ok $? "so is the /usr/bin/sh symlink pruning left dangling"
profile "$T/bash.profile" /usr/bin/bash
recipe "$T/bash.conf" "$T/bash.profile" "allow_broken = /usr/bin/ldd /usr/bin/tzselect"
build bash "$T/bash.conf" -o "$out/t.tar"
is $? 1 "pruning /usr/bin/bash fails the build"
is "$(grep '^mkbase: check: ' "$T/bash.err")" 'mkbase: check: /usr/bin/rbash: symlink to bash: the target /usr/bin/bash was pruned' \
  "the only problem left is rbash -> bash (the #!/bin/bash scripts are allowed)"
is "$(outdir_state)" "$before" "the previous image is still intact"

# --- (d) the locale ------------------------------------------------------------
recipe "$T/de.conf" none "env = PATH=/usr/bin LANG=de_DE.UTF-8"
build de "$T/de.conf" -o "$out/t.tar"
is $? 1 "LANG=de_DE.UTF-8 in the recipe's env, no such locale: the build fails"
grep -qx "mkbase: check: /usr/lib/locale/de_DE.utf8: LANG=de_DE.UTF-8 (the recipe's env): neither /usr/lib/locale/de_DE.utf8 nor /usr/lib/locale/locale-archive is in the image" "$T/de.err"
ok $? "the problem names the variable and the locale directory"
recipe "$T/c.conf" none "env = PATH=/usr/bin LANG=C.UTF-8"
build c "$T/c.conf" -o "$out/c.tar"
ok $? "LANG=C.UTF-8 passes (built into glibc)"

# --- the recipe key ------------------------------------------------------------
recipe "$T/badglob.conf" none "allow_broken = usr/bin/grep"
build badglob "$T/badglob.conf" -o "$out/t.tar"
is $? 3 "a relative allow_broken path is a recipe error (exit 3)"
is "$(cat "$T/badglob.err")" "mkbase: $T/badglob.conf:5: allow_broken: \`usr/bin/grep\`: a glob is an absolute path (/usr/bin/grep) or a file name (libpcre2-8.so*)" \
  "naming file:line"
recipe "$T/empty.conf" none "allow_broken ="
build empty "$T/empty.conf" -o "$out/t.tar"
is "$? $(cat "$T/empty.err")" "3 mkbase: $T/empty.conf:5: allow_broken: empty value" "an empty allow_broken is an error"
