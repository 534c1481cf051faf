#ifndef DJASS_WORKER_H
#define DJASS_WORKER_H

/* `djass-worker render ...`: argv[0] is "render" (worker/render_cli.c) */
int djass_render_main(int argc, char **argv);

/* `djass-worker --redis ...`: the job consumer (worker/worker.c) */
int djass_worker_main(int argc, char **argv);

#endif /* DJASS_WORKER_H */
