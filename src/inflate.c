/* inflate.c: the only file that touches ISA-L (see inflate.h). */
#define _GNU_SOURCE
#include "inflate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifdef MK_HAVE_ISAL
#include <isa-l/igzip_lib.h>

/* 256 KiB each way: large enough that the pipe, not the syscalls, sets
 * the pace; small enough to stay in L2 next to ISA-L's tables. */
#define IN_SIZE (256 * 1024)
#define OUT_SIZE (256 * 1024)

struct mk_inflate
{
  pthread_t thread;
  int in_fd, out_fd;
  struct inflate_state st;
  uint8_t *in, *out;
  /* Written by the thread before it closes out_fd; read by the caller
   * once the pipe has ended early. */
  char why[160];
  atomic_bool failed;
  bool started; /* some output was made */
};

bool
mk_inflate_available (void)
{
  return true;
}

static void
fail (struct mk_inflate *z, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

static void
fail (struct mk_inflate *z, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (z->why, sizeof z->why, fmt, ap);
  va_end (ap);
  atomic_store_explicit (&z->failed, true, memory_order_release);
}

static const char *
isal_why (int rc)
{
  switch (rc)
    {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER:
      return "not a gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported gzip compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "gzip CRC mismatch";
    case ISAL_NEED_DICT:
      return "the stream needs a preset dictionary";
    default:
      return "corrupt gzip data";
    }
}

/* Refill the input when it is empty: 1 bytes are there, 0 end of file,
 * -1 a read error (reported). */
static int
refill (struct mk_inflate *z)
{
  ssize_t n;
  if (z->st.avail_in > 0)
    return 1;
  n = TEMP_FAILURE_RETRY (read (z->in_fd, z->in, IN_SIZE));
  if (n < 0)
    {
      fail (z, "reading the payload: %s", strerror (errno));
      return -1;
    }
  z->st.next_in = z->in;
  z->st.avail_in = (uint32_t) n;
  return n > 0;
}

/* false: the reader has gone (EPIPE) or the write failed. */
static bool
put (struct mk_inflate *z, const uint8_t *p, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (z->out_fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (errno != EPIPE)
            fail (z, "passing the payload on: %s", strerror (errno));
          return false;
        }
      p += n;
      len -= (size_t) n;
    }
  return true;
}

/* After one member: another begins only with the gzip magic; anything
 * else (or nothing) ends the stream, as in zlib's gzread. */
static bool
next_member (struct mk_inflate *z)
{
  if (refill (z) <= 0)
    return false;
  if (z->st.avail_in < 2 && z->st.next_in[0] == 0x1f)
    {
      /* The magic straddles a read: keep the byte, read more. */
      uint8_t first = z->st.next_in[0];
      ssize_t n;
      z->in[0] = first;
      n = TEMP_FAILURE_RETRY (read (z->in_fd, z->in + 1, IN_SIZE - 1));
      if (n <= 0)
        return false;
      z->st.next_in = z->in;
      z->st.avail_in = (uint32_t) n + 1;
    }
  if (z->st.avail_in < 2 || z->st.next_in[0] != 0x1f
      || z->st.next_in[1] != 0x8b)
    return false;
  {
    uint8_t *keep = z->st.next_in;
    uint32_t left = z->st.avail_in;
    isal_inflate_reset (&z->st);
    z->st.crc_flag = ISAL_GZIP;
    z->st.next_in = keep;
    z->st.avail_in = left;
  }
  return true;
}

/* One call of the inflater into the output buffer, passed on.  Returns
 * the bytes it made, or -1 when the thread must stop (reported, or the
 * reader has gone). */
