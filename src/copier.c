/* copier.c: see copier.h.  One producer, one consumer thread, a ring of
 * SLOTS buffers; every slot carries a piece of one file, and the first
 * and last pieces of a file say so (a file with no bytes is one empty
 * piece).  After a failure the thread still drains the ring and closes
 * every fd, so the producer never blocks on it. */
#define _GNU_SOURCE
#include "copier.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

#define SLOTS 8
#define SLOT_SIZE (1 << 17)

struct piece
{
  int fd;
  size_t len;
  bool first, last;
  char *algo, *want, *pkg, *file; /* set on the first piece */
  char *buf;
};

struct mk_copier
{
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct piece ring[SLOTS];
  size_t head, tail; /* [tail, head) are handed over */
  bool stop;
  mk_error_t failed; /* the first failure since the last wait */
  /* The producer's piece in the making (ring[head % SLOTS] once it has
   * a slot): */
  struct piece next;
  bool has_slot;
};

static void
piece_clear (struct piece *p)
{
  free (p->algo), free (p->want), free (p->pkg), free (p->file);
  p->algo = p->want = p->pkg = p->file = NULL;
}

/* The consumer's state for the file it is writing. */
struct current
{
  int fd;
  struct mk_digest *digest;
  char *want, *pkg, *file;
  bool bad; /* a failure was recorded: drop the rest of this file */
};

static void
fail (struct mk_copier *c, mk_error_t e)
{
  pthread_mutex_lock (&c->mu);
  if (c->failed == NULL)
    c->failed = e;
  else
    mk_error_release (&e);
  pthread_mutex_unlock (&c->mu);
}

static void
finish_file (struct mk_copier *c, struct current *cur)
{
  if (cur->digest && !cur->bad)
    {
      cleanup_free char *got = mk_digest_finish (cur->digest);
      cur->digest = NULL;
      if (strcmp (got, cur->want) != 0)
        {
          mk_error_t e = NULL;
          mk_make_error (&e, 0, "%s: `%s`: digest mismatch (corrupted "
                                "package)", cur->pkg, cur->file);
          fail (c, e);
        }
    }
  mk_digest_free (cur->digest);
  if (cur->fd >= 0)
    close (cur->fd);
  free (cur->want), free (cur->pkg), free (cur->file);
  *cur = (struct current){ .fd = -1 };
}

static void
consume (struct mk_copier *c, struct piece *p, struct current *cur)
{
  if (p->first)
    {
      finish_file (c, cur);
      cur->fd = p->fd;
      cur->digest = p->want ? mk_digest_new (p->algo) : NULL;
      cur->want = p->want, cur->pkg = p->pkg, cur->file = p->file;
      p->want = p->pkg = p->file = NULL;
    }
  if (!cur->bad && p->len > 0)
    {
      mk_error_t e = NULL;
      if (mk_write_all (cur->fd, p->buf, p->len, &e, cur->file) < 0)
        {
          mk_error_wrap (&e, "%s: unpacking", cur->pkg);
          fail (c, e);
          cur->bad = true;
        }
      else if (cur->digest)
        mk_digest_add (cur->digest, p->buf, p->len);
    }
  if (p->last)
    finish_file (c, cur);
}

static void *
copier_main (void *arg)
{
  struct mk_copier *c = arg;
  struct current cur = { .fd = -1 };

  pthread_mutex_lock (&c->mu);
  for (;;)
    {
      struct piece *p;
      while (c->tail == c->head && !c->stop)
        pthread_cond_wait (&c->cv, &c->mu);
      if (c->tail == c->head)
        break;
      p = &c->ring[c->tail % SLOTS];
      pthread_mutex_unlock (&c->mu);
      consume (c, p, &cur);
      piece_clear (p);
      pthread_mutex_lock (&c->mu);
      c->tail++;
      pthread_cond_broadcast (&c->cv);
    }
  pthread_mutex_unlock (&c->mu);
  finish_file (c, &cur);
  return NULL;
}

struct mk_copier *
mk_copier_new (void)
{
  struct mk_copier *c = xcalloc (1, sizeof *c);

  pthread_mutex_init (&c->mu, NULL);
  pthread_cond_init (&c->cv, NULL);
  for (size_t i = 0; i < SLOTS; i++)
    c->ring[i].buf = xmalloc (SLOT_SIZE);
  c->next.fd = -1;
  if (pthread_create (&c->thread, NULL, copier_main, c) != 0)
    abort ();
  return c;
}

/* Wait for a free slot for the producer's next piece. */
static struct piece *
take_slot (struct mk_copier *c)
{
  if (!c->has_slot)
    {
      pthread_mutex_lock (&c->mu);
      while (c->head - c->tail == SLOTS)
        pthread_cond_wait (&c->cv, &c->mu);
      pthread_mutex_unlock (&c->mu);
      c->has_slot = true;
    }
  return &c->ring[c->head % SLOTS];
}

/* Hand the producer's slot over, with the piece's fields. */
static void
publish (struct mk_copier *c, size_t len, bool last)
{
  struct piece *p = take_slot (c);
  char *buf = p->buf;

  *p = c->next;
  p->buf = buf;
  p->len = len;
  p->last = last;
  c->next = (struct piece){ .fd = c->next.fd };
  pthread_mutex_lock (&c->mu);
  c->head++;
  c->has_slot = false;
  pthread_cond_broadcast (&c->cv);
  pthread_mutex_unlock (&c->mu);
}

void
mk_copier_begin (struct mk_copier *c, int fd, const char *algo,
                 const char *want, const char *pkg, const char *file)
{
  c->next = (struct piece){ .fd = fd, .first = true,
                            .algo = want ? xstrdup (algo) : NULL,
                            .want = want ? xstrdup (want) : NULL,
                            .pkg = xstrdup (pkg), .file = xstrdup (file) };
}

char *
mk_copier_buffer (struct mk_copier *c, size_t *len)
{
  *len = SLOT_SIZE;
  return take_slot (c)->buf;
}

void
mk_copier_push (struct mk_copier *c, size_t n)
{
  publish (c, n, false);
}

void
mk_copier_end (struct mk_copier *c)
{
  publish (c, 0, true);
}

int
mk_copier_wait (struct mk_copier *c, mk_error_t *err)
{
  mk_error_t e;

  pthread_mutex_lock (&c->mu);
  while (c->tail != c->head)
    pthread_cond_wait (&c->cv, &c->mu);
  e = c->failed;
  c->failed = NULL;
  pthread_mutex_unlock (&c->mu);
  if (e == NULL)
    return 0;
  *err = e;
  return -1;
}

void
mk_copier_free (struct mk_copier *c)
{
  if (c == NULL)
    return;
  pthread_mutex_lock (&c->mu);
  c->stop = true;
  pthread_cond_broadcast (&c->cv);
  pthread_mutex_unlock (&c->mu);
  pthread_join (c->thread, NULL);
  if (c->next.first && c->next.fd >= 0)
    close (c->next.fd); /* begun, never handed over */
  piece_clear (&c->next);
  for (size_t i = 0; i < SLOTS; i++)
    {
      piece_clear (&c->ring[i]);
      free (c->ring[i].buf);
    }
  mk_error_release (&c->failed);
  pthread_mutex_destroy (&c->mu);
  pthread_cond_destroy (&c->cv);
  free (c);
}
