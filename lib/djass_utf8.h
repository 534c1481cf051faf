/*
 * The few Unicode facts the template language needs: UTF-8 decoding,
 * Python's idea of whitespace and simple case mapping for Latin, Greek
 * and Cyrillic (str.lower()/str.upper() beyond those scripts leave the
 * character alone).
 */

#ifndef DJASS_UTF8_H
#define DJASS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "djass_buf.h"


/* decodes the character at s[*i], advances *i; an invalid byte decodes
 * as itself (U+0080..U+00FF would be wrong, so it returns 0xFFFD) */
uint32_t djass_utf8_next(const char *s, size_t len, size_t *i);
/* 1 if s[0..len) is valid UTF-8; partial = 1 allows a cut last char */
int djass_utf8_valid(const char *s, size_t len, int partial);
size_t djass_utf8_count(const char *s, size_t len);
void djass_utf8_put(djass_buf_t *b, uint32_t cp);

int djass_uni_isspace(uint32_t cp);
int djass_uni_iscased(uint32_t cp);
int djass_uni_isupper(uint32_t cp);
int djass_uni_islower(uint32_t cp);
/* appends the lower/upper case form (may be more than one character) */
void djass_uni_put_lower(djass_buf_t *b, uint32_t cp, int final_sigma);
void djass_uni_put_upper(djass_buf_t *b, uint32_t cp);

/* whole strings, as Python's str methods */
void djass_str_lower(djass_buf_t *b, const char *s, size_t len);
void djass_str_upper(djass_buf_t *b, const char *s, size_t len);

#endif /* DJASS_UTF8_H */
