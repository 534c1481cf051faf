/*
 * The artifact store abstraction (lib/djass_store.c) on the command line,
 * for t/387: what djassctl gc and the lifecycle's delete will call.
 *
 *   store_tool --artifacts STORE [--s3-endpoint URL] [--s3-region R]
 *              [--s3-credentials FILE] [--max-keys N] COMMAND
 *   COMMAND: list | delete REL | put FILE REL | presign REL TTL
 *
 * list prints "REL SIZE" lines; exit 0 done, 1 transient failure, 2
 * failed (the message on stderr).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_store.h"


static int
print_one(void *data, const char *rel, long long size)
{
    int  *n = data;

    printf("%s %lld\n", rel, size);
    (*n)++;
    return 0;
}


int
main(int argc, char **argv)
{
    int                 i, rc, n;
    char                err[512], *url;
    djass_store_t       st;
    djass_store_opts_t  o;
    int                 max_keys;

    memset(&o, 0, sizeof(o));
    max_keys = 0;

    for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--max-keys") == 0) {
            max_keys = atoi(argv[i + 1]);

        } else if (!djass_store_option(&o, argv[i], argv[i + 1])) {
            fprintf(stderr, "store_tool: unknown option %s\n", argv[i]);
            return 2;
        }
    }

    if (i >= argc) {
        fprintf(stderr, "store_tool: no command\n");
        return 2;
    }

    if (djass_store_open(&o, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "store_tool: %s\n", err);
        return 2;
    }

    st.client.max_keys = max_keys;
    rc = -1;
    err[0] = '\0';

    if (strcmp(argv[i], "list") == 0) {
        n = 0;
        rc = djass_store_list(&st, print_one, &n, err, sizeof(err));
        fprintf(stderr, "store_tool: %d artifact(s)\n", n);

    } else if (strcmp(argv[i], "delete") == 0 && i + 1 < argc) {
        rc = djass_store_delete(&st, argv[i + 1], err, sizeof(err));

    } else if (strcmp(argv[i], "put") == 0 && i + 2 < argc) {
        rc = djass_store_put(&st, argv[i + 1], argv[i + 2], err,
                             sizeof(err));

    } else if (strcmp(argv[i], "presign") == 0 && i + 2 < argc) {
        url = djass_store_presign(&st, argv[i + 1], atol(argv[i + 2]));
        if (url) {
            printf("%s\n", url);
            free(url);
            rc = 0;
        } else {
            snprintf(err, sizeof(err), "cannot presign (not an S3 store?)");
        }

    } else {
        snprintf(err, sizeof(err), "unknown command %s", argv[i]);
    }

    djass_store_close(&st);

    if (rc != 0) {
        fprintf(stderr, "store_tool: %s\n", err);
    }

    return rc == 0 ? 0 : (rc == 1 ? 1 : 2);
}
