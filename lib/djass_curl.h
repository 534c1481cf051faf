/*
 * libcurl, loaded the first time a program calls it (djass_curl.c).
 *
 * libcurl and the thirty libraries it pulls in cost a process about 5 ms
 * of dynamic linking at every start, which `djass-worker render` and most
 * djassctl commands never need.  The programs are not linked with -lcurl:
 * djass_curl.c defines the libcurl calls they make, with libcurl's own
 * prototypes (callers include <curl/curl.h> and call curl_* as before),
 * and the first one loads libcurl.so.4 and forwards to it.  A libcurl that
 * cannot be loaded makes the calls fail as libcurl's own failures do
 * (NULL handles, CURLE_FAILED_INIT); djass_curl_load() says why.
 */

#ifndef DJASS_CURL_H
#define DJASS_CURL_H

#include <stddef.h>


/* the library, as the package that provides it names it */
#define DJASS_CURL_SONAME  "libcurl.so.4"


/* loads libcurl (once per process, thread-safe): 0, or -1 with why in err
 * (when err is not NULL) */
int djass_curl_load(char *err, size_t len);

#endif /* DJASS_CURL_H */
