/* oci.h: the image as an OCI image layout (directory or oci-archive) and
 * as a docker-archive (docs/reproducible.md). */
#ifndef MK_OCI_H
#define MK_OCI_H

#include <stdint.h>

#include "error.h"

enum
{
  MK_OCI_LAYOUT = 1 << 0,  /* STEM.oci/ */
  MK_OCI_ARCHIVE = 1 << 1, /* STEM.oci.tar */
  MK_OCI_DOCKER = 1 << 2,  /* STEM.docker.tar */
};

struct mk_oci_image
{
  const char *name;           /* the image's; the docker tag is name:latest */
  const char *arch;           /* rpm's name (x86_64); mapped to GOARCH */
  int64_t created;            /* SOURCE_DATE_EPOCH */
  char *const *env;           /* KEY=VALUE; NULL: PATH only */
  char *const *cmd;           /* NULL: /bin/sh (none with an entrypoint) */
  char *const *entrypoint;    /* NULL: none */
  char *const *labels;        /* KEY=VALUE */
};

/* The plain tar of an image output: the output itself when it is a .tar,
 * else a temporary decompressed copy next to it (removed by close). */
struct mk_oci_layer
{
  char *path;
  char *sha256;  /* the diff_id (and, uncompressed, the layer digest) */
  uint64_t size;
  int temporary;
  const char *comment; /* the config's history entry; NULL: none */
  /* The blob, when it is compressed (mk_oci_layer_compress): the layout
   * and the manifest use it; the docker-archive keeps the plain tar. */
  char *blob_path;
  char *blob_sha256;
  uint64_t blob_size;
  const char *blob_type; /* "gzip", "zstd" */
};

int mk_oci_layer_open (const char *image, const char *image_sha256,
                       struct mk_oci_layer *out, mk_error_t *err);
void mk_oci_layer_close (struct mk_oci_layer *l);

/* Compress the layer ("gzip" or "zstd", pinned settings, no timestamp:
 * the same tar gives the same blob) into `dest`, and fill its blob_*
 * fields.  "none" leaves it plain. */
int mk_oci_layer_compress (struct mk_oci_layer *l, const char *how,
                           const char *dest, mk_error_t *err);

/* Write the formats asked for (MK_OCI_*) next to the image, as
 * STEM.oci/, STEM.oci.tar and STEM.docker.tar, each atomically.  The
 * layers bottom first (docs/layers.md). */
int mk_oci_write (const struct mk_oci_image *img,
                  const struct mk_oci_layer *layers, size_t n_layers,
                  const char *stem, unsigned formats, mk_error_t *err);

/* One platform's image for an index. */
struct mk_oci_platform
{
  struct mk_oci_image img;
  const struct mk_oci_layer *layers;
  size_t n_layers;
};

/* Several platforms' images as one OCI layout (MK_OCI_LAYOUT) or
 * oci-archive (MK_OCI_ARCHIVE) at STEM.oci and STEM.oci.tar: index.json
 * names an image index, `latest`, with one manifest per platform (os,
 * architecture, variant).  A docker-archive has no index: per platform,
 * mk_oci_write writes it. */
int mk_oci_write_index (const struct mk_oci_platform *p, size_t n,
                        const char *stem, unsigned formats, mk_error_t *err);

/* GOARCH for an rpm arch (x86_64 -> amd64); unknown ones as they are. */
const char *mk_oci_goarch (const char *rpm_arch);

#endif
