/* test_check.c: unit tests for check.c: the ELF reader on the host's own
 * binaries and on synthetic files of both classes and byte orders, which
 * are then truncated at every length and mutated byte by byte (no crash,
 * a clean error or "not ELF"); locale-name normalisation; and the whole
 * check on a small image (manifest + staging tree) with libraries found
 * through RUNPATH, ld.so.conf includes and the default directories, a
 * library of the wrong class skipped, #! and env interpreters, symlinks
 * dangling by pruning or by design, the locale, and allow_broken. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "elfinfo.h"
#include "error.h"
#include "rpm.h"
#include "tree.h"
#include "util.h"

#include "tap.h"

static char *tmpdir;

/* ---- synthetic ELF files ------------------------------------------------ */

static void
put (unsigned char *b, size_t off, size_t n, uint64_t v, bool be)
{
  for (size_t i = 0; i < n; i++)
    b[off + (be ? n - 1 - i : i)] = (unsigned char) (v >> (8 * i));
}

/* One PT_LOAD over the whole file at vaddr 0, PT_INTERP (when interp),
 * PT_DYNAMIC with DT_NEEDED, DT_RUNPATH, DT_STRTAB, DT_STRSZ.  Returns the
 * length written into b (which must hold 2048 bytes). */
static size_t
make_elf (unsigned char *b, bool is64, bool be, unsigned machine,
          const char *interp, const char *const *needed, const char *runpath)
{
  size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32, w = is64 ? 8 : 4;
  size_t phoff = eh, nph = 3, off, stroff, strsz, dynoff, n = 0, len;
  size_t idx[16], runidx = 0, interp_off;
  unsigned char *p;

  memset (b, 0, 2048);
  memcpy (b, ELFMAG, SELFMAG);
  b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
  b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
  b[EI_VERSION] = EV_CURRENT;
  put (b, 16, 2, interp ? ET_EXEC : ET_DYN, be);
  put (b, 18, 2, machine, be);
  put (b, 20, 4, EV_CURRENT, be);
  put (b, is64 ? 32 : 28, w, phoff, be);
  put (b, is64 ? 52 : 40, 2, eh, be);
  put (b, is64 ? 54 : 42, 2, ph, be);
  put (b, is64 ? 56 : 44, 2, nph, be);
  off = interp_off = phoff + nph * ph;
  /* interp, then the string table */
  if (interp)
    memcpy (b + off, interp, strlen (interp) + 1);
  stroff = off + (interp ? strlen (interp) + 1 : 0);
  strsz = 1;
  for (; needed && needed[n]; n++)
    {
      idx[n] = strsz;
      memcpy (b + stroff + strsz, needed[n], strlen (needed[n]) + 1);
      strsz += strlen (needed[n]) + 1;
    }
  if (runpath)
    {
      runidx = strsz;
      memcpy (b + stroff + strsz, runpath, strlen (runpath) + 1);
      strsz += strlen (runpath) + 1;
    }
  dynoff = (stroff + strsz + 7) & ~(size_t) 7;
  p = b + dynoff;
  for (size_t i = 0; i < n; i++, p += 2 * w)
    put (p, 0, w, DT_NEEDED, be), put (p, w, w, idx[i], be);
  if (runpath)
    put (p, 0, w, DT_RUNPATH, be), put (p, w, w, runidx, be), p += 2 * w;
  put (p, 0, w, DT_STRTAB, be), put (p, w, w, stroff, be), p += 2 * w;
  put (p, 0, w, DT_STRSZ, be), put (p, w, w, strsz, be), p += 2 * w;
  p += 2 * w; /* DT_NULL */
  len = (size_t) (p - b);
  /* program headers */
  for (size_t i = 0; i < nph; i++)
    {
      unsigned char *h = b + phoff + i * ph;
      uint64_t type = i == 0 ? PT_LOAD : i == 1 ? PT_DYNAMIC : PT_INTERP;
      uint64_t o = i == 0 ? 0 : i == 1 ? dynoff : interp_off;
      uint64_t sz = i == 0 ? len : i == 1 ? len - dynoff
                                          : strlen (interp ? interp : "") + 1;
      if (i == 2 && interp == NULL)
        type = PT_NOTE;
      put (h, 0, 4, type, be);
      if (is64)
        put (h, 8, 8, o, be), put (h, 16, 8, o, be), put (h, 32, 8, sz, be),
            put (h, 40, 8, sz, be);
      else
        put (h, 4, 4, o, be), put (h, 8, 4, o, be), put (h, 16, 4, sz, be),
            put (h, 20, 4, sz, be);
    }
  return len;
}

