/* Unit tests of the container VMM's pure logic: control-socket id remapping and
 * routing (vmm/ctl_route.c), client request validation, exec process ownership,
 * and how the VMM ends for the init's exit status (vmm/ctr_exit.c), the last
 * checked for real in forked children. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/proto.h"
#include "tests/unit/tap.h"
#include "vmm/container.h"
#include "vmm/ctl.h"

static struct ctl_route R;

static void test_route_ids(void)
{
	struct ctl_pending p;
	uint32_t a, b, c, d;

	ctl_route_init(&R);
	is_int(ctl_route_add(&R, 7, 100, PROTO_START, 0, &a), 0, "add: client 7 id 100");
	is_int(ctl_route_add(&R, 8, 100, PROTO_PS, 0, &b), 0, "add: client 8 with the same id");
	is_int(ctl_route_add(&R, CTL_OWNER_VMM, 0, PROTO_SIGNAL, 0, &c), 0, "add: the VMM's own");
	ok(a && b && c && a != b && b != c && a != c, "guest ids are distinct and non-zero");
	is_int(ctl_route_pending_of(&R, 7), 1, "client 7 has one in flight");
	is_int(ctl_route_take(&R, b, &p), 0, "take the answer to client 8's request");
	ok(p.owner == 8 && p.client_id == 100 && p.type == PROTO_PS,
	   "routed back to client 8, id 100");
	is_int(ctl_route_take(&R, b, &p), -ENOENT, "a second answer to the same id: unknown");
	is_int(ctl_route_take(&R, 0, &p), -ENOENT, "id 0 answers nothing");
	is_int(ctl_route_take(&R, 123456, &p), -ENOENT, "an id nobody used");
	is_int(ctl_route_take(&R, c, &p), 0, "the VMM's own answer");
	is_int(p.owner, CTL_OWNER_VMM, "owned by the VMM");
	is_int(ctl_route_take(&R, a, &p), 0, "client 7's answer");
	ok(p.owner == 7 && p.client_id == 100 && p.type == PROTO_START, "routed back to client 7");
	is_int(R.n_pending, 0, "nothing left in flight");

	/* Wrap-around: id 0 is skipped, and so is an id still in flight. */
	ctl_route_init(&R);
	R.next_id = 0xffffffffu;
	ctl_route_add(&R, 1, 1, PROTO_PS, 0, &a);
	ctl_route_add(&R, 1, 2, PROTO_PS, 0, &b);
	is_int(a, 0xffffffffu, "the last id before wrapping");
	is_int(b, 1, "after it 1, never 0");
	R.next_id = 1;
	ctl_route_add(&R, 1, 3, PROTO_PS, 0, &d);
	is_int(d, 2, "an id still in flight is skipped");
}

static void test_route_limits(void)
{
	uint32_t id, n = 0;
	int ret = 0;

	ctl_route_init(&R);
	while (!(ret = ctl_route_add(&R, 5, n, PROTO_PS, 0, &id)))
		n++;
	is_int(ret, -EAGAIN, "one client's requests in flight are bounded");
	is_int(n, CTL_MAX_PENDING_OWNER, "at CTL_MAX_PENDING_OWNER");
	is_int(ctl_route_add(&R, 6, 0, PROTO_PS, 0, &id), 0, "another client still gets through");
	for (uint32_t owner = 100; ret != -EAGAIN || R.n_pending < CTL_MAX_PENDING; owner++) {
		ret = ctl_route_add(&R, owner, 0, PROTO_PS, 0, &id);
		if (ret && R.n_pending < CTL_MAX_PENDING)
			break;
	}
	is_int(R.n_pending, CTL_MAX_PENDING, "filled up to CTL_MAX_PENDING");
	is_int(ctl_route_add(&R, CTL_OWNER_VMM, 0, PROTO_SIGNAL, 0, &id), -EAGAIN,
	       "when full, even the VMM waits");
}

