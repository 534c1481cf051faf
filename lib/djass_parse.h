/*
 * Numbers from command lines and replies, with every check strtoll()
 * leaves to its caller: something was read, nothing follows it, it did
 * not overflow, and it lies in the range the caller allows.
 */

#ifndef DJASS_PARSE_H
#define DJASS_PARSE_H

#include <stddef.h>

/* 0 and *out when s is a decimal integer in [min, max]; -1 otherwise */
int djass_parse_int(const char *s, long long min, long long max,
    long long *out);

/* 0 and *port when the len bytes at p are a TCP port, 1 to 65535, in
 * decimal digits only (no sign, no space, at most 5 digits); -1 otherwise */
int djass_parse_port(const char *p, size_t len, int *port);

#endif /* DJASS_PARSE_H */