static int
write_tmp (const char *name, const void *data, size_t len)
{
  char *path = xasprintf ("%s/%s", tmpdir, name);
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  free (path);
  if (fd < 0 || (len && write (fd, data, len) != (ssize_t) len))
    abort ();
  return fd;
}

/* Parse data as a file; 1/0/-1 as mk_elfinfo_read. */
static int
parse_bytes (const void *data, size_t len, struct mk_elfinfo *info,
             char **msg)
{
  int fd = write_tmp ("elf", data, len);
  mk_error_t err = NULL;
  struct mk_elfinfo tmp = { 0 };
  int r = mk_elfinfo_read (fd, info ? info : &tmp, &err);
  close (fd);
  if (msg)
    *msg = err ? xstrdup (err->msg) : NULL;
  mk_error_release (&err);
  if (info == NULL)
    mk_elfinfo_clear (&tmp);
  return r;
}

static void
test_synthetic (bool is64, bool be)
{
  unsigned char b[2048];
  const char *needed[] = { "libfoo.so.1", "libbar.so.2", NULL };
  struct mk_elfinfo info = { 0 };
  size_t len = make_elf (b, is64, be, be ? EM_PPC64 : EM_X86_64,
                         "/lib/ld.so.1", needed, "$ORIGIN/../lib");
  const char *what = is64 ? (be ? "64-bit BE" : "64-bit LE")
                          : (be ? "32-bit BE" : "32-bit LE");
  char *msg = NULL;

  is_int (parse_bytes (b, len, &info, &msg), 1, "%s: parsed", what);
  if (msg)
    printf ("# %s\n", msg);
  free (msg);
  ok (info.is64 == is64 && info.big_endian == be, "%s: class and order",
      what);
  is_str (info.interp, "/lib/ld.so.1", "%s: PT_INTERP", what);
  ok (info.needed && mk_strv_len (info.needed) == 2
          && strcmp (info.needed[0], "libfoo.so.1") == 0
          && strcmp (info.needed[1], "libbar.so.2") == 0,
      "%s: DT_NEEDED in order", what);
  is_str (info.runpath, "$ORIGIN/../lib", "%s: DT_RUNPATH", what);
  ok (info.rpath == NULL, "%s: no DT_RPATH", what);
  mk_elfinfo_clear (&info);

  /* Every prefix of the file: a clean answer, never a crash. */
  {
    size_t bad = 0, errors = 0;
    for (size_t l = 0; l < len; l++)
      {
        int r = parse_bytes (b, l, NULL, NULL);
        bad += r > 0;
        errors += r < 0;
      }
    ok (bad == 0, "%s: no truncated prefix parses as complete (%zu did)",
        what, bad);
    ok (errors > 0, "%s: truncations give clean errors (%zu)", what, errors);
  }
  /* Every byte flipped, and every byte set to 0xff. */
  for (size_t i = 0; i < len; i++)
    {
      unsigned char m[2048];
      memcpy (m, b, len);
      m[i] ^= 0x80;
      parse_bytes (m, len, NULL, NULL);
      m[i] = 0xff;
      parse_bytes (m, len, NULL, NULL);
    }
  ok (1, "%s: %zu mutated files read without a crash", what, 2 * len);
}

