/* elfinfo.c: the part of an ELF file the image check needs (elfinfo.h): the
 * interpreter, the DT_NEEDED libraries and the library search paths.
 *
 * The file comes from a package, so it is hostile input: every offset,
 * size and count is checked against the file's size before anything is
 * read or allocated, nothing is mapped, and only the headers, the dynamic
 * section and the strings it names are read (a few hundred bytes of a
 * file, in one to three reads), which keeps the check at a few
 * milliseconds for an image's hundreds of ELF files.  Either class, either
 * byte order; <elf.h> gives the constants, the fields are decoded by hand.
 * libc only. */
#define _GNU_SOURCE
#include "elfinfo.h"

#include <elf.h>
#include <endian.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define HEAD_READ 1024      /* read at once: ELF and program headers */
#define MAX_PHNUM 4096
#define MAX_DYNAMIC (256u << 10)
#define MAX_NEEDED 4096
#define MAX_STRING 4096

struct elf_file
{
  int fd;
  uint64_t size;
  bool is64, be;
  const unsigned char *head; /* the file's first head_len bytes, read once */
  size_t head_len;
};

static uint64_t
get_uint (const struct elf_file *f, const unsigned char *p, size_t n)
{
  uint16_t v16;
  uint32_t v32;
  uint64_t v64;
  switch (n)
    {
    case 2:
      memcpy (&v16, p, 2);
      return f->be ? be16toh (v16) : le16toh (v16);
    case 4:
      memcpy (&v32, p, 4);
      return f->be ? be32toh (v32) : le32toh (v32);
    case 8:
    default:
      memcpy (&v64, p, 8);
      return f->be ? be64toh (v64) : le64toh (v64);
    }
}

/* A field at off32/off64 that is 4 bytes wide in ELFCLASS32 and 8 in
 * ELFCLASS64 (addresses, offsets, sizes). */
static uint64_t
get_word (const struct elf_file *f, const unsigned char *p, size_t off32,
          size_t off64)
{
  return f->is64 ? get_uint (f, p + off64, 8) : get_uint (f, p + off32, 4);
}

static int
elf_read (const struct elf_file *f, void *buf, uint64_t off, uint64_t len,
          const char *what, mk_error_t *err)
{
  size_t done = 0;
  if (off > f->size || len > f->size - off)
    return mk_make_error (err, 0, "malformed ELF: %s beyond the end of the "
                          "file", what);
  /* Headers, program headers and the interpreter are usually here. */
  if (off < f->head_len && len <= f->head_len - off)
    {
      memcpy (buf, f->head + off, len);
      return 0;
    }
  while (done < len)
    {
      ssize_t r = TEMP_FAILURE_RETRY (pread (f->fd, (char *) buf + done,
                                             len - done, (off_t) (off + done)));
      if (r < 0)
        return mk_make_error (err, errno, "read the ELF %s", what);
      if (r == 0)
        return mk_make_error (err, 0, "malformed ELF: %s: short read", what);
      done += (size_t) r;
    }
  return 0;
}

/* The file offsets of the parts of the image a dynamic object needs. */
struct elf_load
{
  uint64_t vaddr, offset, filesz;
};

struct elf_layout
{
  uint64_t phoff, phentsize, phnum;
  bool has_interp, has_dynamic;
  uint64_t interp_off, interp_size, dyn_off, dyn_size;
  struct elf_load *loads;
  size_t n_loads;
};

/* 0: not an ELF executable or shared object; 1: header read; <0: bad. */
static int
elf_header (struct elf_file *f, struct mk_elfinfo *info,
            struct elf_layout *l, mk_error_t *err)
{
  unsigned char h[64] = { 0 };
  size_t need;

