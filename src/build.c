/* build.c: the build pipeline, in one place.  recipe.c parses, solve.c
 * picks and orders the packages, rpm.c reads them, unpack.c puts them in
 * the staging tree and the manifest, prune.c applies the profile, pack.c
 * writes the tar.  This file decides the order, the output paths, the
 * SOURCE_DATE_EPOCH, and that a failed or interrupted build removes its
 * staging tree and leaves the previous output untouched. */
#define _GNU_SOURCE
#include "build.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "lock.h"
#include "oci.h"
#include "pack.h"
#include "prune.h"
#include "recipe.h"
#include "record.h"
#include "repo.h"
#include "rpm.h"
#include "solve.h"
#include "tree.h"
#include "sbom.h"
#include "unpack.h"
#include "util.h"
#include "digest.h"
#include "json.h"
#include "extract.h"
#include "pkgdb.h"
#include "script.h"
#include "layers.h"
#include "reuse.h"

/* What the SBOM needs from each package's header, kept from the unpack
 * pass so no package is opened twice. */
struct pkg_meta
{
  char *license, *vendor, *summary, *url;
  char *manifest_head, *manifest_tail; /* pkgdb.h */
  struct mk_script_pkg scripts;
};

struct build
{
  const struct mk_build_opts *opts;
  struct mk_recipe *recipe;
  struct mk_repo_opts repo_opts;
  struct mk_repos *repos;
  struct mk_pkglist *pkgs;
  char **sha256;       /* of each package file, by index */
  char *output;
  char *staging;
  struct mk_pkgdb_job *pkgdb; /* the rpm database, made while we pack */
  int rootfd;
  struct mk_tree *tree;
  struct mk_unpacker *unpacker;
  int64_t max_buildtime;
  int64_t sde;
  struct mk_prune_stats pruned;
  struct mk_prune_rule_stat *rules; /* what each prune rule removed */
  size_t n_rules;
  double t_start, t_phase[6];
  struct pkg_meta *meta; /* header fields the SBOM needs, by index */
  unsigned formats;    /* MK_OCI_* besides the tar (docs/reproducible.md) */
  struct mk_extract_job *jobs; /* for the unpacking workers */
  struct mk_extractor *extractor; /* kept to the end: the tar may read
                                     contents from its scratch files */
  char *unpack_cache;  /* <cache>/unpacked, or NULL */
  size_t n_cached;     /* packages taken from it */
  char *scripts_report; /* <stem>.scripts, when scriptlets ran */
  /* Layered images (docs/layers.md). */
  int depth;           /* 0: the image asked for; n: a base n levels down */
  bool lock_if_any;    /* a base under --locked */
  struct build *base;  /* the base image, built first, kept to the end */
  struct mk_build_opts base_opts;
  struct mk_layer_plan plan;
  char *layers_dir;    /* the plan's layer tars, removed at the end */
  struct mk_oci_layer *layers; /* the image's, bottom first */
  size_t n_layers;
  struct mk_oci_image img;  /* its OCI config, for a multi-arch index */
  char *index_stem;    /* multi-arch: where the index goes (out/x) */
  char *reuse_dir;     /* <cache>/images (reuse.h), or NULL */
  char *reuse_key;     /* this build's inputs */
  char *program_sha;   /* sha256 of /proc/self/exe, for the cache keys */
};

#define MAX_BASE_DEPTH 8

enum
{
  PH_RESOLVE,
  PH_FETCH,
  PH_UNPACK,
  PH_PRUNE,
  PH_PACK,
};

/* Default output: out/<name>.tar relative to the current directory; an
 * `output` in the recipe is relative to the recipe's directory. */
static int
choose_output (struct build *b, mk_error_t *err)
{
  const struct mk_recipe *r = b->recipe;
  if (b->opts->output)
    b->output = xstrdup (b->opts->output);
  else if (r->output)
    b->output = r->output[0] == '/' ? xstrdup (r->output)
                                    : xasprintf ("%s/%s", r->dir, r->output);
  else
    {
      if (mkdir ("out", 0777) < 0 && errno != EEXIST)
        return mk_make_error (err, errno, "create `out`");
      b->output = xasprintf ("out/%s.tar", r->name);
    }
  if (b->opts->multi && b->opts->arch)
    {
      char *one = mk_build_arch_output (b->output, b->opts->arch);
      b->index_stem = mk_output_stem (b->output);
      free (b->output);
      b->output = one;
    }
  if (!mk_str_has_suffix (b->output, ".tar")
      && !mk_str_has_suffix (b->output, ".tar.gz")
      && !mk_str_has_suffix (b->output, ".tgz")
      && !mk_str_has_suffix (b->output, ".tar.zst")
      && !mk_str_has_suffix (b->output, ".tar.xz"))
    return mk_make_error_code (err, MK_EXIT_USAGE, 0,
                               "output `%s`: must end in .tar, .tar.gz, .tgz, "
                               ".tar.zst or .tar.xz", b->output);
  /* Say so now, not after a minute of unpacking.  A missing directory
   * is made, as the default out/ is: `output = images/x.tar` in a new
   * checkout should just work. */
  {
    const char *slash = strrchr (b->output, '/');
    cleanup_free char *dir = slash ? xstrndup (b->output, (size_t) (slash
                                                             - b->output))
                                   : xstrdup (".");
    if (*dir && access (dir, F_OK) < 0 && errno == ENOENT
        && mk_mkdir_p (dir, 0777, err) < 0)
      return -1;
    if (access (*dir ? dir : "/", W_OK | X_OK) < 0)
      return mk_make_error (err, errno, "output directory `%s`", dir);
  }
  return 0;
}

char *
mk_build_arch_output (const char *output, const char *arch)
{
  cleanup_free char *stem = mk_output_stem (output);
  return xasprintf ("%s.%s%s", stem, arch, output + strlen (stem));
}

/* out/x.tar -> out/x.packages; out/x.tar.gz -> out/x.packages. */
static char *
packages_path (const char *output)
{
  cleanup_free char *stem = mk_output_stem (output);
  return xasprintf ("%s.packages", stem);
}

/* $SOURCE_DATE_EPOCH, else the newest build time of the packages. */
static int
sde_of (int64_t max_buildtime, int64_t *sde, mk_error_t *err)
{
  const char *env = getenv ("SOURCE_DATE_EPOCH");
  char *end;
  long long v;
  if (env == NULL || *env == '\0')
    {
      *sde = max_buildtime;
      return 0;
    }
  errno = 0;
  v = strtoll (env, &end, 10);
  if (errno || *end || v < 0)
    return mk_make_error_code (err, MK_EXIT_USAGE, 0,
                               "SOURCE_DATE_EPOCH `%s`: not a number of "
                               "seconds", env);
  *sde = v;
  return 0;
}

/* From the headers read while unpacking: the one that counts. */
static int
source_date_epoch (struct build *b, int64_t *sde, mk_error_t *err)
{
  return sde_of (b->max_buildtime, sde, err);
}

static int
check_identity (const struct mk_pkg *p, struct mk_rpm *rpm, mk_error_t *err)
{
  if (strcmp (p->name, mk_rpm_name (rpm)) || strcmp (p->evr, mk_rpm_evr (rpm))
      || strcmp (p->arch, mk_rpm_arch (rpm)))
    return mk_make_error (err, 0, "%s: the file is %s, not what the "
                                  "repository metadata says (%s)",
                          p->path, mk_rpm_nevra (rpm), p->nevra);
  return 0;
}