static void
test_garbage (void)
{
  unsigned char b[2048];
  unsigned seed = 12345;
  char *msg = NULL;
  size_t results[3] = { 0 };

  is_int (parse_bytes ("", 0, NULL, NULL), 0, "an empty file is not ELF");
  is_int (parse_bytes ("#!/bin/sh\n", 10, NULL, NULL), 0,
          "a script is not ELF");
  is_int (parse_bytes ("\177ELF", 4, NULL, &msg), -1,
          "the bare magic is a malformed ELF");
  ok (msg && strstr (msg, "malformed ELF"), "... with a clean error (%s)",
      msg ? msg : "none");
  free (msg);
  memset (b, 0, 64);
  memcpy (b, "\177ELF\003\001\001", 7);
  is_int (parse_bytes (b, 64, NULL, &msg), -1, "an unknown class fails");
  free (msg);
  /* A relocatable object is ELF but not something to check. */
  make_elf (b, true, false, EM_X86_64, NULL, NULL, NULL);
  put (b, 16, 2, ET_REL, false);
  is_int (parse_bytes (b, 200, NULL, NULL), 0, "ET_REL is not checked");
  /* Huge counts and offsets. */
  make_elf (b, true, false, EM_X86_64, NULL, NULL, NULL);
  put (b, 56, 2, 0xffff, false);
  is_int (parse_bytes (b, 300, NULL, NULL), -1, "PN_XNUM program headers");
  make_elf (b, true, false, EM_X86_64, NULL, NULL, NULL);
  put (b, 32, 8, UINT64_MAX - 8, false);
  is_int (parse_bytes (b, 300, NULL, NULL), -1,
          "program headers at an offset that overflows");
  make_elf (b, false, true, EM_PPC, NULL, NULL, NULL);
  put (b, 42, 2, 0xffff, true);
  put (b, 44, 2, 4000, true);
  is_int (parse_bytes (b, 300, NULL, NULL), -1,
          "64k-byte program headers are refused before any allocation");
  /* Random bytes after a valid identification. */
  for (int i = 0; i < 3000; i++)
    {
      size_t len = 16 + (size_t) (rand_r (&seed) % 1000);
      for (size_t j = 0; j < len; j++)
        b[j] = (unsigned char) rand_r (&seed);
      memcpy (b, ELFMAG, SELFMAG);
      b[EI_CLASS] = (unsigned char) (1 + (i & 1));
      b[EI_DATA] = (unsigned char) (1 + ((i >> 1) & 1));
      results[parse_bytes (b, len, NULL, NULL) + 1]++;
    }
  ok (results[0] + results[1] + results[2] == 3000,
      "3000 random ELF-looking files: %zu errors, %zu not checked, %zu "
      "parsed, no crash", results[0], results[1], results[2]);
  /* A valid file with a few random bytes changed reaches the program
   * headers, the dynamic section and the string table. */
  memset (results, 0, sizeof results);
  for (int i = 0; i < 4000; i++)
    {
      const char *needed[] = { "libfoo.so.1", "libbar.so.2", NULL };
      size_t len = make_elf (b, i & 1, (i >> 1) & 1, EM_X86_64, "/lib/ld",
                             needed, "/x");
      int k = 1 + rand_r (&seed) % 8;
      for (int j = 0; j < k; j++)
        b[16 + (size_t) rand_r (&seed) % (len - 16)]
            = (unsigned char) rand_r (&seed);
      results[parse_bytes (b, len, NULL, NULL) + 1]++;
    }
  ok (results[0] > 100 && results[2] > 100,
      "4000 files with random bytes changed: %zu errors, %zu not checked, "
      "%zu parsed, no crash", results[0], results[1], results[2]);
}

