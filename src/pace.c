/*
 * pace: the adaptive interval between two writes of one id (pace.h).
 * Pure arithmetic on the caller's struct.
 */
#include "pace.h"

void
pace_init(struct pace *p, int max_writes_per_second, int cap_ms)
{
	uint32_t cap = cap_ms > 0 ? (uint32_t)cap_ms * 1000u : 0;

	p->floor_us = max_writes_per_second > 0 ?
	    1000000u / (uint32_t)max_writes_per_second : 0;
	if (p->floor_us > cap)
		cap = p->floor_us;
	p->cap_us = cap;
	p->interval_us = p->floor_us;
}

void
pace_throttled(struct pace *p)
{
	uint64_t next = p->interval_us < PACE_FIRST_US / 2 ? PACE_FIRST_US :
	    (uint64_t)p->interval_us * 2;

	if (next > p->cap_us)
		next = p->cap_us;
	if (next < p->floor_us)
		next = p->floor_us;
	p->interval_us = (uint32_t)next;
}

void
pace_ok(struct pace *p)
{
	uint32_t step = p->interval_us / 64;

	if (step == 0)
		step = p->interval_us;	/* below 64 us: done pacing */
	if (p->interval_us - step < p->floor_us)
		p->interval_us = p->floor_us;
	else
		p->interval_us -= step;
}

void
pace_idle(struct pace *p, uint64_t idle_ms)
{
	uint64_t n;

	if (p->interval_us == 0)
		return;
	n = idle_ms * 1000u / p->interval_us;
	while (n-- > 0 && p->interval_us > p->floor_us)
		pace_ok(p);
}

uint64_t
pace_due_ms(const struct pace *p, uint64_t start_ms)
{
	return start_ms + p->interval_us / 1000u;
}

bool
pace_active(const struct pace *p)
{
	return p->interval_us > 0;
}