static ssize_t
step (struct mk_inflate *z)
{
  size_t made;
  int rc;

  z->st.next_out = z->out;
  z->st.avail_out = OUT_SIZE;
  rc = isal_inflate (&z->st);
  made = OUT_SIZE - z->st.avail_out;
  /* zlib's gzread, which reads these bytes next (rpm.c), would take
   * gzip inside gzip for a second layer; rpm would refuse it. */
  if (!z->started && made >= 2 && z->out[0] == 0x1f && z->out[1] == 0x8b)
    {
      fail (z, "the gzip stream holds another gzip stream, not cpio");
      return -1;
    }
  z->started |= made > 0;
  if (made > 0 && !put (z, z->out, made))
    return -1;
  if (rc < 0)
    {
      fail (z, "%s", isal_why (rc));
      return -1;
    }
  return (ssize_t) made;
}

static void
run (struct mk_inflate *z)
{
  for (;;)
    {
      int more = refill (z);
      uint32_t had;
      ssize_t made;

      if (more < 0)
        return;
      had = z->st.avail_in;
      made = step (z);
      if (made < 0)
        return;
      if (z->st.block_state == ISAL_BLOCK_FINISH)
        {
          if (!next_member (z))
            return;
          continue;
        }
      /* At the end of the file the inflater is called until it has
       * nothing left to flush; a stream that has not finished by then
       * was cut short. */
      if (made == 0 && z->st.avail_in == had)
        {
          fail (z, more == 0 ? "the gzip stream is truncated"
                             : "the gzip stream makes no progress");
          return;
        }
    }
}

static void *
thread_main (void *arg)
{
  struct mk_inflate *z = arg;
  sigset_t pipe_set;

  /* A reader that stops early must give EPIPE here, not kill us. */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, NULL);
  run (z);
  close (z->out_fd);
  z->out_fd = -1;
  close (z->in_fd);
  z->in_fd = -1;
  return NULL;
}

int
mk_inflate_start (int in_fd, int *read_fd, struct mk_inflate **out,
                  mk_error_t *err)
{
  struct mk_inflate *z;
  int p[2], rc;

  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (in_fd);
      return mk_make_error (err, e, "pipe");
    }
  /* Fewer, larger hand-overs; the kernel may refuse (pipe-max-size). */
  (void) fcntl (p[1], F_SETPIPE_SZ, 1 << 20);
  z = xcalloc (1, sizeof *z);
  z->in_fd = in_fd;
  z->out_fd = p[1];
  z->in = xmalloc (IN_SIZE);
  z->out = xmalloc (OUT_SIZE);
  isal_inflate_init (&z->st);
  z->st.crc_flag = ISAL_GZIP;
  rc = pthread_create (&z->thread, NULL, thread_main, z);
  if (rc != 0)
    {
      close (p[0]);
      close (p[1]);
      close (in_fd);
      free (z->in);
      free (z->out);
      free (z);
      return mk_make_error (err, rc, "cannot start a thread");
    }
  *read_fd = p[0];
  *out = z;
  return 0;
}

int
mk_inflate_error (struct mk_inflate *z, const char *what, mk_error_t *err)
{
  if (z == NULL
      || !atomic_load_explicit (&z->failed, memory_order_acquire))
    return 0;
  return mk_make_error (err, 0, "%s: payload: %s", what, z->why);
}

void
mk_inflate_free (struct mk_inflate *z)
{
  if (z == NULL)
    return;
  pthread_join (z->thread, NULL);
  free (z->in);
  free (z->out);
  free (z);
}

#else /* !MK_HAVE_ISAL */

bool
mk_inflate_available (void)
{
  return false;
}

int
mk_inflate_start (int in_fd, int *read_fd, struct mk_inflate **out,
                  mk_error_t *err)
{
  (void) read_fd;
  (void) out;
  close (in_fd);
  return mk_make_error (err, ENOSYS, "built without ISA-L");
}

int
mk_inflate_error (struct mk_inflate *z, const char *what, mk_error_t *err)
{
  (void) z;
  (void) what;
  (void) err;
  return 0;
}

void
mk_inflate_free (struct mk_inflate *z)
{
  (void) z;
}

#endif
