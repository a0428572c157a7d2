/* Unit tests for the runvm CLI's parsing: container IDs, signals, global options
 * in both spellings, command arguments, byte sizes, the log line formats, and
 * what --preserve-fds makes of each kind of fd. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/cmds.h"
#include "runtime/container.h"
#include "runtime/logging.h"
#include "runtime/ops.h"
#include "runtime/rt.h"
#include "runtime/signal.h"
#include "tests/unit/tap.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE_G(g, idx, early, err, ...)                                                           \
	rt_globals_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), g, idx, early, err)

static void test_ids(void)
{
	char long_id[300];

	ok(rt_id_validate("abc", NULL) == 0, "plain ID");
	ok(rt_id_validate("a.b-c_d+e", NULL) == 0, "punctuation runc allows");
	ok(rt_id_validate("0123456789abcdef0123456789abcdef", NULL) == 0, "hex ID");
	ok(rt_id_validate("..x", NULL) == 0, "dots inside a longer ID");
	ok(rt_id_validate("", NULL) < 0, "empty refused");
	ok(rt_id_validate(".", NULL) < 0, ". refused");
	ok(rt_id_validate("..", NULL) < 0, ".. refused");
	ok(rt_id_validate("a/b", NULL) < 0, "slash refused");
	ok(rt_id_validate("a b", NULL) < 0, "space refused");
	ok(rt_id_validate("caf\xc3\xa9", NULL) < 0, "non-ASCII refused");
	memset(long_id, 'a', 256);
	long_id[256] = '\0';
	ok(rt_id_validate(long_id, NULL) < 0, "256 characters refused");
	long_id[255] = '\0';
	ok(rt_id_validate(long_id, NULL) == 0, "255 characters allowed");
	{
		struct rt_err err;

		rt_id_validate("a/b", &err);
		is_str(err.msg, "invalid container ID format: \"a/b\"", "ID error message");
	}
}

static void test_signals(void)
{
	struct rt_err err;
	int sig = 0;

	ok(rt_signal_parse("9", &sig, NULL) == 0 && sig == 9, "number");
	ok(rt_signal_parse("KILL", &sig, NULL) == 0 && sig == SIGKILL, "KILL");
	ok(rt_signal_parse("SIGKILL", &sig, NULL) == 0 && sig == SIGKILL, "SIGKILL");
	ok(rt_signal_parse("sigterm", &sig, NULL) == 0 && sig == SIGTERM, "lower case");
	ok(rt_signal_parse("HUP", &sig, NULL) == 0 && sig == SIGHUP, "HUP");
	ok(rt_signal_parse("SIGWINCH", &sig, NULL) == 0 && sig == SIGWINCH, "WINCH");
	ok(rt_signal_parse("RTMIN", &sig, NULL) == 0 && sig == SIGRTMIN, "RTMIN");
	ok(rt_signal_parse("SIGRTMIN+2", &sig, NULL) == 0 && sig == SIGRTMIN + 2, "RTMIN+2");
	ok(rt_signal_parse("RTMAX-1", &sig, NULL) == 0 && sig == SIGRTMAX - 1, "RTMAX-1");
	ok(rt_signal_parse("64", &sig, NULL) == 0 && sig == 64, "64");
	ok(rt_signal_parse("0", &sig, NULL) < 0, "0 refused");
	ok(rt_signal_parse("65", &sig, NULL) < 0, "65 refused");
	ok(rt_signal_parse("-9", &sig, NULL) < 0, "-9 refused");
	ok(rt_signal_parse("9x", &sig, NULL) < 0, "9x refused");
	ok(rt_signal_parse("SIG", &sig, NULL) < 0, "SIG refused");
	ok(rt_signal_parse("RTMIN+99", &sig, NULL) < 0, "RTMIN+99 refused");
	ok(rt_signal_parse("FOO", &sig, &err) < 0, "FOO refused");
	is_str(err.msg, "unknown signal \"FOO\"", "signal error message");
}

static void test_globals(void)
{
	struct rt_globals g;
	struct rt_err err;
	enum rt_early early;
	int idx;

	is_int(PARSE_G(&g, &idx, &early, &err, "runvm", "--root", "/r", "--log", "/l",
		       "--log-format", "json", "--debug", "state", "x"),
	       0, "separate values");
	is_str(g.root, "/r", "--root DIR");
	is_str(g.log_path, "/l", "--log FILE");
	ok(g.log_format == RT_LOG_JSON && g.debug, "--log-format json, --debug");
	is_int(idx, 8, "command index");
	is_int(early, RT_EARLY_NONE, "no early action");
	is_int(PARSE_G(&g, &idx, &early, &err, "runvm", "--root=/r2", "--log=/l2",
		       "--log-format=text", "--debug=false", "--systemd-cgroup", "list"),
	       0, "= values");
	ok(!strcmp(g.root, "/r2") && !strcmp(g.log_path, "/l2") && g.log_format == RT_LOG_TEXT,
	   "--flag=value");
	ok(!g.debug && g.cgroup_manager == RT_CGROUP_SYSTEMD, "--debug=false, --systemd-cgroup");
	is_int(idx, 6, "command after = options");
	is_int(PARSE_G(&g, &idx, &early, &err, "runvm", "--rootless", "--cgroup-manager",
		       "disabled", "--criu", "/usr/sbin/criu", "-root", "/r3", "ps", "x"),
	       0, "crun and urfave spellings");
	ok(g.rootless == 1 && g.cgroup_manager == RT_CGROUP_DISABLED,
	   "--rootless, --cgroup-manager");
	is_str(g.root, "/r3", "-root DIR (single dash)");
	is_int(PARSE_G(&g, &idx, &early, &err, "runvm", "--rootless=false",
		       "--cgroup-manager=cgroupfs", "x"),
	       0, "--rootless=false");
	ok(g.rootless == 0 && g.cgroup_manager == RT_CGROUP_CGROUPFS, "values applied");
	is_int(PARSE_G(&g, &idx, &early, &err, "runvm", "--rootless=auto", "x"), 0, "auto");
	is_int(g.rootless, -1, "--rootless=auto");
	is_int(PARSE_G(&g, &idx, &early, &err, "runvm", "--rootless", "false", "list"), 0,
	       "--rootless false");
	ok(g.rootless == 0 && idx == 3, "separate rootless value consumed");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "-v") == 0 && early == RT_EARLY_VERSION, "-v");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--version") == 0 && early == RT_EARLY_VERSION,
	   "--version");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "-h") == 0 && early == RT_EARLY_HELP, "-h");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--debug") == 0 && early == RT_EARLY_NO_COMMAND,
	   "no command");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--bogus", "list") < 0, "unknown option");
	is_str(err.msg, "runvm: unknown option --bogus", "unknown option message");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--log-format", "xml", "list") < 0,
	   "bad format");
	is_str(err.msg, "--log-format: expected text or json, got \"xml\"", "format message");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--root") < 0, "missing value");
	is_str(err.msg, "runvm: option --root needs a value", "missing value message");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--cgroup-manager", "x", "list") < 0,
	   "bad cgroup manager");
	ok(PARSE_G(&g, &idx, &early, &err, "runvm", "--root", "", "list") < 0, "empty root");
}

static void test_create_args(void)
{
	struct rt_create_opts o;
	struct rt_run_flags rf;
	struct rt_err err;

	is_int(rt_create_parse(ARGC("create", "--bundle", "/b", "--pid-file=/p", "--console-socket",
				    "/s", "--no-pivot", "--preserve-fds", "3", "c1"),
			       ARGV("create", "--bundle", "/b", "--pid-file=/p", "--console-socket",
				    "/s", "--no-pivot", "--preserve-fds", "3", "c1"),
			       false, &o, &rf, &err),
	       0, "create options");
	ok(!strcmp(o.bundle, "/b") && !strcmp(o.pid_file, "/p") && !strcmp(o.console_socket, "/s"),
	   "bundle, pid file, console socket");
	ok(o.no_pivot && o.preserve_fds == 3 && o.detach && !strcmp(o.id, "c1"), "flags and ID");
	is_int(rt_create_parse(ARGC("create", "-b", "/b", "c1"), ARGV("create", "-b", "/b", "c1"),
			       false, &o, &rf, &err),
	       0, "-b");
	ok(rt_create_parse(ARGC("create", "--bundle", "/b"), ARGV("create", "--bundle", "/b"),
			   false, &o, &rf, &err) < 0,
	   "missing ID");
	is_str(err.msg, "\"create\" requires exactly 1 argument, got 0", "runc-like message");
	ok(rt_create_parse(ARGC("create", "-d", "c1"), ARGV("create", "-d", "c1"), false, &o, &rf,
			   &err) < 0,
	   "-d is run's");
	ok(rt_create_parse(ARGC("create", "--preserve-fds", "x", "c1"),
			   ARGV("create", "--preserve-fds", "x", "c1"), false, &o, &rf, &err) < 0,
	   "bad --preserve-fds");
	is_int(rt_create_parse(ARGC("run", "-d", "--keep", "c1"), ARGV("run", "-d", "--keep", "c1"),
			       true, &o, &rf, &err),
	       0, "run -d --keep");
	ok(rf.detach && rf.keep && o.detach, "run flags");
	is_int(rt_create_parse(ARGC("run", "c1"), ARGV("run", "c1"), true, &o, &rf, &err), 0,
	       "foreground run");
	ok(!o.detach, "foreground run does not detach");
}

static void test_kill_args(void)
{
	struct rt_kill_args k;
	struct rt_err err;

	ok(rt_kill_parse(ARGC("kill", "c1"), ARGV("kill", "c1"), &k, &err) == 0 &&
	       k.sig == SIGTERM && !k.all,
	   "default TERM");
	ok(rt_kill_parse(ARGC("kill", "c1", "KILL"), ARGV("kill", "c1", "KILL"), &k, &err) == 0 &&
	       k.sig == SIGKILL,
	   "KILL");
	ok(rt_kill_parse(ARGC("kill", "--all", "c1", "9"), ARGV("kill", "--all", "c1", "9"), &k,
			 &err) == 0 &&
	       k.all && k.sig == 9,
	   "--all 9");
	ok(rt_kill_parse(ARGC("kill", "-a", "c1", "SIGUSR1"), ARGV("kill", "-a", "c1", "SIGUSR1"),
			 &k, &err) == 0 &&
	       k.all && k.sig == SIGUSR1,
	   "-a SIGUSR1");
	ok(rt_kill_parse(ARGC("kill", "c1", "TERM", "x"), ARGV("kill", "c1", "TERM", "x"), &k,
			 &err) < 0,
	   "too many arguments");
	ok(rt_kill_parse(ARGC("kill"), ARGV("kill"), &k, &err) < 0, "no ID");
	ok(rt_kill_parse(ARGC("kill", "c1", "NOPE"), ARGV("kill", "c1", "NOPE"), &k, &err) < 0,
	   "bad signal");
}

static void test_exec_args(void)
{
	/* o keeps pointers into argv: the vectors must outlive the checks. */
	char *human[] = { "exec",     "-t", "-e", "A=1",      "--env=B=2",
			  "--cwd",    "/w", "-u", "1000:100", "--cap",
			  "CAP_KILL", "c1", "sh", "-c",	      "echo -n" };
	char *shim[] = { "exec", "--process", "/p.json", "--detach", "--pid-file", "/pid", "c1" };
	struct rt_exec_opts o;
	struct rt_err err;

	is_int(rt_exec_parse(ARRAY_SIZE(human), human, &o, &err), 0, "human exec (%s)", err.msg);
	ok(o.tty && o.env.n == 2 && !strcmp(o.env.v[1], "B=2") && !strcmp(o.cwd, "/w"),
	   "tty, env, cwd");
	ok(!strcmp(o.user, "1000:100") && o.caps.n == 1 && !strcmp(o.id, "c1"), "user, cap, ID");
	ok(o.argc == 3 && !strcmp(o.argv[2], "echo -n"), "command keeps its own flags");
	rt_exec_opts_fini(&o);
	is_int(rt_exec_parse(ARRAY_SIZE(shim), shim, &o, &err), 0, "containerd exec");
	ok(o.detach && !strcmp(o.process_file, "/p.json") && o.argc == 0, "--process, --detach");
	rt_exec_opts_fini(&o);
	ok(rt_exec_parse(ARGC("exec", "c1"), ARGV("exec", "c1"), &o, &err) < 0, "no command");
	ok(rt_exec_parse(ARGC("exec", "-e", "NOEQ", "c1", "sh"),
			 ARGV("exec", "-e", "NOEQ", "c1", "sh"), &o, &err) < 0,
	   "env without =");
	ok(rt_exec_parse(ARGC("exec", "-t", "-d", "c1", "sh"), ARGV("exec", "-t", "-d", "c1", "sh"),
			 &o, &err) < 0,
	   "detached tty needs a console socket");
}

