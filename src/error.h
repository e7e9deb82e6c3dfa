/* error.h: one error value that travels up to main.c, which alone prints it.
 *
 * Functions that can fail take `mk_error_t *err` last and return a negative
 * value on failure after filling *err (crun's libcrun_error_t pattern).  The
 * message is "what: why"; main prints it as "mkbase: what: why".  The exit
 * code travels with the error so the place that knows the cause (the solver,
 * the recipe parser) decides it, not main. */
#ifndef MK_ERROR_H
#define MK_ERROR_H

#include <stdio.h>

#include <stdarg.h>

/* Exit codes, documented in README.md and docs/mkbase.1. */
enum
{
  MK_EXIT_OK = 0,
  MK_EXIT_FAILURE = 1,    /* build failed: package, I/O, conflicts, checksum */
  MK_EXIT_SOLVE = 2,      /* dependency resolution failed or no such package */
  MK_EXIT_RECIPE = 3,     /* recipe or profile is invalid */
  MK_EXIT_USAGE = 64,     /* bad command line (EX_USAGE) */
  MK_EXIT_RUNNER = 125,   /* mkbase run: the runner itself failed */
  MK_EXIT_CANNOT_EXEC = 126,
  MK_EXIT_NOT_FOUND = 127,
  MK_EXIT_SIGINT = 130,
  MK_EXIT_SIGTERM = 143,
};

struct mk_error
{
  int errnum;     /* errno of the cause, 0 when none */
  int exit_code;  /* MK_EXIT_* */
  char *msg;
};
typedef struct mk_error *mk_error_t;

/* Fill *err (which must be NULL) and return -1.  When errnum is non-zero,
 * ": strerror(errnum)" is appended. */
int mk_make_error (mk_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* The same, with an explicit exit code. */
int mk_make_error_code (mk_error_t *err, int exit_code, int errnum,
                        const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Prefix the message of an existing error with context: "ctx: old".
 * Returns -1 so it can be used as `return mk_error_wrap (err, ...)`. */
int mk_error_wrap (mk_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

void mk_error_release (mk_error_t *err);

/* Write msg with control bytes and invalid UTF-8 as \xNN (text that
 * packages or their scripts control). */
void mk_put_sanitized (FILE *f, const char *msg);

/* Print "mkbase: msg" to stderr and return the exit code; releases *err. */
int mk_error_print (mk_error_t *err);

/* Diagnostics that do not stop the build.  Verbosity: 0 = -q, 1 = normal,
 * 2 = -v. */
extern int mk_verbosity;
void mk_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void mk_info (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void mk_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* One line of a list that the error about to be returned sums up ("mkbase:
 * check: /usr/bin/grep: needs ..." before "mkbase: image check: 1
 * problem"): printed as "mkbase: msg" even with -q, since the error line
 * alone would not say what failed. */
void mk_error_detail (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

/* A one-line progress bar on a terminal ("unpack [=====     ] 12/58"),
 * redrawn at most ten times a second; nothing when stderr is not a
 * terminal or with -q.  mk_progress_done ends the line. */
void mk_progress (const char *phase, unsigned long done, unsigned long total);
void mk_progress_done (const char *phase, unsigned long total);

#endif