/* The keys a package's signature must verify against (gpgcheck), or NULL. */
static const struct mk_rpm_keyring *
package_keys (struct build *b, const struct mk_pkg *p)
{
  const struct mk_repo *r = mk_repos_find (b->repos, p->repo_id);
  return r ? r->keyring : NULL;
}

/* A package's header is the one the metadata promised; keep what later
 * steps need from it while it is open: the SBOM's fields, the scriptlets,
 * the package manifest's fields, the newest build time. */
static int
take_header (struct build *b, size_t i, struct mk_rpm *rpm, mk_error_t *err)
{
  struct pkg_meta *m = &b->meta[i];

  if (check_identity (&b->pkgs->pkgs[i], rpm, err) < 0)
    return -1;
  if ((int64_t) mk_rpm_buildtime (rpm) > b->max_buildtime)
    b->max_buildtime = mk_rpm_buildtime (rpm);
  *m = (struct pkg_meta){ .license = xstrdup (mk_rpm_license (rpm)),
                          .vendor = xstrdup (mk_rpm_vendor (rpm)),
                          .summary = xstrdup (mk_rpm_summary (rpm)),
                          .url = xstrdup (mk_rpm_url (rpm)) };
  mk_rpm_manifest_fields (rpm, &m->manifest_head, &m->manifest_tail);
  m->scripts.nevra = b->pkgs->pkgs[i].nevra;
  for (int k = 0; k < MK_RPM_N_SCRIPTS; k++)
    m->scripts.has[k] = mk_rpm_script (rpm, (enum mk_rpm_script_kind) k,
                                       &m->scripts.s[k]) == 1;
  return 0;
}

static struct mk_extract_job
extract_job (struct build *b, size_t i)
{
  const struct mk_pkg *p = &b->pkgs->pkgs[i];
  bool sha256 = p->checksum_type && strcmp (p->checksum_type, "sha256") == 0;
  return (struct mk_extract_job){ .path = p->path, .nevra = p->nevra,
                                  .checksum_type = p->checksum_type,
                                  .checksum = p->checksum,
                                  .keys = package_keys (b, p),
                                  .cache_key = sha256 ? p->checksum : NULL,
                                  .cost = p->download_size + p->install_size };
}

/* One package, opened and read completely here (MKBASE_JOBS=1, or one
 * package). */
static int
unpack_serial (struct build *b, size_t i, mk_error_t *err)
{
  const struct mk_pkg *p = &b->pkgs->pkgs[i];
  struct mk_extract_job job = extract_job (b, i);
  cleanup_rpm struct mk_rpm *rpm = NULL;

  if (mk_extract_check_file (&job, &b->sha256[i], err) < 0)
    return -1;
  if (mk_rpm_open (p->path, job.keys, &rpm, err) < 0)
    return mk_error_wrap (err, "%s", p->nevra);
  if (take_header (b, i, rpm, err) < 0)
    return -1;
  return mk_unpacker_add (b->unpacker, rpm, err);
}

/* Contents stay where the workers put them (the scratch directory, the
 * unpacked cache) and the tar reads them there, unless something needs
 * them in the staging tree: scriptlets run in it (and write to it, so
 * they get copies), --keep-staging shows it. */
static enum mk_content_mode
content_mode (const struct build *b)
{
  if (b->recipe->scriptlets)
    return MK_CONTENT_COPY;
  return b->opts->keep_staging ? MK_CONTENT_MOVE : MK_CONTENT_SOURCE;
}

/* One package whose payload a worker checked and extracted: only its
 * header is read here, and the contents are moved into place. */
static int
unpack_extracted (struct build *b, struct mk_extractor *x, size_t i,
                  mk_error_t *err)
{
  const struct mk_pkg *p = &b->pkgs->pkgs[i];
  cleanup_rpm struct mk_rpm *rpm = NULL;
  struct mk_extracted where;
  const char *sha256;

  if (mk_extractor_wait (x, i, &sha256, &where, err) < 0)
    return -1;
  if (where.hit)
    b->n_cached++;
  b->sha256[i] = xstrdup (sha256);
  if (mk_rpm_open_header (p->path, package_keys (b, p), &rpm, err) < 0)
    return mk_error_wrap (err, "%s", p->nevra);
  if (take_header (b, i, rpm, err) < 0)
    return -1;
  return mk_unpacker_add_extracted (b->unpacker, rpm, &where,
                                    content_mode (b), err);
}

static int
start_extractor (struct build *b, struct mk_extractor **x, mk_error_t *err)
{
  size_t n = b->pkgs->n;
  int workers = mk_extract_workers ();
  struct mk_extract_job *jobs;

  *x = NULL;
  if (workers < 2 || n < 2)
    return 0;
  jobs = b->jobs = xcalloc (n + 1, sizeof *jobs);
  for (size_t i = 0; i < n; i++)
    jobs[i] = extract_job (b, i);
  b->unpack_cache = mk_extract_cache_dir (b->opts->cache);
  mk_debug ("unpacking with %d worker processes%s%s", workers,
            b->unpack_cache ? ", unpacked cache " : "",
            b->unpack_cache ? b->unpack_cache : "");
  return mk_extractor_start (jobs, n, workers, b->opts->staging_parent,
                             b->unpack_cache, x, err);
}

static int
unpack_all (struct build *b, mk_error_t *err)
{
  struct mk_extractor *x = NULL;

  b->unpacker = mk_unpacker_new (b->tree, b->rootfd);
  b->sha256 = xcalloc (b->pkgs->n, sizeof (char *));
  b->meta = xcalloc (b->pkgs->n, sizeof *b->meta);
  if (start_extractor (b, &x, err) < 0)
    return -1;
  b->extractor = x;
  for (size_t i = 0; i < b->pkgs->n; i++)
    {
      if (mk_check_interrupt (err) < 0)
        return -1;
      mk_debug ("unpack [%zu/%zu] %s", i + 1, b->pkgs->n,
                b->pkgs->pkgs[i].nevra);
      mk_progress ("unpack", i, b->pkgs->n);
      if ((x ? unpack_extracted (b, x, i, err) : unpack_serial (b, i, err))
          < 0)
        return -1;
    }
  mk_progress_done ("unpack", b->pkgs->n);
  if (b->n_cached)
    mk_info ("%zu of %zu packages from the unpacked cache", b->n_cached,
             b->pkgs->n);
  return mk_unpacker_finish (b->unpacker, err);
}

static int
write_packages_file (struct build *b, mk_error_t *err)
{
  cleanup_free char *path = packages_path (b->output);
  cleanup_free char *tmp = NULL;
  cleanup_strv char **lines = NULL;
  int fd;

  for (size_t i = 0; i < b->pkgs->n; i++)
    mk_strv_push (&lines, xasprintf ("%s %s\n", b->pkgs->pkgs[i].nevra,
                                     b->sha256[i]));
  qsort (lines, b->pkgs->n, sizeof (char *), mk_compare_strs);
  fd = mk_atomic_open (path, &tmp, err);
  if (fd < 0)
    return -1;
  for (size_t i = 0; lines && lines[i]; i++)
    if (mk_write_all (fd, lines[i], strlen (lines[i]), err, path) < 0)
      {
        mk_atomic_abort (fd, tmp);
        return -1;
      }
  return mk_atomic_commit (fd, tmp, path, err);
}

