#!/usr/bin/env bash
# Hostile images for `mkbase run` (checklist 20, 22, 23, 28, 30): an image
# whose /bin/sh is `#!/proc/self/exe` must not reach or overwrite the runner
# binary; an image whose /proc is a regular file is refused (125); inside,
# a nested proc mount + sysrq write, a cgroup v1 release_agent through a
# nested user namespace, kexec_load and open_by_handle_at all fail.
# The runner used here is a copy of out/mkbase + out/mkbase-core in $T, so a
# successful overwrite could not damage the build tree; both the copy and
# out/ are hashed before and after.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" != 0 ]; then
  echo "# SKIP: runner.sh needs root (the image tree is unpacked with its owners; tests/runner/rootless.sh covers the unprivileged runner)"
  trap - EXIT; _cleanup; exit 77
fi
check "mkbase binaries exist ($MKBASE, ${MKBASE}-core)" -- test -x "$MKBASE" -a -x "${MKBASE}-core" || exit 1
mkdir -p "$T/bin"
cp "$MKBASE" "${MKBASE}-core" "$T/bin/"
RUN=$T/bin/$(basename "$MKBASE")
export MKBASE_CACHE=$T/cache
mkdir -p "$MKBASE_CACHE"
hashes() { sha256sum "$T/bin/"* "$MKBASE" "${MKBASE}-core" | sort; }
before=$(hashes)

check "build the image from recipes/bookworm-base.conf" -- \
  "$MKBASE" -q "$TOP/recipes/bookworm-base.conf" -o "$T/img.tar" || exit 1
mkdir -p "$T/img" && tar -C "$T/img" -xpf "$T/img.tar" --numeric-owner
ok $? "unpack it into a directory image"

mr() { timeout 60 "$RUN" run "$@" 2>"$T/err"; }

# ---- 20. #!/proc/self/exe -------------------------------------------------------------
cp -a "$T/img" "$T/exe"
rm -f "$T/exe/usr/bin/sh"
printf '#!/proc/self/exe\n' >"$T/exe/usr/bin/sh"
chmod 0755 "$T/exe/usr/bin/sh"
cp "$T/exe/usr/bin/sh" "$T/exe/usr/bin/evil"
mr "$T/exe" /usr/bin/evil >"$T/out20"
rc=$?
# The kernel's binfmt_script resolves `#!/proc/self/exe` to the binary of
# the process that called execve.  As root mkbase runs from a write-sealed
# memfd copy of itself (src/core.c), as runc does: what runs inside is that
# copy, never the host's file, and it cannot be written to.
"$RUN" run "$T/img" /usr/bin/sleep 3 >/dev/null 2>&1 &
runner=$!
sleep 1
exe=$(readlink "/proc/$runner/exe")
python3 - "$runner" <<'PY'
import os, sys
try:
    os.open("/proc/%s/exe" % sys.argv[1], os.O_WRONLY)
except OSError:
    sys.exit(0)   # refused: sealed (EPERM) or busy
sys.exit(1)
PY
sealed=$?
wait "$runner"
[[ "$exe" == /memfd:mkbase* ]] && [ "$sealed" = 0 ]
ok $? "20: the runner (whose exe #!/proc/self/exe reaches) is a sealed memfd copy ($exe), not writable; the evil script exited $rc"
mr "$T/exe" /bin/sh -c 'echo x' >/dev/null 2>&1
diag "running /bin/sh (#!/proc/self/exe): exit $?"
# From inside: look for the runner through every /proc/N/exe and try to
# open it for writing (the runc CVE-2019-5736 way).
out=$(mr "$T/exe" /usr/bin/bash -c '
  for p in /proc/[0-9]*; do
    e=$(readlink $p/exe 2>/dev/null) || continue
    case $e in *mkbase*) echo "SEEN $p $e";; esac
    { exec 3>>$p/exe; } 2>/dev/null && { echo "WRITABLE $p/exe"; exec 3>&-; }
    { printf x >>$p/exe; } 2>/dev/null && echo "WROTE $p/exe"
  done
  { printf x >>/proc/self/exe; } 2>/dev/null && echo "WROTE self"
  echo done')
