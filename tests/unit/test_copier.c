/* test_copier.c: unit tests for copier.c: files written through the
 * thread are byte-identical and checked against their digests; the first
 * failure (a digest mismatch, a write error) is reported once, in the
 * words a copy in the caller would use, and later files still complete;
 * every fd handed over is closed, also when the copier is freed early. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copier.h"
#include "digest.h"
#include "util.h"

#include "tap.h"

static char dir[] = "/tmp/test_copier.XXXXXX";

static char *
sha256_of (const void *buf, size_t len)
{
  struct mk_digest *d = mk_digest_new ("sha256");
  mk_digest_add (d, buf, len);
  return mk_digest_finish (d);
}

static int
create (const char *name)
{
  char path[256];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  return open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

static char *
slurp (const char *name, size_t *len)
{
  char path[256];
  char *buf = NULL;
  snprintf (path, sizeof path, "%s/%s", dir, name);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat (fd, &st) == 0)
    {
      buf = xmalloc ((size_t) st.st_size + 1);
      *len = (size_t) read (fd, buf, (size_t) st.st_size);
    }
  if (fd >= 0)
    close (fd);
  return buf;
}

/* Hand `len` bytes of `data` over in pieces of at most `chunk`. */
static void
push_all (struct mk_copier *c, const char *data, size_t len, size_t chunk)
{
  while (len > 0)
    {
      size_t cap;
      char *buf = mk_copier_buffer (c, &cap);
      size_t n = len < cap ? len : cap;
      if (n > chunk)
        n = chunk;
      memcpy (buf, data, n);
      mk_copier_push (c, n);
      data += n;
      len -= n;
    }
}

static void
test_files (void)
{
  struct mk_copier *c = mk_copier_new ();
  size_t big_len = 3 * 1000 * 1000 + 7, got_len = 0;
  char *big = xmalloc (big_len);
  mk_error_t err = NULL;
  int before = tap_open_fds ();

  for (size_t i = 0; i < big_len; i++)
    big[i] = (char) (i * 131 + i / 977);
  cleanup_free char *want_big = sha256_of (big, big_len);
  cleanup_free char *want_small = sha256_of ("hello\n", 6);
  cleanup_free char *want_empty = sha256_of ("", 0);

  mk_copier_begin (c, create ("big"), "sha256", want_big, "p.rpm", "/big");
  push_all (c, big, big_len, 100000); /* pieces smaller than a slot, too */
  mk_copier_end (c);
  mk_copier_begin (c, create ("small"), "sha256", want_small, "p.rpm",
                   "/small");
  push_all (c, "hello\n", 6, 6);
  mk_copier_end (c);
  mk_copier_begin (c, create ("empty"), "sha256", want_empty, "p.rpm",
                   "/empty");
  mk_copier_end (c);
  mk_copier_begin (c, create ("nodigest"), NULL, NULL, "p.rpm", "/nd");
  push_all (c, "x", 1, 1);
  mk_copier_end (c);
  ok (mk_copier_wait (c, &err) == 0 && err == NULL,
      "four files with matching digests (and one without): no error");
  {
    cleanup_free char *b = slurp ("big", &got_len);
    ok (b && got_len == big_len && memcmp (b, big, big_len) == 0,
        "a 3 MB file spanning many slots is written byte for byte");
  }
  {
    cleanup_free char *b = slurp ("empty", &got_len);
    ok (b && got_len == 0, "an empty file is created empty");
  }
  is_int (tap_open_fds (), before, "every fd handed over is closed");
  mk_copier_free (c);
  free (big);
}

static void
test_failures (void)
{
  struct mk_copier *c = mk_copier_new ();
  mk_error_t err = NULL;
  size_t len = 0;
  int before = tap_open_fds ();
  int ro;
  char path[256];

  mk_copier_begin (c, create ("one"), "sha256",
                   "0000000000000000000000000000000000000000000000000000000000000000",
                   "/repo/p.rpm", "/usr/bin/one");
  push_all (c, "one", 3, 3);
  mk_copier_end (c);
  mk_copier_begin (c, create ("two"), "sha256",
                   "1111111111111111111111111111111111111111111111111111111111111111",
                   "/repo/p.rpm", "/usr/bin/two");
  push_all (c, "two", 3, 3);
  mk_copier_end (c);
  cleanup_free char *want3 = sha256_of ("three", 5);
  mk_copier_begin (c, create ("three"), "sha256", want3, "/repo/p.rpm",
                   "/three");
  push_all (c, "three", 5, 5);
  mk_copier_end (c);
  ok (mk_copier_wait (c, &err) < 0 && err, "a digest mismatch is reported");
  is_str (err ? err->msg : NULL,
          "/repo/p.rpm: `/usr/bin/one`: digest mismatch (corrupted package)",
          "once, the first, in the serial copy's words");
  mk_error_release (&err);
  {
    cleanup_free char *b = slurp ("three", &len);
    ok (b && len == 5, "later files are still written");
  }
  ok (mk_copier_wait (c, &err) == 0 && err == NULL,
      "the failure is forgotten once reported");

  /* A write error: an fd open for reading only. */
  snprintf (path, sizeof path, "%s/three", dir);
  ro = open (path, O_RDONLY | O_CLOEXEC);
  mk_copier_begin (c, ro, NULL, NULL, "/repo/q.rpm", "/etc/x");
  push_all (c, "data", 4, 4);
  mk_copier_end (c);
  ok (mk_copier_wait (c, &err) < 0 && err && err->errnum == EBADF,
      "a write error is reported with its errno");
  is_str (err ? err->msg : NULL,
          "/repo/q.rpm: unpacking: write `/etc/x`: Bad file descriptor",
          "in the serial copy's words");
  mk_error_release (&err);
  is_int (tap_open_fds (), before, "every fd handed over is closed");

  /* Freed with work pending and a file begun but never handed over. */
  mk_copier_begin (c, create ("pending"), "sha256", want3, "p", "/p");
  push_all (c, "three", 5, 5);
  mk_copier_end (c);
  mk_copier_begin (c, create ("unsent"), "sha256", want3, "p", "/u");
  mk_copier_free (c);
  is_int (tap_open_fds (), before, "free closes the fds of pending and unsent files");
  mk_copier_free (NULL);
  ok (1, "free of NULL");
}

int
main (void)
{
  if (mkdtemp (dir) == NULL)
    return 1;
  test_files ();
  test_failures ();
  mk_at_rmtree (AT_FDCWD, dir);
  return tap_done ();
}
