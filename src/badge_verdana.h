/*
 * badge_verdana: the Verdana 11px advance-width table badge.c measures
 * with, generated into badge_verdana.c by scripts/gen-verdana.mjs from the
 * npm package anafanafo (MIT).  Private to badge.c and its tests.
 */
#ifndef VISITSD_BADGE_VERDANA_H
#define VISITSD_BADGE_VERDANA_H

#include <stddef.h>
#include <stdint.h>

struct badge_verdana_range {
	uint32_t	first, last;	/* code points, inclusive */
	uint16_t	width;		/* hundredths of a pixel */
};

/* Sorted by first, ranges disjoint. */
extern const struct badge_verdana_range	badge_verdana[];
extern const size_t			badge_verdana_count;

#endif
