/* test_digest.c: unit tests for digest.c: known vectors for every
 * algorithm name repomd uses, streaming equals one-shot, digests of files
 * and fds, and unknown names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

#include "tap.h"


#define SHA256_EMPTY                                                          \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC                                                            \
  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_448                                                            \
  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA256_MILLION_A                                                      \
  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define SHA512_ABC                                                            \
  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"        \
  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define SHA1_ABC "a9993e364706816aba3e25717850c26c9cd0d89d"
#define MD5_ABC "900150983cd24fb0d6963f7d28e17f72"

#define TWO_BLOCKS "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

/* One-shot digest of a buffer; NULL for an unknown algorithm. */
static char *
digest_buf (const char *algo, const void *buf, size_t len)
{
  struct mk_digest *d = mk_digest_new (algo);
  if (d == NULL)
    return NULL;
  mk_digest_add (d, buf, len);
  return mk_digest_finish (d);
}

static void
test_vectors (void)
{
  char *h;

  h = digest_buf ("sha256", "", 0);
  is_str (h, SHA256_EMPTY, "sha256 of \"\"");
  free (h);
  h = digest_buf ("sha256", "abc", 3);
  is_str (h, SHA256_ABC, "sha256 of \"abc\"");
  free (h);
  h = digest_buf ("sha256", TWO_BLOCKS, strlen (TWO_BLOCKS));
  is_str (h, SHA256_448, "sha256 of the 448-bit (two-block) vector");
  free (h);
  h = digest_buf ("sha512", "abc", 3);
  is_str (h, SHA512_ABC, "sha512 of \"abc\"");
  free (h);
  h = digest_buf ("sha1", "abc", 3);
  is_str (h, SHA1_ABC, "sha1 of \"abc\"");
  free (h);
  h = digest_buf ("sha", "abc", 3);
  is_str (h, SHA1_ABC, "\"sha\" is sha1 (repomd name)");
  free (h);
  h = digest_buf ("md5", "abc", 3);
  is_str (h, MD5_ABC, "md5 of \"abc\"");
  free (h);

  {
    struct mk_digest *d = mk_digest_new ("sha256");
    mk_digest_free (d); /* freeing unfinished must be fine */
    mk_digest_free (NULL);
    ok (1, "free of an unfinished digest and of NULL");
  }
}

static void
test_incremental (void)
{
  size_t n = 1000000;
  char *a = xmalloc (n);
  char *one, *inc, *odd;
  struct mk_digest *d;

  memset (a, 'a', n);
  one = digest_buf ("sha256", a, n);
  is_str (one, SHA256_MILLION_A, "sha256 of a million 'a' in one call");

  d = mk_digest_new ("sha256");
  for (size_t i = 0; i < n; i += 1000)
    mk_digest_add (d, a + i, 1000);
  inc = mk_digest_finish (d);
  is_str (inc, one, "1000-byte chunks equal one-shot");

  /* Odd chunk sizes that straddle the 64-byte block boundary. */
  d = mk_digest_new ("sha256");
  for (size_t i = 0, step = 1; i < n; i += step, step = step % 127 + 1)
    mk_digest_add (d, a + i, i + step > n ? n - i : step);
  mk_digest_add (d, a, 0); /* an empty add is harmless */
  odd = mk_digest_finish (d);
  is_str (odd, one, "uneven chunks (1..127 bytes) equal one-shot");

  free (inc);
  free (odd);
  d = mk_digest_new ("sha256");
  mk_digest_add (d, "a", 1);
  mk_digest_add (d, "", 0);
  mk_digest_add (d, "bc", 2);
  inc = mk_digest_finish (d);
  is_str (inc, SHA256_ABC, "\"a\" + \"\" + \"bc\" is sha256 of \"abc\"");
  free (inc);
  free (one);
  free (a);
}

