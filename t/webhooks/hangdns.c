/*
 * A test-only stand-in for a resolver that never answers, preloaded into
 * djass-worker by t/376-webhooks-concurrent.t (LD_PRELOAD): getaddrinfo of
 * "hang.djass.test" never returns, "slow.djass.test" answers 127.0.0.1
 * after a second; every other name goes to the real getaddrinfo.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>


int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
    int  (*real)(const char *, const char *, const struct addrinfo *,
                 struct addrinfo **);

    if (node && strcmp(node, "hang.djass.test") == 0) {
        for ( ;; ) {
            sleep(3600);
        }
    }

    if (node && strcmp(node, "slow.djass.test") == 0) {
        sleep(1);
        node = "127.0.0.1";
    }

    real = (int (*)(const char *, const char *, const struct addrinfo *,
                    struct addrinfo **)) dlsym(RTLD_NEXT, "getaddrinfo");

    return real(node, service, hints, res);
}