static int
make_staging (struct build *b, mk_error_t *err)
{
  if (mk_mkdtemp (b->opts->staging_parent, "mkbase-staging", &b->staging,
                  err) < 0)
    return -1;
  b->rootfd = open (b->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (b->rootfd < 0)
    return mk_make_error (err, errno, "open `%s`", b->staging);
  return 0;
}

static void
build_cleanup (struct build *b)
{
  for (size_t i = 0; i < b->n_layers; i++)
    mk_oci_layer_close (&b->layers[i]);
  free (b->layers);
  mk_layer_plan_clear (&b->plan);
  if (b->layers_dir)
    mk_at_rmtree (AT_FDCWD, b->layers_dir);
  free (b->layers_dir);
  if (b->base)
    {
      build_cleanup (b->base);
      free (b->base);
    }
  mk_pkgdb_job_free (b->pkgdb);
  mk_extractor_free (b->extractor);
  if (b->rootfd >= 0)
    close (b->rootfd);
  if (b->staging && !b->opts->keep_staging)
    mk_at_rmtree (AT_FDCWD, b->staging);
  else if (b->staging)
    mk_info ("staging tree kept at %s", b->staging);
  free (b->staging);
  free (b->reuse_dir);
  free (b->reuse_key);
  free (b->program_sha);
  free (b->output);
  free (b->index_stem);
  for (size_t i = 0; b->sha256 && i < b->pkgs->n; i++)
    free (b->sha256[i]);
  free (b->sha256);
  for (size_t i = 0; b->meta && i < b->pkgs->n; i++)
    {
      free (b->meta[i].license);
      free (b->meta[i].vendor);
      free (b->meta[i].summary);
      free (b->meta[i].url);
      free (b->meta[i].manifest_head);
      free (b->meta[i].manifest_tail);
      for (int k = 0; k < MK_RPM_N_SCRIPTS; k++)
        mk_rpm_script_clear (&b->meta[i].scripts.s[k]);
    }
  free (b->meta);
  mk_prune_rule_stats_free (b->rules, b->n_rules);
  mk_unpacker_free (b->unpacker);
  free (b->scripts_report);
  free (b->jobs);
  free (b->unpack_cache);
  mk_tree_free (b->tree);
  mk_pkglist_free (b->pkgs);
  mk_repos_free (b->repos);
  mk_recipe_free (b->recipe);
}

static const char *const phase_names[] = { "resolve", "download", "unpack",
                                            "prune", "pack" };

/* --json: one document on stdout instead of the sha256sum line. */
static void
print_json_summary (struct build *b, const struct mk_pack_result *res)
{
  cleanup_free char *record = mk_record_path (b->output);
  cleanup_free char *packages = packages_path (b->output);

  fputs ("{\"sha256\": ", stdout);
  mk_json_string (stdout, res->sha256);
  fputs (", \"output\": ", stdout);
  mk_json_string (stdout, b->output);
  fputs (", \"packages_file\": ", stdout);
  mk_json_string (stdout, packages);
  fputs (", \"record\": ", stdout);
  mk_json_string (stdout, record);
  printf (", \"packages\": %zu, \"entries\": %" PRIu64 ", \"bytes\": %"
          PRIu64 ", \"pruned_entries\": %" PRIu64 ", \"pruned_bytes\": %"
          PRIu64 ", \"seconds\": {",
          b->pkgs->n, res->entries, res->bytes, b->pruned.files,
          b->pruned.bytes);
  for (size_t i = 0; i < ARRAY_SIZE (phase_names); i++)
    printf ("%s\"%s\": %.3f", i ? ", " : "", phase_names[i], b->t_phase[i]);
  fputs ("}}\n", stdout);
  fflush (stdout);
}

static void
print_summary (struct build *b, const struct mk_pack_result *res)
{
  char h1[32], h2[32];
  mk_info ("%zu packages, %" PRIu64 " entries, %s in the image; pruned %" PRIu64
           " entries, %s",
           b->pkgs->n, res->entries, mk_human_size (res->bytes, h1), b->pruned.files,
           mk_human_size (b->pruned.bytes, h2));
  mk_info ("time: resolve %.2fs, download %.2fs, unpack %.2fs, prune %.2fs, "
           "pack %.2fs",
           b->t_phase[PH_RESOLVE], b->t_phase[PH_FETCH], b->t_phase[PH_UNPACK],
           b->t_phase[PH_PRUNE], b->t_phase[PH_PACK]);
  if (b->depth > 0)
    {
      /* stdout is the asked-for image's line alone. */
      mk_info ("base image: %s  %s", res->sha256, b->output);
      return;
    }
  if (b->opts->json)
    {
      print_json_summary (b, res);
      return;
    }
  /* stdout: the sha256sum line, so `mkbase r.conf > SUMS` just works. */
  printf ("%s  %s\n", res->sha256, b->output);
  fflush (stdout);
}

/* Locked: the lock file's packages as written, no solver.  A local
 * repository's file must be there (the error names the package); a remote
 * one's is fetched by fetch_packages. */
static int
choose_locked_packages (struct build *b, mk_error_t *err)
{
  cleanup_free char *lock = mk_lock_path (b->recipe, NULL);

  if (mk_lock_read (b->recipe, lock, &b->pkgs, err) < 0)
    return -1;
  for (size_t i = 0; i < b->pkgs->n; i++)
    {
      struct mk_pkg *p = &b->pkgs->pkgs[i];
      const struct mk_repo *repo = mk_repos_find (b->repos, p->repo_id);
      if (repo == NULL)
        return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                                   "%s: %s: repository `%s` is not enabled in "
                                   "%s", lock, p->nevra, p->repo_id,
                                   b->recipe->path);
      if (repo->urls)
        continue;
      p->path = xasprintf ("%s/%s", repo->dir, p->location);
      if (access (p->path, R_OK) < 0)
        return mk_make_error (err, errno, "%s (locked in %s): `%s` is missing "
                                          "from repository `%s`", p->nevra,
                              lock, p->path, p->repo_id);
    }
  mk_info ("using the %zu packages locked in %s", b->pkgs->n, lock);
  return 0;
}

/* The image formats besides the tar: --format (comma lists) when given,
 * else the recipe's output_format. */
static int
choose_formats (struct build *b, mk_error_t *err)
{
  static const struct { const char *name; unsigned bit; } known[] = {
    { "tar", 0 }, { "oci", MK_OCI_LAYOUT }, { "oci-archive", MK_OCI_ARCHIVE },
    { "docker-archive", MK_OCI_DOCKER } };
  cleanup_strv char **words = NULL;

  for (size_t i = 0; i < b->opts->n_formats; i++)
    {
      cleanup_free char *copy = xstrdup (b->opts->formats[i]);
      char *save = NULL;
      for (char *w = strtok_r (copy, ", ", &save); w;
           w = strtok_r (NULL, ", ", &save))
        mk_strv_push (&words, xstrdup (w));
    }
  for (size_t i = 0; b->opts->n_formats == 0 && b->recipe->output_formats
                     && b->recipe->output_formats[i]; i++)
    mk_strv_push (&words, xstrdup (b->recipe->output_formats[i]));
  for (size_t i = 0; words && words[i]; i++)
    {
      size_t j = 0;
      while (j < ARRAY_SIZE (known) && strcmp (known[j].name, words[i]) != 0)
        j++;
      if (j == ARRAY_SIZE (known))
        return mk_make_error_code (err, MK_EXIT_USAGE, 0,
                                   "--format `%s`: expected tar, oci, "
                                   "oci-archive or docker-archive", words[i]);
      b->formats |= known[j].bit;
    }
  return 0;
}

/* The package set, in install order. */
static int
choose_packages (struct build *b, mk_error_t *err)
{
  if (choose_formats (b, err) < 0)
    return -1;
  if (b->opts->locked || b->recipe->lock)
    return choose_locked_packages (b, err);
  /* A base under --locked: its own lock file when it has one.  The
   * image's lock holds the base's packages too, so without one the
   * solve must agree with it (the pinned job would fail otherwise). */
  if (b->lock_if_any)
    {
      cleanup_free char *lock = mk_lock_path (b->recipe, NULL);
      if (access (lock, F_OK) == 0)
        return choose_locked_packages (b, err);
    }
  return mk_solve (b->recipe, b->repos, &b->pkgs, err);
}