static void test_procs(void)
{
	uint32_t owner;

	ctl_route_init(&R);
	is_int(ctl_route_proc_reserve(&R, 0, 3), -EINVAL, "proc 0 (the init) cannot be exec'd");
	is_int(ctl_route_proc_reserve(&R, CTL_EXEC_PROC_MIN - 1, 3), -EINVAL, "below the minimum");
	is_int(ctl_route_proc_reserve(&R, 4242, 3), 0, "reserve 4242 for client 3");
	is_int(ctl_route_proc_reserve(&R, 4242, 4), -EEXIST, "taken by another client: -EEXIST");
	is_int(ctl_route_proc_owner(&R, 4242, &owner), 0, "owner known");
	is_int(owner, 3, "owner is client 3");
	ok(!R.procs[0].live, "reserved, not live before the answer");
	ctl_route_proc_live(&R, 4242);
	ok(R.procs[0].live, "live after a good answer");
	is_int(ctl_route_proc_reserve(&R, 5000, 3), 0, "client 3 execs a second one");
	is_int(ctl_route_procs_of(&R, 3), 2, "client 3 owns two");
	ctl_route_proc_release(&R, 4242);
	is_int(ctl_route_proc_owner(&R, 4242, &owner), -ENOENT, "released at its exit");
	is_int(ctl_route_procs_of(&R, 3), 1, "one left");
	is_int(ctl_route_proc_reserve(&R, 4242, 4), 0, "the id can be used again");
	ctl_route_proc_release(&R, 999999); /* unknown: no effect */
	is_int(R.n_procs, 2, "releasing an unknown id changes nothing");
	ctl_route_init(&R);
	for (uint32_t i = 0; i < CTL_MAX_EXECS; i++)
		ctl_route_proc_reserve(&R, CTL_EXEC_PROC_MIN + i, 1);
	is_int(ctl_route_proc_reserve(&R, 1u << 30, 1), -EAGAIN, "tracked execs are bounded");
}

/* Encodes one message and parses it as a client request. */
static int parse(struct proto_buf *b, struct ctl_req *q, struct proto_result *err)
{
	struct proto_hdr h;
	int ret = proto_hdr_decode(b->data, b->len, &h);

	if (!ret)
		ret = ctl_req_parse(&h, b->data + PROTO_HDR_SIZE, q, err);
	proto_buf_reset(b);
	return ret;
}

