/*
 * The read cache: a shared memory zone, one per node (all worker
 * processes), holding what GET /projects/{id}, /status and /download need
 * to answer without Redis:
 *
 *   djass:key:<digest>   profile, scopes, legacy, revoked_at, expires_at
 *   djass:project:<id>   whether it exists, and its fields
 *
 * stored as redis/api.lua's "fill" operation returned them.  The checks of
 * the script (a valid key, its scope, the owner) run here on those fields,
 * by the same rules, and the reply the script would have made goes to the
 * endpoint's own reply handler: the answer is the same bytes either way.
 *
 * Exactness: ngx_http_djass_cache_track.c has Redis broadcast every write
 * to those keys (CLIENT TRACKING ... BCAST) and drops the entry; a worker
 * process uses the cache only while its own tracking is proven, and the
 * whole cache is dropped whenever tracking starts or is in doubt.  A read
 * in flight notes the invalidation counter of each of its two names (a
 * small table of counters by hash) and the zone's flush count; its reply
 * is kept only if neither moved meanwhile (Redis's documented race between
 * a reply and an invalidation; a collision costs a fill, never a stale
 * entry).
 *
 * Only what a valid key may read is kept: a key's entry once Redis knows
 * the key, a project's only for a key valid now that owns it.  Unknown
 * keys and others' or missing projects are never stored, and a read in
 * flight holds no room: requests with random keys or ids cannot push the
 * real entries out.
 *
 * Bounded: entries live in the zone's slab, in an rbtree, and in a queue,
 * newest first; when the slab is full, the oldest go unless read since
 * the eviction last passed them (a second chance, the CLOCK approximation
 * of LRU): those go to the front again, unmarked.
 *
 * Read without the lock: with two or more worker processes every poll
 * taking the zone's mutex passed its cache line from core to core, and a
 * process that found it held spun and then yielded its core.  Entries
 * change only under the mutex, between two increments of a generation
 * count (odd while a change is under way); a hit reads the count, finds
 * and copies its two entries, and keeps the copy only if the count is the
 * same even number after (a sequence lock).  Everything such a read
 * follows is checked to lie in the zone, as an entry may be freed under
 * it; a read that raced a change is made again under the mutex.  The hits
 * are counted in per-process stripes, and a read marks its entries under
 * the mutex only when the eviction has unmarked them since.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_cache.h"
#include "ngx_http_djass_wait.h"
#include "djass_scripts.h"


#define NGX_HTTP_DJASS_CACHE_KEY       0
#define NGX_HTTP_DJASS_CACHE_PROJECT   1

/* the invalidation counters, by hash of type + id */
#define NGX_HTTP_DJASS_CACHE_SEQS      1024

/* the hits counted without the lock: a stripe per process slot, mod this */
#define NGX_HTTP_DJASS_CACHE_STRIPES   32

/* the longest path a read follows in the tree (its depth is far less) */
#define NGX_HTTP_DJASS_CACHE_DEPTH     96

/* the reads of a read without the lock stay between its two of gen */
#if defined(__ATOMIC_ACQUIRE)
#define ngx_http_djass_cache_acquire()  __atomic_thread_fence(__ATOMIC_ACQUIRE)
#else
#define ngx_http_djass_cache_acquire()  ngx_memory_barrier()
#endif

/* the fill reply: "raw", the key's 5 fields, exists and 16 project fields */
#define NGX_HTTP_DJASS_CACHE_KFIELDS   5
#define NGX_HTTP_DJASS_CACHE_PFIELDS   17

/* a project's entry keeps one more: its status object, made at the fill */
#define NGX_HTTP_DJASS_CACHE_PSTORED   (NGX_HTTP_DJASS_CACHE_PFIELDS + 1)
#define NGX_HTTP_DJASS_CACHE_RAW                                             \
    (1 + NGX_HTTP_DJASS_CACHE_KFIELDS + NGX_HTTP_DJASS_CACHE_PFIELDS)

/* the key's fields */
#define NGX_HTTP_DJASS_K_PROFILE       0
#define NGX_HTTP_DJASS_K_SCOPES        1
#define NGX_HTTP_DJASS_K_LEGACY        2
#define NGX_HTTP_DJASS_K_REVOKED       3
#define NGX_HTTP_DJASS_K_EXPIRES       4

/* the project's: exists, then api.lua's HMGET order */
#define NGX_HTTP_DJASS_P_EXISTS        0
#define NGX_HTTP_DJASS_P_ID            1
#define NGX_HTTP_DJASS_P_SLUG          3
#define NGX_HTTP_DJASS_P_STATUS        4
#define NGX_HTTP_DJASS_P_ERROR         5
#define NGX_HTTP_DJASS_P_UPDATED       7
#define NGX_HTTP_DJASS_P_STARTED       8
#define NGX_HTTP_DJASS_P_FINISHED      9
#define NGX_HTTP_DJASS_P_PROFILE       12
#define NGX_HTTP_DJASS_P_ARTIFACT      13
#define NGX_HTTP_DJASS_P_TEMPLATE      14
#define NGX_HTTP_DJASS_P_GIT_COMMIT    15
#define NGX_HTTP_DJASS_P_UPGRADED      16
#define NGX_HTTP_DJASS_P_STATUS_JSON   17

#define NGX_HTTP_DJASS_KEY_NAME        "djass:key:"
#define NGX_HTTP_DJASS_PROJECT_NAME    "djass:project:"

#define NGX_HTTP_DJASS_CACHE_ID_LEN    128

/* the answers made from an entry */
#define NGX_HTTP_DJASS_CACHE_GET       0
#define NGX_HTTP_DJASS_CACHE_STATUS    1
#define NGX_HTTP_DJASS_CACHE_DOWNLOAD  2


