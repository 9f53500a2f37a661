/* rto.c - resend timeout from the measured round trip (see rto.h). */
#include "rto.h"

static int64_t
s_clamp (const rto_t *self, double v)
{
    if (v < (double) self->min)
        return self->min;
    if (v > (double) self->max)
        return self->max;
    return (int64_t) v;
}

void
rto_init (rto_t *self, int64_t min_ms, int64_t max_ms)
{
    self->min = min_ms > 0 ? min_ms : 1;
    self->max = max_ms > self->min ? max_ms : self->min;
    self->rto = self->min;
    self->srtt = -1;
    self->rttvar = 0;
    self->samples = 0;
}

void
rto_sample (rto_t *self, int64_t rtt_ms)
{
    double r = rtt_ms > 0 ? (double) rtt_ms : 0;
    if (self->srtt < 0) {
        self->srtt = r;
        self->rttvar = r / 2;
    }
    else {
        double err = self->srtt > r ? self->srtt - r : r - self->srtt;
        self->rttvar = 0.75 * self->rttvar + 0.25 * err;
        self->srtt = 0.875 * self->srtt + 0.125 * r;
    }
    self->samples++;
    self->rto = s_clamp (self, self->srtt + 4 * self->rttvar);
}

void
rto_backoff (rto_t *self)
{
    self->rto = self->rto > self->max / 2 ? self->max : self->rto * 2;
}

int64_t
rto_delay (const rto_t *self, int attempts)
{
    int64_t d = self->rto;
    for (int i = 0; i < attempts && d < self->max; i++)
        d *= 2;
    return d < self->max ? d : self->max;
}
