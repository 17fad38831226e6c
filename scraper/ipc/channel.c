/*
 * channel.c: buffered, framed I/O on one end of a socketpair (see channel.h).
 */
#include "config.h"

#include "ipc/channel.h"

#include <errno.h>
#include <unistd.h>

#define READ_CHUNK 65536

void
channel_init(struct channel *ch, int fd, size_t in_max, size_t out_max)
{
	ch->fd = fd;
	ch->off = 0;
	buf_init(&ch->in, in_max);
	buf_init(&ch->out, out_max);
}

void
channel_close(struct channel *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	buf_free(&ch->in);
	buf_free(&ch->out);
	ch->off = 0;
}

int
channel_read(struct channel *ch)
{
	ssize_t n;

	if (buf_reserve(&ch->in, READ_CHUNK) == -1) {
		errno = EMSGSIZE; /* in_max leaves a chunk of room past the largest frame */
		return -1;
	}
	n = read(ch->fd, ch->in.data + ch->in.len, ch->in.cap - ch->in.len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	ch->in.len += (size_t)n;
	return 1;
}

int
channel_next(struct channel *ch, struct ipc_msg *m, char *err, size_t errlen)
{
	size_t used;
	int rc = ipc_next(&ch->in, ch->off, m, &used, err, errlen);

	if (rc == 1)
		ch->off += used;
	return rc;
}

void
channel_consume(struct channel *ch)
{
	buf_consume(&ch->in, ch->off);
	ch->off = 0;
}

int
channel_flush(struct channel *ch)
{
	size_t off = 0;

	while (off < ch->out.len) {
		ssize_t n = write(ch->fd, ch->out.data + off, ch->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			buf_reset(&ch->out);
			return -1;
		}
		off += (size_t)n;
	}
	buf_consume(&ch->out, off);
	return 0;
}

bool
channel_pending(const struct channel *ch)
{
	return ch->out.len > 0;
}