typedef struct {
    ngx_rbtree_node_t            node;        /* key: hash of type + id */
    ngx_queue_t                  queue;       /* newest first */
    u_char                       type;
    u_char                       len;
    u_char                       id[1];
} ngx_http_djass_cache_node_t;


typedef struct {
    ngx_atomic_t                  n;
    u_char                        pad[NGX_CPU_CACHE_LINE
                                      - sizeof(ngx_atomic_t)];
} ngx_http_djass_cache_stripe_t;


typedef struct {
    ngx_http_djass_cache_stripe_t hits[NGX_HTTP_DJASS_CACHE_STRIPES];
    ngx_atomic_t                  gen;        /* odd: an entry changes */
    ngx_rbtree_t                  rbtree;
    ngx_rbtree_node_t             sentinel;
    ngx_queue_t                   lru;
    uint64_t                      flushes;    /* the whole cache dropped */
    uint32_t                      seq[NGX_HTTP_DJASS_CACHE_SEQS];
    ngx_http_djass_cache_stats_t  stats;
} ngx_http_djass_cache_sh_t;


/* a miss on its way: what it may keep, and the counters it saw */
typedef struct {
    ngx_http_djass_redis_pt      handler;
    ngx_uint_t                   kind;        /* get, status, download */
    uint64_t                     flushes;
    uint32_t                     seq[2];
    ngx_uint_t                   want[2];
    ngx_str_t                    id[2];
} ngx_http_djass_cache_fill_t;


static ngx_int_t ngx_http_djass_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_djass_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_djass_cache_change_begin(ngx_http_djass_cache_sh_t *sh);
static void ngx_http_djass_cache_change_end(ngx_http_djass_cache_sh_t *sh);
static ngx_int_t ngx_http_djass_cache_read(ngx_http_request_t *r,
    ngx_slab_pool_t *shpool, ngx_http_djass_cache_sh_t *sh,
    ngx_http_djass_call_t *call, ngx_uint_t kind, ngx_str_t *id,
    ngx_str_t *v, ngx_uint_t *n, ngx_uint_t locked);
static ngx_http_djass_cache_node_t *ngx_http_djass_cache_lookup(
    ngx_slab_pool_t *shpool, ngx_http_djass_cache_sh_t *sh, ngx_uint_t type,
    ngx_str_t *id);
static uint32_t *ngx_http_djass_cache_seq(ngx_http_djass_cache_sh_t *sh,
    ngx_uint_t type, ngx_str_t *id);
static void ngx_http_djass_cache_store(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_cache_fill_t *f,
    ngx_uint_t type, ngx_str_t *v, ngx_uint_t n);
