/* error.c: construction, wrapping and printing of mk_error_t, and the
 * warning/info channels.  No library besides libc. */
#define _GNU_SOURCE
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mk_verbosity = 1;

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
      fprintf (stderr, "mkbase: %s\n", (*err)->msg);
    }
  if (*err != NULL)
    code = (*err)->exit_code;
  mk_error_release (err);
  return code;
}

static void
vmessage (FILE *f, const char *prefix, const char *fmt, va_list ap)
{
  fputs (prefix, f);
  vfprintf (f, fmt, ap);
  fputc ('\n', f);
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
