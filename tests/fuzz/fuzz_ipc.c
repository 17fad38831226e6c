/*
 * fuzz_ipc.c: decode arbitrary bytes as a stream of frames, as the coordinator does with
 * what a worker sends.  Must never crash or read out of bounds; every frame decoded
 * must re-encode to a frame that decodes again.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"

static struct ipc_msg m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in, out;
	size_t off = 0, used;
	char err[256];

	buf_init(&in, IPC_MAX_PAYLOAD * 2);
	buf_init(&out, IPC_MAX_PAYLOAD * 2);
	if (buf_append(&in, data, size) == -1)
		goto done;
	while (ipc_next(&in, off, &m, &used, err, sizeof err) == 1) {
		buf_reset(&out);
		switch (m.hdr.type) {
		case IPC_PAGE: ipc_put_page(&out, m.hdr.site, &m.u.page); break;
		case IPC_ITEM: ipc_put_item(&out, m.hdr.site, &m.u.item); break;
		case IPC_LINKS: ipc_put_links(&out, m.hdr.site, &m.u.links); break;
		case IPC_COVERAGE:
			ipc_put_coverage(&out, m.hdr.site, m.u.coverage.id, m.u.coverage.counts,
					 m.u.coverage.count);
			break;
		case IPC_PROBLEM: ipc_put_problem(&out, m.hdr.site, &m.u.problem); break;
		case IPC_BODY: ipc_put_body(&out, m.hdr.site, &m.u.body); break;
		default: break;
		}
		if (out.len > 0) {
			static struct ipc_msg again;
			size_t used2;
			if (ipc_next(&out, 0, &again, &used2, err, sizeof err) != 1)
				abort();
		}
		off += used;
	}
done:
	buf_free(&in);
	buf_free(&out);
	return 0;
}