  if (f->size < SELFMAG)
    return 0;
  if (elf_read (f, h, 0, f->size < sizeof h ? f->size : sizeof h, "header",
                err) < 0)
    return -1;
  if (memcmp (h, ELFMAG, SELFMAG) != 0)
    return 0;
  if (f->size < EI_NIDENT)
    return mk_make_error (err, 0, "malformed ELF: truncated header");
  if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
    return mk_make_error (err, 0, "malformed ELF: unknown class %u",
                          h[EI_CLASS]);
  if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
    return mk_make_error (err, 0, "malformed ELF: unknown byte order %u",
                          h[EI_DATA]);
  f->is64 = h[EI_CLASS] == ELFCLASS64;
  f->be = h[EI_DATA] == ELFDATA2MSB;
  need = f->is64 ? sizeof (Elf64_Ehdr) : sizeof (Elf32_Ehdr);
  if (f->size < need)
    return mk_make_error (err, 0, "malformed ELF: truncated header");
  info->is64 = f->is64;
  info->big_endian = f->be;
  info->type = (unsigned) get_uint (f, h + 16, 2);
  info->machine = (unsigned) get_uint (f, h + 18, 2);
  if (info->type != ET_EXEC && info->type != ET_DYN)
    return 0;
  l->phoff = get_word (f, h, 28, 32);
  l->phentsize = get_uint (f, h + (f->is64 ? 54 : 42), 2);
  l->phnum = get_uint (f, h + (f->is64 ? 56 : 44), 2);
  if (l->phnum == PN_XNUM || l->phnum > MAX_PHNUM)
    return mk_make_error (err, 0, "malformed ELF: %" PRIu64 " program "
                          "headers", l->phnum);
  if (l->phnum
      && l->phentsize < (f->is64 ? sizeof (Elf64_Phdr) : sizeof (Elf32_Phdr)))
    return mk_make_error (err, 0, "malformed ELF: program header size %"
                          PRIu64, l->phentsize);
  return 1;
}

static int
elf_segments (const struct elf_file *f, struct elf_layout *l,
              mk_error_t *err)
{
  cleanup_free unsigned char *ph = NULL;
  uint64_t total = l->phentsize * l->phnum; /* both are < 65536 */

  if (l->phnum == 0)
    return 0;
  if (total > f->size || l->phentsize > 1024)
    return mk_make_error (err, 0, "malformed ELF: %" PRIu64 " program "
                          "headers of %" PRIu64 " bytes", l->phnum,
                          l->phentsize);
  ph = xmalloc (total);
  if (elf_read (f, ph, l->phoff, total, "program headers", err) < 0)
    return -1;
  l->loads = xcalloc (l->phnum, sizeof *l->loads);
  for (uint64_t i = 0; i < l->phnum; i++)
    {
      const unsigned char *p = ph + i * l->phentsize;
      uint32_t type = (uint32_t) get_uint (f, p, 4);
      uint64_t off = get_word (f, p, 4, 8), vaddr = get_word (f, p, 8, 16);
      uint64_t filesz = get_word (f, p, 16, 32);
      if (type == PT_INTERP && !l->has_interp)
        l->has_interp = true, l->interp_off = off, l->interp_size = filesz;
      else if (type == PT_DYNAMIC && !l->has_dynamic)
        l->has_dynamic = true, l->dyn_off = off, l->dyn_size = filesz;
      else if (type == PT_LOAD)
        l->loads[l->n_loads++] = (struct elf_load){ vaddr, off, filesz };
    }
  return 0;
}

static int
elf_interp (const struct elf_file *f, const struct elf_layout *l,
            struct mk_elfinfo *info, mk_error_t *err)
{
  cleanup_free char *s = NULL;
  if (!l->has_interp)
    return 0;
  if (l->interp_size == 0 || l->interp_size > PATH_MAX)
    return mk_make_error (err, 0, "malformed ELF: PT_INTERP of %" PRIu64
                          " bytes", l->interp_size);
  s = xmalloc (l->interp_size + 1);
  if (elf_read (f, s, l->interp_off, l->interp_size, "PT_INTERP", err) < 0)
    return -1;
  s[l->interp_size] = '\0'; /* the file's own NUL may be missing */
  if (*s == '\0')
    return mk_make_error (err, 0, "malformed ELF: empty PT_INTERP");
  info->interp = steal_pointer (&s);
  return 0;
}

/* The file offset of a virtual address, through the PT_LOAD segments. */
static bool
elf_vaddr_offset (const struct elf_layout *l, uint64_t addr, uint64_t *off)
{
  for (size_t i = 0; i < l->n_loads; i++)
    {
      const struct elf_load *s = &l->loads[i];
      if (addr >= s->vaddr && addr - s->vaddr < s->filesz
          && s->offset <= UINT64_MAX - (addr - s->vaddr))
        {
          *off = s->offset + (addr - s->vaddr);
          return true;
        }
    }
  return false;
}

