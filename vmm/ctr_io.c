/* runvm-vmm --container's host side of stdio: taking fds 0/1/2 over before any
 * message can reach them, preparing the container's stdio fds for the relays,
 * the terminal (a host pty slave), the ready fd, and the listeners the guest's
 * streams connect to. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/agent_client.h"
#include "common/log.h"
#include "common/util.h"
#include "vmm/container.h"
#include "vmm/relay.h"

void ctr_config_init(struct ctr_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ready_fd = c->console_fd = c->extra_closed = -1;
	c->create_timeout = CTR_CREATE_TIMEOUT_S;
	for (int i = 0; i < 3; i++)
		c->stdio[i] = -1;
}

/* Options of runvm-vmm that take no value (all others take one). */
static bool ctr_flag_option(const char *name)
{
	static const char *const flags[] = { "container", "no-vm", "boot-time", "debug",
					     "probe", "version", "help" };

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (!strcmp(name, flags[i]))
			return true;
	return false;
}

static int ctr_fd_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || !*s || *end || v < 3 || v > INT_MAX ? -1 : (int)v;
}

/* fds 0/1/2 are the container's: keep them elsewhere, and give the VMM's own
 * 0/1/2 /dev/null and the log, so that nothing we (or a child) print lands there. */
static void ctr_take_stdio(struct ctr_config *c)
{
	int null, log = -1;

	for (int i = 0; i < 3; i++)
		c->stdio[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (c->log) {
		log = open(c->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (log < 0)
			c->log_err = -errno;
	}
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	if (log >= 0 || null >= 0) {
		dup2(log >= 0 ? log : null, STDOUT_FILENO);
		dup2(log >= 0 ? log : null, STDERR_FILENO);
	} else {
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
	}
	if (null > STDERR_FILENO)
		close(null);
	if (log > STDERR_FILENO)
		close(log);
}

/* --extra-fds F:N, F 3 or more, N at most PROTO_MAX_EXTRA_FDS. Says nothing. */
static bool ctr_extra_arg(const char *v, unsigned *first, unsigned *n)
{
	int end = 0;

	return v && sscanf(v, "%u:%u%n", first, n, &end) == 2 && !v[end] && *first >= 3 &&
	       *first <= INT_MAX - PROTO_MAX_EXTRA_FDS && *n <= PROTO_MAX_EXTRA_FDS;
}

/* The extra fds must be checked before fds 0/1/2 are moved: a closed one would
 * take the place of a moved one and pass for open. Nothing may be logged yet. */
static void ctr_prescan_extra(struct ctr_config *c, const char *v)
{
	unsigned first, n;

	if (!ctr_extra_arg(v, &first, &n))
		return; /* ctr_parse_option says what is wrong */
	for (unsigned i = 0; i < n && c->extra_closed < 0; i++)
		if (fcntl((int)(first + i), F_SETFD, FD_CLOEXEC) < 0)
			c->extra_closed = (int)(first + i);
}

bool ctr_prescan(int argc, char **argv, struct ctr_config *c)
{
	const char *log = NULL, *ready = NULL, *extra = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;

		if (!strcmp(a, "--"))
			break;
		if (strncmp(a, "--", 2))
			continue;
		name = a + 2;
		eq = strchr(name, '=');
		if (eq)
			val = eq + 1;
		else if (!ctr_flag_option(name) && i + 1 < argc)
			val = argv[++i];
		if (!strcmp(name, "container"))
			c->container = true;
		else if (!strncmp(name, "log", 3) && (name[3] == '=' || !name[3]))
			log = val;
		else if (!strncmp(name, "ready-fd", 8) && (name[8] == '=' || !name[8]))
			ready = val;
		else if (!strncmp(name, "extra-fds", 9) && (name[9] == '=' || !name[9]))
			extra = val;
	}
	if (!c->container)
		return false;
	c->log = log;
	c->ready_fd = ready ? ctr_fd_arg(ready) : -1;
	if (c->ready_fd >= 0 && fcntl(c->ready_fd, F_SETFD, FD_CLOEXEC) < 0)
		c->ready_fd = -1;
	ctr_prescan_extra(c, extra);
	ctr_take_stdio(c);
	ctr_log_name();
	return true;
}

void ctr_log_name(void)
{
	static char prog[32];

	snprintf(prog, sizeof(prog), "runvm-vmm[%d]", (int)getpid());
	log_init(prog, log_debug_enabled());
}

void ctr_ready_write(int *fd, const char *line)
{
	if (*fd < 0)
		return;
	if (util_write_full(*fd, line, strlen(line)) < 0)
		log_warn("ready fd: %s", strerror(errno));
	close(*fd);
	*fd = -1;
}

int ctr_early_exit(const struct ctr_config *c, int status)
{
	char line[PROTO_MAX_TEXT + 16];
	int fd = c->ready_fd;
	const char *msg = log_last_error();

	snprintf(line, sizeof(line), "error: %s\n", *msg ? msg : "runvm-vmm: usage error");
	ctr_ready_write(&fd, line);
	return status;
}

int ctr_own_fd(int fd, int mode)
{
	char path[64];
	struct stat st;
	int nfd;

	if (fd < 0 || fstat(fd, &st) < 0)
		return fd;
	if (!S_ISFIFO(st.st_mode) && !(S_ISCHR(st.st_mode) && relay_pollable(fd)))
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* A pipe's write side with no reader left cannot be reopened (ENXIO): then
	 * the relay sets O_NONBLOCK on the shared description itself. */
	nfd = open(path, mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}

int ctr_console_setup(int fd, uint16_t *rows, uint16_t *cols)
{
	struct termios t;
	struct winsize ws;

	if (!isatty(fd)) {
		log_error("--console-fd %d is not a terminal", fd);
		return -ENOTTY;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	/* The runtime starts us as a session leader; when run by hand we try. */
	setsid();
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		log_warn("console: not our controlling terminal (%s): window size changes "
			 "will not reach the container", strerror(errno));
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
	return 0;
}

/* --extra-fds F:N: fds F .. F+N-1 were open (ctr_prescan_extra made them ours
 * alone, CLOEXEC). */
static int ctr_parse_extra_fds(struct ctr_config *c, const char *arg)
{
	unsigned first, n;

	if (!ctr_extra_arg(arg, &first, &n)) {
		log_error("--extra-fds %s: expected FIRST:COUNT, FIRST 3 or more, COUNT at most %d",
			  arg, PROTO_MAX_EXTRA_FDS);
		return -EINVAL;
	}
	if (c->extra_closed >= (int)first && c->extra_closed < (int)(first + n)) {
		log_error("--extra-fds %s: fd %d is not open", arg, c->extra_closed);
		return -EBADF;
	}
	c->extra_first = (int)first;
	c->n_extra = n;
	return 0;
}

int ctr_parse_option(struct ctr_config *c, const char *name, const char *arg)
{
	char *end;
	long v = 0;

	if (arg) {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || !*arg || *end)
			v = -1;
	}
	if (!strcmp(name, "container"))
		c->container = true;
	else if (!strcmp(name, "no-vm"))
		c->no_vm = true;
	else if (!strcmp(name, "spec"))
		c->spec = arg;
	else if (!strcmp(name, "ctl"))
		c->ctl = arg;
	else if (!strcmp(name, "log"))
		c->log = arg;
	else if (!strcmp(name, "create-timeout") && v >= 1 && v <= 86400)
		c->create_timeout = (unsigned)v;
	else if (!strcmp(name, "ready-fd") && v >= 3 && v <= INT_MAX)
		c->ready_fd = (int)v;
	else if (!strcmp(name, "console-fd") && v >= 3 && v <= INT_MAX)
		c->console_fd = (int)v;
	else if (!strcmp(name, "extra-fds"))
		return ctr_parse_extra_fds(c, arg);
	else {
		log_error("--%s %s: %s", name, arg ? arg : "",
			  strcmp(name, "create-timeout") ? "expected an open fd number, 3 or more"
							 : "expected seconds, 1 to 86400");
		return -EINVAL;
	}
	if (!strcmp(name, "console-fd") && fcntl(c->console_fd, F_GETFD) < 0) {
		log_error("--console-fd %d: %s", c->console_fd, strerror(errno));
		return -EBADF;
	}
	return 0;
}

bool ctr_is_devnull(int fd)
{
	struct stat st;

	return fd < 0 || (fstat(fd, &st) == 0 && util_is_devnull(&st));
}

int ctr_port_listen(struct ctr_port *p, struct ev_loop *loop, const char *uds, uint32_t port,
		    ev_cb cb, void *arg)
{
	int ret;

	p->port = port;
	ret = proto_port_path(p->path, sizeof(p->path), uds, port);
	if (!ret)
		ret = agent_listen(uds, port, &p->lfd);
	if (!ret) {
		fcntl(p->lfd, F_SETFL, O_NONBLOCK);
		ret = ev_add(loop, p->lfd, EPOLLIN, cb, arg);
	}
	if (ret)
		log_error("listening on %s: %s", p->path,
			  ret == -EEXIST ? "a file that is not a socket is in the way"
					 : strerror(-ret));
	return ret;
}

void ctr_port_close(struct ctr_port *p, struct ev_loop *loop)
{
	if (p->lfd < 0)
		return;
	ev_del(loop, p->lfd);
	close(p->lfd);
	unlink(p->path);
	p->lfd = -1;
}
