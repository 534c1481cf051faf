/*
 * djass-worker: one binary, two jobs.
 *
 *   djass-worker render TEMPLATE_DIR -o OUTPUT_DIR [...]   render once
 *   djass-worker --redis ADDR --template DIR --artifacts DIR  consume jobs
 */

#include <string.h>

#include "render_cli.h"
#include "worker.h"


int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "render") == 0) {
        return djass_render_main(argc - 1, argv + 1);
    }

    return djass_worker_main(argc, argv);
}