/* Make every package's file available locally (pkg->path). */
static int
fetch_packages (struct build *b, mk_error_t *err)
{
  return mk_repos_fetch (b->repos, b->pkgs, &b->repo_opts, err);
}

/* The SBOM needs header fields unpack_all did not keep: read each header
 * again (the files were verified against their checksums already). */
static int
write_sbom (struct build *b, const char *image_sha256, int64_t sde,
            const char *stem, mk_error_t *err)
{
  size_t n = b->pkgs->n;
  cleanup_free struct mk_sbom_pkg *pk = xcalloc (n + 1, sizeof *pk);
  cleanup_free char *path = xasprintf ("%s.spdx.json", stem);
  struct mk_sbom s = { .name = b->recipe->name, .image_sha256 = image_sha256,
                       .created = sde, .tool = "mkbase-" MK_VERSION,
                       .pkgs = pk, .n = n };

  for (size_t i = 0; i < n; i++)
    {
      const struct mk_pkg *p = &b->pkgs->pkgs[i];
      pk[i] = (struct mk_sbom_pkg){
        .name = p->name, .evr = p->evr, .arch = p->arch, .nevra = p->nevra,
        .license = b->meta[i].license, .vendor = b->meta[i].vendor,
        .summary = b->meta[i].summary, .url = b->meta[i].url,
        .sha256 = b->sha256[i] };
    }
  return mk_sbom_write (&s, path, err);
}

static char *const default_cmd[] = { (char *) "/bin/sh", NULL };
static char *const default_env[]
    = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                 "/sbin:/bin", NULL };

/* What the install scriptlets made or changed, as it went into the tar,
 * for `mkbase verify` (docs/scriptlets.md): the image as built includes
 * it, so a fresh image verifies clean and a later change is still seen. */
static int
record_scripted (struct build *b, struct mk_record *rec, mk_error_t *err)
{
  size_t n;
  cleanup_free struct mk_entry **v = mk_tree_sorted (b->tree, &n);

  rec->scripted = xcalloc (n + 1, sizeof *rec->scripted);
  for (size_t i = 0; i < n; i++)
    {
      const struct mk_entry *e = v[i];
      struct mk_record_scripted *s;
      if (e->removed || !(e->flags & MK_ENTRY_SCRIPTED))
        continue;
      s = &rec->scripted[rec->n_scripted++];
      *s = (struct mk_record_scripted){
        .path = xstrdup (e->path), .mode = (uint32_t) e->mode,
        .uid = e->uid, .gid = e->gid,
        .size = S_ISREG (e->mode) ? e->size : 0,
        .linkto = S_ISLNK (e->mode) && e->linkto ? xstrdup (e->linkto)
                                                 : NULL };
      if (S_ISREG (e->mode))
        {
          cleanup_close int fd
              = mk_at_open (b->rootfd, e->path, O_RDONLY | O_CLOEXEC, 0);
          if (fd < 0)
            return mk_make_error (err, errno, "staging: open `%s`", e->path);
          if (mk_digest_fd (fd, "sha256", &s->sha256, err, e->path) < 0)
            return -1;
        }
    }
  return 0;
}

/* The record `mkbase inspect` and `mkbase run` read (record.h). */
static int
write_record (struct build *b, const struct mk_pack_result *res, int64_t sde,
              const char *stem, mk_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s.record.json", stem);
  const char *slash = strrchr (b->output, '/');
  struct mk_record rec = {
    .name = xstrdup (b->recipe->name),
    .profile = xstrdup (b->recipe->profile->name),
    .image = xstrdup (slash ? slash + 1 : b->output),
    .sha256 = xstrdup (res->sha256), .source_date_epoch = sde };
  const struct mk_recipe *rc = b->recipe;
  int r;

  /* The OCI config's values (oci.c), defaults filled in. */
  rec.entrypoint = mk_strv_copy (rc->entrypoint);
  rec.cmd = rc->cmd ? mk_strv_copy (rc->cmd)
                    : rc->entrypoint ? NULL : mk_strv_copy (default_cmd);
  rec.env = mk_strv_copy (rc->env ? rc->env : default_env);
  mk_record_count (b->tree, &rec);
  if (record_scripted (b, &rec, err) < 0)
    {
      mk_record_clear (&rec);
      return -1;
    }
  for (size_t i = 0; i < rec.n_pkgs && i < b->pkgs->n; i++)
    rec.pkgs[i].sha256 = xstrdup (b->sha256[i]);
  rec.rules = xcalloc (b->n_rules + 1, sizeof *rec.rules);
  rec.spared = xcalloc (b->n_rules + 1, sizeof *rec.spared);
  for (size_t i = 0; i < b->n_rules; i++)
    if (b->rules[i].files)
      {
        struct mk_record_rule *row = b->rules[i].spared
                                         ? &rec.spared[rec.n_spared++]
                                         : &rec.rules[rec.n_rules++];
        *row = (struct mk_record_rule){ .label = xstrdup (b->rules[i].label),
                                      .entries = b->rules[i].files,
                                      .bytes = b->rules[i].bytes };
      }
  rec.pruned_entries = b->pruned.files;
  rec.pruned_bytes = b->pruned.bytes;
  r = mk_record_write (&rec, path, err);
  mk_record_clear (&rec);
  return r;
}

static bool
layered (const struct build *b)
{
  return b->recipe->base || b->recipe->layers > 1;
}

static void
add_layer (struct build *b, struct mk_oci_layer l)
{
  b->layers = xreallocarray (b->layers, b->n_layers + 1, sizeof *b->layers);
  b->layers[b->n_layers++] = l;
}

/* The plan's layers as tars in a temporary directory beside the staging
 * tree, so a failed build leaves none behind in the output directory. */
static int
write_plan_layers (struct build *b, mk_error_t *err)
{
  if (mk_mkdtemp (b->opts->staging_parent, "mkbase-layers", &b->layers_dir,
                  err) < 0)
    return -1;
  for (size_t k = 0; k < b->plan.n; k++)
    {
      struct mk_pack_result lr = { 0 };
      struct mk_oci_layer l = { .comment = b->plan.layers[k].comment };
      struct stat st;
      l.path = xasprintf ("%s/%zu.tar", b->layers_dir, k);
      if (mk_pack_write_layer (b->tree, b->rootfd, l.path, b->sde,
                               (unsigned) k, b->plan.layers[k].whiteouts, &lr,
                               err) < 0
          || stat (l.path, &st) < 0)
        {
          if (*err == NULL)
            mk_make_error (err, errno, "stat `%s`", l.path);
          free (l.path);
          free (lr.sha256);
          return -1;
        }
      l.sha256 = lr.sha256;
      l.size = (uint64_t) st.st_size;
      add_layer (b, l);
    }
  return 0;
}

/* `layer_compression`: the image's own layers (from `first` up; the
 * base's are as the base made them) get a compressed blob. */
static int
compress_layers (struct build *b, size_t first, mk_error_t *err)
{
  const char *how = b->recipe->layer_compression;
  if (how == NULL || strcmp (how, "none") == 0)
    return 0;
  if (b->layers_dir == NULL
      && mk_mkdtemp (b->opts->staging_parent, "mkbase-layers", &b->layers_dir,
                     err) < 0)
    return -1;
  for (size_t i = first; i < b->n_layers; i++)
    {
      cleanup_free char *dest = xasprintf ("%s/%zu.blob", b->layers_dir, i);
      if (mk_oci_layer_compress (&b->layers[i], how, dest, err) < 0)
        return -1;
    }
  return 0;
}

