/*
 * The cookiecutter context: cookiecutter.json's defaults rendered in file
 * order, with the given values in their place, as `cookiecutter
 * --no-input` builds it -- except that given values are data and are
 * never rendered.
 */

#ifndef DJASS_CONTEXT_H
#define DJASS_CONTEXT_H

#include <jansson.h>

#include "djass_tmpl.h"


/* The effective cookiecutter context, as cookiecutter --no-input builds it:
 * cookiecutter.json's keys in file order; `given` (a JSON object of string
 * values, may be NULL) replaces defaults BEFORE the later defaults are
 * rendered (so project_slug follows a given project_name); given values are
 * never rendered as templates; a list is a choice whose first item is the
 * default (a given value replaces it); keys starting with "_" are private
 * and copied verbatim (cookiecutter 2.x renders "__" keys: so do we).
 * Returns a new reference to a JSON object (caller json_decref), or NULL
 * with err set. */
json_t *djass_context_build(json_t *cookiecutter_json, json_t *given,
    djass_err_t *err);

#endif /* DJASS_CONTEXT_H */