static void test_bytes(void)
{
	struct rt_err err;
	int64_t v;

	ok(rt_parse_bytes("memory", "1024", &v, &err) == 0 && v == 1024, "plain bytes");
	ok(rt_parse_bytes("memory", "512m", &v, &err) == 0 && v == 512ll << 20, "512m");
	ok(rt_parse_bytes("memory", "1G", &v, &err) == 0 && v == 1ll << 30, "1G");
	ok(rt_parse_bytes("memory", "2kb", &v, &err) == 0 && v == 2048, "2kb");
	ok(rt_parse_bytes("memory", "-1", &v, &err) == 0 && v == -1, "-1 unlimited");
	ok(rt_parse_bytes("memory", "1x", &v, &err) < 0, "bad unit");
	ok(rt_parse_bytes("memory", "", &v, &err) < 0, "empty");
	ok(rt_parse_bytes("memory", "-2", &v, &err) < 0, "-2");
	ok(rt_parse_bytes("memory", "99999999999t", &v, &err) < 0, "overflow");
}

static void test_update_args(void)
{
	struct oci_resources r;
	struct rt_err err;
	const char *id;

	is_int(
	    rt_update_parse(ARGC("update", "--memory", "256m", "--cpu-quota=50000", "--cpu-period",
				 "100000", "--pids-limit", "64", "--cpuset-cpus", "0-1", "c1"),
			    ARGV("update", "--memory", "256m", "--cpu-quota=50000", "--cpu-period",
				 "100000", "--pids-limit", "64", "--cpuset-cpus", "0-1", "c1"),
			    &r, &id, &err),
	    0, "single flags (%s)", err.msg);
	ok(r.has_memory_limit && r.memory_limit == 256ll << 20, "--memory");
	ok(r.has_cpu_quota && r.cpu_quota == 50000 && r.cpu_period == 100000, "cpu");
	ok(r.has_pids_limit && r.pids_limit == 64 && !strcmp(r.cpu_cpus, "0-1"), "pids, cpus");
	is_str(id, "c1", "ID");
	oci_resources_fini(&r);
	ok(rt_update_parse(ARGC("update", "--blkio-weight", "10", "c1"),
			   ARGV("update", "--blkio-weight", "10", "c1"), &r, &id, &err) < 0,
	   "unsupported flag refused");
	ok(rt_update_parse(ARGC("update", "--resources", "/nonexistent", "c1"),
			   ARGV("update", "--resources", "/nonexistent", "c1"), &r, &id, &err) < 0,
	   "missing resources file");
	ok(strstr(err.msg, "--resources /nonexistent") != NULL, "names the file: %s", err.msg);
}

