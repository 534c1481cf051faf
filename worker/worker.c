#include <stdio.h>

#include "djass_worker.h"


int
djass_worker_main(int argc, char **argv)
{
    fprintf(stderr, "djass-worker: the job consumer is not built yet\n");
    return 2;
}
