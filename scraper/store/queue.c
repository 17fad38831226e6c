/*
 * queue.c: bounded single-producer single-consumer queue (see queue.h).
 *
 * A ring of pointers under one mutex; one condition variable for the consumer.  The
 * lock is held only to move a pointer, never while an entry is being worked on.
 */
#include "config.h"

#include "store/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct slot {
	void *entry;
	size_t bytes;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct slot *ring;
	size_t cap, head, len;
	size_t bytes, max_bytes;
	bool closed;
	bool refused;	/* a push failed since the last wake-up */
	int wake_fd;
};

struct queue *
queue_new(size_t max_entries, size_t max_bytes, int wake_fd)
{
	struct queue *q;

	if (max_entries == 0 || (q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	if ((q->ring = calloc(max_entries, sizeof *q->ring)) == NULL) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->nonempty, NULL);
	q->cap = max_entries;
	q->max_bytes = max_bytes;
	q->wake_fd = wake_fd;
	return q;
}

void
queue_free(struct queue *q, void (*free_entry)(void *))
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->len; i++) {
		if (free_entry != NULL)
			free_entry(q->ring[(q->head + i) % q->cap].entry);
	}
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->nonempty);
	free(q->ring);
	free(q);
}

int
queue_try_push(struct queue *q, void *entry, size_t bytes)
{
	int rc = -1;

	pthread_mutex_lock(&q->lock);
	if (!q->closed && q->len < q->cap &&
	    (q->len == 0 || q->bytes + bytes <= q->max_bytes)) {
		q->ring[(q->head + q->len) % q->cap] = (struct slot){ entry, bytes };
		q->len++;
		q->bytes += bytes;
		rc = 0;
		pthread_cond_signal(&q->nonempty);
	} else {
		q->refused = true;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static void
deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void *
queue_pop(struct queue *q, int timeout_ms)
{
	struct timespec deadline;
	void *entry = NULL;
	bool wake = false;

	if (timeout_ms >= 0)
		deadline_in(&deadline, timeout_ms);
	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed) {
		if (timeout_ms < 0)
			pthread_cond_wait(&q->nonempty, &q->lock);
		else if (pthread_cond_timedwait(&q->nonempty, &q->lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (q->len > 0) {
		struct slot s = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
		q->bytes -= s.bytes;
		entry = s.entry;
		if (q->refused) {
			q->refused = false;
			wake = true;
		}
	}
	pthread_mutex_unlock(&q->lock);
	if (wake && q->wake_fd >= 0) {
		char c = 'q';
		/* A full pipe already holds a wake-up; EAGAIN is fine. */
		if (write(q->wake_fd, &c, 1) < 0 && errno != EAGAIN)
			return entry;
	}
	return entry;
}

void
queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}