static void test_log_lines(void)
{
	char buf[512];

	is_int(rt_log_line(buf, sizeof(buf), RT_LOG_JSON, "error", "container \"x\" does not exist",
			   1700000000),
	       0, "JSON line");
	is_str(buf,
	       "{\"level\":\"error\",\"msg\":\"container \\\"x\\\" does not exist\","
	       "\"time\":\"2023-11-14T22:13:20Z\"}\n",
	       "JSON log line: level, msg, time (RFC 3339), one line");
	is_int(rt_log_line(buf, sizeof(buf), RT_LOG_TEXT, "error", "a\nb", 1700000000), 0,
	       "text line");
	is_str(buf, "time=\"2023-11-14T22:13:20Z\" level=error msg=\"a\\nb\"\n",
	       "text log line, newline escaped");
	ok(rt_log_line(buf, 16, RT_LOG_JSON, "error", "too long for the buffer", 0) < 0,
	   "short buffer refused");
}

/* --preserve-fds: what each kind of fd becomes. The fds are put high (BASE..),
 * out of the way of the harness's own. */
#define BASE 200

/* Moves fd to BASE + i (closing fd); false if that failed. */
static bool place(int fd, int i)
{
	bool ok_ = fd >= 0 && dup2(fd, BASE + i) == BASE + i;

	if (fd >= 0)
		close(fd);
	return ok_;
}

