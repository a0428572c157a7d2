/* runvm-vmm --container: one container's life in the VMM (see container.h).
 *
 *   setup:   the spec, the console, listeners on "<vsock-uds>_<port>" for the agent
 *            and the init's stdio and extra fds, the control socket, the VM (vCPUs
 *            started last)
 *   booting: the guest agent connects and says HELLO -> CREATE
 *   created: RESULT ok -> "ok" on the ready fd; the control socket serves
 *   running: after a client's START
 *   exited:  the init's EXIT; input stops, output (stdout, stderr, extra fds)
 *            drains to EOF
 *   ending:  the agent connection is closed, the guest powers off (or is stopped
 *            after CTR_VM_END_TIMEOUT_S); then the VMM exits as the init did.
 * Everything runs on the one event loop; nothing here blocks on the guest. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "common/agent_client.h"
#include "common/log.h"
#include "common/util.h"
#include "vmm/container.h"
#include "vmm/ctl.h"
#include "vmm/relay.h"
#include "vmm/vmm.h"

#define CTR_AGENT_TX_MAX (8u << 20) /* requests queued for a guest that does not read */
#define CTR_AGENT_BATCH 64          /* guest messages per wake-up */
#define CTR_GUEST_WARN_MAX 20       /* log lines a misbehaving guest may cause */

enum ctr_state { CTR_BOOTING, CTR_CREATING, CTR_CREATED, CTR_RUNNING, CTR_EXITED, CTR_ENDING };

struct ctr {
	const struct ctr_config *cfg;
	const char *uds;           /* the vsock prefix: guest port P is "<uds>_P" */
	struct ev_loop *loop;
	struct vmm *vm;            /* NULL with --no-vm */
	enum ctr_state state;
	int sig_fd, timer_fd, ready_fd;
	int stdio[3];              /* owned until handed to a relay */
	int console;               /* the pty slave (for its size), -1 without */
	bool terminal;
	struct proto_spec spec;
	struct ctr_port agent_port, stdio_port[3];
	struct pconn agent;        /* fd -1 until the guest connects, and once closed */
	bool agent_eof;
	uint64_t start_ns;
	struct relay *in, *out[2]; /* with a terminal: in = pty->guest, out[0] = guest->pty */
	struct ctr_extras extras;  /* --preserve-fds */
	unsigned outs_open;        /* output streams not at EOF yet */
	struct ctl ctl;
	bool started, paused, vm_done, have_exit;
	struct proto_exit exit;
	int abort_signo;           /* creation given up for this signal: die by it */
	unsigned guest_warnings;
};

