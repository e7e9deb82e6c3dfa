/* oci.c: the image in the formats container tools load: an OCI image
 * layout directory, the same layout as a tar (oci-archive), and a
 * docker-archive (what `docker load` and `podman load` read).  Libarchive
 * is used here to read a compressed image output back as its plain tar and
 * to write the two archives.
 *
 * A layer is the plain tar pack.c wrote (or, for a layered image, the
 * layer tars of docs/layers.md), uncompressed by default (media type
 * application/vnd.oci.image.layer.v1.tar), so the layer digest, the
 * diff_id and the sha256 mkbase prints are one value; with
 * `layer_compression` the layout holds a pinned gzip or zstd blob of it
 * and the docker-archive the plain tar.  Every document is
 * JSON with fixed key order and no optional whitespace, created is
 * SOURCE_DATE_EPOCH and archive members have fixed owners, modes and
 * mtimes: the digests are the same on every rebuild.  Outputs appear
 * atomically: archives through a temporary file, the layout directory
 * through a temporary directory that replaces the old one by an atomic
 * exchange once it is complete. */
#define _GNU_SOURCE
#include "oci.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "arch.h"
#include "digest.h"
#include "json.h"
#include "util.h"

#define COPY_BUF (1 << 17)
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *
mk_oci_goarch (const char *rpm_arch)
{
  const struct mk_arch *a = mk_arch_find (rpm_arch);
  return a ? a->goarch : rpm_arch;
}

/* ---- the layer ------------------------------------------------------------ */

static int
decompress (const char *image, int fd, struct mk_oci_layer *l,
            mk_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *ae;
  struct mk_digest *d = mk_digest_new ("sha256");
  const void *buf;
  size_t len;
  la_int64_t off;
  int r;

  archive_read_support_filter_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_filename (a, image, COPY_BUF) != ARCHIVE_OK
      || archive_read_next_header (a, &ae) != ARCHIVE_OK)
    goto fail;
  while ((r = archive_read_data_block (a, &buf, &len, &off)) == ARCHIVE_OK)
    {
      if (mk_write_all (fd, buf, len, err, l->path) < 0)
        {
          archive_read_free (a);
          mk_digest_free (d);
          return -1;
        }
      mk_digest_add (d, buf, len);
      l->size += len;
    }
  if (r != ARCHIVE_EOF)
    goto fail;
  archive_read_free (a);
  l->sha256 = mk_digest_finish (d);
  return 0;
fail:
  mk_make_error (err, 0, "read `%s`: %s", image,
                 archive_error_string (a) ? archive_error_string (a)
                                          : "libarchive error");
  archive_read_free (a);
  mk_digest_free (d);
  return -1;
}

int
mk_oci_layer_open (const char *image, const char *image_sha256,
                   struct mk_oci_layer *out, mk_error_t *err)
{
  struct mk_oci_layer l = { 0 };
  cleanup_free char *name = NULL;
  struct stat st;
  int fd;

  if (mk_str_has_suffix (image, ".tar"))
    {
      if (stat (image, &st) < 0)
        return mk_make_error (err, errno, "stat `%s`", image);
      l.path = xstrdup (image);
      l.size = (uint64_t) st.st_size;
      if (image_sha256)
        l.sha256 = xstrdup (image_sha256);
      else if (mk_digest_path (image, "sha256", &l.sha256, err) < 0)
        {
          free (l.path);
          return -1;
        }
      *out = l;
      return 0;
    }
  name = xasprintf ("%s.layer", image);
  fd = mk_atomic_open (name, &l.path, err);
  if (fd < 0)
    return -1;
  l.temporary = 1;
  if (decompress (image, fd, &l, err) < 0)
    {
      mk_atomic_abort (fd, l.path);
      free (l.path);
      return -1;
    }
  close (fd);
  *out = l;
  return 0;
}

void
mk_oci_layer_close (struct mk_oci_layer *l)
{
  if (l->temporary && l->path)
    unlink (l->path);
  free (l->path);
  free (l->sha256);
  free (l->blob_path);
  free (l->blob_sha256);
  *l = (struct mk_oci_layer){ 0 };
}