static void
test_host_elf (void)
{
  static const char *const bins[] = { "/usr/bin/ls", "/bin/ls", NULL };
  const char *bin = NULL;
  struct mk_elfinfo info = { 0 };
  mk_error_t err = NULL;
  int fd, r;

  for (size_t i = 0; bins[i] && bin == NULL; i++)
    if (access (bins[i], R_OK) == 0)
      bin = bins[i];
  if (bin == NULL)
    {
      printf ("ok %d # SKIP no /usr/bin/ls\n", ++tap_n);
      return;
    }
  fd = open (bin, O_RDONLY | O_CLOEXEC);
  r = mk_elfinfo_read (fd, &info, &err);
  close (fd);
  is_int (r, 1, "%s is an ELF executable", bin);
  ok (info.interp && strstr (info.interp, "ld-") != NULL,
      "%s: PT_INTERP names the dynamic loader (%s)", bin,
      info.interp ? info.interp : "none");
  ok (mk_strv_contains (info.needed, "libc.so.6"),
      "%s: DT_NEEDED has libc.so.6", bin);
  mk_elfinfo_clear (&info);
  mk_error_release (&err);

  /* Every prefix of the real file's first 16 KiB. */
  fd = open (bin, O_RDONLY | O_CLOEXEC);
  {
    unsigned char *buf = xmalloc (16384);
    ssize_t n = read (fd, buf, 16384);
    size_t errors = 0;
    for (ssize_t l = 0; l < n; l += 7)
      errors += parse_bytes (buf, (size_t) l, NULL, NULL) < 0;
    ok (errors > 0, "%s cut short at %zd lengths: %zu clean errors, no "
        "crash", bin, (n + 6) / 7, errors);
    free (buf);
  }
  close (fd);
}

/* ---- locale names ------------------------------------------------------- */

