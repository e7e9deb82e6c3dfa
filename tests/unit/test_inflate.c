/* test_inflate.c: unit tests for inflate.c against streams made by the
 * real gzip(1): one member and several give exactly the input; bytes after
 * the last member are ignored, as zlib's gzread does; a truncated stream,
 * a damaged one, a wrong CRC and gzip inside gzip each end the output
 * early with one line saying why; a reader that stops early does not hang
 * the thread; the stream may start at an offset of its fd; no fd is left
 * open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inflate.h"
#include "util.h"

#include "tap.h"

static char dir[] = "/tmp/test_inflate.XXXXXX";

static char *
path_of (const char *name)
{
  return xasprintf ("%s/%s", dir, name);
}

static void
put_file (const char *name, const void *buf, size_t len)
{
  cleanup_free char *p = path_of (name);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, buf, len) != (ssize_t) len)
    abort ();
  close (fd);
}

static char *
get_file (const char *name, size_t *len)
{
  cleanup_free char *p = path_of (name);
  char *buf = NULL;
  mk_error_t err = NULL;
  if (mk_read_file_at (AT_FDCWD, p, 64 << 20, &buf, len, &err) < 0)
    abort ();
  return buf;
}

/* gzip(1) of name into name.gz; the test's streams come from the real
 * tool, not from code under test. */
static void
gzip_file (const char *name)
{
  cleanup_free char *cmd = xasprintf ("gzip -n -c '%s/%s' > '%s/%s.gz'",
                                      dir, name, dir, name);
  if (system (cmd) != 0)
    abort ();
}

/* Data that compresses like a binary: runs, text and noise. */
static char *
sample (size_t len, unsigned seed)
{
  char *buf = xmalloc (len);
  unsigned x = seed;
  for (size_t i = 0; i < len; i++)
    {
      x = x * 1103515245u + 12345u;
      buf[i] = (i / 4096) % 3 == 0 ? (char) (x >> 24)
               : (i / 4096) % 3 == 1 ? "inflate the payload "[i % 20]
                                     : (char) (i & 0x0f);
    }
  return buf;
}

struct result
{
  char *out;
  size_t len;
  char err[256];
};

/* Inflate `name` from offset, reading everything the pipe gives (or only
 * `stop_after` bytes, then closing the read end). */
static void
run (const char *name, off_t offset, size_t stop_after, struct result *r)
{
  cleanup_free char *p = path_of (name);
  int in = open (p, O_RDONLY | O_CLOEXEC), rd = -1;
  struct mk_inflate *z = NULL;
  mk_error_t err = NULL;
  size_t cap = 1 << 20;

  memset (r, 0, sizeof *r);
  r->out = xmalloc (cap);
  if (in < 0 || lseek (in, offset, SEEK_SET) != offset)
    abort ();
  if (mk_inflate_start (in, &rd, &z, &err) < 0)
    {
      snprintf (r->err, sizeof r->err, "start: %s", err->msg);
      mk_error_release (&err);
      return;
    }
  for (;;)
    {
      ssize_t n;
      if (stop_after && r->len >= stop_after)
        break;
      if (r->len == cap)
        r->out = xrealloc (r->out, cap *= 2);
      n = read (rd, r->out + r->len, cap - r->len);
      if (n <= 0)
        break;
      r->len += (size_t) n;
    }
  if (!stop_after && mk_inflate_error (z, "pkg.rpm", &err) < 0)
    {
      snprintf (r->err, sizeof r->err, "%s", err->msg);
      mk_error_release (&err);
    }
  close (rd);
  mk_inflate_free (z);
}

static void
check_same (const struct result *r, const char *want, size_t len,
            const char *what)
{
  ok (r->err[0] == '\0', "%s: no error (%s)", what, r->err);
  is_int (r->len, len, "%s: every byte", what);
  ok (r->len == len && memcmp (r->out, want, len) == 0,
      "%s: the same bytes", what);
}

