/*
 * libcurl, loaded the first time a program calls it (see djass_curl.h):
 * the libcurl calls the worker and djassctl make, each forwarding to the
 * loaded library.  Every call loads it if need be, so no caller has to
 * know; a call that can only follow a successful one (a handle's) finds
 * it loaded.
 */

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

/* the definitions below are the calls themselves, not typed wrappers */
#define CURL_DISABLE_TYPECHECK  1
#include <curl/curl.h>

#include "djass_curl.h"


typedef void (*djass_curl_fn_pt)(void);

enum {
    DJASS_CURL_GLOBAL_INIT = 0,
    DJASS_CURL_GLOBAL_CLEANUP,
    DJASS_CURL_EASY_INIT,
    DJASS_CURL_EASY_SETOPT,
    DJASS_CURL_EASY_PERFORM,
    DJASS_CURL_EASY_GETINFO,
    DJASS_CURL_EASY_CLEANUP,
    DJASS_CURL_EASY_STRERROR,
    DJASS_CURL_SLIST_APPEND,
    DJASS_CURL_SLIST_FREE_ALL,
    DJASS_CURL_MULTI_INIT,
    DJASS_CURL_MULTI_ADD_HANDLE,
    DJASS_CURL_MULTI_REMOVE_HANDLE,
    DJASS_CURL_MULTI_PERFORM,
    DJASS_CURL_MULTI_POLL,
    DJASS_CURL_MULTI_WAKEUP,
    DJASS_CURL_MULTI_INFO_READ,
    DJASS_CURL_MULTI_CLEANUP,
    DJASS_CURL_NCALLS
};

/* in the order of the enum */
static const char  *djass_curl_names[DJASS_CURL_NCALLS] = {
    "curl_global_init",
    "curl_global_cleanup",
    "curl_easy_init",
    "curl_easy_setopt",
    "curl_easy_perform",
    "curl_easy_getinfo",
    "curl_easy_cleanup",
    "curl_easy_strerror",
    "curl_slist_append",
    "curl_slist_free_all",
    "curl_multi_init",
    "curl_multi_add_handle",
    "curl_multi_remove_handle",
    "curl_multi_perform",
    "curl_multi_poll",
    "curl_multi_wakeup",
    "curl_multi_info_read",
    "curl_multi_cleanup"
};

static djass_curl_fn_pt  djass_curl_fn[DJASS_CURL_NCALLS];
static int               djass_curl_loaded;
static char              djass_curl_error[256];
static pthread_once_t    djass_curl_once = PTHREAD_ONCE_INIT;


/* the loaded function i, as the type t */
#define djass_curl(i, t)  ((t) djass_curl_fn[DJASS_CURL_ ## i])


static void
djass_curl_open(void)
{
    int    i;
    void  *lib, *fn;

    lib = dlopen(DJASS_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(djass_curl_error, sizeof(djass_curl_error),
                 "cannot load %s: %s", DJASS_CURL_SONAME, dlerror());
        return;
    }

    for (i = 0; i < DJASS_CURL_NCALLS; i++) {
        fn = dlsym(lib, djass_curl_names[i]);
        if (fn == NULL) {
            snprintf(djass_curl_error, sizeof(djass_curl_error),
                     "%s has no %s", DJASS_CURL_SONAME, djass_curl_names[i]);
            return;
        }
        djass_curl_fn[i] = (djass_curl_fn_pt) fn;
    }

    /* the library stays loaded for the life of the process */
    djass_curl_loaded = 1;
}


int
djass_curl_load(char *err, size_t len)
{
    if (pthread_once(&djass_curl_once, djass_curl_open) != 0
        || !djass_curl_loaded)
    {
        if (err != NULL && len > 0) {
            snprintf(err, len, "%s", djass_curl_error[0]
                     ? djass_curl_error : "cannot load " DJASS_CURL_SONAME);
        }
        return -1;
    }

    return 0;
}


CURLcode
curl_global_init(long flags)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLE_FAILED_INIT;
    }

    return djass_curl(GLOBAL_INIT, CURLcode (*)(long))(flags);
}


void
curl_global_cleanup(void)
{
    if (djass_curl_load(NULL, 0) == 0) {
        djass_curl(GLOBAL_CLEANUP, void (*)(void))();
    }
}


CURL *
curl_easy_init(void)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return NULL;
    }

    return djass_curl(EASY_INIT, CURL *(*)(void))();
}


/* the option's number says the type of its one argument, as libcurl
 * itself reads it */