static void test_requests(void)
{
	static const char *argv[] = { "sh", "-c", "true" };
	struct proto_result err;
	struct proto_buf b;
	struct ctl_req q;
	struct proto_exec e = { .proc_id = 1234 };
	struct proto_signal s = { .proc_id = 0, .signo = SIGTERM };
	struct proto_resize rz = { .proc_id = 0, .rows = 24, .cols = 80 };

	proto_buf_init(&b);
	proto_enc_empty(&b, PROTO_START, 9);
	is_int(parse(&b, &q, &err), 0, "START is a request");
	ok(q.type == PROTO_START && q.id == 9, "type and id kept");
	proto_enc_empty(&b, PROTO_START, 0);
	is_int(parse(&b, &q, &err), -EPROTO, "id 0: not a request (client dropped)");
	proto_enc_empty(&b, CTL_STATUS, 3);
	is_int(parse(&b, &q, &err), 0, "CTL_STATUS");
	proto_enc_empty(&b, CTL_PAUSE, 3);
	is_int(parse(&b, &q, &err), 0, "CTL_PAUSE");
	proto_begin(&b, CTL_RESUME, 3);
	proto_put_u32(&b, 1);
	proto_end(&b);
	is_int(parse(&b, &q, &err), -EBADMSG, "CTL_RESUME with a payload is refused");
	ok(strstr(err.msg, "no payload") != NULL, "... saying why: %s", err.msg);
	proto_enc_signal(&b, 4, &s);
	is_int(parse(&b, &q, &err), 0, "SIGNAL");
	ok(q.sig.signo == SIGTERM && q.sig.proc_id == 0, "decoded");
	s.signo = 0;
	proto_enc_signal(&b, 4, &s);
	is_int(parse(&b, &q, &err), -EINVAL, "signal 0 refused");
	s.signo = 65;
	proto_enc_signal(&b, 4, &s);
	is_int(parse(&b, &q, &err), -EINVAL, "signal 65 refused");
	s.signo = 9;
	s.flags = 0x80;
	proto_enc_signal(&b, 4, &s);
	is_int(parse(&b, &q, &err), -EINVAL, "unknown signal flags refused");
	proto_enc_resize(&b, 5, &rz);
	is_int(parse(&b, &q, &err), 0, "RESIZE");
	ok(q.rsz.rows == 24 && q.rsz.cols == 80, "decoded");
	e.process.args = (struct proto_strv){ 3, argv };
	e.process.cwd = "/";
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), 0, "EXEC");
	ok(q.exec.proc_id == 1234 && q.exec.process.args.n == 3 &&
	   !strcmp(q.exec.process.args.v[2], "true"), "decoded");
	proto_exec_free(&q.exec);
	e.process.stdio[1] = CTL_EXEC_PORT_MIN;
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), 0, "EXEC with a stdio port at CTL_EXEC_PORT_MIN");
	proto_exec_free(&q.exec);
	e.process.stdio[2] = PROTO_CONTROL_PORT;
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), -EINVAL, "EXEC naming the agent's port refused");
	e.process.stdio[2] = CTL_INIT_PORT + 1;
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), -EINVAL, "EXEC naming the init's stdout port refused");
	e.process.stdio[1] = e.process.stdio[2] = 0;
	e.process.n_extra = 2;
	e.process.extra[0] = (struct proto_extra_fd){ PROTO_EXTRA_IN, 0 };
	e.process.extra[1] = (struct proto_extra_fd){ PROTO_EXTRA_OUT, CTL_EXTRA_PORT + 1 };
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), -EINVAL, "EXEC naming a port of the init's extra fds refused");
	e.process.extra[1].port = CTL_EXEC_PORT_MIN + 7;
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), 0, "EXEC with extra fds on ports of its own (and /dev/null)");
	proto_exec_free(&q.exec);
	e.process.n_extra = 0;
	e.proc_id = 5;
	proto_enc_exec(&b, 6, &e);
	is_int(parse(&b, &q, &err), -EINVAL, "EXEC of a reserved process id refused");
	proto_begin(&b, PROTO_EXEC, 6);
	proto_put_u32(&b, 2000);
	proto_put_u32(&b, 0xffffffff); /* then garbage */
	proto_end(&b);
	ok(parse(&b, &q, &err) < 0, "a garbled EXEC is refused");
	proto_begin(&b, PROTO_SIGNAL, 6);
	proto_put_u32(&b, 0);
	proto_end(&b);
	ok(parse(&b, &q, &err) < 0, "truncated SIGNAL refused");
	{
		struct proto_kv kv[] = { { "memory.max", "67108864" }, { "pids.max", "20" } };
		struct proto_kv bad[] = { { "cgroup.procs", "1" } };
		struct proto_kv path[] = { { "../x/memory.max", "1" } };
		struct proto_update u = { .n_cgroup = 2, .cgroup = kv };

		proto_enc_update(&b, 7, &u);
		is_int(parse(&b, &q, &err), 0, "UPDATE");
		ok(q.upd.n_cgroup == 2 && !strcmp(q.upd.cgroup[1].key, "pids.max") &&
		   !strcmp(q.upd.cgroup[1].value, "20"), "decoded");
		proto_update_free(&q.upd);
		u = (struct proto_update){ .n_cgroup = 1, .cgroup = bad };
		proto_enc_update(&b, 7, &u);
		is_int(parse(&b, &q, &err), -EINVAL, "UPDATE of cgroup.procs refused");
		ok(strstr(err.msg, "cgroup.procs") != NULL, "... naming the file: %s", err.msg);
		u.cgroup = path;
		proto_enc_update(&b, 7, &u);
		is_int(parse(&b, &q, &err), -EINVAL, "UPDATE of a path refused");
		proto_begin(&b, PROTO_UPDATE, 7);
		proto_put_u32(&b, 3); /* three files, none there */
		proto_end(&b);
		is_int(parse(&b, &q, &err), -EBADMSG, "a truncated UPDATE refused");
	}
	proto_enc_empty(&b, PROTO_CREATE, 6);
	is_int(parse(&b, &q, &err), -EOPNOTSUPP, "CREATE is not for clients");
	proto_enc_empty(&b, PROTO_HELLO, 6);
	is_int(parse(&b, &q, &err), -EOPNOTSUPP, "nor HELLO");
	proto_enc_empty(&b, 999, 6);
	is_int(parse(&b, &q, &err), -EOPNOTSUPP, "unknown types refused");
	proto_buf_fini(&b);
}

