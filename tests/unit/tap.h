/* tap.h: a minimal TAP producer for the unit test binaries. */
#ifndef MK_TAP_H
#define MK_TAP_H
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
      const char *a_ = (a), *b_ = (b);                                        \
      int c_ = (a_ && b_ && strcmp (a_, b_) == 0);                            \
      ok (c_, __VA_ARGS__);                                                   \
      if (!c_)                                                                \
        printf ("#   got '%s', expected '%s'\n", a_ ? a_ : "(null)",          \
                b_ ? b_ : "(null)");                                          \
    }                                                                         \
  while (0)

#define is_int(a, b, ...)                                                     \
  do                                                                          \
    {                                                                         \
      long long a_ = (long long) (a), b_ = (long long) (b);                   \
      ok (a_ == b_, __VA_ARGS__);                                             \
      if (a_ != b_)                                                           \
        printf ("#   got %lld, expected %lld\n", a_, b_);                     \
    }                                                                         \
  while (0)

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}
#endif
