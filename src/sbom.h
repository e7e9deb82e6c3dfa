/* sbom.h: the image's SPDX 2.3 JSON SBOM (docs/reproducible.md). */
#ifndef MK_SBOM_H
#define MK_SBOM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One package, strings borrowed.  license/vendor/... are the RPM header's
 * ("" when it states none); sha256 is the .rpm file's. */
struct mk_sbom_pkg
{
  const char *name, *evr, *arch, *nevra;
  const char *license, *vendor, *summary, *url;
  const char *sha256;
};

struct mk_sbom
{
  const char *name;         /* the image's */
  const char *image_sha256; /* of the plain tar (the layer's diff_id) */
  int64_t created;          /* SOURCE_DATE_EPOCH */
  const char *tool;         /* "mkbase-0.1.0" */
  struct mk_sbom_pkg *pkgs; /* sorted by NEVRA in place */
  size_t n;
};

/* Write the SBOM atomically to path. */
int mk_sbom_write (struct mk_sbom *s, const char *path, mk_error_t *err);

/* The SPDX license expression for an RPM License tag: the tag itself when
 * it is a valid expression over known SPDX identifiers, else NULL (the
 * caller uses a LicenseRef- with the text).  For tests. */
char *mk_sbom_spdx_expression (const char *rpm_license);

/* A purl: pkg:rpm/<namespace>/<name>@<version>-<release>?arch=..&epoch=.. */
char *mk_sbom_purl (const char *vendor, const char *name, const char *evr,
                    const char *arch);

#endif
