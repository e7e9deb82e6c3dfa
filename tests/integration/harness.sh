#!/usr/bin/env bash
# tests/integration/harness.sh: tests/run itself.  A program unrelated to
# the tests that writes to /tmp while they run is none of their business;
# a test that leaves a file in its $TMPDIR, or an mkbase file in /tmp, fails
# the run.  Each case runs a nested tests/run on one small program.
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1

# A well-behaved program, while "another program" creates a directory in
# /tmp (what broke a clean run before).
cat >"$T/quiet.sh" <<'EOF'
mkdir /tmp/unrelated-program-$PPID.d
echo "ok 1 - quiet"; echo 1..1
EOF
MKBASE_TEST_PROGS=$T/quiet.sh tests/run quiet.sh >"$T/quiet.out" 2>&1
rc=$?
rmdir /tmp/unrelated-program-*.d 2>/dev/null
is "$rc:$(tail -n1 "$T/quiet.out")" "0:3 passed, 0 failed, 0 skipped" \
   "another program's directory in /tmp does not fail the run"

# The private TMPDIR: not /tmp, and the program sees it.
cat >"$T/where.sh" <<EOF
echo "\$TMPDIR" >"$T/where.txt"
echo "ok 1 - where"; echo 1..1
EOF
MKBASE_TEST_PROGS=$T/where.sh tests/run where.sh >/dev/null 2>&1
where=$(cat "$T/where.txt")
case $where in /tmp | /tmp/ | /var/tmp | "") ok 1 "the tests get a TMPDIR of their own (got '$where')" ;;
  *) ok 0 "the tests get a TMPDIR of their own ($where)" ;; esac
[ ! -e "$where" ]
ok $? "it is removed after the run"

# A program that leaves files behind.
tok=mkbase-harness-$$
cat >"$T/leaver.sh" <<EOF
touch "\$TMPDIR/left-behind" /tmp/$tok
echo "ok 1 - leaver"; echo 1..1
EOF
MKBASE_TEST_PROGS=$T/leaver.sh tests/run leaver.sh >"$T/leaver.out" 2>&1
rc=$?
rm -f /tmp/$tok
is "$rc" 1 "a program that leaves files fails the run"
grep -q "^FAIL tmpdir" "$T/leaver.out" && grep -q "^    left-behind$" "$T/leaver.out"
ok $? "a file left in \$TMPDIR is named"
grep -q "^FAIL strays" "$T/leaver.out" && grep -q "^    /tmp/$tok$" "$T/leaver.out"
ok $? "an mkbase file left in /tmp is named"