/* The part of the dynamic string table that holds the strings wanted,
 * read once when it is small (it nearly always is). */
struct elf_strtab
{
  uint64_t off, size;       /* the table in the file */
  uint64_t win_start;       /* table index of win[0] */
  unsigned char *win;
  size_t win_len;
};

static void
elf_strtab_window (const struct elf_file *f, struct elf_strtab *st,
                   const uint64_t *idx, size_t n)
{
  uint64_t lo = UINT64_MAX, hi = 0, len;
  for (size_t i = 0; i < n; i++)
    {
      lo = idx[i] < lo ? idx[i] : lo;
      hi = idx[i] > hi ? idx[i] : hi;
    }
  if (n == 0 || lo >= st->size || st->off > f->size
      || lo > f->size - st->off)
    return;
  len = st->size - lo;
  if (len > hi - lo + MAX_STRING)
    len = hi - lo + MAX_STRING;
  if (len > f->size - st->off - lo)
    len = f->size - st->off - lo;
  if (len > (64u << 10))
    return; /* scattered: string by string */
  st->win = xmalloc (len);
  if (TEMP_FAILURE_RETRY (pread (f->fd, st->win, len, (off_t) (st->off + lo)))
      != (ssize_t) len)
    {
      free (steal_pointer (&st->win));
      return;
    }
  st->win_start = lo;
  st->win_len = len;
}

/* String number `idx` of the dynamic string table. */
static int
elf_string (const struct elf_file *f, const struct elf_strtab *st,
            uint64_t idx, char **out, mk_error_t *err)
{
  char buf[MAX_STRING];
  uint64_t len, stroff = st->off, strsz = st->size;

  if (st->win && idx >= st->win_start && idx - st->win_start < st->win_len)
    {
      const unsigned char *s = st->win + (idx - st->win_start);
      size_t room = st->win_len - (size_t) (idx - st->win_start);
      if (memchr (s, '\0', room) != NULL)
        {
          *out = xstrdup ((const char *) s);
          return 0;
        }
    }

  if (idx >= strsz || stroff > f->size || idx > f->size - stroff)
    return mk_make_error (err, 0, "malformed ELF: string %" PRIu64
                          " outside the string table", idx);
  len = strsz - idx;
  if (len > sizeof buf)
    len = sizeof buf;
  if (len > f->size - stroff - idx)
    len = f->size - stroff - idx;
  if (elf_read (f, buf, stroff + idx, len, "string table", err) < 0)
    return -1;
  if (memchr (buf, '\0', len) == NULL)
    return mk_make_error (err, 0, "malformed ELF: unterminated string %"
                          PRIu64, idx);
  *out = xstrdup (buf);
  return 0;
}

/* The dynamic tags the check needs.  String tags hold offsets into the
 * string table, which DT_STRTAB gives as a virtual address. */
struct elf_dyn
{
  uint64_t strtab, strsz, rpath, runpath;
  bool has_strtab, has_strsz, has_rpath, has_runpath;
  uint64_t *needed;
  size_t n_needed;
};

static int
elf_dynamic_tags (const struct elf_file *f, const struct elf_layout *l,
                  struct elf_dyn *d, mk_error_t *err)
{
  cleanup_free unsigned char *dyn = NULL;
  size_t esz = f->is64 ? 16 : 8, n;

