/*
 * Name lookups in threads (see webhook_resolve.h).  A lookup is shared by
 * its thread and the loop; whichever lets go of it last frees it.  The
 * thread blocks every signal: SIGTERM and SIGCHLD stay the loop's.
 */

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook_resolve.h"


struct djass_lookup_s {
    pthread_mutex_t   lock;
    int               refs;          /* 2 while both hold it */
    int               done;
    int               rc;
    void            (*wake)(void *);
    void             *data;
    int               allow_private;
    djass_addrs_t     addrs;
    char              err[512];
    char              host[256];
};


static pthread_mutex_t  djass_lookup_lock = PTHREAD_MUTEX_INITIALIZER;
static int              djass_lookup_threads;


static void
djass_lookup_release(djass_lookup_t *l)
{
    int  refs;

    pthread_mutex_lock(&l->lock);
    refs = --l->refs;
    pthread_mutex_unlock(&l->lock);

    if (refs == 0) {
        pthread_mutex_destroy(&l->lock);
        free(l);
    }
}


static void *
djass_lookup_thread(void *arg)
{
    int               rc;
    char              err[512];
    djass_addrs_t     addrs;
    djass_lookup_t   *l;
    struct addrinfo   hints, *res;

    l = arg;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;

    memset(&addrs, 0, sizeof(addrs));
    err[0] = '\0';

    rc = getaddrinfo(l->host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, sizeof(err), "cannot resolve %s: %s", l->host,
                 gai_strerror(rc));
        rc = -1;

    } else {
        rc = djass_addrs_keep(l->host, res, l->allow_private, &addrs, err,
                              sizeof(err));
        freeaddrinfo(res);
    }

    pthread_mutex_lock(&l->lock);
    l->rc = rc;
    l->addrs = addrs;
    memcpy(l->err, err, sizeof(err));
    l->done = 1;
    if (l->wake) {
        l->wake(l->data);
    }
    pthread_mutex_unlock(&l->lock);

    djass_lookup_release(l);

    pthread_mutex_lock(&djass_lookup_lock);
    djass_lookup_threads--;
    pthread_mutex_unlock(&djass_lookup_lock);

    return NULL;
}


djass_lookup_t *
djass_lookup_start(const char *host, int allow_private,
    void (*wake)(void *), void *data)
{
    int              rc;
    sigset_t         all, old;
    pthread_t        t;
    pthread_attr_t   attr;
    djass_lookup_t  *l;

    pthread_mutex_lock(&djass_lookup_lock);
    if (djass_lookup_threads >= DJASS_LOOKUP_MAX) {
        pthread_mutex_unlock(&djass_lookup_lock);
        return NULL;
    }
    djass_lookup_threads++;
    pthread_mutex_unlock(&djass_lookup_lock);

    l = calloc(1, sizeof(djass_lookup_t));
    if (l == NULL) {
        goto failed;
    }

    pthread_mutex_init(&l->lock, NULL);
    l->refs = 2;
    l->wake = wake;
    l->data = data;
    l->allow_private = allow_private;
    snprintf(l->host, sizeof(l->host), "%s", host);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&t, &attr, djass_lookup_thread, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    pthread_attr_destroy(&attr);

    if (rc == 0) {
        return l;
    }

    pthread_mutex_destroy(&l->lock);
    free(l);

failed:

    pthread_mutex_lock(&djass_lookup_lock);
    djass_lookup_threads--;
    pthread_mutex_unlock(&djass_lookup_lock);

    return NULL;
}


int
djass_lookup_done(djass_lookup_t *l, int *rc, djass_addrs_t *out,
    char *err, size_t len)
{
    int  done;

    pthread_mutex_lock(&l->lock);
    done = l->done;
    if (done) {
        *rc = l->rc;
        *out = l->addrs;
        snprintf(err, len, "%s", l->err);
    }
    pthread_mutex_unlock(&l->lock);

    if (done) {
        djass_lookup_release(l);
    }

    return done;
}


void
djass_lookup_abandon(djass_lookup_t *l)
{
    pthread_mutex_lock(&l->lock);
    l->wake = NULL;
    pthread_mutex_unlock(&l->lock);

    djass_lookup_release(l);
}


int
djass_lookup_running(void)
{
    int  n;

    pthread_mutex_lock(&djass_lookup_lock);
    n = djass_lookup_threads;
    pthread_mutex_unlock(&djass_lookup_lock);

    return n;
}