static void
test_locale_normalize (void)
{
  static const char *const cases[][2] = {
    { "en_US.UTF-8", "en_US.utf8" },
    { "de_DE.ISO-8859-1@euro", "de_DE.iso88591@euro" },
    { "de_DE.8859-1", "de_DE.iso88591" },
    { "C.UTF-8", "C.utf8" },
    { "en_US", "en_US" },
    { "sr_RS@latin", "sr_RS@latin" },
    { "POSIX", "POSIX" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      char *got = mk_check_locale_normalize (cases[i][0]);
      is_str (got, cases[i][1], "locale %s -> %s", cases[i][0], cases[i][1]);
      free (got);
    }
}

/* ---- the whole check ---------------------------------------------------- */

struct image
{
  struct mk_tree *t;
  int rootfd;
  char *dir;
};

static struct mk_entry *
img_add (struct image *im, const char *path, mode_t mode, const char *link,
         const void *data, size_t len)
{
  struct mk_entry *e = mk_tree_add (im->t, path);
  e->mode = mode;
  if (S_ISDIR (mode))
    mkdirat (im->rootfd, path + 1, 0700);
  else if (S_ISLNK (mode))
    e->linkto = xstrdup (link);
  else
    {
      int fd = openat (im->rootfd, path + 1, O_WRONLY | O_CREAT | O_TRUNC
                                                 | O_CLOEXEC, 0600);
      if (fd < 0 || (len && write (fd, data, len) != (ssize_t) len))
        abort ();
      close (fd);
    }
  return e;
}

static void
img_elf (struct image *im, const char *path, mode_t mode, bool is64,
         const char *interp, const char *const *needed, const char *runpath)
{
  unsigned char b[2048];
  size_t len = make_elf (b, is64, false, is64 ? EM_X86_64 : EM_386, interp,
                         needed, runpath);
  img_add (im, path, S_IFREG | mode, NULL, b, len);
}

static void
img_text (struct image *im, const char *path, mode_t mode, const char *text)
{
  img_add (im, path, S_IFREG | mode, NULL, text, strlen (text));
}

static void
build_image (struct image *im)
{
  static const char *const dirs[]
      = { "/usr", "/usr/bin", "/usr/lib", "/usr/lib/private",
          "/usr/lib/x86_64-linux-gnu", "/usr/lib/locale", "/usr/share",
          "/etc", "/etc/ld.so.conf.d", "/opt", "/opt/baz", "/opt/baz/lib" };
  const char *prog_needs[] = { "libfoo.so.1", "libbar.so.2", "libbaz.so.3",
                               NULL };
  const char *lib_needs[] = { "libc.so.6", NULL };

  im->t = mk_tree_new ();
  if (mk_mkdtemp (tmpdir, "image", &im->dir, NULL) < 0)
    abort ();
  im->rootfd = open (im->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    img_add (im, dirs[i], S_IFDIR | 0755, NULL, NULL, 0);
  img_add (im, "/lib", S_IFLNK | 0777, "usr/lib", NULL, 0);
  img_elf (im, "/usr/lib/ld.so", 0755, true, NULL, NULL, NULL);
  img_elf (im, "/usr/lib/libc.so.6", 0644, true, "/lib/ld.so", NULL, NULL);
  img_elf (im, "/usr/bin/prog", 0755, true, "/lib/ld.so", prog_needs,
           "$ORIGIN/../lib/private");
  /* A 32-bit libfoo first in the search order: ld.so skips it. */
  img_elf (im, "/usr/lib/x86_64-linux-gnu/libfoo.so.1", 0644, false, NULL,
           NULL, NULL);
  img_add (im, "/usr/lib/libfoo.so.1", S_IFLNK | 0777, "libfoo.so.1.0",
           NULL, 0);
  img_elf (im, "/usr/lib/libfoo.so.1.0", 0644, true, NULL, lib_needs, NULL);
  img_elf (im, "/usr/lib/private/libbar.so.2", 0644, true, NULL, lib_needs,
           NULL);
  img_elf (im, "/opt/baz/lib/libbaz.so.3", 0644, true, NULL, lib_needs,
           NULL);
  img_text (im, "/etc/ld.so.conf", 0644,
            "# comment\ninclude /etc/ld.so.conf.d/*.conf\n");
  img_text (im, "/etc/ld.so.conf.d/baz.conf", 0644, "/opt/baz/lib\n");
  img_text (im, "/usr/bin/perl", 0755, "not really perl");
  img_text (im, "/usr/bin/env", 0755, "not really env");
  img_text (im, "/usr/bin/python3.11", 0755, "not really python");
  img_add (im, "/usr/bin/python3", S_IFLNK | 0777, "python3.11", NULL, 0);
  img_text (im, "/usr/bin/script", 0755, "#! /usr/bin/perl -w\nprint 1;\n");
  img_text (im, "/usr/bin/envscript", 0755,
            "#!/usr/bin/env -S python3 -u\nprint(1)\n");
  img_text (im, "/usr/share/data.txt", 0644, "x");
  img_add (im, "/usr/bin/data", S_IFLNK | 0777, "../share/data.txt", NULL,
           0);
  img_add (im, "/etc/mtab", S_IFLNK | 0777, "../proc/self/mounts", NULL, 0);
  img_add (im, "/etc/alt", S_IFLNK | 0777, "/usr/sbin/nothing", NULL, 0);
}

static void
free_image (struct image *im)
{
  close (im->rootfd);
  mk_at_rmtree (AT_FDCWD, im->dir);
  free (im->dir);
  mk_tree_free (im->t);
}

static struct mk_check_report *
run_check (struct image *im, char *const *allow, char *const *env)
{
  struct mk_check_opts o = { .allow_broken = allow, .env = env };
  struct mk_check_report *r = NULL;
  mk_error_t err = NULL;
  if (mk_check_image (im->t, im->rootfd, &o, &r, &err) < 0)
    {
      printf ("# check failed: %s\n", err->msg);
      mk_error_release (&err);
      abort ();
    }
  return r;
}

/* The item for path whose reason contains `needle`, or NULL. */
static const struct mk_check_item *
find_item (const struct mk_check_report *r, const char *path,
           const char *needle)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->items[i].path, path) == 0
        && strstr (r->items[i].reason, needle))
      return &r->items[i];
  return NULL;
}

static void
dump (const struct mk_check_report *r)
{
  for (size_t i = 0; i < r->n; i++)
    printf ("#   %s %s: %s\n",
            r->items[i].level == MK_CHECK_PROBLEM ? "PROBLEM" : "warning",
            r->items[i].path, r->items[i].reason);
}

