/* digest.c: streaming checksums over libsolv's chksum.h.  This is the one
 * deliberate exception to "libsolv only in solve.c": libsolv already links
 * a small, audited sha2 implementation and nothing else here needs a crypto
 * library for plain digests. */
#define _GNU_SOURCE
#include "digest.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <solv/chksum.h>
#include <solv/knownid.h>

#include "util.h"

struct mk_digest
{
  Chksum *chk;
};

struct mk_digest *
mk_digest_new (const char *algo)
{
  Id type = solv_chksum_str2type (algo);
  struct mk_digest *d;
  if (type == 0)
    return NULL;
  d = xmalloc (sizeof *d);
  d->chk = solv_chksum_create (type);
  if (d->chk == NULL)
    {
      free (d);
      return NULL;
    }
  return d;
}

void
mk_digest_add (struct mk_digest *d, const void *buf, size_t len)
{
  const char *p = buf;
  /* solv_chksum_add takes an int length. */
  while (len > 0)
    {
      int n = len > (1u << 30) ? (1 << 30) : (int) len;
      solv_chksum_add (d->chk, p, n);
      p += n;
      len -= (size_t) n;
    }
}

char *
mk_digest_finish (struct mk_digest *d)
{
  int len = 0;
  const unsigned char *bin = solv_chksum_get (d->chk, &len);
  char *hex = xmalloc ((size_t) len * 2 + 1);
  for (int i = 0; i < len; i++)
    sprintf (hex + 2 * i, "%02x", bin[i]);
  hex[2 * len] = '\0';
  mk_digest_free (d);
  return hex;
}

void
mk_digest_free (struct mk_digest *d)
{
  if (d == NULL)
    return;
  solv_chksum_free (d->chk, NULL);
  free (d);
}

int
mk_digest_fd (int fd, const char *algo, char **hex, mk_error_t *err,
              const char *what)
{
  struct mk_digest *d = mk_digest_new (algo);
  cleanup_free char *buf = xmalloc (1 << 16);
  if (d == NULL)
    return mk_make_error (err, 0, "%s: unknown checksum type `%s`", what,
                          algo);
  for (;;)
    {
      ssize_t n = TEMP_FAILURE_RETRY (read (fd, buf, 1 << 16));
      if (n < 0)
        {
          int e = errno;
          mk_digest_free (d);
          return mk_make_error (err, e, "read `%s`", what);
        }
      if (n == 0)
        break;
      mk_digest_add (d, buf, (size_t) n);
      if (mk_check_interrupt (err) < 0)
        {
          mk_digest_free (d);
          return -1;
        }
    }
  *hex = mk_digest_finish (d);
  return 0;
}

int
mk_digest_path (const char *path, const char *algo, char **hex,
                mk_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mk_make_error (err, errno, "open `%s`", path);
  return mk_digest_fd (fd, algo, hex, err, path);
}