is "$(grep -E 'WRITABLE|WROTE' <<<"$out")" "" "20: no /proc/N/exe inside the container can be opened for writing"
is "$(grep -c SEEN <<<"$out")" 0 "20: no process inside the container runs the mkbase binary ($(grep SEEN <<<"$out" | head -2 | tr '\n' ' '))"
is "$(hashes)" "$before" "20: out/mkbase, out/mkbase-core and the copies run here are unchanged (sha256)"

# ---- 22. /proc as a regular file (and as a symlink) ------------------------------------
mkdir -p "$T/pfile" && cp -a "$T/img/." "$T/pfile/"
rm -rf "$T/pfile/proc" && echo "not a directory" >"$T/pfile/proc"
mr "$T/pfile" /bin/true
rc=$?
is "$rc" 125 "22: an image whose /proc is a regular file: exit 125"
grep -q "^mkbase: .*/proc" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ]
ok $? "22: one line naming /proc: $(head -c 160 "$T/err")"
is "$(cat "$T/pfile/proc")" "not a directory" "22: the file was not mounted over or changed"
rm -rf "$T/pfile/proc" && ln -s /tmp "$T/pfile/proc"
mr "$T/pfile" /bin/true
is "$?" 125 "22: an image whose /proc is a symlink to /tmp: exit 125"

# ---- 23. nested proc mount + sysrq-trigger ----------------------------------------------
mr "$T/img" unshare -mrpf sh -c 'mount -t proc none /proc && echo h >/proc/sysrq-trigger && echo WROTE' >"$T/out23" 2>&1
rc=$?
ok "$([ $rc != 0 ] && ! grep -q WROTE "$T/out23"; echo $?)" "23: unshare -mrpf + mount proc + write sysrq-trigger fails (exit $rc: $(head -c 120 "$T/out23" | tr '\n' ' '))"
mr "$T/img" sh -c 'echo h >/proc/sysrq-trigger && echo WROTE' >"$T/out23b" 2>&1
ok "$(! grep -q WROTE "$T/out23b"; echo $?)" "23: /proc/sysrq-trigger itself is not writable"

# ---- 28. cgroup v1 release_agent through a nested user namespace -----------------------
out=$(mr "$T/img" sh -c 'mkdir -p /tmp/cg
  for c in memory rdma pids cpuset; do
    unshare -UrmC sh -c "mount -t cgroup -o $c cgroup /tmp/cg && test -w /tmp/cg/release_agent && echo ESCAPE-$c" 2>/dev/null
  done
  mount -t cgroup -o memory cgroup /tmp/cg 2>/dev/null && echo MOUNTED
  echo done' 2>&1)
is "$(grep -E 'ESCAPE|MOUNTED' <<<"$out")" "" "28: no cgroup v1 hierarchy with a writable release_agent can be mounted ($(tr '\n' ' ' <<<"$out" | head -c 100))"

# ---- 30. kexec_load, kexec_file_load, open_by_handle_at ----------------------------------
if [ "$(uname -m)" = x86_64 ]; then
  is "$(mr "$T/img" perl -e '$!=0; print syscall(246, 0, 0, 0, 0) == -1 ? "$!" : "allowed"')" \
     "Operation not permitted" "30: kexec_load is EPERM"
  is "$(mr "$T/img" perl -e '$!=0; print syscall(320, -1, -1, 0, 0, 0) == -1 ? "$!" : "allowed"')" \
     "Operation not permitted" "30: kexec_file_load is EPERM"
  is "$(mr "$T/img" perl -e 'my $h = pack("LlQ", 8, 1, 2); $!=0; print syscall(304, -100, $h, 0) == -1 ? "$!" : "allowed"')" \
     "Operation not permitted" "30: open_by_handle_at is EPERM"
  is "$(mr "$T/img" perl -e '$!=0; print syscall(248, 0, 0, 0, 0, 0) == -1 ? "$!" : "allowed"')" \
     "Operation not permitted" "30: add_key is EPERM"
else
  skip "30: the syscall numbers here are x86_64's"
fi
is "$(hashes)" "$before" "the runner binaries are still unchanged at the end"