static int classify_one(int fd, uint32_t *dir, struct rt_err *err)
{
	struct proto_extra_fd x[1] = { { 0, 0 } };
	int r;

	if (!place(fd, 0))
		return -1000;
	r = rt_preserve_fds_classify(BASE, 1, x, err);
	*dir = x[0].dir;
	close(BASE);
	return r;
}

static int tcp_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)a, &len))
		return -1;
	return l;
}

static void test_preserve_streams(void)
{
	struct rt_err err = { 0 };
	struct sockaddr_in a;
	uint32_t dir = 0;
	int p[2], sv[2], l, c;

	if (pipe2(p, O_CLOEXEC) < 0) {
		ok(0, "pipe");
		return;
	}
	is_int(classify_one(p[0], &dir, &err), 0, "a pipe's read end is relayed");
	is_int(dir, PROTO_EXTRA_IN, "into the process");
	is_int(classify_one(p[1], &dir, &err), 0, "a pipe's write end is relayed");
	is_int(dir, PROTO_EXTRA_OUT, "out of the process");
	classify_one(open("/etc/passwd", O_RDONLY | O_CLOEXEC), &dir, &err);
	is_int(dir, PROTO_EXTRA_IN, "a file opened read-only: its content goes in");
	classify_one(open("/dev/null", O_WRONLY | O_CLOEXEC), &dir, &err);
	is_int(dir, PROTO_EXTRA_OUT, "/dev/null write-only: out");
	classify_one(open("/dev/null", O_RDWR | O_CLOEXEC), &dir, &err);
	is_int(dir, PROTO_EXTRA_BOTH, "/dev/null read-write: both (the guest's own /dev/null)");
	classify_one(open("/dev/zero", O_RDONLY | O_CLOEXEC), &dir, &err);
	is_int(dir, PROTO_EXTRA_IN, "a character device read-only: in");
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	close(sv[1]);
	is_int(classify_one(sv[0], &dir, &err), 0, "a connected AF_UNIX stream socket (its peer gone)");
	is_int(dir, PROTO_EXTRA_BOTH, "both ways");
	l = tcp_listener(&a);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok(l >= 0 && c >= 0 && !connect(c, (struct sockaddr *)&a, sizeof(a)), "a TCP connection");
	is_int(classify_one(c, &dir, &err), 0, "a connected TCP socket is relayed");
	is_int(dir, PROTO_EXTRA_BOTH, "both ways");
	is_int(classify_one(l, &dir, &err), -EINVAL, "a listening TCP socket is refused");
	ok(strstr(err.msg, "--preserve-fds 1: fd 200 (a listening socket) cannot be relayed into "
			   "the container: accepting connections (socket activation)"),
	   "naming the fd, what it is and why: %s", err.msg);
}

