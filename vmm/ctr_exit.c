/* How runvm-vmm --container ends and which signals it passes on: the container
 * init's exit status becomes the VMM's own (exit code, or death by the same
 * signal), as pure decisions plus the one function that carries them out. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vmm/container.h"

bool ctr_sig_kills(int signo)
{
	if (signo < 1 || signo > SIGRTMAX)
		return false;
	switch (signo) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH: /* default: ignore */
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU: /* default: stop */
		return false;
	default:
		return true;
	}
}

bool ctr_sig_forwarded(int signo)
{
	if (signo < 1 || signo > SIGRTMAX)
		return false;
	/* glibc's own (32, 33) and the vCPU kick (SIGRTMIN) are not ours to pass on. */
	if (signo >= 32 && signo <= SIGRTMIN)
		return false;
	switch (signo) {
	case SIGKILL:
	case SIGSTOP:  /* cannot be caught */
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
	case SIGSYS:   /* faults of the VMM itself */
	case SIGPIPE:  /* our own writes to a closed pipe or socket */
	case SIGCHLD:  /* virtiofsd, our child */
		return false;
	default:
		return true;
	}
}

void ctr_exit_plan(const struct proto_exit *e, struct ctr_exit_plan *p)
{
	p->signo = 0;
	if (!e->signaled) {
		p->code = e->code >= 0 && e->code <= 255 ? e->code : 255;
		return;
	}
	/* glibc keeps 32 and 33 for itself: we could not die by them cleanly. */
	if (ctr_sig_kills(e->code) && !(e->code >= 32 && e->code < SIGRTMIN))
		p->signo = e->code;
	/* The shell's view, also what a signal that does not kill turns into. */
	p->code = e->code > 0 && e->code < 128 ? 128 + e->code : 255;
}

void ctr_exit_now(const struct ctr_exit_plan *p)
{
	if (p->signo > 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		struct rlimit no_core = { 0, 0 };
		sigset_t set;

		/* The VMM's core would hold all of guest memory; the container's had
		 * none to give. */
		setrlimit(RLIMIT_CORE, &no_core);
		sigemptyset(&sa.sa_mask);
		sigaction(p->signo, &sa, NULL);
		sigemptyset(&set);
		sigaddset(&set, p->signo);
		raise(p->signo);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	exit(p->code);
}
