/* libFuzzer target for the agent protocol's decoders (the guest decodes what the
 * host sends, and the host what a possibly hostile guest sends). Every decoder
 * runs on the input; whatever decodes must re-encode to the very same bytes.
 * Build and run: tests/fuzz/run [SECONDS]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent_client.h"
#include "common/proto.h"

/* Re-encoding a decoded message must give back the payload exactly. */
static void same_bytes(struct proto_buf *b, int ret, const uint8_t *p, size_t n)
{
	if (ret || b->len != PROTO_HDR_SIZE + n || memcmp(b->data + PROTO_HDR_SIZE, p, n))
		abort();
	proto_buf_reset(b);
}

static void fuzz_payload(const uint8_t *p, size_t n)
{
	struct proto_buf b;
	struct proto_spec s;
	struct proto_exec e;
	struct proto_update u;
	struct proto_result r;
	struct agent_event ev;
	uint32_t pids[4], count;

	proto_buf_init(&b);
	if (!proto_dec_spec(p, n, &s))
		same_bytes(&b, proto_enc_spec(&b, 1, &s), p, n);
	proto_spec_free(&s);
	if (!proto_dec_exec(p, n, &e))
		same_bytes(&b, proto_enc_exec(&b, 1, &e), p, n);
	proto_exec_free(&e);
	if (!proto_dec_update(p, n, &u))
		same_bytes(&b, proto_enc_update(&b, 1, &u), p, n);
	proto_update_free(&u);
	if (!proto_dec_result(p, n, &r))
		same_bytes(&b, proto_enc_result(&b, PROTO_RESULT, 1, &r), p, n);
	proto_dec_hello(p, n, &(struct proto_hello){ 0 });
	proto_dec_signal(p, n, &(struct proto_signal){ 0 });
	proto_dec_resize(p, n, &(struct proto_resize){ 0 });
	proto_dec_ps_result(p, n, pids, 4, &count);
	for (uint16_t t = PROTO_EXIT; t <= PROTO_OOM; t++)
		agent_decode_event(t, p, (uint32_t)n, &ev);
	proto_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_hdr h;

	/* As a framed message when the header says so, else as a bare payload. */
	if (!proto_hdr_decode(data, size, &h) && h.len == size - PROTO_HDR_SIZE)
		fuzz_payload(data + PROTO_HDR_SIZE, h.len);
	else
		fuzz_payload(data, size);
	return 0;
}