int
main (void)
{
  size_t a_len = 3 << 20, b_len = 200000, gz_len, gzb_len;
  cleanup_free char *a = sample (a_len, 1);
  cleanup_free char *b = sample (b_len, 7);
  cleanup_free char *gz = NULL;
  cleanup_free char *gzb = NULL;
  cleanup_free char *buf = NULL;
  struct result r;
  int fds;

  if (!mk_inflate_available ())
    {
      printf ("ok 1 - # SKIP built without ISA-L (make ISAL=0, or no "
              "libisal-dev): gzip payloads go through librpm's zlib\n");
      printf ("1..1\n");
      return 0;
    }
  if (!mkdtemp (dir))
    return 1;
  put_file ("a", a, a_len);
  put_file ("b", b, b_len);
  gzip_file ("a");
  gzip_file ("b");
  gz = get_file ("a.gz", &gz_len);
  gzb = get_file ("b.gz", &gzb_len);
  fds = tap_open_fds ();

  run ("a.gz", 0, 0, &r);
  check_same (&r, a, a_len, "one member");
  free (r.out);

  /* Two members, as `cat a.gz b.gz` (gzip(1) reads both). */
  buf = xmalloc (gz_len + gzb_len + 16);
  memcpy (buf, gz, gz_len);
  memcpy (buf + gz_len, gzb, gzb_len);
  put_file ("ab.gz", buf, gz_len + gzb_len);
  {
    cleanup_free char *ab = xmalloc (a_len + b_len);
    memcpy (ab, a, a_len);
    memcpy (ab + a_len, b, b_len);
    run ("ab.gz", 0, 0, &r);
    check_same (&r, ab, a_len + b_len, "two members");
    free (r.out);
  }

  /* Trailing bytes that are not a member: ignored. */
  memcpy (buf + gz_len, "trailing junk\n", 14);
  put_file ("junk.gz", buf, gz_len + 14);
  run ("junk.gz", 0, 0, &r);
  check_same (&r, a, a_len, "trailing bytes");
  free (r.out);
  /* One stray 0x1f at the very end is not the start of a member. */
  buf[gz_len] = 0x1f;
  put_file ("stray.gz", buf, gz_len + 1);
  run ("stray.gz", 0, 0, &r);
  check_same (&r, a, a_len, "one stray byte after the member");
  free (r.out);

  /* The stream starts at an offset of its fd (a package's payload). */
  memcpy (buf, "0123456789", 10);
  memcpy (buf + 10, gz, gz_len);
  put_file ("off.gz", buf, gz_len + 10);
  run ("off.gz", 10, 0, &r);
  check_same (&r, a, a_len, "from an offset");
  free (r.out);

  /* Cut short: an error, and what came out is a prefix of the input. */
  put_file ("cut.gz", gz, gz_len / 2);
  run ("cut.gz", 0, 0, &r);
  is_str (r.err, "pkg.rpm: payload: the gzip stream is truncated",
          "a truncated stream is named");
  ok (r.len < a_len && memcmp (r.out, a, r.len) == 0,
      "a truncated stream: a prefix of the input (%zu bytes)", r.len);
  free (r.out);
  /* Only the trailer missing. */
  put_file ("notrailer.gz", gz, gz_len - 8);
  run ("notrailer.gz", 0, 0, &r);
  is_str (r.err, "pkg.rpm: payload: the gzip stream is truncated",
          "a stream without its trailer is truncated");
  free (r.out);
  put_file ("empty.gz", "", 0);
  run ("empty.gz", 0, 0, &r);
  is_str (r.err, "pkg.rpm: payload: the gzip stream is truncated",
          "an empty stream is truncated");
  is_int (r.len, 0, "an empty stream gives no bytes");
  free (r.out);

  /* A wrong CRC in the trailer. */
  memcpy (buf, gz, gz_len);
  buf[gz_len - 8] ^= 0x55;
  put_file ("crc.gz", buf, gz_len);
  run ("crc.gz", 0, 0, &r);
  is_str (r.err, "pkg.rpm: payload: gzip CRC mismatch", "a wrong CRC");
  free (r.out);

  /* Damage inside the deflate data: some error, never a crash, and the
   * error is one line. */
  memcpy (buf, gz, gz_len);
  for (size_t i = gz_len / 3; i < gz_len / 3 + 64; i++)
    buf[i] = (char) 0xff;
  put_file ("bad.gz", buf, gz_len);
  run ("bad.gz", 0, 0, &r);
  ok (strncmp (r.err, "pkg.rpm: payload: ", 18) == 0
          && strchr (r.err, '\n') == NULL,
      "damaged deflate data is an error of one line (%s)", r.err);
  free (r.out);

  /* Not gzip at all. */
  put_file ("plain", "070701 not gzip", 15);
  run ("plain", 0, 0, &r);
  is_str (r.err, "pkg.rpm: payload: not a gzip header",
          "a stream that is not gzip");
  free (r.out);

  /* gzip inside gzip: refused, as rpm refuses it. */
  gzip_file ("a.gz");
  run ("a.gz.gz", 0, 0, &r);
  is_str (r.err, "pkg.rpm: payload: the gzip stream holds another gzip "
                 "stream, not cpio", "gzip inside gzip");
  free (r.out);

  /* A reader that stops early: the thread ends (EPIPE), nothing hangs. */
  run ("a.gz", 0, 4096, &r);
  ok (r.len >= 4096, "a reader may stop early, and free returns");
  free (r.out);

  is_int (tap_open_fds (), fds, "no fd left open");
  {
    cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
    if (system (cmd) != 0)
      return 1;
  }
  return tap_done ();
}