  if (l->dyn_size > MAX_DYNAMIC)
    return mk_make_error (err, 0, "malformed ELF: dynamic section of %"
                          PRIu64 " bytes", l->dyn_size);
  dyn = xmalloc (l->dyn_size + 1);
  if (elf_read (f, dyn, l->dyn_off, l->dyn_size, "dynamic section", err) < 0)
    return -1;
  n = (size_t) l->dyn_size / esz;
  d->needed = xcalloc (n + 2, sizeof *d->needed); /* + rpath, runpath */
  for (size_t i = 0; i < n; i++)
    {
      const unsigned char *p = dyn + i * esz;
      uint64_t tag = get_word (f, p, 0, 0), val = get_word (f, p, 4, 8);
      if (tag == DT_NULL)
        break;
      if (tag == DT_NEEDED && d->n_needed < MAX_NEEDED)
        d->needed[d->n_needed++] = val;
      else if (tag == DT_STRTAB)
        d->has_strtab = true, d->strtab = val;
      else if (tag == DT_STRSZ)
        d->has_strsz = true, d->strsz = val;
      else if (tag == DT_RPATH)
        d->has_rpath = true, d->rpath = val;
      else if (tag == DT_RUNPATH)
        d->has_runpath = true, d->runpath = val;
    }
  return 0;
}

static int
elf_dynamic (const struct elf_file *f, const struct elf_layout *l,
             struct mk_elfinfo *info, mk_error_t *err)
{
  struct elf_dyn d = { 0 };
  struct elf_strtab st = { 0 };
  int r = -1;

  if (!l->has_dynamic)
    return 0;
  if (elf_dynamic_tags (f, l, &d, err) < 0)
    goto done;
  r = 0;
  if (d.n_needed == 0 && !d.has_rpath && !d.has_runpath)
    goto done;
  r = -1;
  if (!d.has_strtab || !d.has_strsz)
    {
      mk_make_error (err, 0, "malformed ELF: DT_NEEDED without DT_STRTAB "
                     "and DT_STRSZ");
      goto done;
    }
  if (!elf_vaddr_offset (l, d.strtab, &st.off))
    {
      mk_make_error (err, 0, "malformed ELF: DT_STRTAB outside every "
                     "PT_LOAD segment");
      goto done;
    }
  st.size = d.strsz;
  {
    size_t k = d.n_needed; /* the window covers the paths too */
    if (d.has_rpath)
      d.needed[k++] = d.rpath;
    if (d.has_runpath)
      d.needed[k++] = d.runpath;
    elf_strtab_window (f, &st, d.needed, k);
  }
  for (size_t i = 0; i < d.n_needed; i++)
    {
      char *s;
      if (elf_string (f, &st, d.needed[i], &s, err) < 0)
        goto done;
      mk_strv_push (&info->needed, s);
    }
  if ((d.has_rpath && elf_string (f, &st, d.rpath, &info->rpath, err) < 0)
      || (d.has_runpath
          && elf_string (f, &st, d.runpath, &info->runpath, err) < 0))
    goto done;
  r = 0;
done:
  free (d.needed);
  free (st.win);
  return r;
}

int
mk_elfinfo_read_head (int fd, const unsigned char *head, size_t head_len,
          struct mk_elfinfo *info, mk_error_t *err)
{
  struct elf_file f = { .fd = fd, .head = head };
  struct elf_layout l = { 0 };
  struct mk_elfinfo got = { 0 };
  struct stat st;
  int r;

  if (fstat (fd, &st) < 0)
    return mk_make_error (err, errno, "stat");
  if (!S_ISREG (st.st_mode))
    return 0;
  f.size = (uint64_t) st.st_size;
  f.head_len = head_len < f.size ? head_len : (size_t) f.size;
  r = elf_header (&f, &got, &l, err);
  if (r > 0 && (elf_segments (&f, &l, err) < 0
                || elf_interp (&f, &l, &got, err) < 0
                || elf_dynamic (&f, &l, &got, err) < 0))
    r = -1;
  free (l.loads);
  if (r <= 0)
    {
      mk_elfinfo_clear (&got);
      return r;
    }
  *info = got;
  return 1;
}

int
mk_elfinfo_read (int fd, struct mk_elfinfo *info, mk_error_t *err)
{
  unsigned char head[HEAD_READ];
  ssize_t n = TEMP_FAILURE_RETRY (pread (fd, head, sizeof head, 0));
  if (n < 0)
    return mk_make_error (err, errno, "read");
  return mk_elfinfo_read_head (fd, head, (size_t) n, info, err);
}

void
mk_elfinfo_clear (struct mk_elfinfo *info)
{
  free (info->interp);
  mk_strv_free (info->needed);
  free (info->rpath);
  free (info->runpath);
  memset (info, 0, sizeof *info);
}