/* Each refused kind, with what the message calls it. */
static void test_preserve_refused(void)
{
	static const struct {
		int domain, type;
		const char *what;
	} socks[] = { { AF_UNIX, SOCK_DGRAM, "(a datagram socket)" },
		      { AF_UNIX, SOCK_SEQPACKET, "(a seqpacket socket)" },
		      { AF_UNIX, SOCK_STREAM, "(an unconnected stream socket)" } };
	struct rt_err err = { 0 };
	uint32_t dir;
	char path[] = "/tmp/test_rt.XXXXXX";
	int tmp = mkstemp(path); /* read-write */

	unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(socks); i++) {
		is_int(classify_one(socket(socks[i].domain, socks[i].type | SOCK_CLOEXEC, 0), &dir,
				    &err), -EINVAL, "refused: %s", socks[i].what);
		ok(strstr(err.msg, socks[i].what) != NULL, "named: %s", err.msg);
	}
	is_int(classify_one(tmp, &dir, &err), -EINVAL, "a regular file opened read-write is refused");
	ok(strstr(err.msg, "(a regular file opened read-write)") &&
		   strstr(err.msg, "could not seek in it nor read back what it wrote"),
	   "saying why: %s", err.msg);
	is_int(classify_one(open("/dev/zero", O_RDWR | O_CLOEXEC), &dir, &err), -EINVAL,
	       "a character device opened read-write is refused");
	is_int(classify_one(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), &dir, &err), -EINVAL,
	       "a directory is refused");
	ok(strstr(err.msg, "(a directory)") != NULL, "named: %s", err.msg);
	is_int(classify_one(eventfd(0, EFD_CLOEXEC), &dir, &err), -EINVAL, "an eventfd is refused");
	ok(strstr(err.msg, "(anon_inode:[eventfd])") != NULL, "named as /proc names it: %s", err.msg);
}

