/* tap.h: a minimal TAP producer for the unit test binaries, and the
 * helpers several of them share. */
#ifndef MK_TAP_H
#define MK_TAP_H
#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                         \
  do                                                                          \
    {                                                                         \
      int c_ = !!(cond);                                                      \
      tap_n++;                                                                \
      printf ("%sok %d - ", c_ ? "" : "not ", tap_n);                         \
      printf (__VA_ARGS__);                                                   \
      printf ("\n");                                                          \
      if (!c_)                                                                \
        {                                                                     \
          tap_failed++;                                                       \
          printf ("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                     \
    }                                                                         \
  while (0)

#define is_str(a, b, ...)                                                     \
  do                                                                          \
    {                                                                         \
      const char *sa_ = (a), *sb_ = (b);                                      \
      int seq_ = (sa_ && sb_ && strcmp (sa_, sb_) == 0);                      \
      ok (seq_, __VA_ARGS__);                                                 \
      if (!seq_)                                                              \
        printf ("#   got '%s', expected '%s'\n", sa_ ? sa_ : "(null)",        \
                sb_ ? sb_ : "(null)");                                        \
    }                                                                         \
  while (0)

#define is_int(a, b, ...)                                                     \
  do                                                                          \
    {                                                                         \
      long long ia_ = (long long) (a), ib_ = (long long) (b);                 \
      ok (ia_ == ib_, __VA_ARGS__);                                           \
      if (ia_ != ib_)                                                         \
        printf ("#   got %lld, expected %lld\n", ia_, ib_);                   \
    }                                                                         \
  while (0)

/* Entries of /proc/self/fd: compared before and after, it shows a leaked
 * fd. */
static inline int
tap_open_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  int n = 0;
  while (d && readdir (d))
    n++;
  if (d)
    closedir (d);
  return n;
}

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}
#endif
