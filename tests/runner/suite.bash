# tests/runner/suite.bash: the `mkbase run` checks, shared by root.sh and
# rootless.sh (which set PFX, the command prefix that makes the caller
# root or not, before calling runner_suite).  Not a test program itself.
#
# The image: $MKBASE_TEST_IMAGE (a tar made by mkbase or an unpacked
# directory) when set; otherwise built from recipes/bookworm-base.conf.

setup_image() {
  if [ -n "${MKBASE_TEST_IMAGE:-}" ]; then
    IMG=$MKBASE_TEST_IMAGE
  else
    IMG=$T/img.tar
    check "build the test image from recipes/bookworm-base.conf" -- \
      "$MKBASE" -q "$TOP/recipes/bookworm-base.conf" -o "$IMG" || exit 1
  fi
  # A tar of the same image, for the cache tests.
  if [ -d "$IMG" ]; then
    TAR=$T/img-copy.tar
    tar --numeric-owner -C "$IMG" -cf "$TAR" . 2>/dev/null
  else
    TAR=$IMG
  fi
  chmod 0644 "$TAR"
  export MKBASE_CACHE=$T/cache
  mkdir -p "$MKBASE_CACHE" && chmod 0777 "$MKBASE_CACHE"
}

# mr ARGS...: mkbase run as the suite's caller; stderr goes to $T/err.
mr() { "${PFX[@]}" "$MKBASE" run "$@" 2>"$T/err"; }
err_line() { head -1 "$T/err"; }

# The top-level names the image has, for "only the image's files".
image_top() {
  if [ -d "$IMG" ]; then ls -A "$IMG" | sort
  else tar -tf "$IMG" | sed 's|^\./||; s|/.*||' | grep -v '^$' | sort -u; fi
}

t_boot() {
  local out
  out=$(mr --hostname mkbase-test "$IMG" -- /usr/bin/bash -c \
    'echo $$; uname -n; tr "\0" " " </proc/1/cmdline; echo; ls -A /')
  ok $? "$WHO: bash -c runs in the image"
  local pid host cmdline files
  pid=$(sed -n 1p <<<"$out"); host=$(sed -n 2p <<<"$out")
  cmdline=$(sed -n 3p <<<"$out"); files=$(sed -n '4,$p' <<<"$out" | sort)
  ok "$([[ $pid == 1 || $pid == 2 ]]; echo $?)" "$WHO: the command is PID $pid (2 under mkbase's init)"
  is "$host" mkbase-test "$WHO: the hostname is the chosen one"
  is "$files" "$(image_top)" "$WHO: / holds only the image's files"
  ok "$([[ $cmdline != *"$IMG"* ]]; echo $?)" "$WHO: /proc/1/cmdline does not reveal host paths"
}

