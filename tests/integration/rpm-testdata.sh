#!/usr/bin/env bash
# Issue 2, acceptance 3: every package of ../shared/corpus/rpm-testdata that rpm
# itself can install unpacks with the same file list, modes, link targets and
# caps that `rpm -qp --dump` reports; the corrupted one fails cleanly.
#
# For every *.rpm, *.rpm-v3 in the corpus directory and its built/*/ subdirs:
#   * source packages (no SOURCERPM tag): must not build (exit 1 or 2, one
#     `mkbase:` line, no output left);
#   * packages whose digests rpm rejects (`rpm -K --nosignature`, i.e. the
#     -corrupted one): exit 1, exactly one `mkbase: ...` line naming the file,
#     no tar, no .packages, no temporary file, no staging tree left;
#   * foreign arches (anything but noarch/x86_64) are built with `arch = ARCH`:
#     either they build (then they are compared like the rest) or they fail with
#     exit 2 and libsolv's problem text naming the package (the bookworm
#     corpus has no 32-bit/ppc64 libc);
#   * everything else must build; its tar is then compared with rpm's view of
#     the package by lib/rpmcmp.py (file list, %ghost, types+modes, symlink
#     targets, sizes, hardlink sets, devices, fifos, caps, mtimes).
# Each package gets its own plain-directory repo ($T/repo/N/<file>.rpm, a
# symlink to the corpus file) next to the bookworm repo for its dependencies.
. "$(dirname "$0")/../lib.sh"
LIB=$(cd "$(dirname "$0")/lib" && pwd)
SDE=1700000000

