/*
 * channel.h: one end of the socketpair between the coordinator and a worker.
 *
 * Both ends use the same type: a descriptor, a bounded input buffer that frames are
 * decoded from in place, and a bounded output buffer that encoders append to.  The
 * coordinator's end is non-blocking and flushed as far as the peer takes it each turn;
 * the worker's end blocks on write (that is the back-pressure: a worker whose
 * coordinator is not reading waits).
 *
 * Reading and decoding go in rounds:
 *
 *	if (channel_read(ch) <= 0) ...gone...
 *	while ((rc = channel_next(ch, &m, err, sizeof err)) == 1)
 *		...act on m (its strings point into ch->in)...
 *	channel_consume(ch);
 *
 * channel_read must not be called between channel_next and channel_consume: it may
 * move the input buffer that the decoded messages point into.
 */
#ifndef SCRAPER_CHANNEL_H
#define SCRAPER_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "ipc/ipc.h"

/* Input buffer size for either end: the largest frame, plus a read's worth. */
#define CHANNEL_IN_MAX (IPC_MAX_PAYLOAD + IPC_HEADER_SIZE + 65536)

struct channel {
	int fd;			/* -1 once closed */
	struct buf in, out;
	size_t off;		/* decoded but not yet consumed input */
};

/* Take over fd (closed by channel_close).  Buffers grow up to in_max and out_max. */
void channel_init(struct channel *ch, int fd, size_t in_max, size_t out_max);

/* Close the descriptor (once) and free the buffers.  Safe to call twice. */
void channel_close(struct channel *ch);

/*
 * Read what the descriptor has.  1: bytes were read, or none are ready (EAGAIN,
 * EINTR); 0: the peer closed; -1: a read error (errno), or the input buffer is full
 * (errno EMSGSIZE; a frame can never be larger than that buffer).
 */
int channel_read(struct channel *ch);

/* The next complete frame in the input, as ipc_next: 1 decoded, 0 need more, -1 a
 * protocol error described in err. */
int channel_next(struct channel *ch, struct ipc_msg *m, char *err, size_t errlen);

/* Drop the frames decoded since the last call. */
void channel_consume(struct channel *ch);

/*
 * Write buffered output.  On a non-blocking descriptor, as much as it takes now; on a
 * blocking one, all of it.  0: written, or the rest waits (EAGAIN); -1: the peer is
 * gone (the output is dropped: nobody will read it).
 */
int channel_flush(struct channel *ch);

/* Is output waiting? */
bool channel_pending(const struct channel *ch);

#endif