static void ctr_fail(struct ctr *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ends the VMM with status 1: the message goes to the log and, before the
 * container exists, to the ready fd as "error: <message>". */
static void ctr_fail(struct ctr *c, const char *fmt, ...)
{
	char msg[PROTO_MAX_TEXT + 1], line[PROTO_MAX_TEXT + 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	snprintf(line, sizeof(line), "error: %s\n", msg);
	ctr_ready_write(&c->ready_fd, line);
	if (c->loop)
		ev_stop(c->loop, 1);
}

static void ctr_guest_warn(struct ctr *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The guest controls how often these happen: the log must not grow for ever. */
static void ctr_guest_warn(struct ctr *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->guest_warnings >= CTR_GUEST_WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s%s", msg, ++c->guest_warnings == CTR_GUEST_WARN_MAX
				      ? " (further protocol warnings suppressed)" : "");
}

static unsigned ctr_ms(const struct ctr *c)
{
	return (unsigned)((util_now_ns() - c->start_ns) / 1000000);
}

static void ctr_timer(struct ctr *c, unsigned seconds)
{
	struct itimerspec it = { .it_value.tv_sec = seconds };

	timerfd_settime(c->timer_fd, 0, &it, NULL);
}

/* ---- requests of the VMM's own ------------------------------------------------------ */

static void ctr_send_signal(struct ctr *c, int signo)
{
	struct proto_signal s = { .proc_id = PROTO_INIT_PROC, .signo = (uint32_t)signo };
	uint32_t id;

	if (c->agent.fd < 0)
		return;
	if (ctl_route_add(&c->ctl.route, CTL_OWNER_VMM, 0, PROTO_SIGNAL, 0, &id)) {
		log_warn("signal %d not forwarded: the guest is not taking requests", signo);
		return;
	}
	log_debug("forwarding signal %d to the container", signo);
	if (!proto_enc_signal(&c->agent.tx, id, &s))
		pconn_flush(&c->agent);
}

static void ctr_send_resize(struct ctr *c)
{
	struct proto_resize r = { .proc_id = PROTO_INIT_PROC };
	struct winsize ws;
	uint32_t id;

	if (c->console < 0 || ioctl(c->console, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
		return;
	if (c->agent.fd < 0 || ctl_route_add(&c->ctl.route, CTL_OWNER_VMM, 0, PROTO_RESIZE, 0, &id))
		return;
	r.rows = ws.ws_row;
	r.cols = ws.ws_col;
	if (!proto_enc_resize(&c->agent.tx, id, &r))
		pconn_flush(&c->agent);
}

/* ---- the end ------------------------------------------------------------------------- */

/* Once the init has exited and its output is all out: let the guest power off. */
static void ctr_progress(struct ctr *c)
{
	if (!c->have_exit || c->outs_open)
		return;
	if (c->state == CTR_EXITED) {
		c->state = CTR_ENDING;
		pconn_fini(&c->agent);
		if (c->vm && !c->vm_done)
			ctr_timer(c, CTR_VM_END_TIMEOUT_S);
	}
	if (!c->vm || c->vm_done)
		ev_stop(c->loop, 0);
}

static void ctr_out_done(void *arg, struct relay *r)
{
	struct ctr *c = arg;

	if (r->err)
		log_warn("%s: %s", r->name, strerror(-r->err));
	c->outs_open--;
	ctr_progress(c);
}

static void ctr_init_exited(struct ctr *c, const struct proto_exit *e)
{
	if (c->have_exit)
		return;
	if (c->state < CTR_CREATED)
		return ctr_fail(c, "the container exited while it was being created");
	c->have_exit = true;
	c->exit = *e;
	c->state = CTR_EXITED;
	log_info("container exited: %s %d after %u ms", e->signaled ? "signal" : "code", e->code,
		 ctr_ms(c));
	/* Nothing more goes in; what comes out is drained to EOF. */
	relay_destroy(c->in);
	c->in = NULL;
	ctr_extras_stop_input(&c->extras);
	ctr_progress(c);
}

/* ---- the guest agent --------------------------------------------------------------- */

static void ctr_on_agent(struct ev_loop *loop, int fd, uint32_t events, void *arg);

static void ctr_on_agent_accept(struct ev_loop *loop, int lfd, uint32_t events, void *arg)
{
	struct ctr *c = arg;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	/* One control connection per boot: nobody else may take its place. */
	ctr_port_close(&c->agent_port, loop);
	int ret = pconn_init(&c->agent, loop, fd, CTR_AGENT_TX_MAX, ctr_on_agent, c);

	if (ret) {
		close(fd);
		return ctr_fail(c, "guest agent connection: %s", strerror(-ret));
	}
	log_debug("guest agent connected after %u ms", ctr_ms(c));
}

static void ctr_hello(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	struct proto_hello hello;
	uint32_t id;
	int ret;

	if (c->state != CTR_BOOTING)
		return;
	ret = proto_dec_hello(p, h->len, &hello);
	if (ret)
		return ctr_fail(c, "malformed HELLO from the guest agent");
	log_info("guest agent %s up after %u ms", hello.version, ctr_ms(c));
	ret = ctl_route_add(&c->ctl.route, CTL_OWNER_VMM, 0, PROTO_CREATE, 0, &id);
	if (!ret)
		ret = proto_enc_spec(&c->agent.tx, id, &c->spec);
	if (ret)
		return ctr_fail(c, "container spec: %s", strerror(-ret));
	proto_spec_free(&c->spec);
	c->state = CTR_CREATING;
	pconn_flush(&c->agent);
}

static void ctr_created(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	struct proto_result r;

	if (h->type != PROTO_RESULT || proto_dec_result(p, h->len, &r))
		return ctr_fail(c, "malformed answer to CREATE from the guest agent");
	if (r.err)
		return ctr_fail(c, "%s", r.msg[0] ? r.msg : strerror(-r.err));
	c->state = CTR_CREATED;
	ctr_timer(c, 0);
	ctr_ready_write(&c->ready_fd, "ok\n");
	log_info("container created (guest pid %u) after %u ms", r.pid, ctr_ms(c));
	if (ctl_serve(&c->ctl))
		ctr_fail(c, "control socket: %s", strerror(errno));
}

static void ctr_answer(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	struct ctl_pending req;
	struct proto_result r;
	int ret = ctl_guest_answer(&c->ctl, h, p, &req);

	if (ret == -ENOENT) {
		ctr_guest_warn(c, "guest agent answered request %u, which nobody made", h->id);
		return;
	}
	if (ret != 1)
		return;
	if (req.type == PROTO_CREATE)
		return ctr_created(c, h, p);
	if (h->type == PROTO_RESULT && !proto_dec_result(p, h->len, &r) && r.err)
		log_debug("request %u of the VMM: %s", req.type, r.msg);
}

static void ctr_agent_msg(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	struct proto_result fatal;
	struct agent_event ev;

	switch (h->type) {
	case PROTO_HELLO:
		return ctr_hello(c, h, p);
	case PROTO_FATAL:
		if (proto_dec_result(p, h->len, &fatal))
			return ctr_fail(c, "the guest failed (malformed FATAL)");
		return ctr_fail(c, "%s", fatal.msg[0] ? fatal.msg : strerror(-fatal.err));
	case PROTO_RESULT:
	case PROTO_PS_RESULT:
		return ctr_answer(c, h, p);
	case PROTO_EXIT:
	case PROTO_OOM:
		if (agent_decode_event(h->type, p, h->len, &ev)) {
			ctr_guest_warn(c, "malformed event %u from the guest agent", h->type);
		} else if (h->type == PROTO_OOM) {
			log_info("OOM kill in the container (%llu so far)",
				 (unsigned long long)ev.oom.count);
		} else if (ev.exit.proc_id == PROTO_INIT_PROC) {
			ctr_init_exited(c, &ev.exit);
		} else {
			ctl_guest_exit(&c->ctl, &ev.exit);
		}
		return;
	default:
		ctr_guest_warn(c, "unknown message type %u from the guest agent", h->type);
	}
}

static void ctr_agent_lost(struct ctr *c, int err)
{
	if (c->have_exit) {
		/* The guest shuts its side down after the init's EXIT. Keep ours open:
		 * closing it is what lets the guest power off, and that waits for the
		 * output streams. */
		ev_del(c->loop, c->agent.fd);
		c->agent_eof = true;
		return;
	}
	ctr_fail(c, "the guest agent %s before the container exited",
		 err == -ESHUTDOWN ? "closed the connection"
				   : err == -EPROTO || err == -EMSGSIZE ? "broke the protocol"
									 : "connection failed");
}

static void ctr_on_agent(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctr *c = arg;
	struct proto_hdr h;
	const uint8_t *p;
	int ret;

	if (pconn_on_out(&c->agent, events) && (ret = pconn_flush(&c->agent)) < 0)
		return ctr_agent_lost(c, ret);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int i = 0; i < CTR_AGENT_BATCH && !ev_stopped(loop) && !c->agent_eof; i++) {
		ret = pconn_next(&c->agent, &h, &p);
		if (ret == 0)
			return;
		if (ret < 0)
			return ctr_agent_lost(c, ret);
		ctr_agent_msg(c, &h, p);
		if (c->agent.fd < 0)
			return;
	}
}

/* ---- the init's stdio streams -------------------------------------------------------- */

static void ctr_stdio_relays(struct ctr *c, int i, int sock)
{
	int ret;

	if (c->terminal) {
		int sock2 = fcntl(sock, F_DUPFD_CLOEXEC, 3);
		int tty_in = fcntl(c->console, F_DUPFD_CLOEXEC, 3);
		int tty_out = fcntl(c->console, F_DUPFD_CLOEXEC, 3);

		if (sock2 < 0 || tty_in < 0 || tty_out < 0) {
			ret = -errno;
			close(sock);
			if (sock2 >= 0)
				close(sock2);
			if (tty_in >= 0)
				close(tty_in);
			if (tty_out >= 0)
				close(tty_out);
			return ctr_fail(c, "console: %s", strerror(-ret));
		}
		ret = relay_create(&c->out[0], c->loop, sock2, tty_out, 0, "console output",
				   ctr_out_done, c);
		if (ret)
			return ctr_fail(c, "console: %s", strerror(-ret));
		if (c->have_exit) {
			close(tty_in);
			close(sock);
			return;
		}
		ret = relay_create(&c->in, c->loop, tty_in, sock, RELAY_SHUT_DST | RELAY_TTY_SRC,
				   "console input", NULL, NULL);
	} else if (i == 0) {
		if (c->have_exit) {
			close(sock);
			return;
		}
		ret = relay_create(&c->in, c->loop, c->stdio[0], sock, RELAY_SHUT_DST, "stdin",
				   NULL, NULL);
		c->stdio[0] = -1;
	} else {
		ret = relay_create(&c->out[i - 1], c->loop, sock, c->stdio[i], 0,
				   i == 1 ? "stdout" : "stderr", ctr_out_done, c);
		c->stdio[i] = -1;
	}
	if (ret)
		ctr_fail(c, "stdio: %s", strerror(-ret));
}

static void ctr_on_stdio_accept(struct ev_loop *loop, int lfd, uint32_t events, void *arg)
{
	struct ctr *c = arg;
	int i, fd;

	for (i = 0; i < 3 && c->stdio_port[i].lfd != lfd; i++)
		;
	if (i == 3)
		return;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	ctr_port_close(&c->stdio_port[i], loop);
	ctr_stdio_relays(c, i, fd);
}

static void ctr_on_extra_accept(struct ev_loop *loop, int lfd, uint32_t events, void *arg)
{
	struct ctr *c = arg;
	int ret = ctr_extras_accept(&c->extras, loop, lfd, c->have_exit, ctr_out_done, c);

	if (ret && ret != -ENOENT)
		ctr_fail(c, "--preserve-fds: %s", strerror(-ret));
}

/* ---- signals --------------------------------------------------------------------------- */

static void ctr_signal(struct ctr *c, int signo)
{
	switch (c->state) {
	case CTR_BOOTING:
	case CTR_CREATING:
		/* No container to pass it to yet: a signal that would end us ends the
		 * creation, and we die by it once everything is torn down. */
		if (!ctr_sig_kills(signo))
			return;
		c->abort_signo = signo;
		return ctr_fail(c, "interrupted by signal %d (%s) while creating the container",
				signo, strsignal(signo));
	case CTR_CREATED:
	case CTR_RUNNING:
		if (signo == SIGWINCH && c->terminal)
			return ctr_send_resize(c);
		return ctr_send_signal(c, signo);
	default:
		return; /* the container is gone; its status decides how we end */
	}
}

static void ctr_on_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	while (!ev_stopped(loop) && read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		ctr_signal(arg, (int)si.ssi_signo);
}

/* Every signal we forward is read from a signalfd; the vCPU threads inherit the
 * mask (they unblock only their kick). */
static int ctr_signals(struct ctr *c)
{
	sigset_t set;

	sigemptyset(&set);
	for (int s = 1; s <= SIGRTMAX; s++)
		if (ctr_sig_forwarded(s))
			sigaddset(&set, s);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	vcpu_signal_setup();
	c->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return c->sig_fd < 0 ? -errno : ev_add(c->loop, c->sig_fd, EPOLLIN, ctr_on_signal, c);
}

/* ---- timers and the VM's end ------------------------------------------------------------ */

/* A guest that died on its own: its console errors go to the log, and the last
 * line of them into `last` (empty when it printed nothing). */
static void ctr_console_postmortem(struct ctr *c, char *last, size_t size)
{
	char tail[SERIAL_TAIL + 1], *line, *save = NULL;

	last[0] = '\0';
	if (!c->vm || !vmm_console_tail(c->vm, tail, sizeof(tail)))
		return;
	for (line = strtok_r(tail, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		for (char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				*p = '?'; /* the guest wrote it: no escapes into the log */
		log_info("guest console: %s", line);
		snprintf(last, size, "%s", line);
	}
}

static void ctr_on_timer(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctr *c = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	if (c->state < CTR_CREATED) {
		char last[160];

		ctr_console_postmortem(c, last, sizeof(last));
		return ctr_fail(c, "timed out after %u s waiting for the guest to create the "
			        "container%s%s", c->cfg->create_timeout,
				last[0] ? "; the guest console ended with: " : "", last);
	}
	if (c->state == CTR_ENDING) {
		log_warn("the guest did not power off within %d s: stopping it",
			 CTR_VM_END_TIMEOUT_S);
		ev_stop(loop, 0);
	} else if (c->state == CTR_EXITED && c->vm_done) {
		log_warn("the container's output did not end within %d s of the VM: the rest "
			 "is lost", CTR_VM_END_TIMEOUT_S);
		ev_stop(loop, 0);
	}
}

static void ctr_on_vm_done(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctr *c = arg;
	char last[160], why[sizeof(c->vm->end_why)];
	uint64_t n;
	int code;

	(void)!read(fd, &n, sizeof(n));
	ev_del(loop, fd);
	c->vm_done = true;
	code = vmm_end_reason(c->vm, why, sizeof(why));
	/* The init's EXIT may still sit unread in the agent's socket. */
	if (!c->have_exit && c->agent.fd >= 0 && !c->agent_eof)
		ctr_on_agent(loop, c->agent.fd, EPOLLIN, c);
	if (ev_stopped(loop))
		return;
	if (!c->have_exit) {
		ctr_console_postmortem(c, last, sizeof(last));
		return ctr_fail(c, "the VM ended before the container %s (%s)%s%s",
				c->state < CTR_CREATED ? "was created" : "exited",
				why[0] ? why
				: code ? "VMM error: see the log"
				       : "guest reset, crash or power-off",
				last[0] ? "; the guest console ended with: " : "", last);
	}
	log_debug("VM ended after %u ms", ctr_ms(c));
	/* What is left of the output is on our side now; a guest that never shut
	 * its streams down is not waited for beyond this. */
	if (c->outs_open)
		ctr_timer(c, CTR_VM_END_TIMEOUT_S);
	ctr_progress(c);
}

/* ---- the control socket's view of us ----------------------------------------------------- */

static struct pconn *ctr_ops_agent(void *arg)
{
	struct ctr *c = arg;

	if (c->agent.fd < 0 || c->agent_eof || c->state < CTR_CREATED || c->have_exit)
		return NULL;
	return &c->agent;
}

static int ctr_ops_start(void *arg, struct proto_result *err)
{
	struct ctr *c = arg;

	if (c->started) {
		err->err = -EBUSY;
		snprintf(err->msg, sizeof(err->msg), "cannot start an already running container");
		return err->err;
	}
	c->started = true;
	c->state = CTR_RUNNING;
	return 0;
}

static int ctr_ops_pause(void *arg, bool pause, struct proto_result *err)
{
	struct ctr *c = arg;
	int ret = 0;

	if (!c->vm) {
		err->err = -EOPNOTSUPP;
		snprintf(err->msg, sizeof(err->msg), "pause: there is no VM (--no-vm)");
		return err->err;
	}
	if (pause && !c->paused)
		ret = vcpu_pause_all(c->vm);
	else if (!pause && c->paused)
		vcpu_resume_all(c->vm);
	if (ret) {
		err->err = ret;
		snprintf(err->msg, sizeof(err->msg), "pause: %s", strerror(-ret));
		return ret;
	}
	c->paused = pause;
	log_info("container %s", pause ? "paused" : "resumed");
	return 0;
}

static const char *ctr_ops_status(void *arg)
{
	struct ctr *c = arg;

	return c->paused ? "paused" : c->started ? "running" : "created";
}

static const struct ctl_ops ctr_ctl_ops = {
	.agent = ctr_ops_agent,
	.start = ctr_ops_start,
	.pause = ctr_ops_pause,
	.status = ctr_ops_status,
};

/* ---- setup ---------------------------------------------------------------------------- */

static int ctr_read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		ret = -errno;
	else if (st.st_size < PROTO_HDR_SIZE || st.st_size > PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD)
		ret = -EMSGSIZE;
	else if (!(*buf = malloc((size_t)st.st_size)))
		ret = -ENOMEM;
	else if ((n = util_read_full(fd, *buf, (size_t)st.st_size)) < 0)
		ret = (int)n;
	else
		*len = (size_t)n;
	if (fd >= 0)
		close(fd);
	return ret;
}

static int ctr_load_spec(struct ctr *c)
{
	const char *path = c->cfg->spec;
	struct proto_hdr h;
	uint8_t *buf = NULL;
	size_t n = 0;
	int ret = ctr_read_file(path, &buf, &n);

	if (ret) {
		log_error("spec %s: %s", path, ret == -EMSGSIZE ? "too small or too large"
							: strerror(-ret));
		free(buf);
		return ret;
	}
	ret = proto_hdr_decode(buf, n, &h);
	if (!ret && (h.type != PROTO_CREATE || PROTO_HDR_SIZE + (size_t)h.len != n))
		ret = -EBADMSG;
	if (!ret)
		ret = proto_dec_spec(buf + PROTO_HDR_SIZE, h.len, &c->spec);
	if (ret)
		log_error("spec %s: not one well-formed CREATE message (%s)", path, strerror(-ret));
	free(buf);
	return ret;
}

/* The spec's stdio: ports of ours for the streams we relay; the terminal's size. */
static int ctr_stdio_setup(struct ctr *c)
{
	struct proto_process *pr = &c->spec.process;
	int ret = 0;

	c->terminal = pr->flags & PROTO_PROC_TERMINAL;
	if (c->terminal != (c->cfg->console_fd >= 0)) {
		log_error(c->terminal ? "the spec asks for a terminal: give --console-fd"
				      : "--console-fd given, but the spec has no terminal");
		return -EINVAL;
	}
	for (int i = 0; i < 3; i++)
		pr->stdio[i] = 0;
	if (c->terminal) {
		/* The container's stdio is the pty: 0/1/2 as given (often the runtime's
		 * own) must not be held open by us. */
		for (int i = 0; i < 3; i++) {
			if (c->stdio[i] >= 0)
				close(c->stdio[i]);
			c->stdio[i] = -1;
		}
		c->console = c->cfg->console_fd;
		ret = ctr_console_setup(c->console, &pr->rows, &pr->cols);
		if (ret)
			return ret;
		fcntl(c->console, F_SETFD, FD_CLOEXEC);
		pr->stdio[0] = CTL_INIT_PORT;
		c->outs_open = 1;
	} else {
		for (int i = 0; i < 3; i++) {
			/* Closed or /dev/null: the guest gives the process /dev/null, which
			 * behaves the same and costs no stream. */
			if (ctr_is_devnull(c->stdio[i])) {
				if (c->stdio[i] >= 0)
					close(c->stdio[i]);
				c->stdio[i] = -1;
				continue;
			}
			c->stdio[i] = ctr_own_fd(c->stdio[i], i ? O_WRONLY : O_RDONLY);
			pr->stdio[i] = CTL_INIT_PORT + (uint32_t)i;
			c->outs_open += i > 0;
		}
	}
	for (int i = 0; i < 3 && !ret; i++)
		if (pr->stdio[i])
			ret = ctr_port_listen(&c->stdio_port[i], c->loop, c->uds, pr->stdio[i],
					      ctr_on_stdio_accept, c);
	if (!ret)
		ret = ctr_extras_setup(&c->extras, pr, c->loop, c->uds, ctr_on_extra_accept, c,
				       &c->outs_open);
	return ret;
}

static int ctr_setup(struct ctr *c, struct vmm_config *vcfg)
{
	const struct ctr_config *cfg = c->cfg;
	int ret;

	if (cfg->log_err)
		log_error("log %s: %s", cfg->log, strerror(-cfg->log_err));
	if (cfg->log_err)
		return cfg->log_err;
	if (!cfg->spec || !vcfg->vsock_uds) {
		log_error("--container needs --spec FILE and --vsock-uds PATH");
		return -EINVAL;
	}
	c->loop = ev_create();
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!c->loop || c->timer_fd < 0) {
		log_error("event loop: %s", strerror(errno));
		return -errno;
	}
	ret = ctr_signals(c);
	if (!ret)
		ret = ev_add(c->loop, c->timer_fd, EPOLLIN, ctr_on_timer, c);
	if (ret) {
		log_error("signals: %s", strerror(-ret));
		return ret;
	}
	ret = ctr_load_spec(c);
	if (!ret)
		ret = ctr_port_listen(&c->agent_port, c->loop, c->uds, PROTO_CONTROL_PORT,
				      ctr_on_agent_accept, c);
	if (!ret)
		ret = ctr_stdio_setup(c);
	if (ret)
		return ret;
	ret = ctl_listen(&c->ctl, c->loop, cfg->ctl, &ctr_ctl_ops, c);
	if (ret) {
		log_error("control socket %s: %s", cfg->ctl,
			  ret == -EEXIST ? "a file that is not a socket is in the way"
					 : strerror(-ret));
		return ret;
	}
	ctr_timer(c, cfg->create_timeout);
	if (cfg->no_vm)
		return 0;
	/* The guest's console costs a VM exit per byte and nobody reads it; only
	 * its errors are kept, for the post-mortem of a guest that dies early. */
	if (!vcfg->serial) {
		vcfg->serial = "none";
		vcfg->console_errors = true;
	}
	ret = vmm_create(&c->vm, vcfg, c->loop);
	if (!ret)
		ret = ev_add(c->loop, c->vm->done_fd, EPOLLIN, ctr_on_vm_done, c);
	if (!ret)
		ret = vmm_start(c->vm);
	return ret;
}

static void ctr_teardown(struct ctr *c)
{
	ctl_fini(&c->ctl);
	relay_destroy(c->in);
	for (int i = 0; i < 2; i++)
		relay_destroy(c->out[i]);
	ctr_extras_fini(&c->extras, c->loop);
	pconn_fini(&c->agent);
	ctr_port_close(&c->agent_port, c->loop);
	for (int i = 0; i < 3; i++)
		ctr_port_close(&c->stdio_port[i], c->loop);
	if (c->vm) {
		if (!c->vm_done)
			ev_del(c->loop, c->vm->done_fd);
		vmm_destroy(c->vm);
	}
	for (int i = 0; i < 3; i++)
		if (c->stdio[i] >= 0)
			close(c->stdio[i]);
	if (c->console >= 0)
		close(c->console);
	if (c->sig_fd >= 0)
		close(c->sig_fd);
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	ev_destroy(c->loop);
	proto_spec_free(&c->spec);
}

int ctr_main(struct vmm_config *vcfg, const struct ctr_config *cfg)
{
	struct ctr *c = calloc(1, sizeof(*c));
	struct ctr_exit_plan plan = { .code = 1 };
	int ret;

	if (!c) {
		log_error("out of memory");
		return ctr_early_exit(cfg, 1);
	}
	ctr_log_name();
	c->cfg = cfg;
	c->uds = vcfg->vsock_uds;
	c->ready_fd = cfg->ready_fd;
	c->sig_fd = c->timer_fd = c->console = -1;
	c->start_ns = util_now_ns();
	c->agent.fd = -1;
	c->agent_port.lfd = -1;
	for (int i = 0; i < 3; i++)
		c->stdio[i] = cfg->stdio[i]; /* ours from here on */
	for (int i = 0; i < 3; i++)
		c->stdio_port[i].lfd = -1;
	ctr_extras_init(&c->extras, cfg); /* the extra fds are ours from here on */
	c->ctl.lfd = -1;
	ret = ctr_setup(c, vcfg);
	if (ret) {
		char line[PROTO_MAX_TEXT + 16];

		/* Already logged where it happened. */
		snprintf(line, sizeof(line), "error: %s\n",
			 log_last_error()[0] ? log_last_error() : strerror(-ret));
		ctr_ready_write(&c->ready_fd, line);
	} else {
		ev_run(c->loop);
	}
	if (c->ready_fd >= 0)
		ctr_fail(c, "%s", "the VMM stopped before the container was created");
	if (c->have_exit)
		ctr_exit_plan(&c->exit, &plan);
	else if (c->abort_signo)
		plan.signo = c->abort_signo;
	ctr_teardown(c);
	free(c);
	ctr_exit_now(&plan);
}