need=()
for c in rpm python3 timeout; do command -v $c >/dev/null 2>&1 || need+=("$c"); done
[ -d "$TESTDATA" ] && [ -d "$BOOKWORM" ] || need+=("corpus ($TESTDATA, $BOOKWORM)")
if [ ${#need[@]} -gt 0 ]; then
  echo "# SKIP rpm-testdata: missing ${need[*]}"; exit 77
fi
check "mkbase binary exists ($MKBASE)" -- test -x "$MKBASE" || exit 1

export LC_ALL=C
host_root_before=$(ls -A /)

# ---- the package list and how each one is expected to behave
files=()
for f in "$TESTDATA"/*.rpm "$TESTDATA"/*.rpm-v3 "$TESTDATA"/built/*/*.rpm; do
  [ -f "$f" ] && files+=("$f")
done
check "corpus has packages ($TESTDATA: ${#files[@]})" -- test ${#files[@]} -ge 20

qrpm() { rpm -qp --nosignature --nodigest "$@" 2>/dev/null; }

declare -a LABEL NAME NEVRA ARCH KIND
for i in "${!files[@]}"; do
  f=${files[$i]}
  LABEL[$i]=${f#"$TESTDATA"/}
  NAME[$i]=$(qrpm --qf '%{NAME}' "$f")
  NEVRA[$i]=$(qrpm --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}' "$f")
  ARCH[$i]=$(qrpm --qf '%{ARCH}' "$f")
  srpm=$(qrpm --qf '%{SOURCERPM}' "$f")
  if [ -z "$srpm" ] || [ "$srpm" = "(none)" ] || [[ $f == *.src.rpm ]]; then
    KIND[$i]=source
  elif ! rpm -K --nosignature "$f" >/dev/null 2>&1; then
    KIND[$i]=corrupted
  elif [ "${ARCH[$i]}" != noarch ] && [ "${ARCH[$i]}" != x86_64 ]; then
    KIND[$i]=foreign
  else
    KIND[$i]=normal
  fi
done

# ---- build them all (a few at a time)
mkdir -p "$T/repo" "$T/out" "$T/stage" "$T/res"
build() { # build INDEX
  local i=$1 f=${files[$1]} base
  base=$(basename "$f"); [[ $base == *.rpm ]] || base=$base.rpm
  mkdir -p "$T/repo/$i" "$T/out/$i" "$T/stage/$i"
  ln -s "$f" "$T/repo/$i/$base"
  {
    echo "[image]"
    echo "name = t$i"
    echo "packages = ${NAME[$i]}"
    [ "${KIND[$i]}" = foreign ] && echo "arch = ${ARCH[$i]}"
    echo "profile = none"
    echo "[repo t]"
    echo "baseurl = $T/repo/$i"
    echo "[repo bw]"
    echo "baseurl = $BOOKWORM"
  } >"$T/res/$i.conf"
  SOURCE_DATE_EPOCH=$SDE timeout 120 "$MKBASE" -q --staging-dir "$T/stage/$i" \
    "$T/res/$i.conf" -o "$T/out/$i/image.tar" >"$T/res/$i.out" 2>"$T/res/$i.err"
  echo $? >"$T/res/$i.rc"
}
jobs_max=$(nproc 2>/dev/null || echo 2); [ "$jobs_max" -gt 4 ] && jobs_max=4
for i in "${!files[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  build "$i" &
done
wait

# ---- judge each one
n_built=0 n_source=0 n_corrupt=0 n_foreign_ok=0 n_foreign_unres=0
for i in "${!files[@]}"; do
  L=${LABEL[$i]} rc=$(cat "$T/res/$i.rc" 2>/dev/null || echo none)
  err=$(cat "$T/res/$i.err")
  nerr=$(grep -c . "$T/res/$i.err")
  left=$(ls -A "$T/out/$i")
  staged=$(ls -A "$T/stage/$i" 2>/dev/null)
  tar=$T/out/$i/image.tar
  case ${KIND[$i]} in
  source)
    n_source=$((n_source + 1))
    ok $([ "$rc" = 1 ] || [ "$rc" = 2 ]; echo $?) "$L: source package is not installable (exit $rc, want 1 or 2)"
    [ -n "$err" ] && diag "  $err"
    ok $([ "$nerr" = 1 ] && [[ $err == mkbase:* ]]; echo $?) "$L: one clear 'mkbase:' error line"
    is "$left" "" "$L: no output left behind"
    continue ;;
  corrupted)
    n_corrupt=$((n_corrupt + 1))
    base=$(basename "$L")
    is "$rc" 1 "$L: corrupted package fails with exit 1"
    diag "  $err"
    ok $([ "$nerr" = 1 ] && [[ $err == mkbase:* ]]; echo $?) "$L: exactly one 'mkbase: ...' error line"
    ok $([[ $err == *"$base"* ]]; echo $?) "$L: the error names the file ($base)"
    is "$left" "" "$L: no tar, .packages or temporary file left in the output dir"
    is "$staged" "" "$L: no staging tree left behind"
    continue ;;
  foreign)
    if [ "$rc" = 2 ]; then
      n_foreign_unres=$((n_foreign_unres + 1))
      ok 0 "$L: foreign arch ${ARCH[$i]} is unresolvable here (exit 2)"
      diag "  $err"
      ok $([[ $err == *"nothing provides "*" needed by ${NEVRA[$i]}"* ]]; echo $?) \
        "$L: libsolv's problem explains it (nothing provides ... needed by ${NEVRA[$i]})"
      is "$left" "" "$L: no output left behind"
      continue
    fi
    is "$rc" 0 "$L: foreign arch ${ARCH[$i]} builds with arch = ${ARCH[$i]} (or exits 2)"
    [ "$rc" = 0 ] || { [ -n "$err" ] && diag "  $err"; continue; }
    n_foreign_ok=$((n_foreign_ok + 1)) ;;
  normal)
    is "$rc" 0 "$L: builds"
    [ "$rc" = 0 ] || { [ -n "$err" ] && echo "$err" | head -5 | sed 's/^/#   /'; continue; }
    ;;
  esac
  n_built=$((n_built + 1))
  check "$L: image tar written" -- test -s "$tar" || continue
  # the image really holds this file, not a same-named package from elsewhere
  sum=$(sha256sum "${files[$i]}" | cut -d' ' -f1)
  ok $(grep -qx "${NEVRA[$i]} $sum" "$T/out/$i/image.packages" 2>/dev/null; echo $?) \
    "$L: image.packages lists ${NEVRA[$i]} with this file's sha256"
  cmp=$(python3 "$LIB/rpmcmp.py" "$tar" "${files[$i]}" "$SDE" 2>&1)
  crc=$?
  [ $crc = 0 ] || { ok 1 "$L: rpmcmp.py ran (exit $crc)"; echo "$cmp" | head -10 | sed 's/^/#   /'; continue; }
  while IFS= read -r line; do
    case $line in
      "RESULT "*) r=${line#RESULT }; ok "${r%% *}" "$L: ${r#* }" ;;
      "DIAG "*) diag "${line#DIAG }" ;;
      *) diag "rpmcmp: $line" ;;
    esac
  done <<<"$cmp"
