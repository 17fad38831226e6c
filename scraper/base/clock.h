/*
 * clock.h: the one place that reads the clocks.
 *
 * clock_mono() is for intervals and deadlines (never jumps); clock_wall() is for what
 * is stored or shown (Unix time).  Both in seconds as a double: microsecond precision
 * is far below anything scraper schedules.
 */
#ifndef SCRAPER_CLOCK_H
#define SCRAPER_CLOCK_H

double clock_mono(void);
double clock_wall(void);

#endif