CURLcode
curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    va_list           ap;
    long              l;
    void             *p;
    CURLcode          rc;
    curl_off_t        o;
    djass_curl_fn_pt  f;
    CURLcode        (*setopt)(CURL *, CURLoption, ...);

    if (djass_curl_load(NULL, 0) != 0) {
        return CURLE_FAILED_INIT;
    }

    setopt = djass_curl(EASY_SETOPT, CURLcode (*)(CURL *, CURLoption, ...));

    va_start(ap, option);

    if (option < CURLOPTTYPE_OBJECTPOINT) {
        l = va_arg(ap, long);
        rc = setopt(h, option, l);

    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        p = va_arg(ap, void *);
        rc = setopt(h, option, p);

    } else if (option < CURLOPTTYPE_OFF_T) {
        f = va_arg(ap, djass_curl_fn_pt);
        rc = setopt(h, option, f);

    } else if (option < CURLOPTTYPE_BLOB) {
        o = va_arg(ap, curl_off_t);
        rc = setopt(h, option, o);

    } else {
        p = va_arg(ap, void *);
        rc = setopt(h, option, p);
    }

    va_end(ap);

    return rc;
}


CURLcode
curl_easy_perform(CURL *h)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLE_FAILED_INIT;
    }

    return djass_curl(EASY_PERFORM, CURLcode (*)(CURL *))(h);
}


/* every CURLINFO takes one pointer */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    void     *p;
    va_list   ap;

    if (djass_curl_load(NULL, 0) != 0) {
        return CURLE_FAILED_INIT;
    }

    va_start(ap, info);
    p = va_arg(ap, void *);
    va_end(ap);

    return djass_curl(EASY_GETINFO, CURLcode (*)(CURL *, CURLINFO, ...))
               (h, info, p);
}


void
curl_easy_cleanup(CURL *h)
{
    if (djass_curl_load(NULL, 0) == 0) {
        djass_curl(EASY_CLEANUP, void (*)(CURL *))(h);
    }
}


const char *
curl_easy_strerror(CURLcode rc)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return djass_curl_error[0] ? djass_curl_error
                                   : "cannot load " DJASS_CURL_SONAME;
    }

    return djass_curl(EASY_STRERROR, const char *(*)(CURLcode))(rc);
}


struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *s)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return NULL;
    }

    return djass_curl(SLIST_APPEND,
                      struct curl_slist *(*)(struct curl_slist *,
                                             const char *))(list, s);
}


void
curl_slist_free_all(struct curl_slist *list)
{
    if (djass_curl_load(NULL, 0) == 0) {
        djass_curl(SLIST_FREE_ALL, void (*)(struct curl_slist *))(list);
    }
}


CURLM *
curl_multi_init(void)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return NULL;
    }

    return djass_curl(MULTI_INIT, CURLM *(*)(void))();
}


CURLMcode
curl_multi_add_handle(CURLM *m, CURL *h)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLM_INTERNAL_ERROR;
    }

    return djass_curl(MULTI_ADD_HANDLE, CURLMcode (*)(CURLM *, CURL *))(m, h);
}


CURLMcode
curl_multi_remove_handle(CURLM *m, CURL *h)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLM_INTERNAL_ERROR;
    }

    return djass_curl(MULTI_REMOVE_HANDLE,
                      CURLMcode (*)(CURLM *, CURL *))(m, h);
}


CURLMcode
curl_multi_perform(CURLM *m, int *running)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLM_INTERNAL_ERROR;
    }

    return djass_curl(MULTI_PERFORM, CURLMcode (*)(CURLM *, int *))
               (m, running);
}


CURLMcode
curl_multi_poll(CURLM *m, struct curl_waitfd extra_fds[],
    unsigned int extra_nfds, int timeout_ms, int *ret)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLM_INTERNAL_ERROR;
    }

    return djass_curl(MULTI_POLL,
                      CURLMcode (*)(CURLM *, struct curl_waitfd *,
                                    unsigned int, int, int *))
               (m, extra_fds, extra_nfds, timeout_ms, ret);
}


CURLMcode
curl_multi_wakeup(CURLM *m)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLM_INTERNAL_ERROR;
    }

    return djass_curl(MULTI_WAKEUP, CURLMcode (*)(CURLM *))(m);
}


CURLMsg *
curl_multi_info_read(CURLM *m, int *left)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return NULL;
    }

    return djass_curl(MULTI_INFO_READ, CURLMsg *(*)(CURLM *, int *))(m, left);
}


CURLMcode
curl_multi_cleanup(CURLM *m)
{
    if (djass_curl_load(NULL, 0) != 0) {
        return CURLM_INTERNAL_ERROR;
    }

    return djass_curl(MULTI_CLEANUP, CURLMcode (*)(CURLM *))(m);
}
