/* The control socket server (vmm/ctl.c) on a real event loop, run in a thread of
 * its own, against clients on its Unix socket and a scripted guest agent on a
 * socketpair: id remapping both ways, answers reaching the right client, a
 * client leaving mid-request, garbage, EXEC with its EXIT event and close,
 * START accepted once, STATUS, and the VMM's own requests. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/proto.h"
#include "tests/unit/tap.h"
#include "vmm/ctl.h"

static struct ev_loop *loop;
static struct ctl C;
static struct pconn agent;      /* the VMM's end, on the loop */
static int guest = -1;          /* the test's end: the fake agent */
static int stop_fd;
static char path[108];
static int starts;
static uint32_t vmm_answers;    /* answers routed to the VMM's own requests */

static struct pconn *ops_agent(void *arg)
{
	return &agent;
}

static int ops_start(void *arg, struct proto_result *err)
{
	if (starts++) {
		err->err = -EBUSY;
		strcpy(err->msg, "cannot start an already running container");
		return -EBUSY;
	}
	return 0;
}

static int ops_pause(void *arg, bool pause, struct proto_result *err)
{
	return 0;
}

static const char *ops_status(void *arg)
{
	return starts ? "running" : "created";
}

static const struct ctl_ops ops = { ops_agent, ops_start, ops_pause, ops_status };

/* The container's part, reduced: the guest's messages to the router. */
static void on_agent(struct ev_loop *l, int fd, uint32_t events, void *arg)
{
	struct proto_hdr h;
	const uint8_t *p;
	struct ctl_pending req;
	struct proto_exit e;

	if (pconn_on_out(&agent, events))
		pconn_flush(&agent);
	while (pconn_next(&agent, &h, &p) == 1) {
		if (h.type == PROTO_EXIT && !proto_dec_exit(p, h.len, &e))
			ctl_guest_exit(&C, &e);
		else if (ctl_guest_answer(&C, &h, p, &req) == 1)
			__atomic_add_fetch(&vmm_answers, 1, __ATOMIC_SEQ_CST);
	}
}

static void on_stop(struct ev_loop *l, int fd, uint32_t events, void *arg)
{
	ev_stop(l, 0);
}

static void *loop_thread(void *arg)
{
	ev_run(loop);
	return NULL;
}

static int client(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool readable(int fd, int ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, ms) == 1;
}

/* One message within a second: 0, or -ETIMEDOUT / -ESHUTDOWN / ... */
static int recv_msg(int fd, struct proto_hdr *h, uint8_t **p)
{
	*p = NULL;
	if (!readable(fd, 2000))
		return -ETIMEDOUT;
	return proto_recv(fd, h, p);
}

static void send_empty(int fd, uint16_t type, uint32_t id)
{
	struct proto_buf b;

	proto_buf_init(&b);
	proto_enc_empty(&b, type, id);
	proto_send(fd, &b);
	proto_buf_fini(&b);
}

static void guest_result(uint32_t id, int err, const char *msg)
{
	struct proto_result r = { .err = err };
	struct proto_buf b;

	strcpy(r.msg, msg);
	proto_buf_init(&b);
	proto_enc_result(&b, PROTO_RESULT, id, &r);
	proto_send(guest, &b);
	proto_buf_fini(&b);
}

static int client_result(int fd, uint32_t *id, struct proto_result *r)
{
	struct proto_hdr h;
	uint8_t *p;
	int ret = recv_msg(fd, &h, &p);

	if (!ret && h.type != PROTO_RESULT)
		ret = -EPROTO;
	if (!ret)
		ret = proto_dec_result(p, h.len, r);
	*id = h.id;
	free(p);
	return ret;
}

