/* digest.c: streaming checksums; the only file that includes OpenSSL's
 * libcrypto (linked for this file alone; libcurl, which also uses it, is
 * opened only for downloads).  Every digest mkbase
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
#include <pthread.h>
#include <stdbool.h>

#include "util.h"

#define ASYNC_SLOT (1 << 20)
#define ASYNC_SLOTS 4

/* mk_digest_new_async's state: the caller fills 1 MiB slots, a thread
 * hashes them in order.  Slots [tail, head) are full; the caller fills
 * slot head % ASYNC_SLOTS, which the thread never touches. */
struct async
{
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *ring;  /* the slots, one mapping (mk_huge_alloc) */
  char *slot[ASYNC_SLOTS];
  size_t len[ASYNC_SLOTS];
  size_t head, tail, fill;
  bool done;
  int tee_fd;     /* the caller writes each full slot here */
  int tee_errno;  /* the first write error; later slots are not written */
};

struct mk_digest
{
  EVP_MD_CTX *ctx;
  struct async *async;
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
  d = xcalloc (1, sizeof *d);
  d->ctx = EVP_MD_CTX_new ();
  if (d->ctx == NULL || EVP_DigestInit_ex (d->ctx, md, NULL) != 1)
    abort (); /* out of memory, or a libcrypto without sha256 */
  return d;
}

/* Only the caller's thread writes and touches tee_errno. */
static void
tee_write (struct async *a, const char *p, size_t len)
{
  while (len > 0)
    {
      ssize_t n = TEMP_FAILURE_RETRY (write (a->tee_fd, p, len));
      if (n <= 0)
        {
          a->tee_errno = n < 0 ? errno : EIO;
          return;
        }
      p += n;
      len -= (size_t) n;
    }
}

static void *
async_main (void *arg)
{
  struct mk_digest *d = arg;
  struct async *a = d->async;

  pthread_mutex_lock (&a->mu);
  for (;;)
    {
      size_t k;
      while (a->tail == a->head && !a->done)
        pthread_cond_wait (&a->cv, &a->mu);
      if (a->tail == a->head)
        break;
      k = a->tail % ASYNC_SLOTS;
      pthread_mutex_unlock (&a->mu);
      if (EVP_DigestUpdate (d->ctx, a->slot[k], a->len[k]) != 1)
        abort ();
      pthread_mutex_lock (&a->mu);
      a->tail++;
      pthread_cond_broadcast (&a->cv);
    }
  pthread_mutex_unlock (&a->mu);
  return NULL;
}

struct mk_digest *
mk_digest_new_async (const char *algo)
{
  return mk_digest_new_tee (algo, -1);
}

struct mk_digest *
mk_digest_new_tee (const char *algo, int fd)
{
  struct mk_digest *d = mk_digest_new (algo);
  struct async *a;

  if (d == NULL)
    return NULL;
  a = d->async = xcalloc (1, sizeof *a);
  a->tee_fd = fd;
  pthread_mutex_init (&a->mu, NULL);
  pthread_cond_init (&a->cv, NULL);
  a->ring = mk_huge_alloc ((size_t) ASYNC_SLOTS * ASYNC_SLOT);
  for (size_t i = 0; i < ASYNC_SLOTS; i++)
    a->slot[i] = a->ring + i * ASYNC_SLOT;
  if (pthread_create (&a->thread, NULL, async_main, d) != 0)
    abort ();
  return d;
}

/* Hand the slot being filled to the thread, write it while the thread
 * hashes it (both only read it; it is not reused until the thread is done
 * with it), then wait for a free one.  Writing here rather than in the
 * hash thread lets the two run on two cores: a tar is formatted, written
 * and hashed in about the time hashing alone takes. */
static void
async_publish (struct async *a)
{
  size_t k = a->head % ASYNC_SLOTS;
  pthread_mutex_lock (&a->mu);
  a->len[k] = a->fill;
  a->head++;
  pthread_cond_broadcast (&a->cv);
  pthread_mutex_unlock (&a->mu);
  if (a->tee_fd >= 0 && a->tee_errno == 0)
    tee_write (a, a->slot[k], a->len[k]);
  pthread_mutex_lock (&a->mu);
  while (a->head - a->tail >= ASYNC_SLOTS)
    pthread_cond_wait (&a->cv, &a->mu);
  pthread_mutex_unlock (&a->mu);
  a->fill = 0;
}

/* Let the thread hash everything given so far, and end it. */
static int
async_stop (struct async *a)
{
  int e;
  if (a->fill)
    async_publish (a);
  pthread_mutex_lock (&a->mu);
  a->done = true;
  pthread_cond_broadcast (&a->cv);
  pthread_mutex_unlock (&a->mu);
  pthread_join (a->thread, NULL);
  e = a->tee_errno;
  mk_huge_free (a->ring, (size_t) ASYNC_SLOTS * ASYNC_SLOT);
  pthread_mutex_destroy (&a->mu);
  pthread_cond_destroy (&a->cv);
  free (a);
  return e;
}

void
mk_digest_add (struct mk_digest *d, const void *buf, size_t len)
{
  struct async *a = d->async;
  const char *p = buf;

  if (a == NULL)
    {
      if (len && EVP_DigestUpdate (d->ctx, buf, len) != 1)
        abort ();
      return;
    }
  while (len > 0)
    {
      size_t n = ASYNC_SLOT - a->fill < len ? ASYNC_SLOT - a->fill : len;
      memcpy (a->slot[a->head % ASYNC_SLOTS] + a->fill, p, n);
      a->fill += n;
      p += n;
      len -= n;
      if (a->fill == ASYNC_SLOT)
        async_publish (a);
    }
}

void *
mk_digest_room (struct mk_digest *d, size_t *room)
{
  struct async *a = d->async;
  *room = ASYNC_SLOT - a->fill;
  return a->slot[a->head % ASYNC_SLOTS] + a->fill;
}

void
mk_digest_added (struct mk_digest *d, size_t n)
{
  struct async *a = d->async;
  a->fill += n;
  if (a->fill == ASYNC_SLOT)
    async_publish (a);
}

int
mk_digest_end_tee (struct mk_digest *d)
{
  int e = d->async ? async_stop (d->async) : 0;
  d->async = NULL;
  return e;
}

char *
mk_digest_finish (struct mk_digest *d)
{
  unsigned char bin[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  char *hex;
  if (d->async)
    {
      async_stop (d->async);
      d->async = NULL;
    }
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
  if (d->async)
    async_stop (d->async);
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
