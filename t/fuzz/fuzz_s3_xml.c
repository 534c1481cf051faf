/*
 * Fuzz target: the S3 XML replies the worker and djassctl read
 * (lib/djass_s3_xml.c): ListObjectsV2's ListBucketResult and the Error
 * document, whatever the store (or a man in the middle of an http://
 * endpoint) sends.
 *
 * Checks beyond ASan/UBSan: a parsed listing's keys are non-empty and no
 * longer than the input, a truncated listing has a continuation token,
 * an Error has a code; the result is freed cleanly.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_s3.h"


#define fuzz_assert(c)                                                       \
    if (!(c)) {                                                              \
        fprintf(stderr, "fuzz_s3_xml: %s:%d: %s\n", __FILE__, __LINE__, #c); \
        abort();                                                             \
    }


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           i;
    djass_s3_list_t  l;

    if (djass_s3_xml_parse((const char *) data, size, &l) != 0) {
        /* refused: nothing is left allocated */
        fuzz_assert(l.objects == NULL && l.next_token == NULL);
        return 0;
    }

    if (l.code[0]) {
        fuzz_assert(l.nobjects == 0);
        fuzz_assert(strlen(l.message) < sizeof(l.message));

    } else {
        for (i = 0; i < l.nobjects; i++) {
            fuzz_assert(l.objects[i].key && l.objects[i].key[0]);
            fuzz_assert(strlen(l.objects[i].key) <= size);
            fuzz_assert(l.objects[i].size >= -1);
        }

        fuzz_assert(!l.truncated || (l.next_token && l.next_token[0]));
    }

    djass_s3_list_free(&l);
    return 0;
}