/* The image's layers, bottom first: the plain tar alone, or the base's
 * layers as they are and then the plan's (docs/layers.md). */
static int
make_layers (struct build *b, const struct mk_pack_result *res,
             mk_error_t *err)
{
  struct mk_layer_base lb = { 0 };
  struct mk_oci_layer one = { 0 };

  if (!layered (b))
    {
      if (mk_oci_layer_open (b->output, res->sha256, &one, err) < 0)
        return -1;
      add_layer (b, one);
      return compress_layers (b, 0, err);
    }
  if (b->base)
    {
      lb = (struct mk_layer_base){ .tree = b->base->tree, .sde = b->base->sde,
                                   .recipe = b->base->recipe->path };
      for (size_t i = 0; i < b->base->n_layers; i++)
        {
          const struct mk_oci_layer *l = &b->base->layers[i];
          add_layer (b, (struct mk_oci_layer){
                            .path = xstrdup (l->path),
                            .sha256 = xstrdup (l->sha256), .size = l->size,
                            .comment = l->comment,
                            .blob_path = l->blob_path ? xstrdup (l->blob_path)
                                                      : NULL,
                            .blob_sha256 = l->blob_sha256
                                               ? xstrdup (l->blob_sha256)
                                               : NULL,
                            .blob_size = l->blob_size,
                            .blob_type = l->blob_type });
        }
    }
  if (mk_layers_plan (b->tree, b->sde, b->base ? &lb : NULL,
                      b->recipe->layers, &b->plan, err) < 0)
    return -1;
  mk_debug ("layers: %zu of the base, %zu above", b->base ? b->base->n_layers
                                                          : 0, b->plan.n);
  if (write_plan_layers (b, err) < 0)
    return -1;
  return compress_layers (b, b->base ? b->base->n_layers : 0, err);
}

/* Everything written next to the image once the tar is in place: the
 * .packages list, the build record, the SPDX SBOM, and the OCI/docker
 * formats asked for. */
static int
write_side_outputs (struct build *b, const struct mk_pack_result *res,
                    int64_t sde, mk_error_t *err)
{
  cleanup_free char *stem = mk_output_stem (b->output);
  const struct mk_recipe *rc = b->recipe;
  struct mk_oci_image img = { .name = rc->name, .created = sde,
                              .arch = rc->arch ? rc->arch : mk_host_arch (),
                              .env = rc->env, .cmd = rc->cmd,
                              .entrypoint = rc->entrypoint,
                              .labels = rc->labels };

  if (b->scripts_report)
    {
      cleanup_free char *path = xasprintf ("%s.scripts", stem);
      if (mk_write_file_atomic (path, b->scripts_report,
                                strlen (b->scripts_report), err) < 0)
        return -1;
    }
  if (write_packages_file (b, err) < 0
      || write_record (b, res, sde, stem, err) < 0
      || make_layers (b, res, err) < 0
      || write_sbom (b, res->sha256, sde, stem, err) < 0)
    return -1;
  b->img = img;
  /* A multi-arch build's layout and oci-archive are one index of every
   * platform (mk_build_image writes it); the docker-archive is each's. */
  if (b->opts->multi ? (b->formats & MK_OCI_DOCKER) : b->formats)
    return mk_oci_write (&img, b->layers, b->n_layers, stem,
                         b->opts->multi ? MK_OCI_DOCKER : b->formats, err);
  return 0;
}

/* `scriptlets = run` runs them (script.c); otherwise say which packages
 * have scriptlets that did not run, as rpm --noscripts users expect. */
static int
run_scriptlets (struct build *b, mk_error_t *err)
{
  cleanup_free struct mk_script_pkg *pk = NULL;
  cleanup_free char *names = NULL;
  size_t with = 0;

  for (size_t i = 0; i < b->pkgs->n; i++)
    for (int k = 0; k < MK_RPM_N_SCRIPTS; k++)
      if (b->meta[i].scripts.has[k])
        {
          char *more = xasprintf ("%s%s%s", names ? names : "",
                                  names ? ", " : "", b->pkgs->pkgs[i].name);
          free (names);
          names = more;
          with++;
          break;
        }
  if (with == 0)
    return 0;
  if (!b->recipe->scriptlets)
    {
      mk_info ("%zu packages have install scriptlets that were not run "
               "(scriptlets = none): %s", with, names);
      return 0;
    }
  {
    const char *arch = b->recipe->arch ? b->recipe->arch : mk_host_arch ();
    cleanup_free char *why = NULL;
    if (!mk_arch_can_exec (arch, &why))
      return mk_make_error (err, 0, "%s: scriptlets = run for %s: %s",
                            b->recipe->path, arch, why);
  }
  pk = xcalloc (b->pkgs->n, sizeof *pk);
  for (size_t i = 0; i < b->pkgs->n; i++)
    pk[i] = b->meta[i].scripts;
  mk_info ("running the install scriptlets of %zu packages", with);
  return mk_script_run_all (b->tree, b->rootfd, pk, b->pkgs->n,
                            &(struct mk_script_opts){ .root = b->staging,
                                                      .timeout = 600 },
                            &b->scripts_report, err);
}

/* A test hook (pack.c, pkgdb.c, extract.c) makes a build fail or differ
 * on purpose: it must do the work, not find an earlier result.  Other
 * MKBASE_TEST_* variables belong to the test harness (tests/run sets
 * MKBASE_TEST_VIEW around the whole suite) and change nothing here. */
static bool
test_hooks_set (void)
{
  static const char *const hooks[] = { "MKBASE_TEST_NONDETERMINISM",
                                       "MKBASE_TEST_RPMDB_DIES",
                                       "MKBASE_TEST_WORKER_DIES" };
  for (size_t i = 0; i < ARRAY_SIZE (hooks); i++)
    if (getenv (hooks[i]))
      return true;
  return false;
}

/* Every package file has a repository checksum: the cache keys name
 * packages by it. */
static bool
all_checksummed (const struct build *b)
{
  for (size_t i = 0; i < b->pkgs->n; i++)
    if (b->pkgs->pkgs[i].checksum == NULL)
      return false;
  return true;
}

/* What both cache keys start with: this program (hashed once a build)
 * and every resolved package by NEVRA and repository checksum (the
 * unpack checks each file against it). */
static int
key_program_and_packages (struct build *b, struct mk_reuse_key *k,
                          mk_error_t *err)
{
  if (b->program_sha == NULL
      && mk_digest_path ("/proc/self/exe", "sha256", &b->program_sha, err)
             < 0)
    return -1;
  mk_reuse_key_add (k, "program", b->program_sha);
  for (size_t i = 0; i < b->pkgs->n; i++)
    {
      const struct mk_pkg *p = &b->pkgs->pkgs[i];
      cleanup_free char *v = xasprintf ("%s %s:%s", p->nevra,
                                        p->checksum_type, p->checksum);
      mk_reuse_key_add (k, "package", v);
    }
  return 0;
}

/* <cache>/rpmdb/KEY for this program, this package set and sde, or NULL
 * (no cache, or a package the repository gives no checksum for).  The
 * database depends on nothing else: librpm reads only the package
 * headers, and each file is checked against its checksum when unpacked. */
