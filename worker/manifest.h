/*
 * The manifests of a generated project (README.md, "The manifest"):
 * djass-manifest.json and project-metadata.json at its root, with the
 * fields the real Djass writes plus template_version, in the bytes
 * Python's json.dumps(indent=2, sort_keys=True) writes and a newline.
 * Written after the post-generation hook ran (no hook sees or removes
 * them) and before the ZIP is made; with djass_manifest off, nothing is.
 */

#ifndef DJASS_MANIFEST_H
#define DJASS_MANIFEST_H

#include <jansson.h>

#include "djass_tmpl.h"


#define DJASS_MANIFEST_FILE        "djass-manifest.json"
#define DJASS_MANIFEST_METADATA    "project-metadata.json"

/* the cookiecutter whose output ours is byte for byte (t/requirements.txt) */
#define DJASS_MANIFEST_COOKIECUTTER  "2.7.1"


/* what the record says of the project */
typedef struct {
    int          on;             /* write them (the job's djass_manifest) */
    long long    id;             /* the project id, 0 if none */
    const char  *name;           /* NULL: the payload's project_name */
    const char  *slug;           /* NULL: the payload's project_slug */
    long long    created_at;     /* Unix seconds, 0: unknown (null) */
} djass_manifest_project_t;


/* the project the next generation is for (the strings are the caller's
 * and must live until it ends); the generation child inherits it */
void djass_manifest_set(const djass_manifest_project_t *p);

/*
 * Writes the two files into project_dir when the project set says so;
 * payload is the project's input_payload (an object).  0, or -1 with err
 * set.
 */
int djass_manifest_write(const char *template_dir, const char *project_dir,
    json_t *payload, djass_err_t *err);

/* `djass-worker render --manifest JSON`: the project set from a JSON
 * object {"id": N, "name": S, "slug": S, "created_at": N}, any of them
 * left out; 0, or -1 (said on stderr) */
int djass_manifest_option(const char *json);

/* forgets what djass_manifest_option() set */
void djass_manifest_free(void);

#endif /* DJASS_MANIFEST_H */
