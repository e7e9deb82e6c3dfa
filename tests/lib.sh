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
_cleanup() { chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"; }
trap '_cleanup; echo "1..$_tap_n"; [ $_tap_failed = 0 ]' EXIT

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