static char *
pkgdb_cache_file (struct build *b, int64_t sde)
{
  const char *env = getenv ("MKBASE_UNPACK_CACHE");
  cleanup_free char *dir = NULL;
  cleanup_free char *key = NULL;
  struct mk_reuse_key *k;
  mk_error_t err = NULL;
  char num[32];

  if ((env && strcmp (env, "0") == 0) || test_hooks_set ()
      || !all_checksummed (b))
    return NULL;
  dir = mk_cache_private_dir (b->opts->cache, "rpmdb");
  if (dir == NULL)
    return NULL;
  k = mk_reuse_key_new ();
  if (key_program_and_packages (b, k, &err) < 0)
    {
      mk_error_release (&err);
      mk_reuse_key_free (k);
      return NULL;
    }
  snprintf (num, sizeof num, "%" PRId64, sde);
  mk_reuse_key_add (k, "sde", num);
  key = mk_reuse_key_finish (k);
  return xasprintf ("%s/%s.sqlite", dir, key);
}

/* rpmdb = sqlite: librpm's child starts as soon as the package files are
 * here, with the metadata's build times for sde (checked against the
 * headers' in start_pkgdb), and works while they are unpacked.  It
 * sorts by name, version-release and arch, from the metadata, which the
 * unpack checks against each header. */
static int
spawn_pkgdb (struct build *b, int64_t sde, mk_error_t *err)
{
  size_t n = b->pkgs->n;
  cleanup_free struct mk_pkgdb_pkg *pk = xcalloc (n + 1, sizeof *pk);
  cleanup_strv char **heads = xcalloc (n + 1, sizeof *heads);
  cleanup_free char *cached = pkgdb_cache_file (b, sde);

  for (size_t i = 0; i < n; i++)
    {
      const struct mk_pkg *p = &b->pkgs->pkgs[i];
      const char *colon = strchr (p->evr, ':');
      heads[i] = xasprintf ("%s\t%s", p->name, colon ? colon + 1 : p->evr);
      pk[i] = (struct mk_pkgdb_pkg){ .path = p->path, .head = heads[i],
                                     .tail = p->arch };
    }
  int r = mk_pkgdb_spawn (pk, n, sde, b->opts->staging_parent, cached,
                          &b->pkgdb, err);
  if (r > 0)
    mk_debug ("rpm database from the cache: %s", cached);
  return r < 0 ? -1 : 0;
}

static int
early_pkgdb (struct build *b, mk_error_t *err)
{
  int64_t newest = 0, sde;

  if (b->recipe->rpmdb != MK_RPMDB_SQLITE)
    return 0;
  for (size_t i = 0; i < b->pkgs->n; i++)
    if (b->pkgs->pkgs[i].buildtime > newest)
      newest = b->pkgs->pkgs[i].buildtime;
  if (sde_of (newest, &sde, err) < 0)
    return -1;
  return spawn_pkgdb (b, sde, err);
}

/* Put the package database in the tree: a sqlite one (started by
 * early_pkgdb; again if the headers' build times give another sde) is
 * filled in when the tar reaches it (fill_pkgdb). */
static int
start_pkgdb (struct build *b, mk_error_t *err)
{
  cleanup_free struct mk_pkgdb_pkg *pk = NULL;

  if (b->recipe->rpmdb == MK_RPMDB_SQLITE)
    {
      if (b->pkgdb && mk_pkgdb_sde (b->pkgdb) != b->sde)
        {
          mk_debug ("rpm database started again: the headers' build times "
                    "give SOURCE_DATE_EPOCH %" PRId64 ", the metadata's %"
                    PRId64, b->sde, mk_pkgdb_sde (b->pkgdb));
          mk_pkgdb_job_free (b->pkgdb);
          b->pkgdb = NULL;
        }
      if (b->pkgdb == NULL && spawn_pkgdb (b, b->sde, err) < 0)
        return -1;
      return mk_pkgdb_place (b->pkgdb, b->unpacker, err);
    }
  if (b->recipe->rpmdb != MK_RPMDB_MANIFEST)
    return 0;
  pk = xcalloc (b->pkgs->n + 1, sizeof *pk);
  for (size_t i = 0; i < b->pkgs->n; i++)
    pk[i] = (struct mk_pkgdb_pkg){ .path = b->pkgs->pkgs[i].path,
                                   .head = b->meta[i].manifest_head,
                                   .tail = b->meta[i].manifest_tail };
  return mk_pkgdb_write_manifest (b->unpacker, pk, b->pkgs->n, b->sde, err);
}

static int
fill_pkgdb (struct mk_entry *e, void *arg, mk_error_t *err)
{
  struct build *b = arg;
  return mk_pkgdb_finish (b->pkgdb, e, err);
}

/* The image check (check.h): a profile that removed what a program needs
 * fails the build here, before anything is written. */
static int
check_image (struct build *b, mk_error_t *err)
{
  struct mk_check_opts co = { .allow_broken = b->recipe->allow_broken,
                              .env = b->recipe->env };
  cleanup_check_report struct mk_check_report *rep = NULL;
  double t = mk_now ();

  if (mk_check_image (b->tree, b->rootfd, &co, &rep, err) < 0)
    return -1;
  mk_debug ("check: %zu ELF files, %zu scripts, %zu symlinks in %.1f ms: "
            "%zu problems, %zu warnings", rep->n_elf, rep->n_scripts,
            rep->n_links, (mk_now () - t) * 1000, rep->n_problems,
            rep->n_warnings);
  mk_check_report_print (rep);
  if (rep->n_problems == 0)
    return 0;
  return mk_make_error (err, 0, "image check: %zu problem%s after pruning "
                        "(allow_broken = GLOB accepts known ones)",
                        rep->n_problems, rep->n_problems == 1 ? "" : "s");
}

static int build_recipe (struct build *b, const char *recipe,
                         mk_error_t *err);

/* The base recipe's path (relative to the recipe's directory). */
static int
base_path (const struct mk_recipe *rc, int depth, char **out, mk_error_t *err)
{
  char *path;
  if (depth >= MAX_BASE_DEPTH)
    return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                               "%s:%d: base: more than %d bases deep (do "
                               "the recipes name each other?)", rc->path,
                               rc->base_line, MAX_BASE_DEPTH);
  path = rc->base[0] == '/' ? xstrdup (rc->base)
                            : xasprintf ("%s/%s", rc->dir, rc->base);
  if (access (path, R_OK) < 0)
    {
      mk_make_error_code (err, MK_EXIT_RECIPE, errno, "%s:%d: base `%s`",
                          rc->path, rc->base_line, rc->base);
      free (path);
      return -1;
    }
  *out = path;
  return 0;
}

/* The base's package set without building it (resolve, lock, why): its
 * lock file's when it has one or --locked, else its own solve. */
static int
pin_base (struct mk_recipe *r, const struct mk_repo_opts *ro, bool locked,
          int depth, mk_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *lock = NULL;
  cleanup_recipe struct mk_recipe *br = NULL;
  cleanup_repos struct mk_repos *repos = NULL;
  cleanup_pkglist struct mk_pkglist *l = NULL;

  if (r->base == NULL)
    return 0;
  if (base_path (r, depth, &path, err) < 0
      || mk_recipe_load (path, &br, err) < 0
      || pin_base (br, ro, locked, depth + 1, err) < 0
      || mk_repos_open (br, ro, &repos, err) < 0)
    return mk_error_wrap (err, "%s:%d: base", r->path, r->base_line);
  lock = mk_lock_path (br, NULL);
  if ((br->lock || (locked && access (lock, F_OK) == 0)) ? mk_lock_read (br, lock, &l, err) < 0
                           : mk_solve (br, repos, &l, err) < 0)
    return mk_error_wrap (err, "%s:%d: base", r->path, r->base_line);
  for (size_t i = 0; i < l->n; i++)
    mk_strv_push (&r->installed, xstrdup (l->pkgs[i].nevra));
  return 0;
}