static void test_remap(void)
{
	int a = client(), b = client();
	struct proto_hdr h1, h2;
	struct proto_result r;
	uint8_t *p1, *p2;
	uint32_t id;

	ok(a >= 0 && b >= 0, "two clients connect");
	send_empty(a, PROTO_PS, 77);
	is_int(recv_msg(guest, &h1, &p1), 0, "the guest gets client a's PS");
	send_empty(b, PROTO_PS, 77);
	is_int(recv_msg(guest, &h2, &p2), 0, "the guest gets client b's PS, same client id");
	ok(h1.type == PROTO_PS && h2.type == PROTO_PS && h1.id && h2.id && h1.id != h2.id,
	   "under distinct ids of the VMM's (%u, %u)", h1.id, h2.id);
	free(p1);
	free(p2);
	/* Answer b first, with a different result for each. */
	struct proto_buf buf;
	uint32_t pids_b[] = { 5, 6 }, pids_a[] = { 1 };

	proto_buf_init(&buf);
	proto_enc_ps_result(&buf, h2.id, pids_b, 2);
	proto_enc_ps_result(&buf, h1.id, pids_a, 1);
	proto_send(guest, &buf);
	proto_buf_fini(&buf);
	uint32_t got[4], n = 0;

	ok(!recv_msg(b, &h2, &p2) && h2.type == PROTO_PS_RESULT && h2.id == 77 &&
	   !proto_dec_ps_result(p2, h2.len, got, 4, &n) && n == 2 && got[1] == 6,
	   "client b gets its own answer under its id");
	free(p2);
	ok(!recv_msg(a, &h1, &p1) && h1.type == PROTO_PS_RESULT && h1.id == 77 &&
	   !proto_dec_ps_result(p1, h1.len, got, 4, &n) && n == 1 && got[0] == 1,
	   "client a gets its own answer");
	free(p1);
	/* A RESULT answering a PS (the guest's error) is passed on as it is. */
	send_empty(a, PROTO_PS, 78);
	recv_msg(guest, &h1, &p1);
	free(p1);
	guest_result(h1.id, -ENOMEM, "ps: no memory");
	ok(!client_result(a, &id, &r) && id == 78 && r.err == -ENOMEM &&
	   !strcmp(r.msg, "ps: no memory"), "an error answer is passed on verbatim");
	close(a);
	close(b);
}

static void test_leave_mid_request(void)
{
	int a = client(), b = client();
	struct proto_hdr h;
	struct proto_result r;
	uint8_t *p;
	uint32_t id, gid;

	send_empty(a, PROTO_PS, 1);
	recv_msg(guest, &h, &p);
	free(p);
	gid = h.id;
	close(a);
	usleep(50000);
	guest_result(gid, 0, "late");
	send_empty(b, CTL_STATUS, 9);
	ok(!client_result(b, &id, &r) && id == 9 && !strcmp(r.msg, "created"),
	   "the answer to a client that left is dropped; others go on");
	close(b);
}

static void test_garbage(void)
{
	int a = client(), b = client();
	uint8_t junk[32];
	struct proto_result r;
	uint32_t id;

	memset(junk, 0xa5, sizeof(junk));
	(void)!write(a, junk, sizeof(junk));
	ok(readable(a, 2000) && read(a, junk, sizeof(junk)) == 0, "garbage: that client is closed");
	close(a);
	a = client();
	send_empty(a, PROTO_START, 0);
	ok(readable(a, 2000) && read(a, junk, sizeof(junk)) == 0, "request id 0: closed");
	close(a);
	a = client();
	send_empty(a, 4242, 3);
	ok(!client_result(a, &id, &r) && id == 3 && r.err == -EOPNOTSUPP,
	   "unknown type: an error answer ...");
	ok(readable(a, 2000) && read(a, junk, sizeof(junk)) == 0, "... then closed");
	close(a);
	send_empty(b, CTL_STATUS, 10);
	ok(!client_result(b, &id, &r) && id == 10, "another client is not affected");
	close(b);
}

static void test_start_once(void)
{
	int a = client();
	struct proto_hdr h;
	struct proto_result r;
	uint8_t *p;
	uint32_t id;

	send_empty(a, PROTO_START, 5);
	ok(!recv_msg(guest, &h, &p) && h.type == PROTO_START, "START goes to the guest");
	free(p);
	guest_result(h.id, 0, "");
	ok(!client_result(a, &id, &r) && id == 5 && !r.err, "and its answer back");
	send_empty(a, PROTO_START, 6);
	ok(!client_result(a, &id, &r) && id == 6 && r.err == -EBUSY, "a second START is refused");
	ok(!readable(guest, 100), "... without reaching the guest");
	send_empty(a, CTL_STATUS, 7);
	ok(!client_result(a, &id, &r) && !strcmp(r.msg, "running"), "status: running");
	close(a);
}