t_proc() {
  is "$(mr "$IMG" sh -c 'for f in /proc/kcore /proc/keys /proc/timer_list; do
          [ -e $f ] || continue; head -c 16 $f 2>/dev/null | wc -c; done | sort -u')" \
     "0" "$WHO: /proc/kcore, /proc/keys, /proc/timer_list read as empty"
  mr "$IMG" sh -c 'rm -f /proc/keys || umount /proc/keys' 2>/dev/null
  ok "$([ $? != 0 ]; echo $?)" "$WHO: a masked path cannot be removed or unmounted"
  local ro
  ro=$(mr "$IMG" sh -c 'n=0 r=0; for f in /proc/sys/kernel/domainname /proc/sysrq-trigger; do
         [ -e $f ] || continue; n=$((n + 1))
         { echo x >$f; } 2>&1 | grep -q "Read-only file system" && r=$((r + 1)); done; echo $n $r')
  ok "$([[ $ro =~ ^([12])\ \1$ ]]; echo $?)" "$WHO: /proc/sys (and /proc/sysrq-trigger if present) are read-only ($ro)"
  is "$(mr "$IMG" sh -c 'touch /sys/x 2>&1' | grep -c 'Read-only')" 1 "$WHO: /sys is read-only"
}

t_privs() {
  local st
  st=$(mr "$IMG" cat /proc/self/status)
  is "$(awk '/^NoNewPrivs/ {print $2}' <<<"$st")" 1 "$WHO: NoNewPrivs is 1"
  is "$(awk '/^CapBnd/ {print $2}' <<<"$st")" 00000000a80425fb "$WHO: CapBnd is Docker's default set"
  is "$(mr "$IMG" sh -c 'ls -l /proc/self/fd/ | grep -c -- "-> "' 3</dev/null 7</ 9<"$TAR")" 4 \
     "$WHO: the caller's fds 3, 7, 9 do not reach the command (ls sees 0-2 and its own)"
  if [ "$(uname -m)" = x86_64 ]; then
    is "$(mr "$IMG" perl -e 'print syscall(250, 0, 0, 0, 0) == -1 ? "$!" : "allowed"')" \
       "Operation not permitted" "$WHO: seccomp: keyctl is denied"
  fi
  is "$(mr "$IMG" perl -e 'open(my $f, "<", "/dev/null"); my $c = "x";
          print ioctl($f, 0x5412, $c) ? "allowed" : "$!"')" \
     "Operation not permitted" "$WHO: seccomp: ioctl TIOCSTI is denied"
  mr "$IMG" unshare -Ur sh -c 'mount -t proc none /proc && echo h >/proc/sysrq-trigger' >/dev/null 2>&1
  ok "$([ $? != 0 ]; echo $?)" "$WHO: no nested user namespace (checklist 23)"
}

t_mounts() {
  local bad
  bad=$(mr "$IMG" awk '{print $5}' /proc/self/mountinfo | grep -Ev '^(/|/proc(/.*)?|/dev(/.*)?|/sys(/.*)?)$')
  is "$bad" "" "$WHO: no host mount is visible in /proc/self/mountinfo"
  is "$(mr "$IMG" ls /sys/class/net)" lo "$WHO: --net none: /sys/class/net has only lo"
  is "$(mr "$IMG" cat /sys/class/net/lo/flags)" 0x9 "$WHO: --net none: lo is up"
  mkdir -p "$T/ro" "$T/rw" && echo data >"$T/ro/f" && chmod 0777 "$T/rw"
  is "$(mr -v "$T/ro:/mnt:ro" -v "$T/rw:/srv" "$IMG" sh -c \
        'cat /mnt/f; echo x >/mnt/g 2>/dev/null || echo ro; echo y >/srv/g')" \
     "data
ro" "$WHO: -v HOST:DIR:ro is read-only, -v HOST:DIR is writable"
  is "$(cat "$T/rw/g" 2>/dev/null)" y "$WHO: a volume write reaches the host"
  is "$(mr --read-only "$IMG" sh -c 'touch /etc/x 2>&1' | grep -c 'Read-only')" 1 \
     "$WHO: --read-only makes the root read-only"
  mkdir -p "$T/evil" && ln -sfn / "$T/evil/proc"
  mr "$T/evil" /bin/true; local rc=$?
  is "$rc:$(err_line)" "125:mkbase: container set-up: refusing to mount on \`/proc\`: the image has a symlink or a file there" \
     "$WHO: an image whose /proc is a symlink is refused (125)"
}

t_env() {
  local want="HOME=/root
HOSTNAME=e
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SECRET=s
X=1"
  is "$(SECRET=s OTHER=o TERM= mr --hostname e -e X=1 -e SECRET -e UNSET "$IMG" /usr/bin/env | grep -v '^TERM=' | sort)" \
     "$want" "$WHO: the environment is the default one plus -e"
  is "$(mr -w /tmp "$IMG" pwd)" /tmp "$WHO: -w sets the working directory"
}

t_exit() {
  mr "$IMG" /bin/true; is $? 0 "$WHO: exit status 0"
  mr "$IMG" sh -c 'exit 3'; is $? 3 "$WHO: exit status 3"
  mr "$T/no-such-image" /bin/true; is "$?:$(err_line)" \
     "125:mkbase: image \`$T/no-such-image\`: No such file or directory" "$WHO: a missing image is 125"
  mr --memory 12X "$IMG" /bin/true; is $? 125 "$WHO: a bad option is 125"
  mr "$IMG" /etc/passwd; is "$?:$(err_line)" \
     "126:mkbase: exec \`/etc/passwd\`: Permission denied" "$WHO: a non-executable command is 126"
  mr "$IMG" no-such-command; is "$?:$(err_line)" \
     "127:mkbase: exec \`no-such-command\`: executable file not found in \$PATH" "$WHO: a missing command is 127"
  mr "$IMG" sh -c 'kill -KILL $$'; is $? 137 "$WHO: a command killed by SIGKILL gives 137"
}

# Start a long command, wait until it runs, send SIG to the runner.
signal_run() {
  local sig=$1; shift
  rm -rf "$T/sig"; mkdir -p "$T/sig"; chmod 0777 "$T/sig"
  "${PFX[@]}" "$MKBASE" run -v "$T/sig:/sig" "$IMG" "$@" 2>"$T/err" &
  local pid=$! i
  for i in $(seq 100); do [ -e "$T/sig/started" ] && break; sleep 0.05; done
  kill -"$sig" "$pid"
  wait "$pid"
}

t_signals() {
  signal_run TERM sh -c 'touch /sig/started; exec sleep 100'; is $? 143 "$WHO: SIGTERM to the runner: 143"
  signal_run INT sh -c 'touch /sig/started; exec sleep 100'; is $? 130 "$WHO: SIGINT to the runner: 130"
  signal_run HUP sh -c 'touch /sig/started; exec sleep 100'; is $? 129 "$WHO: SIGHUP to the runner: 129"
  signal_run TERM sh -c 'trap "echo got >/sig/term; exit 7" TERM; touch /sig/started; while :; do sleep 0.05; done'
  is "$?:$(cat "$T/sig/term" 2>/dev/null)" "7:got" "$WHO: the command's own SIGTERM handler runs"
  is "$(mr "$IMG" bash -c '( sleep 0.2 & ); ( sleep 0.2 & ); sleep 1; ps -eo stat= | grep -c "^Z"')" 0 \
     "$WHO: orphaned grandchildren are reaped"
}

t_workdir() {
  local n bad=""
  for n in $(seq 3 20); do
    "${PFX[@]}" "$MKBASE" run -w /proc/self/fd/$n "$IMG" ls 2>/dev/null 7</ 8<"$T" 9</etc >/dev/null
    [ $? = 125 ] || bad="$bad $n"
  done
  is "$bad" "" "$WHO: -w /proc/self/fd/N (N=3..20) fails with 125"
  mr -w /proc/1/root "$IMG" ls >/dev/null; is $? 125 "$WHO: -w /proc/1/root fails with 125"
}

cgroup_dirs_left() {
  local c p
  for c in memory pids cpu; do
    p=$(awk -F: -v c=$c '$2 ~ "(^|,)"c"(,|$)" {print $3}' /proc/self/cgroup)
    [ -n "$p" ] && ls -d /sys/fs/cgroup/$c$p/mkbase-* 2>/dev/null
  done
  p=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
  ls -d /sys/fs/cgroup/unified$p/mkbase-* /sys/fs/cgroup$p/mkbase-* 2>/dev/null
}

# The parent a non-root caller would need to write to, as the runner
# reports it.
memory_parent() {
  local p
  p=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
  if [ -n "$p" ]; then echo "/sys/fs/cgroup/memory${p%/}"
  else echo "/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)"; fi
}

t_limits() {
  mr --memory 64M "$IMG" true
  local rc=$? uid; uid=$("${PFX[@]}" id -u)
  if [ $rc = 125 ] && [ "$uid" != 0 ]; then
    is "$(err_line)" "mkbase: cannot apply --memory: uid $uid may not create cgroups under \`$(memory_parent)\` (Permission denied) and no delegated cgroup is available" \
       "$WHO: no delegated cgroup: one clear error line, exit 125"
    return
  fi
  is $rc 0 "$WHO: --memory 64M runs"
  mr --memory 64M "$IMG" perl -e '$x = "a" x (200 * 1024 * 1024); print "survived\n"' >/dev/null
  is $? 137 "$WHO: --memory 64M kills a 200 MB allocation (137)"
  local n
  n=$(mr --pids 20 "$IMG" perl -e 'my $n = 0; while ($n < 100) { my $p = fork;
        last unless defined $p; if ($p == 0) { sleep 5; exit 0 } $n++ } print "$n\n"')
  ok "$([ -n "$n" ] && [ "$n" -lt 20 ]; echo $?)" "$WHO: --pids 20 stops a fork loop (forked $n)"
  mr --cpus 0.5 "$IMG" true; is $? 0 "$WHO: --cpus 0.5 runs"
  mr --cpus 0 "$IMG" true; is $? 125 "$WHO: --cpus 0 is refused (125)"
  is "$(cgroup_dirs_left)" "" "$WHO: the run's cgroup directories are gone afterwards"
}

t_cache() {
  local out
  out=$(mr --rm "$TAR" sh -c 'echo w >/etc/mkbase-test; cat /etc/mkbase-test'); local rc=$?
  is "$rc:$out" "0:w" "$WHO: a tar image boots and is writable"
  mr --rm "$TAR" test -e /etc/mkbase-test; is $? 1 "$WHO: a run's writes do not reach the cached image"
  ok "$(! grep -q unpacking "$T/err"; echo $?)" "$WHO: the second run reuses the unpacked image"
  is "$(ls -A "$MKBASE_CACHE/images" | grep -vc '^\.by-stat-')" 1 "$WHO: one cache entry, named by sha256"
  is "$(ls "$MKBASE_CACHE/images" | grep -v '^\.' )" "$(sha256sum <"$TAR" | cut -d' ' -f1)" \
     "$WHO: the cache entry is the tar's sha256"
}

# -it through a real pty (lib/ptydrive.py: an interactive bash, job
# control, the window size and a resize, Ctrl-C and Ctrl-Z for the command,
# its exit status); -t from a pipe; -t without -i.
t_tty() {
  local line out
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok 0 "$WHO: -it: ${line#ok - }" ;;
      "not ok - "*) ok 1 "$WHO: -it: ${line#not ok - }" ;;
      *) echo "$line" ;;
    esac
  done < <(timeout 120 python3 "$TOP/tests/runner/lib/ptydrive.py" "$IMG" "${PFX[@]}" "$MKBASE")
  printf 'echo "in:$(tty)"; exit 3\n' | "${PFX[@]}" "$MKBASE" run --rm -it "$IMG" /bin/bash >"$T/tty.out" 2>"$T/err"
  is "$?:$(tr -d '\r' <"$T/tty.out" | grep '^in:')" "3:in:/dev/pts/0" "$WHO: -it with input from a pipe: read through the pty, its exit status kept"
  out=$("${PFX[@]}" "$MKBASE" run --rm -t "$IMG" /bin/sh -c 'tty; echo x' </dev/null 2>"$T/err")
  is "$out" "$(printf '/dev/pts/0\r\nx\r')" "$WHO: -t alone: the output comes through the terminal (CRLF, as docker -t)"
  is "$(mr "$IMG" /bin/sh -c 'tty' </dev/null)" "not a tty" "$WHO: without -t the command has no terminal"
}