static void test_preserve_fds(void)
{
	struct proto_extra_fd x[RT_PRESERVE_FDS_MAX + 1];
	struct rt_err err = { 0 };
	int p[2];

	is_int(rt_preserve_fds_classify(3, 0, x, &err), 0, "--preserve-fds 0 is fine");
	is_int(rt_preserve_fds_classify(3, RT_PRESERVE_FDS_MAX + 1, x, &err), -E2BIG,
	       "more than %d is refused", RT_PRESERVE_FDS_MAX);
	ok(strstr(err.msg, "--preserve-fds 17: runvm relays at most 16 fds (3 to 18)") != NULL,
	   "saying the bound: %s", err.msg);
	if (pipe2(p, O_CLOEXEC) < 0 || !place(p[0], 0) || !place(p[1], 1)) {
		ok(0, "pipe for --preserve-fds");
		return;
	}
	close(BASE + 2);
	is_int(rt_preserve_fds_classify(BASE, 2, x, &err), 0, "two fds: a pipe's two ends");
	ok(x[0].dir == PROTO_EXTRA_IN && x[1].dir == PROTO_EXTRA_OUT && !x[0].port && !x[1].port,
	   "in order, ports left to the VMM");
	is_int(rt_preserve_fds_classify(BASE, 3, x, &err), -EBADF, "a closed one among them is refused");
	ok(strstr(err.msg, "--preserve-fds 3: fd 202 is not open") != NULL, "naming it: %s", err.msg);
	place(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), 1);
	rt_preserve_fds_classify(BASE, 2, x, &err);
	ok(strstr(err.msg, "fd 201 (a datagram socket)") != NULL, "the first refused one is named: %s",
	   err.msg);
	close(BASE);
	close(BASE + 1);
	test_preserve_streams();
	test_preserve_refused();
}

int main(void)
{
	test_ids();
	test_signals();
	test_globals();
	test_create_args();
	test_kill_args();
	test_exec_args();
	test_bytes();
	test_update_args();
	test_log_lines();
	test_preserve_fds();
	return tap_done();
}
