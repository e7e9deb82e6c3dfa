#!/usr/bin/env bash
# `make valgrind`: the integration tests that exercise parsing, resolving,
# unpacking and packing, with mkbase-core under valgrind's memcheck.  A
# memory error or a definite leak makes that mkbase-core exit 99, which
# fails the test that ran it.  (valgrind does not know openat2: mkbase
# then takes its O_NOFOLLOW-walk fallback, which this also exercises.)
set -u
cd "$(dirname "$0")/.."
OUT=${MKBASE_OUT:-out}
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
wrap=$(mktemp -d)
chmod 0755 "$wrap" # the non-root tests run it too
trap 'rm -rf "$wrap"' EXIT
cat >"$wrap/mkbase-core" <<SH
#!/bin/sh
# valgrind does not know openat2 and would warn on stderr: take mkbase's
# O_NOFOLLOW-walk fallback instead (it is tested this way too).
export MKBASE_NO_OPENAT2=1
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \\
  --errors-for-leak-kinds=definite --suppressions=$PWD/tests/valgrind.supp \\
  $PWD/$OUT/mkbase-core "\$@"
SH
chmod +x "$wrap/mkbase-core"
MKBASE_CORE=$wrap/mkbase-core tests/run integration/safety integration/resolve \
  integration/rpm-testdata integration/demo hostile/faults
