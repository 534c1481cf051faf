/*
 * Numbers from command lines and replies, with every check strtoll()
 * leaves to its caller: something was read, nothing follows it, it did
 * not overflow, and it lies in the range the caller allows.
 */

#ifndef DJASS_PARSE_H
#define DJASS_PARSE_H

/* 0 and *out when s is a decimal integer in [min, max]; -1 otherwise */
int djass_parse_int(const char *s, long long min, long long max,
    long long *out);

#endif /* DJASS_PARSE_H */
