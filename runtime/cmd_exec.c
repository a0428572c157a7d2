/* runvm exec [--process F] [--detach] [--pid-file P] [--console-socket S] [-t]
 *            [--cwd D] [-e K=V]... [-u UID[:GID]] [--cap CAP]... ID [CMD ARGS...] */
#include <errno.h>
#include <string.h>

#include "runtime/cmds.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

enum {
	E_PROCESS = 1,
	E_DETACH,
	E_PID_FILE,
	E_CONSOLE,
	E_TTY,
	E_CWD,
	E_ENV,
	E_USER,
	E_CAP,
	E_NNP,
	E_PRESERVE,
	E_LABEL,
	E_APPARMOR,
	E_CGROUP,
	E_IGNORE_PAUSED,
	E_GIDS
};

static const struct rt_opt exec_opts[] = {
	{ "process", 'p', RT_OPT_VALUE, E_PROCESS },
	{ "detach", 'd', RT_OPT_FLAG, E_DETACH },
	{ "pid-file", 0, RT_OPT_VALUE, E_PID_FILE },
	{ "console-socket", 0, RT_OPT_VALUE, E_CONSOLE },
	{ "tty", 't', RT_OPT_FLAG, E_TTY },
	{ "cwd", 0, RT_OPT_VALUE, E_CWD },
	{ "env", 'e', RT_OPT_VALUE, E_ENV },
	{ "user", 'u', RT_OPT_VALUE, E_USER },
	{ "cap", 'c', RT_OPT_VALUE, E_CAP },
	{ "no-new-privs", 0, RT_OPT_FLAG, E_NNP },
	{ "preserve-fds", 0, RT_OPT_VALUE, E_PRESERVE },
	{ "process-label", 0, RT_OPT_VALUE, E_LABEL },
	{ "apparmor", 'a', RT_OPT_VALUE, E_APPARMOR },
	{ "cgroup", 0, RT_OPT_VALUE, E_CGROUP },
	{ "ignore-paused", 0, RT_OPT_FLAG, E_IGNORE_PAUSED },
	{ "additional-gids", 'g', RT_OPT_VALUE, E_GIDS },
	{ NULL, 0, 0, 0 },
};

static int exec_opt(int id, const char *val, struct rt_exec_opts *o, struct rt_err *err)
{
	long long n;

	switch (id) {
	case E_PROCESS:
		o->process_file = val;
		return 0;
	case E_DETACH:
		return rt_opt_bool("detach", val, &o->detach, err);
	case E_PID_FILE:
		o->pid_file = val;
		return 0;
	case E_CONSOLE:
		o->console_socket = val;
		return 0;
	case E_TTY:
		return rt_opt_bool("tty", val, &o->tty, err);
	case E_CWD:
		o->cwd = val;
		return 0;
	case E_USER:
		o->user = val;
		return 0;
	case E_NNP:
		return rt_opt_bool("no-new-privs", val, &o->no_new_privs, err);
	case E_ENV:
		if (!strchr(val, '='))
			return rt_err_set(err, EINVAL, "--env \"%s\": expected KEY=VALUE", val);
		return oci_strv_push(&o->env, val) < 0 ? rt_err_set(err, ENOMEM, "out of memory")
						       : 0;
	case E_CAP:
		return oci_strv_push(&o->caps, val) < 0 ? rt_err_set(err, ENOMEM, "out of memory")
							: 0;
	case E_PRESERVE:
		if (rt_opt_long("preserve-fds", val, 0, 1024, &n, err) < 0)
			return -EINVAL;
		o->preserve_fds = (int)n;
		return 0;
	case E_LABEL:
	case E_APPARMOR:
		return 0; /* no AppArmor or SELinux in the guest: the VM is the boundary */
	case E_GIDS:
		return rt_err_set(err, EINVAL, "--additional-gids is not supported yet");
	default:
		return 0; /* --cgroup, --ignore-paused: nothing to do for a VM */
	}
}

int rt_exec_parse(int argc, char **argv, struct rt_exec_opts *o, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val;
	int id;

	memset(o, 0, sizeof(*o));
	rt_opt_init(&p, argc, argv, "exec");
	while ((id = rt_opt_next(&p, exec_opts, &val, err)) > 0)
		if (exec_opt(id, val, o, err) < 0)
			goto fail;
	if (id < 0)
		goto fail;
	if (p.idx >= argc) {
		rt_err_set(err, EINVAL, "\"exec\" requires a container ID");
		goto fail;
	}
	o->id = argv[p.idx];
	o->argc = argc - p.idx - 1;
	o->argv = argv + p.idx + 1;
	if (!o->process_file && o->argc == 0) {
		rt_err_set(err, EINVAL, "exec: no command given (use --process FILE or ID CMD...)");
		goto fail;
	}
	if (o->tty && o->detach && !o->console_socket) {
		rt_err_set(
		    err, EINVAL,
		    "cannot allocate tty if runvm will detach without setting console socket");
		goto fail;
	}
	return 0;
fail:
	rt_exec_opts_fini(o);
	return -EINVAL;
}

int rt_cmd_exec(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_exec_opts o;
	int r, status = 0;

	if (rt_exec_parse(argc, argv, &o, err) < 0)
		return -EINVAL;
	r = rt_exec(g, &o, &status, err);
	rt_exec_opts_fini(&o);
	if (r == 0 && !o.detach)
		rt_exit_status = status;
	return r;
}
