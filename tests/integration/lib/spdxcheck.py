#!/usr/bin/env python3
"""spdxcheck.py SBOM SCHEMA PACKAGES: validate an mkbase SBOM.

1. against tests/data/spdx-2.3.schema.json (jsonschema), written for these
   tests from the SPDX 2.3 specification (see docs/reproducible.md);
2. what a schema cannot say: SPDXIDs unique, relationships point at
   elements that exist, every licenseDeclared is NOASSERTION, a declared
   LicenseRef-, or an expression over SPDX license list identifiers (the
   list Debian's node-spdx-license-ids ships, when installed);
3. the packages are exactly those of out/<name>.packages (NEVRA, sha256).
Prints what is wrong and exits 1."""
import json, os, re, sys
import jsonschema

sbom_path, schema_path, packages_path = sys.argv[1:4]
doc = json.load(open(sbom_path, encoding="utf-8"))
schema = json.load(open(schema_path))
errors = [f"schema: {'/'.join(map(str, e.path))}: {e.message}"
          for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]

ids = ["SPDXRef-DOCUMENT"] + [p["SPDXID"] for p in doc.get("packages", [])]
if len(ids) != len(set(ids)):
    errors.append("duplicate SPDXIDs")
for r in doc.get("relationships", []):
    for k in ("spdxElementId", "relatedSpdxElement"):
        if r[k] not in ids:
            errors.append(f"relationship to unknown element {r[k]}")
if not any(r["relationshipType"] == "DESCRIBES" and r["spdxElementId"] == "SPDXRef-DOCUMENT"
           for r in doc.get("relationships", [])):
    errors.append("no DESCRIBES relationship from the document")

known = None
lid = "/usr/share/nodejs/spdx-license-ids/index.json"
exc = "/usr/share/nodejs/spdx-exceptions/index.json"
if os.path.exists(lid) and os.path.exists(exc):
    known = {x.lower() for x in json.load(open(lid))}
    exceptions = {x.lower() for x in json.load(open(exc))}
refs = {x["licenseId"] for x in doc.get("hasExtractedLicensingInfos", [])}
for p in doc.get("packages", []):
    lic = p.get("licenseDeclared", "NOASSERTION")
    if lic in ("NOASSERTION", "NONE"):
        continue
    toks = re.findall(r"\(|\)|[^\s()]+", lic)
    prev = None
    for t in toks:
        if t in ("AND", "OR", "(", ")"):
            pass
        elif prev == "WITH":
            if known is not None and t.lower() not in exceptions:
                errors.append(f"{p['name']}: unknown exception {t}")
        elif t == "WITH":
            pass
        elif t.startswith("LicenseRef-"):
            if t not in refs:
                errors.append(f"{p['name']}: {t} is not in hasExtractedLicensingInfos")
        elif known is not None and t.rstrip("+").lower() not in known:
            errors.append(f"{p['name']}: {t} is not an SPDX license identifier")
        prev = t

got = set()
for p in doc.get("packages", []):
    purls = [r["referenceLocator"] for r in p.get("externalRefs", [])
             if r["referenceType"] == "purl"]
    if not purls:
        continue
    if not purls[0].startswith("pkg:rpm/"):
        errors.append(f"{p['name']}: purl {purls[0]}")
    arch = re.search(r"[?&]arch=([^&]+)", purls[0]).group(1)
    sha = [c["checksumValue"] for c in p["checksums"] if c["algorithm"] == "SHA256"][0]
    got.add(f"{p['name']}-{p['versionInfo']}.{arch} {sha}")
want = set(open(packages_path).read().split("\n")) - {""}
for x in sorted(want - got):
    errors.append(f"missing from the SBOM: {x}")
for x in sorted(got - want):
    errors.append(f"not in .packages: {x}")
for e in errors[:20]:
    print(e)
sys.exit(1 if errors else 0)