done
diag "built and compared: $n_built (foreign built: $n_foreign_ok), foreign unresolvable: $n_foreign_unres, source rejected: $n_source, corrupted: $n_corrupt"
ok $([ $n_corrupt -ge 1 ]; echo $?) "the corrupted package was found in the corpus (rpm -K)"
ok $([ $n_built -ge 15 ]; echo $?) "at least 15 packages built and compared ($n_built)"

# ---- the comparer itself catches mismatches (mutate one tar, expect failures)
i_edge=
for i in "${!files[@]}"; do
  [[ ${LABEL[$i]} == */mkbase-edgecases-* ]] && [ -f "$T/out/$i/image.tar" ] && i_edge=$i
done
if [ -n "$i_edge" ]; then
  python3 - "$T/out/$i_edge/image.tar" "$T/mutated.tar" "$SDE" <<'EOF'
import sys, tarfile, io
src, dst, sde = sys.argv[1], sys.argv[2], int(sys.argv[3])
with tarfile.open(src) as ti, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as to:
    for m in ti:
        n = m.name.lstrip("./")
        if n == "etc/edge.conf":
            continue                                    # file list
        if n == "usr/bin/edge-empty":
            m.mode = 0o600                               # modes
        if n == "usr/bin/edge-rel-symlink":
            m.linkname = "../etc/edge.conf"              # symlink target
        if n == "usr/bin/edge-suid":
            m.linkname = "./usr/bin/edge-empty"          # hardlinks, sizes
        if n == "var/log/edge/edge.log":
            m.mtime = sde + 1                            # mtimes
        if n == "usr/share/locale/de/LC_MESSAGES/edge.mo":
            m.pax_headers["SCHILY.xattr.security.capability"] = \
                bytes.fromhex("0100000200200000000000000000000000000000").decode("utf-8", "surrogateescape")
        to.addfile(m, ti.extractfile(m) if m.isreg() else None)
    g = tarfile.TarInfo("./etc/edge-ghost.conf"); g.mtime = 0
    to.addfile(g, io.BytesIO())                          # %ghost materialised
EOF
  mut=$(python3 "$LIB/rpmcmp.py" "$T/mutated.tar" "${files[$i_edge]}" "$SDE" 2>&1)
  for g in "file list" "%ghost entries absent" "types and modes" "symlink targets" \
           "regular file sizes" "hardlinks" "file caps" "mtimes clamped"; do
    ok $(grep -q "^RESULT 1 $g" <<<"$mut"; echo $?) "self-test: rpmcmp.py notices a broken '$g'"
  done
else
  skip "self-test of rpmcmp.py: mkbase-edgecases did not build"
fi

# ---- nothing escaped: staging trees removed, host / untouched
is "$(find "$T/stage" -mindepth 2 -maxdepth 2 | head -5)" "" "no staging tree left under --staging-dir"
is "$(ls -A /)" "$host_root_before" "host / has the same entries before and after"
ok $( { [ -e /test-fifo ] || [ -e /test-char ] || [ -e /test-block ]; } && echo 1 || echo 0) \
  "no /test-fifo, /test-char, /test-block on the host"

# lib.sh's EXIT trap prints the plan but does not set the exit status
exit $((_tap_failed > 0))