int
mk_build_pin_base (struct mk_recipe *r, const struct mk_repo_opts *ro,
                   bool locked, mk_error_t *err)
{
  return pin_base (r, ro, locked, 0, err);
}

/* `base = RECIPE` (docs/layers.md): build the base image first, as a
 * dependency, and keep its packages as they are. */
static int
build_base (struct build *b, mk_error_t *err)
{
  struct mk_recipe *rc = b->recipe;
  cleanup_free char *path = NULL;

  if (rc->base == NULL)
    return 0;
  if (base_path (rc, b->depth, &path, err) < 0)
    return -1;
  b->base_opts = (struct mk_build_opts){
    .staging_parent = b->opts->staging_parent, .cache = b->opts->cache,
    .offline = b->opts->offline, .arch_list = b->opts->arch_list,
    .arch = b->opts->arch, .multi = b->opts->multi };
  b->base = xcalloc (1, sizeof *b->base);
  *b->base = (struct build){ .opts = &b->base_opts, .rootfd = -1,
                             .depth = b->depth + 1,
                             .lock_if_any = b->opts->locked || b->lock_if_any };
  mk_info ("building the base image %s", path);
  if (build_recipe (b->base, path, err) < 0)
    return mk_error_wrap (err, "%s:%d: base", rc->path, rc->base_line);
  for (size_t i = 0; i < b->base->pkgs->n; i++)
    mk_strv_push (&rc->installed, xstrdup (b->base->pkgs->pkgs[i].nevra));
  return 0;
}

/* Whole-image reuse (reuse.h) is for a plain build of one image whose
 * outputs are all regular files: not a base or a platform of a multi-arch
 * build (their callers need the tree), not the OCI layout (a directory),
 * not --json (its document carries the build's statistics), not under
 * --check-repro's builds or the test hooks. */
static bool
reuse_allowed (const struct build *b)
{
  const char *env = getenv ("MKBASE_REUSE");

  if ((env && strcmp (env, "0") == 0) || b->depth > 0 || b->recipe->base
      || b->opts->multi || b->opts->json || b->opts->packages
      || (b->formats & MK_OCI_LAYOUT))
    return false;
  return !test_hooks_set () && all_checksummed (b);
}

/* Everything a build's bytes depend on: this program, the recipe and
 * profile files, the package files (by the repository's checksum; the
 * unpack checks each file against it), the output path and formats, the
 * architecture and SOURCE_DATE_EPOCH. */
static int
reuse_key (struct build *b, mk_error_t *err)
{
  const struct mk_recipe *rc = b->recipe;
  struct mk_reuse_key *k = mk_reuse_key_new ();
  cleanup_free char *out = mk_output_abspath (b->output);
  char num[64];

  if (key_program_and_packages (b, k, err) < 0
      || mk_reuse_key_add_file (k, "recipe", rc->path, err) < 0
      || mk_reuse_key_add_file (k, "profile", rc->profile
                                ? rc->profile->path : NULL, err) < 0)
    {
      mk_reuse_key_free (k);
      return -1;
    }
  mk_reuse_key_add (k, "output", out);
  mk_reuse_key_add (k, "arch", rc->arch ? rc->arch : mk_host_arch ());
  snprintf (num, sizeof num, "%u %d", b->formats, b->opts->no_record);
  mk_reuse_key_add (k, "formats", num);
  mk_reuse_key_add (k, "sde", getenv ("SOURCE_DATE_EPOCH"));
  b->reuse_key = mk_reuse_key_finish (k);
  return 0;
}

/* A rebuild of exactly the inputs of an earlier build: print its line
 * and stop.  *done says so. */
static int
try_reuse (struct build *b, bool *done, mk_error_t *err)
{
  cleanup_free char *sha256 = NULL;

  *done = false;
  if (!reuse_allowed (b)
      || (b->reuse_dir = mk_cache_private_dir (b->opts->cache, "images"))
             == NULL
      || reuse_key (b, err) < 0)
    return *err ? -1 : 0;
  if (!mk_reuse_find (b->reuse_dir, b->reuse_key, &sha256))
    return 0;
  mk_info ("%s: reused, its inputs are the ones it was built from "
           "(MKBASE_REUSE=0 builds it again)", b->output);
  printf ("%s  %s\n", sha256, b->output);
  fflush (stdout);
  *done = true;
  return 0;
}

/* Remember this build's outputs for try_reuse; a failure only costs the
 * next build its shortcut. */
static void
store_reuse (struct build *b, const char *sha256)
{
  cleanup_free char *stem = NULL;
  cleanup_strv char **outs = NULL;
  const struct
  {
    const char *suffix;
    bool written;
  } side[] = {
    { ".packages", true },
    { ".record.json", !b->opts->no_record },
    { ".spdx.json", true },
    { ".scripts", b->scripts_report != NULL },
    { ".oci.tar", (b->formats & MK_OCI_ARCHIVE) != 0 },
    { ".docker.tar", (b->formats & MK_OCI_DOCKER) != 0 },
  };
  mk_error_t err = NULL;

  if (b->reuse_key == NULL)
    return;
  stem = mk_output_stem (b->output);
  mk_strv_push (&outs, xstrdup (b->output));
  for (size_t i = 0; i < ARRAY_SIZE (side); i++)
    if (side[i].written)
      mk_strv_push (&outs, xasprintf ("%s%s", stem, side[i].suffix));
  if (mk_reuse_store (b->reuse_dir, b->reuse_key, sha256, outs, &err) < 0)
    {
      mk_warn ("%s", err->msg);
      mk_error_release (&err);
    }
}

static int
run_pipeline (struct build *b, mk_error_t *err)
{
  struct mk_pack_result res = { 0 };
  int64_t sde = 0;
  double t = mk_now ();
  bool reused = false;
  int r = -1;

  if (build_base (b, err) < 0)
    return -1;
  t = mk_now ();
  if (choose_packages (b, err) < 0 || try_reuse (b, &reused, err) < 0)
    return -1;
  if (reused)
    return 0;
  b->t_phase[PH_RESOLVE] = mk_now () - t;
  t = mk_now ();
  if (fetch_packages (b, err) < 0 || early_pkgdb (b, err) < 0)
    return -1;
  b->t_phase[PH_FETCH] = mk_now () - t;
  mk_info ("resolved %zu packages; unpacking", b->pkgs->n);
  t = mk_now ();
  b->tree = mk_tree_new ();
  if (make_staging (b, err) < 0 || unpack_all (b, err) < 0
      || source_date_epoch (b, &b->sde, err) < 0
      || run_scriptlets (b, err) < 0 || start_pkgdb (b, err) < 0
      || mk_tree_map_owners (b->tree, b->rootfd, err) < 0)
    return -1;
  sde = b->sde;
  b->t_phase[PH_UNPACK] = mk_now () - t;
  t = mk_now ();
  if (mk_prune_apply_rules (b->tree, b->rootfd, b->recipe->profile,
                            &b->pruned, &b->rules, &b->n_rules, err) < 0
      || check_image (b, err) < 0)
    return -1;
  b->t_phase[PH_PRUNE] = mk_now () - t;
  t = mk_now ();
  if (mk_pack_write (b->tree, b->rootfd, b->output, sde,
                     &(struct mk_pack_fill){ fill_pkgdb, b }, &res, err) < 0
      || write_side_outputs (b, &res, sde, err) < 0)
    goto done;
  b->t_phase[PH_PACK] = mk_now () - t;
  store_reuse (b, res.sha256);
  print_summary (b, &res);
  r = 0;
done:
  free (res.sha256);
  return r;
}

