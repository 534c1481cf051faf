#include <stdio.h>

#include "djass_worker.h"


int
djass_render_main(int argc, char **argv)
{
    fprintf(stderr, "djass-worker render: not built yet\n");
    return 2;
}