static ngx_uint_t ngx_http_djass_cache_key_valid(ngx_str_t *k);
static ngx_uint_t ngx_http_djass_cache_owned(ngx_str_t *k, ngx_str_t *p);
static void *ngx_http_djass_cache_alloc(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, size_t size);
static void ngx_http_djass_cache_delete(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_cache_node_t *cn);
static void ngx_http_djass_cache_use(ngx_http_djass_cache_node_t *cn);
static ngx_int_t ngx_http_djass_cache_view(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_node_t *cn, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_cache_copy(ngx_pool_t *pool,
    ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_cache_fill_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_uint_t ngx_http_djass_cache_reply(ngx_http_djass_call_t *call,
    ngx_uint_t kind, ngx_str_t *k, ngx_str_t *p, ngx_str_t *v);
static ngx_int_t ngx_http_djass_cache_answer(ngx_pool_t *pool,
    ngx_http_djass_call_t *call, ngx_uint_t kind, ngx_str_t *k, ngx_str_t *p,
    ngx_str_t *v, ngx_uint_t *n);
static void ngx_http_djass_cache_status_values(ngx_str_t *p, ngx_str_t *v);
static ngx_uint_t ngx_http_djass_cache_has_scope(ngx_str_t *scopes,
    const char *scope);
static ngx_uint_t ngx_http_djass_cache_op(const char *op);
static void ngx_http_djass_cache_miss(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_call_t *call,
    ngx_str_t *id, ngx_http_djass_cache_fill_t *f);
static ngx_int_t ngx_http_djass_cache_send_fill(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_http_djass_cache_fill_t *f,
    ngx_uint_t project_id, const char *op);


/* this worker process's tracking is live: it may read and fill */
static ngx_uint_t  ngx_http_djass_cache_is_live;


/* --- configuration ------------------------------------------------------ */

char *
ngx_http_djass_cache_conf(ngx_conf_t *cf, ngx_http_djass_main_conf_t *dmcf)
{
    ngx_str_t        name;
    ngx_shm_zone_t  *shm_zone;

    if (!dmcf->cache || !dmcf->enabled) {
        return NGX_CONF_OK;
    }

    if (dmcf->cache_zone < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_cache_zone of %uz bytes is too small: "
                           "at least %uz", dmcf->cache_zone,
                           8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    if (dmcf->cache_heartbeat == 0 || dmcf->cache_heartbeat_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_cache_heartbeat and "
                           "djass_cache_heartbeat_timeout must not be 0");
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&name, "djass_cache");

    shm_zone = ngx_shared_memory_add(cf, &name, dmcf->cache_zone,
                                     &ngx_http_djass_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_djass_cache_init_zone;
    dmcf->cache_shm = shm_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_djass_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t            *shpool;
    ngx_http_djass_cache_sh_t  *sh;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data) {
        /* a reload with the same size: the entries stay (see track.c) */
        shm_zone->data = data;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_alloc(shpool, sizeof(ngx_http_djass_cache_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(sh, sizeof(ngx_http_djass_cache_sh_t));

    ngx_rbtree_init(&sh->rbtree, &sh->sentinel, ngx_http_djass_cache_insert);
    ngx_queue_init(&sh->lru);

    shpool->data = sh;
    shpool->log_nomem = 0;
    shpool->log_ctx = (u_char *) " in djass_cache zone";

    shm_zone->data = sh;

    return NGX_OK;
}


/* the hits: the stripes' sum */

ngx_atomic_uint_t
ngx_http_djass_cache_hits(ngx_http_djass_main_conf_t *dmcf)
{
    ngx_uint_t                  i;
    ngx_atomic_uint_t           hits;
    ngx_http_djass_cache_sh_t  *sh;

    sh = dmcf->cache_shm->data;

    hits = 0;

    for (i = 0; i < NGX_HTTP_DJASS_CACHE_STRIPES; i++) {
        hits += sh->hits[i].n;
    }

    return hits;
}


ngx_http_djass_cache_stats_t *
ngx_http_djass_cache_stats(ngx_http_djass_main_conf_t *dmcf)
{
    ngx_http_djass_cache_sh_t  *sh;

    if (dmcf->cache_shm == NULL) {
        return NULL;
    }

    sh = dmcf->cache_shm->data;

    return &sh->stats;
}


/* --- the tree ----------------------------------------------------------- */

static void
ngx_http_djass_cache_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_int_t                     c;
    ngx_rbtree_node_t           **p;
    ngx_http_djass_cache_node_t  *cn, *ct;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            cn = (ngx_http_djass_cache_node_t *) node;
            ct = (ngx_http_djass_cache_node_t *) temp;

            c = (ngx_int_t) cn->type - (ngx_int_t) ct->type;

            if (c == 0) {
                c = (ngx_int_t) cn->len - (ngx_int_t) ct->len;
            }

            if (c == 0) {
                c = ngx_memcmp(cn->id, ct->id, cn->len);
            }

            p = (c < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * The tree's key and the invalidation counter's slot, from the id's last
 * 16 bytes at most, its length and the type, eight bytes a step: a key's
 * id is a SHA-256 in hex, whose digits are all equally random, and a
 * project's its number, whose last digits change fastest.  Ids that agree
 * there share a tree key and are told apart by their bytes (the lookup
 * compares them), so the hash decides speed only: the table-driven crc32
 * of the whole 64-digit digest took a sixth of the module's time on a
 * cached poll.  Entries of a zone kept across a reload were hashed by this
 * same code: the module's image stays loaded while the old cycle holds it.
 */

static uint32_t
ngx_http_djass_cache_hash(ngx_uint_t type, ngx_str_t *id)
{
    size_t     n;
    u_char    *p;
    uint64_t   h, w;

    n = ngx_min(id->len, 16);
    p = id->data + id->len - n;

    h = (uint64_t) (id->len << 1 | type) * 0x9e3779b97f4a7c15ULL;

    for ( /* void */ ; n >= sizeof(uint64_t); n -= sizeof(uint64_t)) {
        ngx_memcpy(&w, p, sizeof(uint64_t));
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        p += sizeof(uint64_t);
    }

    while (n--) {
        h = (h ^ *p++) * 0xff51afd7ed558ccdULL;
    }

    return (uint32_t) (h >> 32);
}


/*
 * Also without the lock: then the tree may change under the walk, and
 * every node it steps on is checked to lie in the zone, its id too, and
 * the walk is cut short; what it finds is used only if no change came.
 */

static ngx_http_djass_cache_node_t *
ngx_http_djass_cache_lookup(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_uint_t type, ngx_str_t *id)
{
    uint32_t                      hash;
    ngx_int_t                     c;
    ngx_uint_t                    depth;
    ngx_rbtree_node_t            *node, *sentinel;
    ngx_http_djass_cache_node_t  *cn;

    hash = ngx_http_djass_cache_hash(type, id);

    node = sh->rbtree.root;
    sentinel = &sh->sentinel;

    for (depth = 0; depth < NGX_HTTP_DJASS_CACHE_DEPTH; depth++) {

        if (node == sentinel) {
            return NULL;
        }

        cn = (ngx_http_djass_cache_node_t *) node;

        if ((u_char *) node < shpool->start
            || (u_char *) node + sizeof(ngx_http_djass_cache_node_t)
               > shpool->end
            || cn->id + cn->len > shpool->end)
        {
            return NULL;
        }

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        c = (ngx_int_t) type - (ngx_int_t) cn->type;

        if (c == 0) {
            c = (ngx_int_t) id->len - (ngx_int_t) cn->len;
        }

        if (c == 0) {
            c = ngx_memcmp(id->data, cn->id, id->len);
        }

        if (c == 0) {
            return cn;
        }

        node = (c < 0) ? node->left : node->right;
    }

    return NULL;
}


/*
 * Around every change of the tree or of an entry, under the mutex: the
 * generation is odd while it lasts, even after, and never the same twice
 * (the reads without the lock see it).  A worker process that died during
 * a change left it odd (nginx unlocks the mutex of a process that died):
 * the reads go under the mutex until the next change starts from there.
 */

static void
ngx_http_djass_cache_change_begin(ngx_http_djass_cache_sh_t *sh)
{
    sh->gen += (sh->gen & 1) ? 2 : 1;
    ngx_memory_barrier();
}


static void
ngx_http_djass_cache_change_end(ngx_http_djass_cache_sh_t *sh)
{
    ngx_memory_barrier();
    sh->gen++;
}


/* the invalidation counter of a name: bumped by every write to it */

static uint32_t *
ngx_http_djass_cache_seq(ngx_http_djass_cache_sh_t *sh, ngx_uint_t type,
    ngx_str_t *id)
{
    return &sh->seq[ngx_http_djass_cache_hash(type, id)
                    % NGX_HTTP_DJASS_CACHE_SEQS];
}


/*
 * A read came back: its fields become an entry if the fill may keep it,
 * no entry is there yet, and no write to that name (nor a flush) came
 * since the read was sent.  Stored with the node, as n lengths (uint32_t)
 * followed by the bytes.
 */

static void
ngx_http_djass_cache_store(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_cache_fill_t *f,
    ngx_uint_t type, ngx_str_t *v, ngx_uint_t n)
{
    size_t                        size;
    u_char                       *p;
    uint32_t                      len;
    ngx_str_t                    *id;
    ngx_uint_t                    i;
    ngx_http_djass_cache_node_t  *cn;

    id = &f->id[type];

    if (!f->want[type]
        || id->len > NGX_HTTP_DJASS_CACHE_ID_LEN
        || f->flushes != sh->flushes
        || f->seq[type] != *ngx_http_djass_cache_seq(sh, type, id)
        || ngx_http_djass_cache_lookup(shpool, sh, type, id) != NULL)
    {
        return;
    }

    size = sizeof(ngx_http_djass_cache_node_t) + id->len
           + n * sizeof(uint32_t);

    for (i = 0; i < n; i++) {
        size += v[i].len;
    }

    ngx_http_djass_cache_change_begin(sh);

    cn = ngx_http_djass_cache_alloc(shpool, sh, size);
    if (cn == NULL) {
        ngx_http_djass_cache_change_end(sh);
        return;
    }

    cn->type = (u_char) type;
    cn->len = (u_char) id->len;
    ngx_memcpy(cn->id, id->data, id->len);
    cn->node.key = ngx_http_djass_cache_hash(type, id);

    /* the fields after the id: their lengths, then their bytes */
    p = cn->id + id->len;

    for (i = 0; i < n; i++) {
        len = (uint32_t) v[i].len;
        p = ngx_cpymem(p, &len, sizeof(uint32_t));
    }

    for (i = 0; i < n; i++) {
        p = ngx_cpymem(p, v[i].data, v[i].len);
    }

    ngx_rbtree_insert(&sh->rbtree, &cn->node);
    ngx_queue_insert_head(&sh->lru, &cn->queue);
    cn->node.data = 0;

    ngx_http_djass_cache_change_end(sh);

    sh->stats.fills++;
}


/* from the slab; when it is full, the least recently used entries go */

static void *
ngx_http_djass_cache_alloc(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, size_t size)
{
    void                         *p;
    ngx_uint_t                    i;
    ngx_queue_t                  *q;
    ngx_http_djass_cache_node_t  *cn;

    for ( ;; ) {
        p = ngx_slab_alloc_locked(shpool, size);
        if (p) {
            return p;
        }

        /* a few at a time: a large value needs whole pages */
        for (i = 0; i < 8; /* void */) {
            if (ngx_queue_empty(&sh->lru)) {
                return NULL;
            }

            q = ngx_queue_last(&sh->lru);
            cn = ngx_queue_data(q, ngx_http_djass_cache_node_t, queue);

            if (cn->node.data) {
                /* read since it was last here: a second chance */
                cn->node.data = 0;
                ngx_queue_remove(q);
                ngx_queue_insert_head(&sh->lru, q);
                continue;
            }

            ngx_http_djass_cache_delete(shpool, sh, cn);
            sh->stats.evictions++;
            i++;
        }
    }
}


static void
ngx_http_djass_cache_delete(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_cache_node_t *cn)
{
    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&sh->rbtree, &cn->node);

    ngx_slab_free_locked(shpool, cn);
}


/*
 * A read marks its entry, under the lock: the eviction, which takes the
 * oldest entries, passes a marked one over once (unmarked, to the front).
 * The mark is the node's spare byte (the tree does not use it).  Reads
 * write nothing while it is set: a poll's hit then writes no shared
 * memory, which the worker processes would otherwise pass back and forth
 * between their cores at every request.
 */

static void
ngx_http_djass_cache_use(ngx_http_djass_cache_node_t *cn)
{
    if (cn->node.data == 0) {
        cn->node.data = 1;
    }
}


/*
 * An entry's fields as strings where they are, in the zone.  NGX_ERROR:
 * they do not fit in the zone (a read without the lock met an entry
 * being changed).
 */

static ngx_int_t
ngx_http_djass_cache_view(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_node_t *cn, ngx_str_t *v, ngx_uint_t n)
{
    u_char      *p, *lens;
    uint32_t     len;
    ngx_uint_t   i;

    lens = cn->id + cn->len;
    p = lens + n * sizeof(uint32_t);

    if (p > shpool->end) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        ngx_memcpy(&len, lens + i * sizeof(uint32_t), sizeof(uint32_t));

        if (len > (size_t) (shpool->end - p)) {
            return NGX_ERROR;
        }

        v[i].len = len;
        v[i].data = p;

        p += len;
    }

    return NGX_OK;
}


/*
 * The strings of an answer, read from the zone, into the request pool,
 * NUL-terminated as a reply's from Redis, in one allocation (this is on
 * the polling path).
 */

static ngx_int_t
ngx_http_djass_cache_copy(ngx_pool_t *pool, ngx_str_t *v, ngx_uint_t n)
{
    u_char      *dst;
    size_t       size;
    ngx_uint_t   i;

    size = 0;

    for (i = 0; i < n; i++) {
        size += v[i].len + 1;
    }

    dst = ngx_pnalloc(pool, size);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        ngx_memcpy(dst, v[i].data, v[i].len);
        v[i].data = dst;

        dst += v[i].len;
        *dst++ = '\0';
    }

    return NGX_OK;
}


/* --- what the tracking connection tells ---------------------------------- */

/* a write to one key: its entry goes, and its reads in flight are void */

void
ngx_http_djass_cache_invalidate(ngx_http_djass_main_conf_t *dmcf,
    u_char *name, size_t len)
{
    ngx_str_t                     id;
    ngx_uint_t                    type;
    ngx_slab_pool_t              *shpool;
    ngx_http_djass_cache_sh_t    *sh;
    ngx_http_djass_cache_node_t  *cn;

    if (len > sizeof(NGX_HTTP_DJASS_KEY_NAME) - 1
        && ngx_strncmp(name, NGX_HTTP_DJASS_KEY_NAME,
                       sizeof(NGX_HTTP_DJASS_KEY_NAME) - 1) == 0)
    {
        type = NGX_HTTP_DJASS_CACHE_KEY;
        id.data = name + sizeof(NGX_HTTP_DJASS_KEY_NAME) - 1;

    } else if (len > sizeof(NGX_HTTP_DJASS_PROJECT_NAME) - 1
               && ngx_strncmp(name, NGX_HTTP_DJASS_PROJECT_NAME,
                              sizeof(NGX_HTTP_DJASS_PROJECT_NAME) - 1) == 0)
    {
        type = NGX_HTTP_DJASS_CACHE_PROJECT;
        id.data = name + sizeof(NGX_HTTP_DJASS_PROJECT_NAME) - 1;

    } else {
        return;
    }

    id.len = name + len - id.data;

    shpool = (ngx_slab_pool_t *) dmcf->cache_shm->shm.addr;
    sh = dmcf->cache_shm->data;

    ngx_shmtx_lock(&shpool->mutex);

    (*ngx_http_djass_cache_seq(sh, type, &id))++;

    cn = ngx_http_djass_cache_lookup(shpool, sh, type, &id);

    if (cn) {
        ngx_http_djass_cache_change_begin(sh);
        ngx_http_djass_cache_delete(shpool, sh, cn);
        ngx_http_djass_cache_change_end(sh);

        sh->stats.invalidations++;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (type == NGX_HTTP_DJASS_CACHE_PROJECT) {
        /* after the entry went: the woken read cannot find the old one */
        ngx_http_djass_wait_wake(id.data, id.len);
    }
}


/* the cache is read and kept exact now: no write goes unseen */

ngx_uint_t
ngx_http_djass_cache_tracked(void)
{
    return ngx_http_djass_cache_is_live;
}


/*
 * This process's tracking went live (1) or stopped (0), or Redis was
 * flushed (-1: as it was): either way the whole cache goes, as writes may
 * have come that nobody was told about.
 */

void
ngx_http_djass_cache_live(ngx_http_djass_main_conf_t *dmcf, ngx_int_t live,
    const char *why)
{
    ngx_queue_t                  *q;
    ngx_slab_pool_t              *shpool;
    ngx_http_djass_cache_sh_t    *sh;
    ngx_http_djass_cache_node_t  *cn;

    if (dmcf->cache_shm == NULL) {
        return;
    }

    if (live >= 0) {
        ngx_http_djass_cache_is_live = live;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "djass cache flushed, %s: %s",
                   ngx_http_djass_cache_is_live ? "live" : "bypassed", why);

    shpool = (ngx_slab_pool_t *) dmcf->cache_shm->shm.addr;
    sh = dmcf->cache_shm->data;

    ngx_shmtx_lock(&shpool->mutex);

    ngx_http_djass_cache_change_begin(sh);

    while (!ngx_queue_empty(&sh->lru)) {
        q = ngx_queue_head(&sh->lru);
        cn = ngx_queue_data(q, ngx_http_djass_cache_node_t, queue);
        ngx_http_djass_cache_delete(shpool, sh, cn);
    }

    ngx_http_djass_cache_change_end(sh);

    sh->flushes++;
    sh->stats.flushes++;

    ngx_shmtx_unlock(&shpool->mutex);

    if (live != 0) {
        /* tracking (re)started, or a flush: a change may have gone unseen */
        ngx_http_djass_wait_wake_all();
    }
}


/* --- a request ----------------------------------------------------------- */

/*
 * GET /projects/{id}, /status, /download, after the call's arguments are
 * made: a hit answers now, from the cache; a miss sends the call as "fill"
 * and keeps the reply.  NGX_DECLINED: the call goes as it is.
 */

ngx_int_t
ngx_http_djass_cache_project(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t project_id, const char *op,
    ngx_http_djass_redis_pt handler)
{
    u_char                        digits[NGX_INT_T_LEN], *p;
    ngx_int_t                     rc;
    ngx_str_t                    *v, id;
    ngx_uint_t                    kind, n;
    ngx_slab_pool_t              *shpool;
    ngx_http_djass_cache_sh_t    *sh;
    ngx_http_djass_cache_fill_t  *f;
    ngx_http_djass_main_conf_t   *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    if (dmcf->cache_shm == NULL) {
        return NGX_DECLINED;
    }

    sh = dmcf->cache_shm->data;

    if (!ngx_http_djass_cache_is_live) {
        /* tracking is not proven in this worker process */
        (void) ngx_atomic_fetch_add(&sh->stats.bypasses, 1);
        return NGX_DECLINED;
    }

    kind = ngx_http_djass_cache_op(op);

    /* the project's name: its digits, written by hand (the polling path) */

    p = digits + NGX_INT_T_LEN;
    n = project_id;

    do {
        *--p = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    id.data = p;
    id.len = digits + NGX_INT_T_LEN - p;

    v = ngx_palloc(r->pool, (1 + NGX_HTTP_DJASS_PROJECT_FIELDS)
                            * sizeof(ngx_str_t));
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    shpool = (ngx_slab_pool_t *) dmcf->cache_shm->shm.addr;

    rc = ngx_http_djass_cache_read(r, shpool, sh, call, kind, &id, v, &n, 0);

    if (rc == NGX_DECLINED) {
        /* a miss, or a read that met a change: again, under the lock */

        f = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_cache_fill_t));
        if (f == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_shmtx_lock(&shpool->mutex);

        rc = ngx_http_djass_cache_read(r, shpool, sh, call, kind, &id, v, &n,
                                       1);

        if (rc == NGX_DECLINED) {
            ngx_http_djass_cache_miss(shpool, sh, call, &id, f);
        }

        ngx_shmtx_unlock(&shpool->mutex);

        if (rc == NGX_DECLINED) {
            f->handler = handler;
            f->kind = kind;

            return ngx_http_djass_cache_send_fill(r, call, f, project_id, op);
        }
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass cache hit: op \"%s\"", op);

    return handler(r, call, NGX_OK, v, n);
}


/*
 * A miss, under the lock: the entry found is in use all the same (the
 * key's, mostly), and the fill notes what it may keep and the counters it
 * saw.  Nothing is taken from the zone until the reply says what to keep.
 */

static void
ngx_http_djass_cache_miss(ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_call_t *call,
    ngx_str_t *id, ngx_http_djass_cache_fill_t *f)
{
    ngx_uint_t                    type;
    ngx_http_djass_cache_node_t  *cn;

    f->id[NGX_HTTP_DJASS_CACHE_KEY] = call->digest;
    f->id[NGX_HTTP_DJASS_CACHE_PROJECT] = *id;

    for (type = 0; type < 2; type++) {
        cn = ngx_http_djass_cache_lookup(shpool, sh, type, &f->id[type]);

        if (cn) {
            ngx_http_djass_cache_use(cn);
        }

        f->want[type] = (cn == NULL);
        f->seq[type] = *ngx_http_djass_cache_seq(sh, type, &f->id[type]);
    }

    f->flushes = sh->flushes;

    sh->stats.misses++;
}


/* a miss's read sent as "fill": the reply is kept if it may be */

static ngx_int_t
ngx_http_djass_cache_send_fill(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_http_djass_cache_fill_t *f,
    ngx_uint_t project_id, const char *op)
{
    ngx_int_t   rc;
    ngx_str_t  *a;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass cache miss");

    /* the project's digits were on the stack: the reply needs them */

    a = &f->id[NGX_HTTP_DJASS_CACHE_PROJECT];

    a->data = ngx_pstrdup(r->pool, a);
    if (a->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_djass_call_project_args(r, call, project_id, op) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->cache = f;

    a = &call->args[DJASS_SCRIPT_API_ARGV_OP];
    ngx_str_set(a, "fill");

    rc = ngx_http_djass_call_send(r, call, ngx_http_djass_cache_fill_done);

    if (rc == NGX_DONE) {
        r->main->count++;
        return NGX_DONE;
    }

    return rc;
}


/*
 * A hit: NGX_OK with the answer in v, n long; NGX_DECLINED when an entry is
 * missing or, read without the lock (see the top of this file), a change
 * came meanwhile: the caller reads again under the lock (locked), where
 * nothing can change; NGX_ERROR.
 */

static ngx_int_t
ngx_http_djass_cache_read(ngx_http_request_t *r, ngx_slab_pool_t *shpool,
    ngx_http_djass_cache_sh_t *sh, ngx_http_djass_call_t *call,
    ngx_uint_t kind, ngx_str_t *id, ngx_str_t *v, ngx_uint_t *n,
    ngx_uint_t locked)
{
    ngx_str_t                     k[NGX_HTTP_DJASS_CACHE_KFIELDS];
    ngx_str_t                     pf[NGX_HTTP_DJASS_CACHE_PSTORED];
    ngx_atomic_uint_t             gen;
    ngx_http_djass_cache_node_t  *kn, *pn;

    gen = sh->gen;
    ngx_http_djass_cache_acquire();

    if ((gen & 1) && !locked) {
        return NGX_DECLINED;
    }

    kn = ngx_http_djass_cache_lookup(shpool, sh, NGX_HTTP_DJASS_CACHE_KEY,
                                     &call->digest);
    pn = ngx_http_djass_cache_lookup(shpool, sh, NGX_HTTP_DJASS_CACHE_PROJECT,
                                     id);

    if (kn == NULL || pn == NULL
        || ngx_http_djass_cache_view(shpool, kn, k,
                                     NGX_HTTP_DJASS_CACHE_KFIELDS)
           != NGX_OK
        || ngx_http_djass_cache_view(shpool, pn, pf,
                                     NGX_HTTP_DJASS_CACHE_PSTORED)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_djass_cache_answer(r->pool, call, kind, k, pf, v, n)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_djass_cache_acquire();

    if (sh->gen != gen) {
        return NGX_DECLINED;
    }

    (void) ngx_atomic_fetch_add(&sh->hits[(ngx_uint_t) ngx_process_slot
                                          % NGX_HTTP_DJASS_CACHE_STRIPES].n,
                                1);

    if (locked) {
        ngx_http_djass_cache_use(kn);
        ngx_http_djass_cache_use(pn);

    } else if (kn->node.data == 0 || pn->node.data == 0) {
        ngx_shmtx_lock(&shpool->mutex);

        /* the entries are still there if nothing changed since */
        if (sh->gen == gen) {
            ngx_http_djass_cache_use(kn);
            ngx_http_djass_cache_use(pn);
        }

        ngx_shmtx_unlock(&shpool->mutex);
    }

    return NGX_OK;
}


/* what an answer reads: the whole project for GET /projects/{id} */

static ngx_uint_t
ngx_http_djass_cache_op(const char *op)
{
    if (ngx_strcmp(op, "status") == 0) {
        return NGX_HTTP_DJASS_CACHE_STATUS;
    }

    if (ngx_strcmp(op, "download") == 0) {
        return NGX_HTTP_DJASS_CACHE_DOWNLOAD;
    }

    return NGX_HTTP_DJASS_CACHE_GET;
}


static ngx_int_t
ngx_http_djass_cache_fill_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    ngx_http_djass_call_t        *call = data;

    u_char                       *json;
    ngx_str_t                    *k, *p, *reply;
    ngx_str_t                     pv[NGX_HTTP_DJASS_CACHE_PSTORED];
    ngx_str_t                     sv[NGX_HTTP_DJASS_STATUS_FIELDS];
    ngx_uint_t                    i, ok;
    ngx_slab_pool_t              *shpool;
    ngx_http_djass_cache_sh_t    *sh;
    ngx_http_djass_cache_fill_t  *f;
    ngx_http_djass_main_conf_t   *dmcf;

    f = call->cache;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    ok = (rc == NGX_OK && n == NGX_HTTP_DJASS_CACHE_RAW
          && v[0].len == 3 && ngx_strncmp(v[0].data, "raw", 3) == 0);

    shpool = (ngx_slab_pool_t *) dmcf->cache_shm->shm.addr;
    sh = dmcf->cache_shm->data;

    k = &v[1];
    p = pv;

    if (ok) {
        /* the project's fields and its status object, as kept */

        for (i = 0; i < NGX_HTTP_DJASS_CACHE_PFIELDS; i++) {
            pv[i] = v[1 + NGX_HTTP_DJASS_CACHE_KFIELDS + i];
        }

        ngx_http_djass_cache_status_values(pv, sv);

        json = ngx_pnalloc(r->pool,
                           ngx_http_djass_object_len(
                               &ngx_http_djass_status_shape, sv));
        if (json == NULL) {
            return f->handler(r, call, NGX_ERROR, v, n);
        }

        pv[NGX_HTTP_DJASS_P_STATUS_JSON].data = json;
        pv[NGX_HTTP_DJASS_P_STATUS_JSON].len =
            ngx_http_djass_object(json, &ngx_http_djass_status_shape, sv)
            - json;

        /* an unknown key is not kept; a project only for its owner */
        if (k[NGX_HTTP_DJASS_K_PROFILE].len == 0) {
            f->want[NGX_HTTP_DJASS_CACHE_KEY] = 0;
        }

        if (!ngx_http_djass_cache_key_valid(k)
            || !ngx_http_djass_cache_owned(k, p))
        {
            f->want[NGX_HTTP_DJASS_CACHE_PROJECT] = 0;
        }

        ngx_shmtx_lock(&shpool->mutex);

        ngx_http_djass_cache_store(shpool, sh, f, NGX_HTTP_DJASS_CACHE_KEY,
                                   k, NGX_HTTP_DJASS_CACHE_KFIELDS);
        ngx_http_djass_cache_store(shpool, sh, f,
                                   NGX_HTTP_DJASS_CACHE_PROJECT, p,
                                   NGX_HTTP_DJASS_CACHE_PSTORED);

        ngx_shmtx_unlock(&shpool->mutex);
    }

    if (!ok) {
        /* 503, 500: answered as the plain call's are */
        return f->handler(r, call, rc == NGX_OK ? NGX_ERROR : rc, v, n);
    }

    reply = ngx_palloc(r->pool, (1 + NGX_HTTP_DJASS_PROJECT_FIELDS)
                                * sizeof(ngx_str_t));

    if (reply == NULL
        || ngx_http_djass_cache_answer(r->pool, call, f->kind, k, p, reply,
                                       &n)
           != NGX_OK)
    {
        return f->handler(r, call, NGX_ERROR, v, n);
    }

    return f->handler(r, call, NGX_OK, reply, n);
}


/*
 * The reply redis/api.lua makes for the answer from the raw fields, by its
 * rules (the key valid now, the scope, the owner), into v: its length.
 */

static ngx_uint_t
ngx_http_djass_cache_reply(ngx_http_djass_call_t *call, ngx_uint_t kind,
    ngx_str_t *k, ngx_str_t *p, ngx_str_t *v)
{
    ngx_uint_t  i;

    ngx_str_set(&v[0], "e");

    if (!ngx_http_djass_cache_key_valid(k)) {
        ngx_str_set(&v[1], "auth");
        return 2;
    }

    if (!(k[NGX_HTTP_DJASS_K_LEGACY].len == 1
          && k[NGX_HTTP_DJASS_K_LEGACY].data[0] == '1')
        && !ngx_http_djass_cache_has_scope(&k[NGX_HTTP_DJASS_K_SCOPES],
                                           call->scope))
    {
        ngx_str_set(&v[1], "scope");
        return 2;
    }

    if (!ngx_http_djass_cache_owned(k, p)) {
        ngx_str_set(&v[1], "notfound");
        return 2;
    }

    if (kind == NGX_HTTP_DJASS_CACHE_DOWNLOAD) {
        if (p[NGX_HTTP_DJASS_P_STATUS].len != sizeof("ready") - 1
            || ngx_strncmp(p[NGX_HTTP_DJASS_P_STATUS].data, "ready",
                           sizeof("ready") - 1)
               != 0)
        {
            ngx_str_set(&v[1], "notready");
            v[2] = p[NGX_HTTP_DJASS_P_STATUS];
            return 3;
        }

        ngx_str_set(&v[0], "ok");
        v[1] = p[NGX_HTTP_DJASS_P_SLUG];
        v[2] = p[NGX_HTTP_DJASS_P_ARTIFACT];
        return 3;
    }

    ngx_str_set(&v[0], "ok");

    if (kind == NGX_HTTP_DJASS_CACHE_STATUS) {
        ngx_http_djass_cache_status_values(p, &v[1]);
        return 1 + NGX_HTTP_DJASS_STATUS_FIELDS;
    }

    /* get: the project object's fields, in api.lua's order: the first
     * eleven as fill has them, then template_version, git_commit and
     * upgraded_from (after the owner and the artifact there) */

    for (i = 0; i < NGX_HTTP_DJASS_PROJECT_FIELDS - 3; i++) {
        v[1 + i] = p[NGX_HTTP_DJASS_P_ID + i];
    }

    v[NGX_HTTP_DJASS_PROJECT_FIELDS - 2] = p[NGX_HTTP_DJASS_P_TEMPLATE];
    v[NGX_HTTP_DJASS_PROJECT_FIELDS - 1] = p[NGX_HTTP_DJASS_P_GIT_COMMIT];
    v[NGX_HTTP_DJASS_PROJECT_FIELDS] = p[NGX_HTTP_DJASS_P_UPGRADED];

    return 1 + NGX_HTTP_DJASS_PROJECT_FIELDS;
}


/* the status object's values, in its order (ngx_http_djass_project.c) */

static void
ngx_http_djass_cache_status_values(ngx_str_t *p, ngx_str_t *v)
{
    v[0] = p[NGX_HTTP_DJASS_P_ID];
    v[1] = p[NGX_HTTP_DJASS_P_STATUS];
    v[2] = p[NGX_HTTP_DJASS_P_ERROR];
    v[3] = p[NGX_HTTP_DJASS_P_STARTED];
    v[4] = p[NGX_HTTP_DJASS_P_FINISHED];
    v[5] = p[NGX_HTTP_DJASS_P_UPDATED];
}


/*
 * The reply made from an entry's fields (in the zone, or a fill's in the
 * pool), its strings copied into the pool; a status's with the object made
 * at the fill, which its handler sends as it is (call->status_json).
 */

static ngx_int_t
ngx_http_djass_cache_answer(ngx_pool_t *pool, ngx_http_djass_call_t *call,
    ngx_uint_t kind, ngx_str_t *k, ngx_str_t *p, ngx_str_t *v, ngx_uint_t *n)
{
    ngx_uint_t  m;

    *n = ngx_http_djass_cache_reply(call, kind, k, p, v);
    m = *n - 1;

    if (kind == NGX_HTTP_DJASS_CACHE_STATUS
        && *n == 1 + NGX_HTTP_DJASS_STATUS_FIELDS)
    {
        /* past the reply's end: v holds a project's fields */
        v[*n] = p[NGX_HTTP_DJASS_P_STATUS_JSON];
        m++;
    }

    if (ngx_http_djass_cache_copy(pool, &v[1], m) != NGX_OK) {
        return NGX_ERROR;
    }

    if (m == *n) {
        call->status_json = v[*n];
    }

    return NGX_OK;
}


/* the key is known, not revoked, not expired now */

static ngx_uint_t
ngx_http_djass_cache_key_valid(ngx_str_t *k)
{
    time_t  expires;

    if (k[NGX_HTTP_DJASS_K_PROFILE].len == 0
        || k[NGX_HTTP_DJASS_K_REVOKED].len)
    {
        return 0;
    }

    if (k[NGX_HTTP_DJASS_K_EXPIRES].len) {
        /* the first expired second, as api.lua's fill made it */
        expires = ngx_atotm(k[NGX_HTTP_DJASS_K_EXPIRES].data,
                            k[NGX_HTTP_DJASS_K_EXPIRES].len);

        if (expires == NGX_ERROR || expires <= ngx_time()) {
            return 0;
        }
    }

    return 1;
}


/* the project exists and belongs to the key's profile */

static ngx_uint_t
ngx_http_djass_cache_owned(ngx_str_t *k, ngx_str_t *p)
{
    return p[NGX_HTTP_DJASS_P_EXISTS].len == 1
           && p[NGX_HTTP_DJASS_P_EXISTS].data[0] == '1'
           && p[NGX_HTTP_DJASS_P_PROFILE].len
              == k[NGX_HTTP_DJASS_K_PROFILE].len
           && ngx_strncmp(p[NGX_HTTP_DJASS_P_PROFILE].data,
                          k[NGX_HTTP_DJASS_K_PROFILE].data,
                          k[NGX_HTTP_DJASS_K_PROFILE].len)
              == 0;
}


/* api.lua: string.find("," .. scopes .. ",", "," .. scope .. ",") */

static ngx_uint_t
ngx_http_djass_cache_has_scope(ngx_str_t *scopes, const char *scope)
{
    size_t   len;
    u_char  *s, *last, *comma;

    len = ngx_strlen(scope);
    s = scopes->data;
    last = s + scopes->len;

    for ( ;; ) {
        comma = ngx_strlchr(s, last, ',');

        if (comma == NULL) {
            comma = last;
        }

        if ((size_t) (comma - s) == len && ngx_strncmp(s, scope, len) == 0) {
            return 1;
        }

        if (comma == last) {
            return 0;
        }

        s = comma + 1;
    }
}