static int
build_recipe (struct build *b, const char *recipe, mk_error_t *err)
{
  const struct mk_build_opts *o = b->opts;
  b->repo_opts = (struct mk_repo_opts){ .cache = o->cache,
                                        .offline = o->offline };
  if (mk_recipe_load (recipe, &b->recipe, err) < 0
      || mk_build_apply_arch (b->recipe, o, err) < 0
      || choose_output (b, err) < 0
      || mk_repos_open (b->recipe, &b->repo_opts, &b->repos, err) < 0)
    return -1;
  return run_pipeline (b, err);
}

int
mk_build_apply_arch (struct mk_recipe *r, const struct mk_build_opts *o,
                     mk_error_t *err)
{
  if (o->arch_list)
    {
      cleanup_free char *copy = xstrdup (o->arch_list);
      char *save = NULL;
      mk_strv_free (r->arches);
      r->arches = NULL;
      for (char *w = strtok_r (copy, ", ", &save); w;
           w = strtok_r (NULL, ", ", &save))
        {
          if (mk_arch_find (w) == NULL)
            return mk_make_error_code (err, MK_EXIT_USAGE, 0,
                                       "--arch: unknown architecture `%s` "
                                       "(known: %s)", w, mk_arch_names ());
          if (!mk_strv_contains (r->arches, w))
            mk_strv_push (&r->arches, xstrdup (w));
        }
      if (r->arches == NULL)
        return mk_make_error_code (err, MK_EXIT_USAGE, 0, "--arch: empty");
      mk_recipe_set_arch (r, r->arches[0]);
    }
  if (o->arch)
    mk_recipe_set_arch (r, o->arch);
  return 0;
}

static int
build_one (const char *recipe, const struct mk_build_opts *o,
           mk_error_t *err)
{
  struct build b = { .opts = o, .rootfd = -1 };
  int r = build_recipe (&b, recipe, err);
  build_cleanup (&b);
  return r;
}

/* arch = x86_64 aarch64: one build per architecture, each with its own
 * resolve, tar and side outputs (out/x.aarch64.tar ...), all kept until
 * the end so that the OCI layout and archive are one index of them. */
static int
build_multi (const char *recipe, const struct mk_build_opts *o,
             char *const *arches, mk_error_t *err)
{
  size_t n = mk_strv_len (arches);
  cleanup_free struct mk_build_opts *ao = xcalloc (n, sizeof *ao);
  cleanup_free struct build *b = xcalloc (n, sizeof *b);
  cleanup_free struct mk_oci_platform *p = xcalloc (n, sizeof *p);
  size_t done = 0;
  int r = 0;

  for (; r == 0 && done < n; done++)
    {
      ao[done] = *o;
      ao[done].arch = arches[done];
      ao[done].multi = true;
      b[done] = (struct build){ .opts = &ao[done], .rootfd = -1 };
      mk_info ("building for %s", arches[done]);
      r = build_recipe (&b[done], recipe, err);
      if (r < 0)
        mk_error_wrap (err, "%s", arches[done]);
    }
  if (r == 0 && (b[0].formats & (MK_OCI_LAYOUT | MK_OCI_ARCHIVE)))
    {
      for (size_t i = 0; i < n; i++)
        p[i] = (struct mk_oci_platform){ .img = b[i].img,
                                         .layers = b[i].layers,
                                         .n_layers = b[i].n_layers };
      r = mk_oci_write_index (p, n, b[0].index_stem,
                              b[0].formats & (MK_OCI_LAYOUT | MK_OCI_ARCHIVE),
                              err);
    }
  for (size_t i = 0; i < done; i++)
    build_cleanup (&b[i]);
  return r;
}

int
mk_build_image (const char *recipe, const struct mk_build_opts *o,
                mk_error_t *err)
{
  cleanup_recipe struct mk_recipe *rc = NULL;

  /* The staging tree is private to us whatever the caller's umask: its
   * modes are not the image's (those live in the manifest). */
  umask (022);
  if (mk_recipe_load (recipe, &rc, err) < 0
      || mk_build_apply_arch (rc, o, err) < 0)
    return -1;
  if (mk_strv_len (rc->arches) > 1)
    return build_multi (recipe, o, rc->arches, err);
  return build_one (recipe, o, err);
}

/* resolve --json: the package set in install order, and the totals. */
static void
print_resolve_json (const struct mk_pkglist *l)
{
  uint64_t dl = 0, inst = 0;
  fputs ("{\"packages\": [", stdout);
  for (size_t i = 0; i < l->n; i++)
    {
      const struct mk_pkg *p = &l->pkgs[i];
      fputs (i ? ",\n  {\"name\": " : "\n  {\"name\": ", stdout);
      mk_json_string (stdout, p->name);
      fputs (", \"evr\": ", stdout);
      mk_json_string (stdout, p->evr);
      fputs (", \"arch\": ", stdout);
      mk_json_string (stdout, p->arch);
      fputs (", \"nevra\": ", stdout);
      mk_json_string (stdout, p->nevra);
      fputs (", \"repo\": ", stdout);
      mk_json_string (stdout, p->repo_id);
      printf (", \"download_size\": %" PRIu64 ", \"install_size\": %" PRIu64
              "}", p->download_size, p->install_size);
      dl += p->download_size;
      inst += p->install_size;
    }
  printf ("\n], \"count\": %zu, \"download_size\": %" PRIu64
          ", \"install_size\": %" PRIu64 "}\n", l->n, dl, inst);
  fflush (stdout);
}

static int
resolve_one (struct mk_recipe *r, const struct mk_build_opts *o,
             mk_error_t *err)
{
  cleanup_repos struct mk_repos *repos = NULL;
  cleanup_pkglist struct mk_pkglist *l = NULL;
  struct mk_repo_opts ro = { .cache = o->cache, .offline = o->offline };
  uint64_t total = 0;
  char h[32];

  if (mk_build_pin_base (r, &ro, o->locked, err) < 0
      || mk_repos_open (r, &ro, &repos, err) < 0
      || mk_solve (r, repos, &l, err) < 0)
    return -1;
  if (o->json)
    {
      print_resolve_json (l);
      return 0;
    }
  for (size_t i = 0; i < l->n; i++)
    {
      printf ("%-56s %-12s %10" PRIu64 "\n", l->pkgs[i].nevra,
              l->pkgs[i].repo_id, l->pkgs[i].download_size);
      total += l->pkgs[i].download_size;
    }
  fflush (stdout);
  mk_info ("%zu packages, %s to unpack", l->n, mk_human_size (total, h));
  return 0;
}

/* A multi-arch recipe resolves each architecture in turn, under a
 * "# ARCH" line (--json: one document each). */
int
mk_build_resolve (const char *recipe, const struct mk_build_opts *o,
                  mk_error_t *err)
{
  cleanup_recipe struct mk_recipe *r = NULL;
  size_t n;

  if (mk_recipe_load (recipe, &r, err) < 0
      || mk_build_apply_arch (r, o, err) < 0)
    return -1;
  n = mk_strv_len (r->arches);
  if (n <= 1)
    return resolve_one (r, o, err);
  for (size_t k = 0; k < n; k++)
    {
      mk_recipe_set_arch (r, r->arches[k]);
      if (!o->json)
        printf ("%s# %s\n", k ? "\n" : "", r->arch);
      if (resolve_one (r, o, err) < 0)
        return mk_error_wrap (err, "%s", r->arch);
    }
  return 0;
}