static int
compress_to (const struct mk_oci_layer *l, const char *how, int fd,
             mk_error_t *err)
{
  struct archive *a = archive_write_new ();
  struct archive_entry *ae = archive_entry_new ();
  cleanup_close int in = open (l->path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = xmalloc (COPY_BUF);
  bool gz = strcmp (how, "gzip") == 0;
  int r = -1;
  ssize_t n;

  if (in < 0)
    {
      mk_make_error (err, errno, "open `%s`", l->path);
      goto done;
    }
  /* Pinned: the blob must not depend on libarchive's defaults, the clock
   * or the CPU count, or a rebuild would push new bytes. */
  if (archive_write_set_format_raw (a) != ARCHIVE_OK
      || (gz ? archive_write_add_filter_gzip (a)
             : archive_write_add_filter_zstd (a)) != ARCHIVE_OK
      || archive_write_set_options (a, gz ? "gzip:!timestamp,gzip:"
                                            "compression-level=6"
                                          : "zstd:compression-level=9")
             != ARCHIVE_OK
      || archive_write_set_bytes_in_last_block (a, 1) != ARCHIVE_OK
      || archive_write_open_fd (a, fd) != ARCHIVE_OK)
    goto fail;
  archive_entry_set_pathname (ae, "layer");
  archive_entry_set_mode (ae, S_IFREG | 0644);
  archive_entry_set_size (ae, (la_int64_t) l->size);
  if (archive_write_header (a, ae) != ARCHIVE_OK)
    goto fail;
  while ((n = TEMP_FAILURE_RETRY (read (in, buf, COPY_BUF))) > 0)
    if (archive_write_data (a, buf, (size_t) n) != n)
      goto fail;
  if (n < 0)
    {
      mk_make_error (err, errno, "read `%s`", l->path);
      goto done;
    }
  if (archive_write_close (a) != ARCHIVE_OK)
    goto fail;
  r = 0;
  goto done;
fail:
  mk_make_error (err, 0, "compress `%s`: %s", l->path,
                 archive_error_string (a) ? archive_error_string (a)
                                          : "libarchive error");
done:
  archive_entry_free (ae);
  archive_write_free (a);
  return r;
}

int
mk_oci_layer_compress (struct mk_oci_layer *l, const char *how,
                       const char *dest, mk_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (how == NULL || strcmp (how, "none") == 0)
    return 0;
  fd = open (dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return mk_make_error (err, errno, "create `%s`", dest);
  if (compress_to (l, how, fd, err) < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return mk_make_error (err, errno, "stat `%s`", dest);
  free (l->blob_path);
  free (l->blob_sha256);
  l->blob_path = xstrdup (dest);
  l->blob_size = (uint64_t) st.st_size;
  l->blob_type = strcmp (how, "gzip") == 0 ? "gzip" : "zstd";
  l->blob_sha256 = NULL;
  return mk_digest_path (dest, "sha256", &l->blob_sha256, err);
}

/* ---- the JSON documents ----------------------------------------------------- */

struct blob
{
  char *json;
  size_t len;
  char *sha256;
};

static void
blob_finish (struct blob *b, FILE *f)
{
  struct mk_digest *d;
  fclose (f);
  b->len = strlen (b->json);
  d = mk_digest_new ("sha256");
  mk_digest_add (d, b->json, b->len);
  b->sha256 = mk_digest_finish (d);
}

static void
blob_free (struct blob *b)
{
  free (b->json);
  free (b->sha256);
}

/* "architecture":GOARCH,"os":"linux"[,"variant":V]: the config's fields
 * and an index entry's platform, the same way. */
static void
json_platform (FILE *f, const char *rpm_arch)
{
  const struct mk_arch *a = mk_arch_find (rpm_arch);
  fputs ("\"architecture\":", f);
  mk_json_string (f, mk_oci_goarch (rpm_arch));
  fputs (",\"os\":\"linux\"", f);
  if (a && a->variant)
    fprintf (f, ",\"variant\":\"%s\"", a->variant);
}

/* Labels sorted by key, so the config does not depend on recipe order. */
static void
json_labels (FILE *f, char *const *labels)
{
  size_t n = mk_strv_len (labels);
  cleanup_free char **v = xcalloc (n + 1, sizeof (char *));
  memcpy (v, labels, n * sizeof (char *));
  qsort (v, n, sizeof (char *), mk_compare_strs);
  fputs (",\"Labels\":{", f);
  for (size_t i = 0; i < n; i++)
    {
      const char *eq = strchr (v[i], '=');
      cleanup_free char *key = xstrndup (v[i], (size_t) (eq - v[i]));
      if (i)
        fputc (',', f);
      mk_json_string (f, key);
      fputc (':', f);
      mk_json_string (f, eq + 1);
    }
  fputc ('}', f);
}

/* The layers of an image, bottom first. */
struct layers
{
  const struct mk_oci_layer *v;
  size_t n;
};

static void
make_config (const struct mk_oci_image *img, const struct layers *l,
             struct blob *b)
{
  static char *const default_env[] = { (char *) DEFAULT_PATH, NULL };
  static char *const default_cmd[] = { (char *) "/bin/sh", NULL };
  time_t t = (time_t) img->created;
  struct tm tm;
  char created[32];
  FILE *f = open_memstream (&b->json, &b->len);

  if (f == NULL)
    abort ();
  gmtime_r (&t, &tm);
  strftime (created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  fprintf (f, "{\"created\":\"%s\",", created);
  json_platform (f, img->arch);
  fputs (",\"config\":{\"Env\":", f);
  mk_json_strv (f, img->env ? img->env : default_env, ",");
  /* As docker: an image with an entrypoint and no cmd runs it alone. */
  if (img->entrypoint)
    {
      fputs (",\"Entrypoint\":", f);
      mk_json_strv (f, img->entrypoint, ",");
    }
  if (img->cmd || !img->entrypoint)
    {
      fputs (",\"Cmd\":", f);
      mk_json_strv (f, img->cmd ? img->cmd : default_cmd, ",");
    }
  if (img->labels)
    json_labels (f, img->labels);
  fputs ("},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[", f);
  for (size_t i = 0; i < l->n; i++)
    fprintf (f, "%s\"sha256:%s\"", i ? "," : "", l->v[i].sha256);
  fputs ("]},\"history\":[", f);
  /* One entry per layer, as docker load expects. */
  for (size_t i = 0; i < l->n; i++)
    {
      fprintf (f, "%s{\"created\":\"%s\",\"created_by\":\"mkbase\"",
               i ? "," : "", created);
      if (l->v[i].comment)
        {
          fputs (",\"comment\":", f);
          mk_json_string (f, l->v[i].comment);
        }
      fputc ('}', f);
    }
  fputs ("]}", f);
  blob_finish (b, f);
}

static void
make_manifest (const struct blob *config, const struct layers *l,
               struct blob *b)
{
  FILE *f = open_memstream (&b->json, &b->len);
  if (f == NULL)
    abort ();
  fprintf (f,
           "{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\","
           "\"config\":{\"mediaType\":\"" MT_CONFIG "\",\"digest\":"
           "\"sha256:%s\",\"size\":%zu},\"layers\":[",
           config->sha256, config->len);
  for (size_t i = 0; i < l->n; i++)
    {
      const struct mk_oci_layer *y = &l->v[i];
      fprintf (f, "%s{\"mediaType\":\"" MT_LAYER "%s%s\",\"digest\":"
                  "\"sha256:%s\",\"size\":%llu}", i ? "," : "",
               y->blob_type ? "+" : "", y->blob_type ? y->blob_type : "",
               y->blob_sha256 ? y->blob_sha256 : y->sha256,
               (unsigned long long) (y->blob_path ? y->blob_size : y->size));
    }
  fputs ("]}", f);
  blob_finish (b, f);
}

/* index.json: the one image, `latest`: a manifest, or for several
 * platforms the image index of their manifests (`podman pull
 * oci-archive:X` and skopeo then pick the platform asked for, --arch). */
static void
make_index (const char *media_type, const struct blob *target,
            struct blob *b)
{
  FILE *f = open_memstream (&b->json, &b->len);
  if (f == NULL)
    abort ();
  fprintf (f,
           "{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\",\"manifests\":"
           "[{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\","
           "\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref."
           "name\":\"latest\"}}]}",
           media_type, target->sha256, target->len);
  blob_finish (b, f);
}

/* A docker reference is lowercase [a-z0-9._-]. */
static char *
docker_name (const char *name)
{
  char *n = xstrdup (name);
  for (char *p = n; *p; p++)
    {
      *p = (char) tolower ((unsigned char) *p);
      if (!(isalnum ((unsigned char) *p) || strchr ("._-", *p)))
        *p = '-';
    }
  return n;
}

static void
make_docker_manifest (const struct mk_oci_image *img, const struct blob *config,
                      const struct layers *l, struct blob *b)
{
  cleanup_free char *name = docker_name (img->name);
  cleanup_free char *tag = xasprintf ("%s:latest", name);
  FILE *f = open_memstream (&b->json, &b->len);
  if (f == NULL)
    abort ();
  fprintf (f, "[{\"Config\":\"%s.json\",\"RepoTags\":[", config->sha256);
  mk_json_string (f, tag);
  fputs ("],\"Layers\":[", f);
  for (size_t i = 0; i < l->n; i++)
    fprintf (f, "%s\"%s/layer.tar\"", i ? "," : "", l->v[i].sha256);
  fputs ("]}]", f);
  blob_finish (b, f);
}

struct docs
{
  struct blob config, manifest, index, docker;
};

static void
docs_free (struct docs *d)
{
  blob_free (&d->config);
  blob_free (&d->manifest);
  blob_free (&d->index);
  blob_free (&d->docker);
}

/* ---- writing -------------------------------------------------------------- */

/* One member of an archive or file of the layout: JSON from memory, or
 * the layer from its file. */
struct member
{
  char *name;
  const struct blob *blob;      /* or a layer's file */
  const char *file;
  uint64_t size;
  bool dir;
};

static int
copy_file (const char *path, uint64_t size, int out, struct archive *a,
           mk_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = xmalloc (COPY_BUF);
  uint64_t left = size;

  if (fd < 0)
    return mk_make_error (err, errno, "open `%s`", path);
  while (left > 0)
    {
      ssize_t n = TEMP_FAILURE_RETRY (
          read (fd, buf, left < COPY_BUF ? (size_t) left : COPY_BUF));
      if (n <= 0)
        return mk_make_error (err, n < 0 ? errno : EIO, "read `%s`", path);
      if (a ? archive_write_data (a, buf, (size_t) n) != n
            : mk_write_all (out, buf, (size_t) n, err, path) < 0)
        return a ? mk_make_error (err, 0, "write: %s", archive_error_string (a))
                 : -1;
      left -= (uint64_t) n;
    }
  return 0;
}

static int
write_member (struct archive *a, struct archive_entry *ae,
              const struct member *m, int64_t mtime, mk_error_t *err)
{
  archive_entry_clear (ae);
  archive_entry_copy_pathname (ae, m->name);
  archive_entry_set_mode (ae, m->dir ? (S_IFDIR | 0755) : (S_IFREG | 0644));
  archive_entry_set_uid (ae, 0);
  archive_entry_set_gid (ae, 0);
  archive_entry_set_mtime (ae, mtime, 0);
  archive_entry_set_size (ae, m->dir ? 0
                              : m->blob ? (la_int64_t) m->blob->len
                                        : (la_int64_t) m->size);
  if (archive_write_header (a, ae) != ARCHIVE_OK)
    return mk_make_error (err, 0, "write: %s", archive_error_string (a));
  if (m->blob && archive_write_data (a, m->blob->json, m->blob->len)
                     != (la_ssize_t) m->blob->len)
    return mk_make_error (err, 0, "write: %s", archive_error_string (a));
  if (m->file)
    return copy_file (m->file, m->size, -1, a, err);
  return 0;
}

static int
write_archive (const char *path, const struct member *m, size_t n,
               int64_t mtime, mk_error_t *err)
{
  cleanup_free char *tmp = NULL;
  struct archive *a;
  struct archive_entry *ae;
  int fd = mk_atomic_open (path, &tmp, err);
  int r = 0;

  if (fd < 0)
    return -1;
  a = archive_write_new ();
  ae = archive_entry_new ();
  if (archive_write_set_format_pax_restricted (a) != ARCHIVE_OK
      || archive_write_open_fd (a, fd) != ARCHIVE_OK)
    r = mk_make_error (err, 0, "`%s`: %s", path, archive_error_string (a));
  for (size_t i = 0; r == 0 && i < n; i++)
    r = write_member (a, ae, &m[i], mtime, err);
  if (r == 0 && archive_write_close (a) != ARCHIVE_OK)
    r = mk_make_error (err, 0, "`%s`: %s", path, archive_error_string (a));
  archive_entry_free (ae);
  archive_write_free (a);
  if (r < 0)
    {
      mk_atomic_abort (fd, tmp);
      return mk_error_wrap (err, "%s", path);
    }
  return mk_atomic_commit (fd, tmp, path, err);
}

/* A growing list of members. */
struct members
{
  struct member *v;
  size_t n;
};

static void
members_add (struct members *m, struct member one)
{
  for (size_t i = 0; i < m->n; i++)
    if (strcmp (m->v[i].name, one.name) == 0)
      {
        /* A layer twice in one image is one blob. */
        free (one.name);
        return;
      }
  m->v = xreallocarray (m->v, m->n + 1, sizeof *m->v);
  m->v[m->n++] = one;
}

static int
compare_members (const void *a, const void *b)
{
  return strcmp (((const struct member *) a)->name,
                 ((const struct member *) b)->name);
}

static const struct blob oci_layout
    = { .json = (char *) "{\"imageLayoutVersion\":\"1.0.0\"}",
        .len = sizeof "{\"imageLayoutVersion\":\"1.0.0\"}" - 1 };

/* One image's blobs: its layers, config and manifest. */
static void
image_members (const struct docs *d, const struct layers *l,
               struct members *m)
{
  const struct blob *blobs[] = { &d->config, &d->manifest };
  for (size_t i = 0; i < l->n; i++)
    {
      const struct mk_oci_layer *y = &l->v[i];
      members_add (m, (struct member){
                          .name = xasprintf ("blobs/sha256/%s",
                                             y->blob_path ? y->blob_sha256
                                                          : y->sha256),
                          .file = y->blob_path ? y->blob_path : y->path,
                          .size = y->blob_path ? y->blob_size : y->size });
    }
  for (size_t i = 0; i < ARRAY_SIZE (blobs); i++)
    members_add (m, (struct member){
                        .name = xasprintf ("blobs/sha256/%s", blobs[i]->sha256),
                        .blob = blobs[i] });
}

/* The layout's fixed members around the images' blobs; then bytewise
 * order. */
static void
layout_finish (const struct blob *index, struct members *m)
{
  members_add (m, (struct member){ .name = xstrdup ("blobs/"), .dir = true });
  members_add (m, (struct member){ .name = xstrdup ("blobs/sha256/"),
                                   .dir = true });
  members_add (m, (struct member){ .name = xstrdup ("index.json"),
                                   .blob = index });
  members_add (m, (struct member){ .name = xstrdup ("oci-layout"),
                                   .blob = &oci_layout });
  qsort (m->v, m->n, sizeof *m->v, compare_members);
}

/* The members of an OCI layout, in bytewise order. */
static void
layout_members (const struct docs *d, const struct layers *l,
                struct members *m)
{
  image_members (d, l, m);
  layout_finish (&d->index, m);
}

static void
members_free (struct members *m)
{
  for (size_t i = 0; i < m->n; i++)
    free (m->v[i].name);
  free (m->v);
}

static int
write_file_at (int dirfd, const struct member *m, mk_error_t *err)
{
  cleanup_close int fd = -1;
  if (m->dir)
    return mkdirat (dirfd, m->name, 0755) < 0
               ? mk_make_error (err, errno, "mkdir `%s`", m->name)
               : 0;
  fd = openat (dirfd, m->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return mk_make_error (err, errno, "create `%s`", m->name);
  if (m->blob)
    return mk_write_all (fd, m->blob->json, m->blob->len, err, m->name);
  return copy_file (m->file, m->size, fd, NULL, err);
}

/* Fill a temporary directory next to `path`, then put it in place: an
 * atomic exchange with an older layout, which is removed after. */
static int
write_layout (const char *path, const struct member *m, size_t n,
              mk_error_t *err)
{
  cleanup_free char *parent = xstrdup (path);
  cleanup_free char *tmp = NULL;
  cleanup_close int dirfd = -1;
  char *slash = strrchr (parent, '/');
  int r = 0;

  if (slash)
    *slash = '\0';
  if (mk_mkdtemp (slash ? parent : ".", ".mkbase-oci", &tmp, err) < 0)
    return -1;
  dirfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 || fchmod (dirfd, 0755) < 0)
    r = mk_make_error (err, errno, "open `%s`", tmp);
  for (size_t i = 0; r == 0 && i < n; i++)
    r = write_file_at (dirfd, &m[i], err);
  if (r == 0 && syncfs (dirfd) < 0)
    r = mk_make_error (err, errno, "sync `%s`", tmp);
  if (r == 0 && renameat2 (AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) < 0)
    {
      if (errno != ENOENT)
        r = mk_make_error (err, errno, "replace `%s`", path);
      else if (rename (tmp, path) < 0)
        r = mk_make_error (err, errno, "rename into `%s`", path);
    }
  /* tmp now holds the old layout, or our partial one on failure. */
  mk_at_rmtree (AT_FDCWD, tmp);
  return r < 0 ? mk_error_wrap (err, "%s", path) : 0;
}

static int
write_docker (const char *path, const struct docs *d, const struct layers *l,
              int64_t mtime, mk_error_t *err)
{
  struct members m = { 0 };
  int r;
  members_add (&m, (struct member){
                       .name = xasprintf ("%s.json", d->config.sha256),
                       .blob = &d->config });
  for (size_t i = 0; i < l->n; i++)
    {
      members_add (&m, (struct member){
                           .name = xasprintf ("%s/", l->v[i].sha256),
                           .dir = true });
      members_add (&m, (struct member){
                           .name = xasprintf ("%s/layer.tar", l->v[i].sha256),
                           .file = l->v[i].path, .size = l->v[i].size });
    }
  members_add (&m, (struct member){ .name = xstrdup ("manifest.json"),
                                    .blob = &d->docker });
  qsort (m.v, m.n, sizeof *m.v, compare_members);
  r = write_archive (path, m.v, m.n, mtime, err);
  members_free (&m);
  return r;
}

/* The layout's members as STEM.oci/ and STEM.oci.tar, as asked. */
static int
write_layouts (const struct members *m, const char *stem, unsigned formats,
               int64_t mtime, mk_error_t *err)
{
  int r = 0;
  if (formats & MK_OCI_LAYOUT)
    {
      cleanup_free char *path = xasprintf ("%s.oci", stem);
      r = write_layout (path, m->v, m->n, err);
    }
  if (r == 0 && (formats & MK_OCI_ARCHIVE))
    {
      cleanup_free char *path = xasprintf ("%s.oci.tar", stem);
      r = write_archive (path, m->v, m->n, mtime, err);
    }
  return r;
}

int
mk_oci_write (const struct mk_oci_image *img,
              const struct mk_oci_layer *layers, size_t n_layers,
              const char *stem, unsigned formats, mk_error_t *err)
{
  struct layers l = { layers, n_layers };
  struct docs d = { 0 };
  struct members m = { 0 };
  int r = 0;

  make_config (img, &l, &d.config);
  make_manifest (&d.config, &l, &d.manifest);
  make_index (MT_MANIFEST, &d.manifest, &d.index);
  make_docker_manifest (img, &d.config, &l, &d.docker);
  layout_members (&d, &l, &m);
  r = write_layouts (&m, stem, formats, img->created, err);
  if (r == 0 && (formats & MK_OCI_DOCKER))
    {
      cleanup_free char *path = xasprintf ("%s.docker.tar", stem);
      r = write_docker (path, &d, &l, img->created, err);
    }
  members_free (&m);
  docs_free (&d);
  return r;
}

/* ---- several platforms (docs/multiarch.md) ------------------------------ */

/* The image index of the platforms' manifests, in the order given. */
static void
make_platform_index (const struct mk_oci_platform *p, const struct docs *d,
                     size_t n, struct blob *b)
{
  FILE *f = open_memstream (&b->json, &b->len);
  if (f == NULL)
    abort ();
  fputs ("{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\","
         "\"manifests\":[", f);
  for (size_t i = 0; i < n; i++)
    {
      fprintf (f, "%s{\"mediaType\":\"" MT_MANIFEST "\",\"digest\":"
                  "\"sha256:%s\",\"size\":%zu,\"platform\":{",
               i ? "," : "", d[i].manifest.sha256, d[i].manifest.len);
      json_platform (f, p[i].img.arch);
      fputs ("}}", f);
    }
  fputs ("]}", f);
  blob_finish (b, f);
}

int
mk_oci_write_index (const struct mk_oci_platform *p, size_t n,
                    const char *stem, unsigned formats, mk_error_t *err)
{
  cleanup_free struct docs *d = xcalloc (n, sizeof *d);
  struct blob platforms = { 0 }, top = { 0 };
  struct members m = { 0 };
  int64_t mtime = 0;
  int r = 0;

  for (size_t i = 0; i < n; i++)
    {
      struct layers l = { p[i].layers, p[i].n_layers };
      make_config (&p[i].img, &l, &d[i].config);
      make_manifest (&d[i].config, &l, &d[i].manifest);
      image_members (&d[i], &l, &m);
      if (p[i].img.created > mtime)
        mtime = p[i].img.created;
    }
  make_platform_index (p, d, n, &platforms);
  make_index (MT_INDEX, &platforms, &top);
  members_add (&m, (struct member){
                      .name = xasprintf ("blobs/sha256/%s", platforms.sha256),
                      .blob = &platforms });
  layout_finish (&top, &m);
  r = write_layouts (&m, stem, formats, mtime, err);
  members_free (&m);
  for (size_t i = 0; i < n; i++)
    docs_free (&d[i]);
  blob_free (&platforms);
  blob_free (&top);
  return r;
}
