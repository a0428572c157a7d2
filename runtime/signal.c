/* Signal parsing for kill. */
#include "runtime/signal.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },	  { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	 { "TRAP", SIGTRAP },	  { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },	 { "BUS", SIGBUS },	  { "FPE", SIGFPE },
	{ "KILL", SIGKILL },	 { "USR1", SIGUSR1 },	  { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE },	  { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	 { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },	 { "CONT", SIGCONT },	  { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	 { "TTIN", SIGTTIN },	  { "TTOU", SIGTTOU },
	{ "URG", SIGURG },	 { "XCPU", SIGXCPU },	  { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },	  { "WINCH", SIGWINCH },
	{ "IO", SIGIO },	 { "POLL", SIGPOLL },	  { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

static int sig_number(const char *s, long min, long max, long *out)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *end || *out < min || *out > max ? -EINVAL : 0;
}

static int sig_realtime(const char *name, int *sig)
{
	int span = SIGRTMAX - SIGRTMIN;
	long n = 0;

	if (!strncasecmp(name, "RTMIN", 5)) {
		if (name[5] && (name[5] != '+' || sig_number(name + 6, 1, span, &n) < 0))
			return -EINVAL;
		*sig = SIGRTMIN + (int)n;
		return 0;
	}
	if (!strncasecmp(name, "RTMAX", 5)) {
		if (name[5] && (name[5] != '-' || sig_number(name + 6, 1, span, &n) < 0))
			return -EINVAL;
		*sig = SIGRTMAX - (int)n;
		return 0;
	}
	return -EINVAL;
}

int rt_signal_parse(const char *s, int *sig, struct rt_err *err)
{
	const char *name = s;
	long n;

	if (sig_number(s, 1, SIGRTMAX, &n) == 0) {
		*sig = (int)n;
		return 0;
	}
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++) {
		if (!strcasecmp(name, signal_names[i].name)) {
			*sig = signal_names[i].sig;
			return 0;
		}
	}
	if (sig_realtime(name, sig) == 0)
		return 0;
	return rt_err_set(err, EINVAL, "unknown signal \"%s\"", s);
}
