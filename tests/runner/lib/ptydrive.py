#!/usr/bin/env python3
"""Drive `mkbase run -it IMAGE bash` through a real pseudo-terminal, as a
user at a terminal would, and print one `ok`/`not ok` line per check.

usage: ptydrive.py IMAGE MKBASE-COMMAND...   (e.g. setpriv ... out/mkbase)
"""
import fcntl, os, pty, re, select, signal, struct, sys, termios, time

image, mkbase = sys.argv[1], sys.argv[2:]
results = []


def check(cond, what, got=""):
    results.append(cond)
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    if not cond and got:
        print("#   got: " + repr(got[-400:]))


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


pid, fd = pty.fork()
if pid == 0:
    os.execvp(mkbase[0], mkbase + ["run", "--rm", "-it", "-e", "PS1=PROMPT$ ",
                                   image, "/bin/bash", "--norc", "-i"])
set_size(fd, 31, 97)
buf = b""


def read_until(pattern, timeout=10):
    """Read until the regex matches what came since the last call."""
    global buf
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(pattern, buf)
        if m:
            got, buf = buf[:m.end()], buf[m.end():]
            return got.decode(errors="replace")
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    got, buf = buf, b""
    return None if not re.search(pattern, got) else got.decode()


def say(line):
    os.write(fd, line.encode())


out = read_until(rb"PROMPT\$ ")
check(out is not None, "an interactive bash prompt comes up", buf.decode(errors="replace"))
say("tty; echo tty-rc=$?\r")
out = read_until(rb"tty-rc=\d+")
check(out is not None and "/dev/pts/0" in out and "tty-rc=0" in out,
      "the command's stdin is the container's own pty, /dev/pts/0", out or "")
say("stty size\r")
out = read_until(rb"\d+ \d+\r?\n")
check(out is not None and "31 97" in out, "the window size is passed on (31 97)", out or "")
set_size(fd, 40, 120)            # the kernel sends mkbase SIGWINCH
os.kill(pid, signal.SIGWINCH)    # as a terminal emulator's resize does, to the fg job
time.sleep(0.3)
say("stty size\r")
out = read_until(rb"\d+ \d+\r?\n")
check(out is not None and "40 120" in out, "and follows a resize (40 120)", out or "")
say("case $- in *m*) echo job-control-\"\"on;; *) echo job-control-\"\"off;; esac\r")
out = read_until(rb"job-control-o\w+")
check(out is not None and "job-control-on" in out, "bash has job control (set -m is on)", out or "")
say("sleep 60 &\r")
read_until(rb"PROMPT\$ ")
say("jobs\r")
out = read_until(rb"Running.*sleep 60")
check(out is not None, "a background job shows in `jobs`", out or "")
say("kill %1; wait; sleep 30\r")
time.sleep(1.0)
os.write(fd, b"\x03")            # Ctrl-C at the terminal
out = read_until(rb"PROMPT\$ ", timeout=5)
check(out is not None, "Ctrl-C stops the foreground sleep and the shell prompts again", buf.decode(errors="replace"))
say("echo after-ctrl-c $?\r")
out = read_until(rb"after-ctrl-c \d+")
check(out is not None and "after-ctrl-c 130" in out, "the sleep died of SIGINT (130), mkbase did not", out or "")
say("sleep 30\r")
time.sleep(1.0)
os.write(fd, b"\x1a")            # Ctrl-Z
out = read_until(rb"Stopped.*sleep 30", timeout=5)
check(out is not None, "Ctrl-Z stops the foreground job", buf.decode(errors="replace"))
say("fg\r")
out = read_until(rb"sleep 30\r?\n")
time.sleep(0.5)
os.write(fd, b"\x03")
out2 = read_until(rb"PROMPT\$ ", timeout=5)
check(out is not None and out2 is not None, "fg brings it back and Ctrl-C ends it", buf.decode(errors="replace"))
say("exit 7\r")
status = None
end = time.time() + 10
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    try:
        if r:
            tail = os.read(fd, 4096)
            if os.environ.get("PTYDRIVE_DEBUG"):
                print("# " + repr(tail))
    except OSError:
        pass
    p, st = os.waitpid(pid, os.WNOHANG)
    if p == pid:
        status = os.waitstatus_to_exitcode(st)
        break
    time.sleep(0.1)
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
check(status == 7, "exit 7 in the shell is mkbase's exit status", str(status))
sys.exit(0 if all(results) else 1)
