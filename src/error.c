/* error.c: construction, wrapping and printing of mk_error_t, and the
 * warning/info channels.  No library besides libc. */
#define _GNU_SOURCE
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int mk_verbosity = 1;

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len (const unsigned char *s)
{
  size_t n;
  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
    n = 2;
  else if ((s[0] & 0xf0) == 0xe0)
    n = 3;
  else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
    n = 4;
  else
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* Messages carry names that come from packages and recipes: a newline in a
 * file name must not forge a second "mkbase:" line, nor an escape sequence
 * reach the terminal.  Control bytes and invalid UTF-8 become \xNN. */
void
mk_put_sanitized (FILE *f, const char *msg)
{
  const unsigned char *s = (const unsigned char *) msg;
  while (*s)
    {
      size_t n = utf8_len (s);
      if (n == 0 || *s < 0x20 || *s == 0x7f)
        {
          fprintf (f, "\\x%02x", *s);
          s++;
          continue;
        }
      fwrite (s, 1, n, f);
      s += n;
    }
}

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

static int
make_error (mk_error_t *err, int exit_code, int errnum, const char *fmt,
            va_list ap)
{
  struct mk_error *e = calloc (1, sizeof *e);
  char *what = vformat (fmt, ap);

  if (e == NULL)
    abort ();
  e->errnum = errnum;
  e->exit_code = exit_code;
  if (errnum != 0)
    {
      if (asprintf (&e->msg, "%s: %s", what, strerror (errnum)) < 0)
        abort ();
      free (what);
    }
  else
    e->msg = what;
  /* An error that is already set wins: it is the root cause. */
  if (*err != NULL)
    {
      free (e->msg);
      free (e);
      return -1;
    }
  *err = e;
  return -1;
}

int
mk_make_error (mk_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  make_error (err, MK_EXIT_FAILURE, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
mk_make_error_code (mk_error_t *err, int exit_code, int errnum,
                    const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  make_error (err, exit_code, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
mk_error_wrap (mk_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *msg;

  if (*err == NULL)
    return -1;
  va_start (ap, fmt);
  ctx = vformat (fmt, ap);
  va_end (ap);
  if (asprintf (&msg, "%s: %s", ctx, (*err)->msg) < 0)
    abort ();
  free (ctx);
  free ((*err)->msg);
  (*err)->msg = msg;
  return -1;
}

void
mk_error_release (mk_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
mk_error_print (mk_error_t *err)
{
  int code = MK_EXIT_FAILURE;
  /* An empty message was printed already (by mkbase-core). */
  if (*err != NULL && (*err)->msg[0] != '\0')
    {
      fputs ("mkbase: ", stderr);
      mk_put_sanitized (stderr, (*err)->msg);
      fputc ('\n', stderr);
    }
  if (*err != NULL)
    code = (*err)->exit_code;
  mk_error_release (err);
  return code;
}

static void
vmessage (FILE *f, const char *prefix, const char *fmt, va_list ap)
{
  char *m = vformat (fmt, ap);
  fputs (prefix, f);
  mk_put_sanitized (f, m);
  fputc ('\n', f);
  free (m);
}

void
mk_warn (const char *fmt, ...)
{
  va_list ap;
  if (mk_verbosity < 1)
    return;
  va_start (ap, fmt);
  vmessage (stderr, "mkbase: warning: ", fmt, ap);
  va_end (ap);
}

void
mk_error_detail (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vmessage (stderr, "mkbase: ", fmt, ap);
  va_end (ap);
}

void
mk_info (const char *fmt, ...)
{
  va_list ap;
  if (mk_verbosity < 1)
    return;
  va_start (ap, fmt);
  vmessage (stderr, "", fmt, ap);
  va_end (ap);
}

void
mk_debug (const char *fmt, ...)
{
  va_list ap;
  if (mk_verbosity < 2)
    return;
  va_start (ap, fmt);
  vmessage (stderr, "mkbase: debug: ", fmt, ap);
  va_end (ap);
}

static int
progress_tty (void)
{
  static int tty = -1;
  if (tty < 0)
    tty = isatty (STDERR_FILENO);
  return tty && mk_verbosity >= 1;
}

static void
draw (const char *phase, unsigned long done, unsigned long total)
{
  char bar[31];
  int filled = total ? (int) (30.0 * (double) done / (double) total) : 30;
  if (filled > 30)
    filled = 30;
  memset (bar, '=', (size_t) filled);
  memset (bar + filled, ' ', (size_t) (30 - filled));
  bar[30] = '\0';
  fprintf (stderr, "\r%-8s [%s] %lu/%lu ", phase, bar, done, total);
}

void
mk_progress (const char *phase, unsigned long done, unsigned long total)
{
  static struct timespec last;
  struct timespec now;
  if (!progress_tty ())
    return;
  clock_gettime (CLOCK_MONOTONIC, &now);
  if ((now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec)
      < 100000000L)
    return;
  last = now;
  draw (phase, done, total);
}

void
mk_progress_done (const char *phase, unsigned long total)
{
  if (!progress_tty ())
    return;
  draw (phase, total, total);
  fputc ('\n', stderr);
}
