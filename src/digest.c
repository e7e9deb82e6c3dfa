/* digest.c: streaming checksums; the only file that includes OpenSSL's
 * libcrypto (already loaded: libcurl links it).  Every digest mkbase
 * computes goes through here: package files against the repository
 * metadata, payloads and each file against the package header (rpm.c),
 * the tar, its OCI layer.  Hashing was the largest CPU cost of a build;
 * libcrypto's sha256 is about 2x libsolv's portable one and 1.5x the
 * libgcrypt librpm uses, on this project's machines (no SHA-NI: AVX2). */
#define _GNU_SOURCE
#include "digest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"

struct mk_digest
{
  EVP_MD_CTX *ctx;
};

/* repomd's names ("sha" is sha1 there) and rpm's. */
static const EVP_MD *
md_of (const char *algo)
{
  if (strcmp (algo, "sha256") == 0)
    return EVP_sha256 ();
  if (strcmp (algo, "sha512") == 0)
    return EVP_sha512 ();
  if (strcmp (algo, "sha384") == 0)
    return EVP_sha384 ();
  if (strcmp (algo, "sha224") == 0)
    return EVP_sha224 ();
  if (strcmp (algo, "sha1") == 0 || strcmp (algo, "sha") == 0)
    return EVP_sha1 ();
  if (strcmp (algo, "md5") == 0)
    return EVP_md5 ();
  return NULL;
}

struct mk_digest *
mk_digest_new (const char *algo)
{
  const EVP_MD *md = md_of (algo);
  struct mk_digest *d;
  if (md == NULL)
    return NULL;
  d = xmalloc (sizeof *d);
  d->ctx = EVP_MD_CTX_new ();
  if (d->ctx == NULL || EVP_DigestInit_ex (d->ctx, md, NULL) != 1)
    abort (); /* out of memory, or a libcrypto without sha256 */
  return d;
}

void
mk_digest_add (struct mk_digest *d, const void *buf, size_t len)
{
  if (len && EVP_DigestUpdate (d->ctx, buf, len) != 1)
    abort ();
}

char *
mk_digest_finish (struct mk_digest *d)
{
  unsigned char bin[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  char *hex;
  if (EVP_DigestFinal_ex (d->ctx, bin, &len) != 1)
    abort ();
  hex = xmalloc ((size_t) len * 2 + 1);
  for (unsigned int i = 0; i < len; i++)
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
  EVP_MD_CTX_free (d->ctx);
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
