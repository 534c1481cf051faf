/*
 * cookiecutter's own Jinja2 extensions (djass_extensions.c): jsonify,
 * slugify, random_ascii_string, uuid4 and {% now %}, as one extension
 * table of the engine.
 */

#ifndef DJASS_EXTENSIONS_H
#define DJASS_EXTENSIONS_H

#include "djass_tmpl_table.h"


extern const djass_tmpl_ext_t  djass_cookiecutter_ext;

#endif /* DJASS_EXTENSIONS_H */