static void
test_files (void)
{
  char dir[] = "/tmp/mkbase-test-digest-XXXXXX";
  char *path, *hex = NULL;
  mk_error_t err = NULL;
  int fd;

  if (mkdtemp (dir) == NULL)
    {
      ok (0, "mkdtemp: %s", strerror (errno));
      return;
    }
  path = xasprintf ("%s/f", dir);
  fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ok (fd >= 0 && mk_write_all (fd, "abc", 3, &err, path) == 0,
      "write a temp file");

  ok (mk_digest_path (path, "sha256", &hex, &err) == 0, "mk_digest_path");
  is_str (hex, SHA256_ABC, "mk_digest_path of a file holding \"abc\"");
  free (hex);
  hex = NULL;

  /* mk_digest_fd starts at the current offset. */
  lseek (fd, 1, SEEK_SET);
  ok (mk_digest_fd (fd, "md5", &hex, &err, "f") == 0, "mk_digest_fd");
  {
    char *want = digest_buf ("md5", "bc", 2);
    is_str (hex, want, "mk_digest_fd digests from the current offset");
    free (want);
  }
  free (hex);
  hex = NULL;
  close (fd);

  /* An empty file. */
  fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  close (fd);
  ok (mk_digest_path (path, "sha256", &hex, &err) == 0, "empty file");
  is_str (hex, SHA256_EMPTY, "empty file has the empty digest");
  free (hex);
  hex = NULL;

  ok (mk_digest_path (path, "sha3", &hex, &err) < 0 && hex == NULL && err,
      "unknown algorithm on a file is an error");
  if (err)
    ok (strstr (err->msg, "`sha3`") != NULL,
        "the error names the algorithm: %s", err->msg);
  mk_error_release (&err);

  unlink (path);
  ok (mk_digest_path (path, "sha256", &hex, &err) < 0 && hex == NULL && err
          && err->errnum == ENOENT,
      "missing file is ENOENT");
  mk_error_release (&err);

  ok (mk_digest_fd (-1, "sha256", &hex, &err, "bad") < 0 && err
          && err->errnum == EBADF && hex == NULL,
      "bad fd is an error (EBADF)");
  mk_error_release (&err);
  free (path);
  ok (rmdir (dir) == 0, "temporary directory removed");
}

static void
test_unknown (void)
{
  ok (mk_digest_new ("nope") == NULL, "unknown algorithm gives NULL");
  ok (mk_digest_new ("") == NULL, "empty algorithm name gives NULL");
  ok (mk_digest_new ("SHA-256") == NULL, "\"SHA-256\" is not a repomd name");
}

/* The threaded digest equals the plain one for sizes around its 1 MiB
 * slots and its 4 slots in flight, fed in odd pieces. */
static void
test_async (void)
{
  static const size_t sizes[] = { 0, 1, 1048575, 1048576, 1048577,
                                  4194304, 4194305, 9000001 };
  size_t max = 9000001;
  unsigned char *buf = malloc (max);
  for (size_t i = 0; i < max; i++)
    buf[i] = (unsigned char) (i * 2654435761u >> 13);
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
    {
      struct mk_digest *d = mk_digest_new_async ("sha256");
      char *want = digest_buf ("sha256", buf, sizes[k]);
      char *got;
      for (size_t off = 0, step = 1; off < sizes[k]; off += step, step = step * 3 + 7)
        mk_digest_add (d, buf + off, step < sizes[k] - off ? step : sizes[k] - off);
      got = mk_digest_finish (d);
      ok (strcmp (got, want) == 0, "async sha256 of %zu bytes equals the plain one",
          sizes[k]);
      free (got);
      free (want);
    }
  {
    struct mk_digest *d = mk_digest_new_async ("sha256");
    mk_digest_add (d, buf, 3000000);
    mk_digest_free (d); /* freeing unfinished stops the thread */
    ok (1, "an unfinished async digest can be freed");
  }
  ok (mk_digest_new_async ("nope") == NULL, "async: unknown algorithm gives NULL");
  free (buf);
}

int
main (void)
{
  test_async ();
  test_vectors ();
  test_incremental ();
  test_files ();
  test_unknown ();
  return tap_done ();
}
