/*
 * JSON written byte for byte as Python writes it with
 * json.dumps(value, indent=2, sort_keys=True): keys sorted by code point,
 * two spaces per level, "," at line ends and ": " after keys, "{}" and
 * "[]" when empty, every character outside printable ASCII escaped as
 * \uXXXX (lowercase hex; a surrogate pair above U+FFFF), as ensure_ascii
 * does.  The manifests of generated projects (worker/manifest.c) are
 * written with it, as the real Djass writes them.
 */

#ifndef DJASS_PYJSON_H
#define DJASS_PYJSON_H

#include <jansson.h>

#include "djass_buf.h"


/* appends the text of v to b (no newline after it); check
 * djass_buf_failed(b) once at the end */
void djass_pyjson_dump(json_t *v, djass_buf_t *b);

#endif /* DJASS_PYJSON_H */