static void test_exit_plan(void)
{
	struct ctr_exit_plan p;
	struct proto_exit e = { 0 };

	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 0, "exit 0 -> exit(0)");
	e.code = 3;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 3, "exit 3 -> exit(3)");
	e.code = 255;
	ctr_exit_plan(&e, &p);
	is_int(p.code, 255, "exit 255 -> exit(255)");
	e.code = 300;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 255, "a bogus code from the guest -> 255");
	e.code = -1;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 255, "a negative one too");
	e = (struct proto_exit){ .signaled = 1, .code = SIGTERM };
	ctr_exit_plan(&e, &p);
	ok(p.signo == SIGTERM && p.code == 143, "SIGTERM -> die by SIGTERM");
	e.code = SIGKILL;
	ctr_exit_plan(&e, &p);
	is_int(p.signo, SIGKILL, "SIGKILL -> die by SIGKILL");
	e.code = SIGSEGV;
	ctr_exit_plan(&e, &p);
	is_int(p.signo, SIGSEGV, "SIGSEGV -> die by SIGSEGV (no core)");
	e.code = SIGRTMIN + 3;
	ctr_exit_plan(&e, &p);
	is_int(p.signo, SIGRTMIN + 3, "a realtime signal -> die by it");
	e.code = SIGCHLD;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 128 + SIGCHLD, "SIGCHLD (default: ignore) -> exit(128+n)");
	e.code = SIGWINCH;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 128 + SIGWINCH, "SIGWINCH -> exit(128+n)");
	e.code = SIGSTOP;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 128 + SIGSTOP, "SIGSTOP -> exit(128+n)");
	e.code = 32;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 160, "glibc's signal 32 -> exit(160)");
	e.code = 0;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 255, "signal 0 (bogus) -> 255");
	e.code = 99;
	ctr_exit_plan(&e, &p);
	ok(p.signo == 0 && p.code == 227, "signal 99 (bogus) -> no raise");
}

static void test_signal_sets(void)
{
	static const int fwd[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				   SIGCONT, SIGALRM, SIGPWR, SIGTSTP, SIGABRT };
	bool all = ctr_sig_forwarded(SIGRTMAX) && ctr_sig_forwarded(SIGRTMIN + 1);

	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		all = all && ctr_sig_forwarded(fwd[i]);
	ok(all, "catchable signals are forwarded");
	ok(!ctr_sig_forwarded(SIGKILL) && !ctr_sig_forwarded(SIGSTOP), "KILL and STOP are not");
	ok(!ctr_sig_forwarded(SIGSEGV) && !ctr_sig_forwarded(SIGBUS) && !ctr_sig_forwarded(SIGPIPE),
	   "the VMM's own faults and EPIPE are not");
	ok(!ctr_sig_forwarded(SIGCHLD), "SIGCHLD (virtiofsd) is not");
	ok(!ctr_sig_forwarded(SIGRTMIN) && !ctr_sig_forwarded(32) && !ctr_sig_forwarded(33),
	   "the vCPU kick and glibc's signals are not");
	ok(!ctr_sig_forwarded(0) && !ctr_sig_forwarded(65), "out of range");
	ok(ctr_sig_kills(SIGTERM) && ctr_sig_kills(SIGQUIT) && !ctr_sig_kills(SIGWINCH) &&
	   !ctr_sig_kills(SIGTSTP) && !ctr_sig_kills(SIGCONT), "default actions");
}

/* What a shell sees of a child that carries the plan out. */
static int run_plan(const struct proto_exit *e)
{
	struct ctr_exit_plan p;
	sigset_t all;
	int st;
	pid_t pid;

	fflush(stdout); /* the child must not print our buffer again */
	pid = fork();

	if (pid == 0) {
		/* As in the VMM: everything blocked, SIGTERM's disposition changed. */
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		signal(SIGTERM, SIG_IGN);
		ctr_exit_plan(e, &p);
		ctr_exit_now(&p);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void test_exit_now(void)
{
	is_int(run_plan(&(struct proto_exit){ .code = 3 }), 3, "exits 3");
	is_int(run_plan(&(struct proto_exit){ .signaled = 1, .code = SIGTERM }), 1000 + SIGTERM,
	       "dies by SIGTERM, though blocked and ignored before");
	is_int(run_plan(&(struct proto_exit){ .signaled = 1, .code = SIGQUIT }), 1000 + SIGQUIT,
	       "dies by SIGQUIT");
	is_int(run_plan(&(struct proto_exit){ .signaled = 1, .code = SIGKILL }), 1000 + SIGKILL,
	       "dies by SIGKILL");
	is_int(run_plan(&(struct proto_exit){ .signaled = 1, .code = SIGWINCH }), 128 + SIGWINCH,
	       "SIGWINCH: exits 128+28");
}

int main(void)
{
	test_route_ids();
	test_route_limits();
	test_procs();
	test_requests();
	test_exit_plan();
	test_signal_sets();
	test_exit_now();
	return tap_done();
}
