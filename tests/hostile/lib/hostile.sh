# tests/hostile/lib/hostile.sh: helpers for the hostile-input tests.
# Source after tests/lib.sh.  Each case lives in $T/<case>/: its spec files,
# its repo, its staging parent ($T/<case>/stg, the TMPDIR mkbase runs with),
# and its output directory.  The attacks aim at two places outside the
# staging root, which must stay absent/empty:
#   $SENT         /tmp/mkbase-hostile-<pid> (absolute-path attacks)
#   <stg>/outside a sibling of the staging root ("../outside/..." attacks)
MKRPM="python3 $TOP/tests/hostile/lib/mkrpm.py"
SENT=/tmp/mkbase-hostile-$$
# The relative way from a staging root (<stg>/mkbase-staging-XXXXXX) to the
# host's /: enough ".." for any depth of $T.
UP=$(printf '../%.0s' $(seq 1 40))
UP=${UP%/}

_sentinel_cleanup() { rm -rf "$SENT" "$SENT".*; }
trap '_sentinel_cleanup; _cleanup; echo "1..$_tap_n"; exit $((_tap_failed > 0))' EXIT

# pkg CASE SPEC-JSON: write one package into $T/CASE/repo (a plain directory).
pkg() {
  local c=$1 spec=$2 n
  mkdir -p "$T/$c/repo" "$T/$c/stg/outside" "$T/$c/out"
  n=$(ls "$T/$c/repo" | wc -l)
  printf '%s' "$spec" >"$T/$c/spec$n.json"
  $MKRPM "$T/$c/spec$n.json" "$T/$c/repo/p$n.rpm" || { echo "# mkrpm failed for $c"; return 1; }
}

# build CASE PACKAGES [mkbase options]: build the case's image; sets rc, errf.
build() {
  local c=$1 pk=$2; shift 2
  { echo "[image]"; echo "name = $c"; echo "packages = $pk"; echo "profile = none"
    echo "[repo t]"; echo "baseurl = ${REPO_URL:-$T/$c/repo}"; } >"$T/$c/recipe.conf"
  TMPDIR=$T/$c/stg timeout 60 "$MKBASE" -q "$@" "$T/$c/recipe.conf" -o "$T/$c/out/x.tar" \
    >"$T/$c/stdout" 2>"$T/$c/stderr"
  rc=$?
  errf=$T/$c/stderr
}

# nothing_outside CASE: the attack targets are untouched, no staging tree is
# left (unless --keep-staging), no device node or setuid file anywhere in $T.
nothing_outside() {
  local c=$1 bad=""
  [ -e "$SENT" ] || [ -L "$SENT" ] && bad="$bad $SENT exists;"
  compgen -G "$SENT.*" >/dev/null && bad="$bad $SENT.* exists;"
  [ -z "$(ls -A "$T/$c/stg/outside")" ] || bad="$bad stg/outside not empty;"
  [ -n "$(find "$T" \( -type c -o -type b \) 2>/dev/null)" ] && bad="$bad device node in \$T;"
  [ -n "$(find "$T" -perm /6000 2>/dev/null)" ] && bad="$bad setuid/setgid file in \$T;"
  [ -z "$bad" ]
  ok $? "$c: nothing appeared outside the staging root${bad:+ ($bad)}"
}

# expect_reject CASE REGEX DESC: exit 1, one `mkbase: ` line matching REGEX,
# no output, no staging tree, nothing outside.
expect_reject() {
  local c=$1 re=$2 d=$3
  is "$rc" 1 "$c: $d: the build fails (exit 1)"
  [ "$(wc -l <"$errf")" = 1 ] && grep -Eq "^mkbase: .*$re" "$errf"
  ok $? "$c: one clear line /$re/: $(head -c 300 "$errf" | tr '\n' '|')"
  [ -z "$(ls -A "$T/$c/out")" ] && [ -z "$(ls -A "$T/$c/stg" | grep -vx outside)" ]
  ok $? "$c: no output file and no staging tree left"
  nothing_outside "$c"
}

# expect_image CASE DESC: exit 0, the tar exists; lists it into $T/CASE/list.
expect_image() {
  local c=$1 d=$2
  is "$rc" 0 "$c: $d: the build succeeds ($(head -c 300 "$errf" | tr '\n' '|'))"
  tar -tvf "$T/$c/out/x.tar" >"$T/$c/listv" 2>/dev/null
  tar -tf "$T/$c/out/x.tar" >"$T/$c/list" 2>/dev/null
  if [ -n "${keep:-}" ]; then
    ok 0 "$c: the staging tree is kept (--keep-staging)"
  else
    [ -z "$(ls -A "$T/$c/stg" | grep -vx outside)" ]
    ok $? "$c: no staging tree left"
  fi
  nothing_outside "$c"
}

# either CASE DESC CHECK-CMD...: a correct image (CHECK-CMD passes on it) or
# a clean rejection; both are acceptable outcomes.
either() {
  local c=$1 d=$2; shift 2
  if [ "$rc" = 0 ]; then
    expect_image "$c" "$d (accepted)"
    "$@"
    ok $? "$c: the image has the expected entries and content"
  else
    expect_reject "$c" "" "$d (rejected)"
  fi
}

# tar_has CASE PATH: the tar has exactly this member.
tar_has() { grep -qxF -- "$2" "$T/$1/list"; }