# --net private through pasta: a perl server in the image answers curl on
# the host through -p; outbound connections reach a server on the host
# (pasta maps the gateway to the host); pasta is gone after the run; a
# missing pasta is one line and 125.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
t_net() {
  local port hport gw pid i out
  if [ "$WHO" = rootless ] && ! "${PFX[@]}" test -r /dev/net/tun -a -w /dev/net/tun; then
    echo "# SKIP: $WHO --net private: /dev/net/tun is $(stat -c %a /dev/net/tun 2>/dev/null || echo missing), not 0666 as udev makes it (.ci/run sets it)"
    skip "$WHO: --net private (see the line above)"
    return
  fi
  mkdir -p "$T/net"; chmod 0755 "$T/net"
  cat >"$T/net/srv.pl" <<'PL'
use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die "listen: $!";
open(my $r, '>', '/run-state/ready'); close $r;
while (my $c = $s->accept) { <$c>; print $c "HTTP/1.0 200 OK\r\n\r\nhello from the container\n"; close $c; }
PL
  chmod 0644 "$T/net/srv.pl"
  rm -rf "$T/net/state"; mkdir -p "$T/net/state"; chmod 0777 "$T/net/state"
  port=$(free_port)
  "${PFX[@]}" "$MKBASE" run --rm -p "$port:8080" -v "$T/net:/srv:ro" -v "$T/net/state:/run-state" \
    "$IMG" perl /srv/srv.pl 2>"$T/net/err" &
  pid=$!
  for i in $(seq 100); do [ -e "$T/net/state/ready" ] && break; sleep 0.05; done
  out=$(curl -s -m 5 "http://127.0.0.1:$port/")
  is "$out" "hello from the container" "$WHO: --net private -p $port:8080: a server in the image answers curl on 127.0.0.1"
  [ "$out" = "hello from the container" ] || sed 's/^/#   /' "$T/net/err" | head -5
  ss -Hltn "sport = :$port" | grep -q "127.0.0.1:$port"
  ok $? "$WHO: the port is published on 127.0.0.1 only"
  kill "$pid"; wait "$pid" 2>/dev/null
  sleep 0.2
  ss -Hltn "sport = :$port" | grep -q .
  ok "$([ $? != 0 ]; echo $?)" "$WHO: after the run the port is free: pasta was stopped with the container"
  ! pgrep -f "pasta --foreground.*$port:8080" >/dev/null
  ok $? "$WHO: no pasta process is left"
  hport=$(free_port)
  python3 -m http.server "$hport" --bind 127.0.0.1 >/dev/null 2>&1 &
  local hs=$!
  gw=$(ip route | awk '/^default/ {print $3; exit}')
  for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$hport/" && break; sleep 0.1; done
  if [ -n "$gw" ]; then
    out=$(mr --rm --net private -e GW="$gw" -e P="$hport" "$IMG" bash -c \
      'exec 3<>/dev/tcp/$GW/$P && printf "GET / HTTP/1.0\r\n\r\n" >&3 && head -1 <&3; ls /sys/class/net | tr "\n" " "')
    is "$(tr -d '\r' <<<"$out")" "HTTP/1.0 200 OK
eth0 lo " "$WHO: --net private has outbound access (a host server through the gateway) and an interface of its own"
  else
    skip "$WHO: outbound access: this machine has no default route"
  fi
  mr --rm "$IMG" bash -c "exec 3<>/dev/tcp/${gw:-192.0.2.1}/$hport" 2>/dev/null
  ok "$([ $? != 0 ]; echo $?)" "$WHO: --net none (the default) has no way out"
  kill "$hs"
  # PATH without pasta; the runner itself is found by its absolute path.
  "${PFX[@]}" env PATH=/nonexistent "$MKBASE" run --rm --net private "$IMG" true 2>"$T/err"
  is "$?:$(cat "$T/err")" "125:mkbase: run: --net private needs pasta, which is not in PATH (install Debian's package passt)" \
     "$WHO: a missing pasta is one line and 125"
  mr -p 80 "$IMG" true; is "$?:$(err_line)" "125:mkbase: run: --publish takes [127.0.0.1:]HOSTPORT:PORT[/tcp|/udp], not \`80\` (see mkbase run --help)" "$WHO: a bad -p is one line and 125"
  mr --net none -p 1:2 "$IMG" true; is "$?" 125 "$WHO: -p with --net none is refused"
}

runner_suite() {
  WHO=$1
  t_boot; t_proc; t_privs; t_mounts; t_env; t_exit; t_signals; t_workdir
  t_limits; t_cache; t_tty; t_net
}