static void
test_image_clean (struct image *im)
{
  struct mk_check_report *r = run_check (im, NULL, NULL);
  const struct mk_check_item *it;

  is_int (r->n_problems, 0, "the intact image has no problems");
  if (r->n_problems)
    dump (r);
  is_int (r->n_elf, 7, "7 ELF files read");
  is_int (r->n_scripts, 2, "2 scripts read");
  is_int (r->n_links, 6, "6 symlinks followed");
  it = find_item (r, "/etc/alt", "dangling");
  ok (it && it->level == MK_CHECK_WARNING,
      "a symlink to a path no package has is a warning");
  ok (find_item (r, "/etc/mtab", "") == NULL,
      "a symlink into /proc is not reported");
  is_int (r->n_warnings, 1, "and nothing else is");
  mk_check_report_free (r);
}

static void
test_image_pruned (struct image *im)
{
  struct mk_check_report *r;
  const struct mk_check_item *it;
  char *allow[] = { "/usr/bin/prog", "libfoo.so.1*", NULL };
  struct mk_entry *foo = mk_tree_lookup (im->t, "/usr/lib/libfoo.so.1.0");
  struct mk_entry *conf = mk_tree_lookup (im->t, "/etc/ld.so.conf");

  foo->removed = true;
  r = run_check (im, NULL, NULL);
  it = find_item (r, "/usr/bin/prog", "libfoo.so.1");
  ok (it && it->level == MK_CHECK_PROBLEM
          && strstr (it->reason, "(DT_NEEDED), not in the image (pruned)"),
      "a pruned library is a problem: %s", it ? it->reason : "none");
  it = find_item (r, "/usr/lib/libfoo.so.1", "was pruned");
  ok (it && it->level == MK_CHECK_PROBLEM,
      "the symlink to it is a problem too: %s", it ? it->reason : "none");
  ok (find_item (r, "/usr/bin/prog", "libbar") == NULL,
      "libbar is found through DT_RUNPATH $ORIGIN");
  ok (find_item (r, "/usr/bin/prog", "libbaz") == NULL,
      "libbaz is found through an ld.so.conf include");
  is_int (r->n_problems, 2, "two problems");
  mk_check_report_free (r);

  r = run_check (im, allow, NULL);
  is_int (r->n_problems, 0, "allow_broken turns both into warnings");
  it = find_item (r, "/usr/bin/prog", "libfoo");
  ok (it && it->allowed_by && strcmp (it->allowed_by, "/usr/bin/prog") == 0,
      "the path glob accepted prog's problem");
  it = find_item (r, "/usr/lib/libfoo.so.1", "pruned");
  ok (it && it->allowed_by && strcmp (it->allowed_by, "libfoo.so.1*") == 0,
      "a file-name glob accepted the symlink's");
  mk_check_report_free (r);
  foo->removed = false;

  conf->removed = true;
  r = run_check (im, NULL, NULL);
  it = find_item (r, "/usr/bin/prog", "libbaz.so.3");
  ok (it && it->level == MK_CHECK_WARNING
          && strstr (it->reason, "found only at /opt/baz/lib/libbaz.so.3"),
      "without ld.so.conf, libbaz is outside the library path (a warning: "
      "plugins rely on a loaded soname): %s",
      it ? it->reason : "none");
  conf->removed = false;
  mk_check_report_free (r);
}

