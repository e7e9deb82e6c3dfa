/* console.c: the pseudo-terminal of `mkbase run -t`.
 *
 * The pty is made inside the container, from the devpts instance the
 * container mounted (mount.c), as crun does with its console socket: the
 * command's terminal is then /dev/pts/0 of its own, `tty` names it, and
 * nothing of the host's devpts is reachable.  Init opens the master,
 * passes it to the runner over a socket (SCM_RIGHTS), and keeps the slave
 * for the command, which makes it its controlling terminal in a session of
 * its own.  The host's terminal is never the container's controlling
 * terminal, so TIOCSTI inside reaches only the container's own input
 * (CVE-2017-5226).
 *
 * The runner relays bytes between its stdin/stdout and the master, puts
 * the host terminal in raw mode while it does (so Ctrl-C, Ctrl-Z and ^\
 * are bytes for the container's line discipline, which signals the
 * foreground job inside, not mkbase), copies the window size at start and
 * on every SIGWINCH, and restores the terminal before it returns.
 * libc only. */
#define _GNU_SOURCE
#include "console.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "util.h"

static bool pump (struct mk_console *con, int from, int to);

#define fail(err, errnum, ...)                                                \
  mk_make_error_code (err, MK_EXIT_RUNNER, errnum, __VA_ARGS__)

int
mk_console_open (int *slave, mk_error_t *err)
{
  int unlock = 0;
  cleanup_close int master
      = TEMP_FAILURE_RETRY (open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY
                                                       | O_CLOEXEC));
  if (master < 0)
    return fail (err, errno, "open the container's /dev/pts/ptmx");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return fail (err, errno, "unlock the pty");
  /* The peer by fd, not by a path an image could have replaced. */
  *slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0)
    return fail (err, errno, "open the pty's terminal");
  return steal_fd (&master);
}

/* One byte with room for one fd in its control data. */
struct fd_msg
{
  char byte;
  struct iovec iov;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg;
};

static void
fd_msg_init (struct fd_msg *m)
{
  memset (m, 0, sizeof *m);
  m->byte = 'c';
  m->iov = (struct iovec){ .iov_base = &m->byte, .iov_len = 1 };
  m->msg = (struct msghdr){ .msg_iov = &m->iov, .msg_iovlen = 1,
                            .msg_control = m->u.buf,
                            .msg_controllen = sizeof m->u.buf };
}

int
mk_console_send (int sock, int fd, mk_error_t *err)
{
  struct fd_msg m;
  struct cmsghdr *c;

  fd_msg_init (&m);
  c = CMSG_FIRSTHDR (&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  if (TEMP_FAILURE_RETRY (sendmsg (sock, &m.msg, MSG_NOSIGNAL)) != 1)
    return fail (err, errno, "pass the pty to the runner");
  return 0;
}

int
mk_console_recv (int sock)
{
  struct fd_msg m;
  struct cmsghdr *c;
  int fd = -1;

  fd_msg_init (&m);
  /* 0: init died before sending; its report says why. */
  if (TEMP_FAILURE_RETRY (recvmsg (sock, &m.msg, MSG_CMSG_CLOEXEC)) != 1)
    return -1;
  c = CMSG_FIRSTHDR (&m.msg);
  if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS
      || c->cmsg_len != CMSG_LEN (sizeof (int)))
    return -1;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

void
mk_console_attach (struct mk_console *con, int master, bool input)
{
  struct termios raw;

  *con = (struct mk_console){ .master = master, .input = input };
  mk_console_resize (con);
  fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK);
  if (!input || !isatty (STDIN_FILENO)
      || tcgetattr (STDIN_FILENO, &con->saved) < 0)
    return;
  raw = con->saved;
  cfmakeraw (&raw);
  if (tcsetattr (STDIN_FILENO, TCSADRAIN, &raw) == 0)
    con->raw = true;
}

void
mk_console_resize (struct mk_console *con)
{
  struct winsize ws;
  /* The caller's terminal, whichever of stdin or stdout it is. */
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0
      || ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (con->master, TIOCSWINSZ, &ws);
}

/* Write all of buf to the (non-blocking) master; while it is full, keep
 * relaying the container's output, so that a command that writes before
 * it reads cannot deadlock with us. */
static bool
to_master (struct mk_console *con, const char *buf, size_t len)
{
  while (len)
    {
      ssize_t n = write (con->master, buf, len);
      if (n > 0)
        {
          buf += n, len -= (size_t) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          struct pollfd p = { .fd = con->master, .events = POLLOUT | POLLIN };
          if (poll (&p, 1, -1) < 0 && errno != EINTR)
            return false;
          if (p.revents & POLLIN)
            pump (con, con->master, STDOUT_FILENO);
          continue;
        }
      return false;
    }
  return true;
}

/* Copy what is readable from `from` to `to`.  Returns false at the end of
 * `from` (EOF, or EIO: the last holder of the pty's terminal closed it). */
static bool
pump (struct mk_console *con, int from, int to)
{
  char buf[16384];
  for (;;)
    {
      ssize_t n = read (from, buf, sizeof buf);
      mk_error_t e = NULL;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return true;
      if (n <= 0)
        return false;
      if (to == con->master)
        {
          if (!to_master (con, buf, (size_t) n))
            return false;
        }
      else if (mk_write_all (to, buf, (size_t) n, &e, "the terminal") < 0)
        {
          mk_error_release (&e);
          return false;
        }
      if ((size_t) n < sizeof buf)
        return true;
    }
}

int
mk_console_poll (struct mk_console *con, int sigfd)
{
  struct pollfd p[3] = {
    { .fd = sigfd, .events = POLLIN },
    { .fd = con->master_done ? -1 : con->master, .events = POLLIN },
    { .fd = con->input && !con->input_done ? STDIN_FILENO : -1,
      .events = POLLIN },
  };

  if (poll (p, 3, -1) < 0)
    return errno == EINTR ? 0 : -1;
  if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
    con->master_done = !pump (con, con->master, STDOUT_FILENO);
  if (p[2].revents & (POLLIN | POLLHUP | POLLERR)
      && !pump (con, STDIN_FILENO, con->master))
    {
      /* The caller's input ended: the container's reads see end of file
       * (its VEOF at the start of a line, as a user's ^D would). */
      con->input_done = true;
      if (!con->raw)
        {
          struct termios t;
          char eof = tcgetattr (con->master, &t) == 0 ? (char) t.c_cc[VEOF]
                                                      : 4;
          if (write (con->master, &eof, 1) < 0)
            {
              /* the container has gone; nothing to tell */
            }
        }
    }
  return p[0].revents & POLLIN ? 1 : 0;
}

void
mk_console_detach (struct mk_console *con)
{
  if (con->master < 0)
    return;
  /* What the command wrote just before it ended. */
  if (!con->master_done)
    pump (con, con->master, STDOUT_FILENO);
  if (con->raw)
    tcsetattr (STDIN_FILENO, TCSADRAIN, &con->saved);
  close (steal_fd (&con->master));
}