static void test_exec(void)
{
	static const char *argv[] = { "true" };
	struct proto_exec e = { .proc_id = 4321 };
	struct proto_exit ex = { .proc_id = 4321, .pid = 9, .signaled = 0, .code = 3 }, got;
	int a = client(), b = client();
	struct proto_result r;
	struct proto_buf buf;
	struct proto_hdr h;
	uint8_t *p, c;
	uint32_t id, gid;

	e.process.args = (struct proto_strv){ 1, argv };
	e.process.cwd = "/";
	proto_buf_init(&buf);
	proto_enc_exec(&buf, 11, &e);
	proto_send(a, &buf);
	ok(!recv_msg(guest, &h, &p) && h.type == PROTO_EXEC, "EXEC goes to the guest");
	free(p);
	gid = h.id;
	proto_enc_exec(&buf, 12, &e);
	proto_send(b, &buf);
	ok(!client_result(b, &id, &r) && id == 12 && r.err == -EEXIST,
	   "the same process id from another client: -EEXIST");
	guest_result(gid, 0, "");
	ok(!client_result(a, &id, &r) && id == 11 && !r.err, "EXEC answered");
	proto_enc_exit(&buf, &ex);
	proto_send(guest, &buf);
	ok(!recv_msg(a, &h, &p) && h.type == PROTO_EXIT && !proto_dec_exit(p, h.len, &got) &&
	   got.proc_id == 4321 && got.code == 3, "its EXIT reaches the exec client");
	free(p);
	ok(readable(a, 2000) && read(a, &c, 1) == 0, "and the connection is closed after it");
	/* A failed EXEC frees its id at once. */
	proto_enc_exec(&buf, 13, &e);
	proto_send(b, &buf);
	recv_msg(guest, &h, &p);
	free(p);
	guest_result(h.id, -ENOENT, "exec: \"true\": executable file not found in $PATH");
	ok(!client_result(b, &id, &r) && r.err == -ENOENT && strstr(r.msg, "not found"),
	   "a failed EXEC: the guest's message verbatim");
	proto_enc_exec(&buf, 14, &e);
	proto_send(b, &buf);
	ok(!recv_msg(guest, &h, &p) && h.type == PROTO_EXEC, "... and the id can be used again");
	free(p);
	proto_buf_fini(&buf);
	close(b); /* leaves with an EXEC in flight */
	usleep(50000);
	guest_result(h.id, 0, "");
	ex.proc_id = 4321;
	proto_buf_init(&buf);
	proto_enc_exit(&buf, &ex);
	proto_send(guest, &buf);
	proto_buf_fini(&buf);
	usleep(50000);
	a = client();
	send_empty(a, CTL_STATUS, 1);
	ok(!client_result(a, &id, &r) && id == 1, "exec owner gone: its EXIT is dropped quietly");
	close(a);
}

static uint32_t vmm_gid;

static void test_vmm_request(void)
{
	/* vmm_gid was taken before the loop started, as the container would for a
	 * forwarded signal; the guest answers it. */
	guest_result(vmm_gid, 0, "");
	for (int i = 0; i < 100 && !__atomic_load_n(&vmm_answers, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	is_int(vmm_answers, 1, "an answer to the VMM's own request is handed to the VMM");
}

int main(void)
{
	int sv[2];
	pthread_t t;

	snprintf(path, sizeof(path), "/tmp/test_ctl_server.%d.sock", getpid());
	loop = ev_create();
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	guest = sv[1];
	ok(!pconn_init(&agent, loop, sv[0], 1 << 20, on_agent, NULL), "fake agent connection");
	ok(!ctl_listen(&C, loop, path, &ops, NULL), "listen on %s", path);
	ok(!ctl_serve(&C), "serve");
	ev_add(loop, stop_fd, EPOLLIN, on_stop, NULL);
	ctl_route_add(&C.route, CTL_OWNER_VMM, 0, PROTO_SIGNAL, 0, &vmm_gid);
	pthread_create(&t, NULL, loop_thread, NULL);
	test_remap();
	test_leave_mid_request();
	test_garbage();
	test_start_once();
	test_exec();
	test_vmm_request();
	uint64_t one = 1;

	(void)!write(stop_fd, &one, sizeof(one));
	pthread_join(t, NULL);
	ctl_fini(&C);
	ok(access(path, F_OK) < 0, "the socket is removed");
	pconn_fini(&agent);
	close(guest);
	ev_del(loop, stop_fd);
	close(stop_fd);
	ev_destroy(loop);
	return tap_done();
}
