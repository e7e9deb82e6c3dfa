# tests/lib.sh: shared helpers for the shell test suites (TAP output).
# Source it: . "$(dirname "$0")/../lib.sh"
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${MKBASE_OUT:-out}
MKBASE=${MKBASE:-$TOP/$OUT/mkbase}
CORPUS=${MKBASE_CORPUS:-$(cd "$TOP/../shared/corpus" 2>/dev/null && pwd)}
BOOKWORM=$CORPUS/bookworm-x86_64
TESTDATA=$CORPUS/rpm-testdata
T=$(mktemp -d "${TMPDIR:-/tmp}/mkbase-test.XXXXXX")
chmod 0755 "$T"
_tap_n=0 _tap_failed=0
_bg_pids=""
_cleanup() {
  for p in $_bg_pids; do kill "$p" 2>/dev/null; done
  chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"
}
trap '_cleanup; echo "1..$_tap_n"; exit $((_tap_failed > 0))' EXIT

ok() { # ok COND-EXIT-STATUS DESCRIPTION
  local rc=$1; shift
  _tap_n=$((_tap_n + 1))
  if [ "$rc" = 0 ]; then echo "ok $_tap_n - $*"
  else echo "not ok $_tap_n - $*"; _tap_failed=$((_tap_failed + 1)); fi
}
check() { # check DESCRIPTION -- COMMAND...   (passes when COMMAND succeeds)
  local d=$1; shift; [ "$1" = -- ] && shift
  local out; out=$("$@" 2>&1); local rc=$?
  ok $rc "$d"
  [ $rc = 0 ] || { echo "# command: $*"; echo "$out" | head -20 | sed 's/^/#   /'; }
  return $rc
}
is() { # is GOT EXPECTED DESCRIPTION
  if [ "$1" = "$2" ]; then ok 0 "$3"
  else ok 1 "$3"; echo "#   got:      $(printf %q "$1" | head -c 600)"; echo "#   expected: $(printf %q "$2" | head -c 600)"; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
diag() { echo "# $*"; }

# Build an image; usage: build_image RECIPE OUTPUT [mkbase options...]
build_image() {
  local recipe=$1 out=$2; shift 2
  "$MKBASE" -q "$@" "$recipe" -o "$out"
}

# podman with private, throw-away storage under $T: vfs driver (works
# everywhere), runc (crun refuses hybrid cgroup machines), no ulimits.
podman_setup() {
  mkdir -p "$T/podman"
  cat >"$T/podman/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$T/podman/run"
graphroot = "$T/podman/graph"
CONF
  cat >"$T/podman/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
  export CONTAINERS_STORAGE_CONF=$T/podman/storage.conf
  export CONTAINERS_CONF=$T/podman/containers.conf
}

# Build RPMs from spec files with a private, reproducible rpmbuild setup.
# usage: build_rpms OUTDIR SPEC...   (RPMs land in OUTDIR)
build_rpms() {
  local outdir=$1; shift
  local top=$T/rpmbuild.$$
  mkdir -p "$top" "$outdir"
  local s
  for s in "$@"; do
    HOME=$top SOURCE_DATE_EPOCH=1700000000 rpmbuild -bb --quiet \
      --define "_topdir $top" --define "_rpmdir $outdir" \
      --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
      --define "use_source_date_epoch_as_buildtime 1" \
      --define "clamp_mtime_to_source_date_epoch 1" \
      --define "_buildhost mkbase-test" \
      --define "__os_install_post %{nil}" \
      --define "debug_package %{nil}" \
      "$s" >"$top/log" 2>&1 || { cat "$top/log" >&2; return 1; }
  done
}

# Start tests/integration/lib/faultserver.py serving DIR on 127.0.0.1.
# usage: start_server NAME DIR  -> sets ${NAME}_port, ${NAME}_log,
# ${NAME}_faults (a JSON file: see faultserver.py), ${NAME}_pid.
start_server() {
  local name=$1 dir=$2 portfile=$T/$1.port
  printf '{}' >"$T/$1.faults"
  : >"$T/$1.log"
  python3 "$TOP/tests/integration/lib/faultserver.py" "$dir" "$T/$1.faults" \
    "$T/$1.log" "$portfile" 2>"$T/$1.stderr" &
  local pid=$!
  _bg_pids="$_bg_pids $pid"
  local i
  for i in $(seq 1 100); do [ -s "$portfile" ] && break; sleep 0.05; done
  printf -v "${name}_port" '%s' "$(cat "$portfile")"
  printf -v "${name}_log" '%s' "$T/$1.log"
  printf -v "${name}_faults" '%s' "$T/$1.faults"
  printf -v "${name}_pid" '%s' "$pid"
}
