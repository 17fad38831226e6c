/*
 * queue.h: the bounded queue between the coordinator's loop and the store thread.
 *
 * Single producer, single consumer, bounded both in entries and in bytes (the producer
 * says what each entry weighs).  The producer never blocks: queue_try_push fails when
 * the queue is full, and the producer stops taking in work until the consumer makes
 * room (back-pressure instead of growth).  The consumer blocks in queue_pop.  Whenever
 * the consumer frees room that a refused producer is waiting for, it writes a byte to
 * the producer's wake-up descriptor, which the producer's poll loop watches.
 */
#ifndef SCRAPER_QUEUE_H
#define SCRAPER_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct queue;

/* A queue of at most max_entries entries weighing max_bytes in all (an entry heavier
 * than max_bytes is still taken when the queue is empty).  wake_fd: written to (one
 * byte, non-blocking) when room frees up after a refused push; -1 for none. */
struct queue *queue_new(size_t max_entries, size_t max_bytes, int wake_fd);

/* Free the queue; entries still in it are passed to free_entry (if not NULL). */
void queue_free(struct queue *q, void (*free_entry)(void *));

/* Producer: add entry.  0, or -1 when full or closed (the entry stays the caller's). */
int queue_try_push(struct queue *q, void *entry, size_t bytes);

/* Consumer: take the oldest entry, waiting up to timeout_ms (-1: forever) for one.
 * NULL on timeout, or when the queue is closed and empty. */
void *queue_pop(struct queue *q, int timeout_ms);

/* Producer: no more entries will come; wakes a waiting consumer. */
void queue_close(struct queue *q);

#endif