static void
test_image_scripts (struct image *im)
{
  struct mk_check_report *r;
  const struct mk_check_item *it;
  struct mk_entry *perl = mk_tree_lookup (im->t, "/usr/bin/perl");
  struct mk_entry *py = mk_tree_lookup (im->t, "/usr/bin/python3.11");
  struct mk_entry *ld = mk_tree_lookup (im->t, "/usr/lib/ld.so");
  struct mk_entry *data = mk_tree_lookup (im->t, "/usr/share/data.txt");

  perl->removed = py->removed = ld->removed = data->removed = true;
  r = run_check (im, NULL, NULL);
  it = find_item (r, "/usr/bin/script", "#! interpreter /usr/bin/perl");
  ok (it && it->level == MK_CHECK_PROBLEM && strstr (it->reason, "pruned"),
      "a pruned #! interpreter: %s", it ? it->reason : "none");
  it = find_item (r, "/usr/bin/envscript", "python3");
  ok (it && it->level == MK_CHECK_PROBLEM && strstr (it->reason, "pruned"),
      "#!/usr/bin/env -S python3 with python3 pruned: %s",
      it ? it->reason : "none");
  it = find_item (r, "/usr/bin/prog", "PT_INTERP");
  ok (it && it->level == MK_CHECK_PROBLEM,
      "a pruned ELF interpreter: %s", it ? it->reason : "none");
  it = find_item (r, "/usr/bin/data", "was pruned");
  ok (it && it->level == MK_CHECK_PROBLEM,
      "a symlink made dangling by pruning: %s", it ? it->reason : "none");
  perl->removed = py->removed = ld->removed = data->removed = false;
  mk_check_report_free (r);

  /* A %ghost is not in the image either, but not by pruning: a warning,
   * as is an interpreter no package has. */
  perl->flags |= MK_RPMF_GHOST;
  r = run_check (im, NULL, NULL);
  it = find_item (r, "/usr/bin/script", "%ghost");
  ok (it && it->level == MK_CHECK_WARNING, "a %%ghost interpreter is a "
      "warning: %s", it ? it->reason : "none");
  perl->flags &= ~(unsigned) MK_RPMF_GHOST;
  mk_check_report_free (r);
  img_text (im, "/usr/bin/tclscript", 0755, "#!/usr/bin/tclsh\n");
  r = run_check (im, NULL, NULL);
  it = find_item (r, "/usr/bin/tclscript", "no package has it");
  ok (it && it->level == MK_CHECK_WARNING && r->n_problems == 0,
      "an interpreter no package has is a warning: %s",
      it ? it->reason : "none");
  mk_check_report_free (r);
  mk_tree_lookup (im->t, "/usr/bin/tclscript")->removed = true;
}

static void
test_image_locale (struct image *im)
{
  struct mk_check_report *r;
  const struct mk_check_item *it;
  char *de[] = { "PATH=/usr/bin", "LANG=de_DE.UTF-8", NULL };
  char *cutf[] = { "LANG=C.UTF-8", "LC_ALL=POSIX", NULL };

  r = run_check (im, NULL, de);
  it = find_item (r, "/usr/lib/locale/de_DE.utf8", "LANG=de_DE.UTF-8");
  ok (it && it->level == MK_CHECK_PROBLEM, "a missing locale: %s",
      it ? it->reason : "none");
  mk_check_report_free (r);
  r = run_check (im, NULL, cutf);
  is_int (r->n_problems, 0, "C.UTF-8 and POSIX are built in");
  mk_check_report_free (r);
  img_add (im, "/usr/lib/locale/de_DE.utf8", S_IFDIR | 0755, NULL, NULL, 0);
  r = run_check (im, NULL, de);
  is_int (r->n_problems, 0, "de_DE.UTF-8 is found as de_DE.utf8");
  mk_check_report_free (r);
  img_text (im, "/etc/locale.conf", 0644, "LANG=\"fr_FR.UTF-8\"\n");
  r = run_check (im, NULL, NULL);
  it = find_item (r, "/usr/lib/locale/fr_FR.utf8", "/etc/locale.conf");
  ok (it && it->level == MK_CHECK_PROBLEM,
      "LANG from the image's /etc/locale.conf: %s", it ? it->reason : "none");
  mk_check_report_free (r);
}

int
main (void)
{
  struct image im = { 0 };
  if (mk_mkdtemp (NULL, "test-check", &tmpdir, NULL) < 0)
    return 1;
  test_synthetic (true, false);
  test_synthetic (true, true);
  test_synthetic (false, false);
  test_synthetic (false, true);
  test_garbage ();
  test_host_elf ();
  test_locale_normalize ();
  build_image (&im);
  test_image_clean (&im);
  test_image_pruned (&im);
  test_image_scripts (&im);
  test_image_locale (&im);
  free_image (&im);
  ok (mk_at_rmtree (AT_FDCWD, tmpdir) == 0, "temporary directory removed");
  free (tmpdir);
  return tap_done ();
}
