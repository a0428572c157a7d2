/* runvm-vmm --container's host side of stdio: taking fds 0/1/2 over before any
 * message can reach them, preparing the container's stdio fds for the relays,
 * the terminal (a host pty slave), and the ready fd. */
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

#include "common/log.h"
#include "common/util.h"
#include "vmm/container.h"
#include "vmm/relay.h"

void ctr_config_init(struct ctr_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ready_fd = c->console_fd = -1;
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

bool ctr_prescan(int argc, char **argv, struct ctr_config *c)
{
	const char *log = NULL, *ready = NULL;

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
	}
	if (!c->container)
		return false;
	c->log = log;
	c->ready_fd = ready ? ctr_fd_arg(ready) : -1;
	if (c->ready_fd >= 0 && fcntl(c->ready_fd, F_SETFD, FD_CLOEXEC) < 0)
		c->ready_fd = -1;
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
