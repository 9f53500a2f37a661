/* store_guard.c - keeps a hung database from freezing the node: a
 * watchdog thread (started by store_set_timeout) that cuts the connection
 * when a guarded stretch of work overruns, and the pause before
 * reconnecting.
 *
 * Why a thread: libpq waits for the server in poll() with no deadline.
 * statement_timeout needs a live server to fire, TCP keepalives need TCP,
 * and a stopped (SIGSTOP) or wedged postmaster on a Unix socket answers
 * neither. shutdown() on the connection's socket wakes the blocked call,
 * which then fails like any lost connection: the batch is not
 * acknowledged, the senders resend, nothing is lost. */
#include "node/store_int.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define S_DOWN_FIRST_MS 250

struct store_guard {
    pthread_t thread;
    pthread_mutex_t lock;       /* held by the watchdog while it cuts, and
                                   by the store while it replaces the conn */
    pthread_cond_t cond;
    int64_t deadline;           /* cut the connection after this; 0 = idle */
    int stop;
    uint64_t cuts;
};

void
store_i_down (store_t *self)
{
    if (self->timeout_ms <= 0)
        return;
    self->down_ms = self->down_ms ? self->down_ms * 2 : S_DOWN_FIRST_MS;
    if (self->down_ms > 2 * self->timeout_ms)
        self->down_ms = 2 * self->timeout_ms;
    self->down_until = sg_clock_ms () + self->down_ms;
}

static void *
s_watch (void *arg)
{
    store_t *self = arg;
    struct store_guard *g = self->guard;
    pthread_mutex_lock (&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait (&g->cond, &g->lock, &ts);
        if (g->stop || !g->deadline || sg_clock_ms () < g->deadline)
            continue;
        int fd = self->conn ? PQsocket (self->conn) : -1;
        if (fd >= 0) {
            shutdown (fd, SHUT_RDWR);
            g->cuts++;
            sg_log_error ("database: no answer within %d ms; connection cut (the work is "
                       "retried when the database answers again)", 2 * self->timeout_ms);
        }
        /* Armed again, not off: the rest of the stretch may reconnect and
         * hang a second time. */
        g->deadline = sg_clock_ms () + 2 * (int64_t) self->timeout_ms;
    }
    pthread_mutex_unlock (&g->lock);
    return NULL;
}

int
store_i_guard_start (store_t *self)
{
    if (self->timeout_ms == 0 || self->guard)
        return SG_OK;
    struct store_guard *g = calloc (1, sizeof *g);
    if (!g)
        return SG_ENOMEM;
    pthread_mutex_init (&g->lock, NULL);
    pthread_cond_init (&g->cond, NULL);
    self->guard = g;
    if (pthread_create (&g->thread, NULL, s_watch, self) != 0) {
        self->guard = NULL;
        pthread_mutex_destroy (&g->lock);
        pthread_cond_destroy (&g->cond);
        free (g);
        return SG_ENOMEM;
    }
    return SG_OK;
}

void
store_guard_begin (store_t *self)
{
    struct store_guard *g = self ? self->guard : NULL;
    if (!g)
        return;
    pthread_mutex_lock (&g->lock);
    g->deadline = sg_clock_ms () + 2 * (int64_t) self->timeout_ms;
    pthread_mutex_unlock (&g->lock);
}

void
store_guard_end (store_t *self)
{
    struct store_guard *g = self ? self->guard : NULL;
    if (!g)
        return;
    pthread_mutex_lock (&g->lock);
    g->deadline = 0;
    pthread_mutex_unlock (&g->lock);
}

void
store_i_guard_lock (store_t *self)
{
    if (self->guard)
        pthread_mutex_lock (&self->guard->lock);
}

void
store_i_guard_unlock (store_t *self)
{
    if (self->guard)
        pthread_mutex_unlock (&self->guard->lock);
}

void
store_i_guard_stop (store_t *self)
{
    struct store_guard *g = self->guard;
    if (!g)
        return;
    pthread_mutex_lock (&g->lock);
    g->stop = 1;
    pthread_cond_signal (&g->cond);
    pthread_mutex_unlock (&g->lock);
    pthread_join (g->thread, NULL);
    pthread_mutex_destroy (&g->lock);
    pthread_cond_destroy (&g->cond);
    free (g);
    self->guard = NULL;
}
