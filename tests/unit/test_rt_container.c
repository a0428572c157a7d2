/* Unit tests for the runvm CLI's library: state directories (create, lock, load,
 * refresh, remove, list), the lifecycle checks on fake containers whose "VMM" is a
 * child process, create's validation and cleanup, hooks, and exec's process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/spec.h"
#include "runtime/bundle.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/ops.h"
#include "runtime/rt.h"
#include "tests/unit/tap.h"
#include "tests/unit/oci_doc.h"

static char tmp[] = "/tmp/test_rt_container.XXXXXX";
static char root[256], bundle[256];
static struct rt_globals g;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A child that stands in for a container's VMM. */
static pid_t fake_vmm(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void fake_container(const char *id, enum oci_status st, pid_t pid)
{
	struct rt_container c;
	struct rt_err err;

	if (rt_container_new(root, id, &c, &err) < 0) {
		ok(0, "fake container %s: %s", id, err.msg);
		return;
	}
	c.st.id = strdup(id);
	c.st.oci_version = strdup("1.1.0");
	c.st.status = st;
	c.st.pid = pid;
	c.st.bundle = strdup(bundle);
	if (pid > 0)
		rt_pid_start_time(pid, &c.st.rv.vmm_start_time);
	ok(rt_container_save(&c, &err) == 0, "fake container %s saved", id);
	rt_container_close(&c);
}

static void test_dirs(void)
{
	struct rt_container c, c2;
	struct rt_err err;
	struct oci_strv ids;
	char path[512];

	is_int(rt_container_new(root, "b1", &c, &err), 0, "new container directory");
	snprintf(path, sizeof(path), "%s/b1", root);
	ok(exists(path), "directory exists");
	is_int(rt_container_new(root, "b1", &c2, &err), -EEXIST, "duplicate ID");
	is_str(err.msg, "container with given ID already exists", "runc's phrase");
	is_int(rt_container_open(root, "b1", RT_LOCK_NONE, &c2, &err), -ENOENT,
	       "no state.json yet: does not exist");
	c.st.id = strdup("b1");
	c.st.status = OCI_STATUS_CREATED;
	is_int(rt_container_save(&c, &err), 0, "save");
	rt_container_close(&c);
	is_int(rt_container_open(root, "b1", RT_LOCK_SHARED, &c, &err), 0, "open");
	is_int(c.st.status, OCI_STATUS_STOPPED, "created without a live VMM reads as stopped");
	ok(c.st.owner && c.st.owner[0], "owner filled from the directory");
	is_int(rt_container_remove(&c, &err), 0, "remove");
	ok(!exists(path), "directory gone");
	rt_container_close(&c);
	is_int(rt_container_open(root, "b1", RT_LOCK_SHARED, &c, &err), -ENOENT, "gone");
	is_str(err.msg, "container \"b1\" does not exist", "does-not-exist phrase");
	is_int(rt_container_open(root, "../x", RT_LOCK_SHARED, &c, &err), -EINVAL, "bad ID");
	fake_container("z2", OCI_STATUS_STOPPED, 0);
	fake_container("a1", OCI_STATUS_STOPPED, 0);
	is_int(rt_root_list(root, &ids, &err), 0, "list");
	ok(ids.n == 2 && !strcmp(ids.v[0], "a1") && !strcmp(ids.v[1], "z2"), "sorted IDs");
	oci_strv_fini(&ids);
	ok(rt_delete(&g, "a1", false, &err) == 0 && rt_delete(&g, "z2", false, &err) == 0,
	   "delete stopped containers");
	snprintf(path, sizeof(path), "%s/nonexistent", tmp);
	is_int(rt_root_list(path, &ids, &err), 0, "missing root lists nothing");
	is_int(ids.n, 0, "empty");
}

static void test_liveness(void)
{
	uint64_t st;
	pid_t pid = fake_vmm();

	ok(rt_pid_start_time(pid, &st) == 0 && st > 0, "start time of a live process");
	ok(rt_pid_alive(pid, st), "alive with its start time");
	ok(!rt_pid_alive(pid, st + 1), "another start time: a reused PID");
	kill(pid, SIGKILL);
	usleep(100 * 1000);
	ok(!rt_pid_alive(pid, st), "a zombie is not alive");
	waitpid(pid, NULL, 0);
	ok(!rt_pid_alive(pid, 0), "reaped: gone");
	ok(!rt_pid_alive(0, 0) && !rt_pid_alive(-1, 0), "no PID");
}

static void test_lifecycle(void)
{
	struct rt_container c;
	struct rt_err err;
	pid_t pid = fake_vmm();
	int status;

	fake_container("run1", OCI_STATUS_RUNNING, pid);
	is_int(rt_container_open(root, "run1", RT_LOCK_SHARED, &c, &err), 0, "open running");
	ok(c.st.status == OCI_STATUS_RUNNING && c.st.pid == pid, "a live VMM keeps it running");
	rt_container_close(&c);
	ok(rt_delete(&g, "run1", false, &err) < 0, "delete of a running container refused");
	is_str(err.msg, "cannot delete container run1 that is not stopped: running", "message");
	ok(rt_start(&g, "run1", &err) < 0, "start of a running container refused");
	is_str(err.msg, "cannot start an already running container", "start message");
	ok(rt_resume(&g, "run1", &err) < 0, "resume of a running container refused");
	is_str(err.msg, "container not paused", "resume message");
	ok(rt_pause(&g, "run1", &err) < 0, "pause without a control socket");
	is_str(err.msg, "container not running", "pause says the VMM does not answer");
	is_int(rt_kill(&g, "run1", SIGKILL, false, &err), 0, "kill signals the VMM");
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "the VMM got SIGKILL");
	is_int(rt_kill(&g, "run1", SIGTERM, false, &err), -ESRCH, "kill of a stopped container");
	is_str(err.msg, "container not running", "runc's phrase");
	ok(rt_start(&g, "run1", &err) < 0, "start of a stopped container refused");
	is_str(err.msg, "cannot start a container that has stopped", "start message");
	is_int(rt_delete(&g, "run1", false, &err), 0, "delete once stopped");
	is_int(rt_delete(&g, "run1", false, &err), -ENOENT, "delete of an unknown ID");
	is_int(rt_delete(&g, "run1", true, &err), 0, "delete --force of an unknown ID succeeds");
	pid = fake_vmm();
	fake_container("cr1", OCI_STATUS_CREATED, pid);
	is_int(rt_delete(&g, "cr1", false, &err), 0, "a created container is killed and deleted");
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "its VMM was killed");
	pid = fake_vmm();
	fake_container("p1", OCI_STATUS_PAUSED, pid);
	is_int(rt_delete(&g, "p1", true, &err), 0, "delete --force of a paused container");
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "its VMM was killed");
}

static void test_poststop(void)
{
	char cfg[1024], out[256], *json, buf[1024] = "";
	struct rt_err err;
	FILE *f;

	snprintf(out, sizeof(out), "%s/poststop.out", tmp);
	snprintf(cfg, sizeof(cfg),
		 "{'ociVersion':'1.0.2','root':{'path':'rootfs'},'process':{'args':['sh'],"
		 "'cwd':'/'},'hooks':{'poststop':[{'path':'/bin/sh','args':['sh','-c',"
		 "'cat > %s'],'timeout':10},{'path':'/bin/false'}]}}",
		 out);
	json = q(cfg);
	snprintf(cfg, sizeof(cfg), "%s/config.json", bundle);
	write_file(cfg, json);
	free(json);
	fake_container("h1", OCI_STATUS_STOPPED, 0);
	is_int(rt_delete(&g, "h1", false, &err), 0, "delete runs poststop (failures only warn)");
	f = fopen(out, "r");
	ok(f && fgets(buf, sizeof(buf), f), "poststop hook ran");
	if (f)
		fclose(f);
	ok(strstr(buf, "\"id\":\"h1\"") && strstr(buf, "\"status\":\"stopped\""),
	   "hook got the state on stdin: %s", buf);
	unlink(cfg);
}

static void test_hook_run(void)
{
	struct oci_hook h = { 0 };
	struct rt_err err;
	char *argv[] = { "sh", "-c", "exit 3", NULL };
	char *sleep_argv[] = { "sleep", "5", NULL };

	h.path = "/bin/sh";
	h.args.v = argv;
	h.args.n = 3;
	ok(rt_hook_run(&h, "{}", 2, &err) < 0, "failing hook");
	is_str(err.msg, "hook /bin/sh: exit status 3", "exit status named");
	h.path = "/bin/sleep";
	h.args.v = sleep_argv;
	h.args.n = 2;
	h.has_timeout = true;
	h.timeout = 1;
	is_int(rt_hook_run(&h, "{}", 2, &err), -ETIMEDOUT, "timeout honoured");
	is_str(err.msg, "hook /bin/sleep: timed out after 1 s", "timeout message");
	h.path = "/nonexistent/hook";
	h.args.n = 0;
	h.has_timeout = false;
	ok(rt_hook_run(&h, "{}", 2, &err) < 0, "missing hook binary");
}

/* Parses q(doc) and validates it for create with the given console socket. */
static int validate(const char *doc, const char *console, struct rt_err *err)
{
	struct rt_create_opts o = { .id = "v", .detach = true, .console_socket = console };
	struct oci_config *c = NULL;
	char *j = q(doc);
	int r = oci_config_parse(j, strlen(j), &c, err);

	if (r == 0)
		r = rt_config_validate(&g, c, &o, err);
	oci_config_free(c);
	free(j);
	return r;
}

#define VDOC(proc, extra)                                                                          \
	"{'ociVersion':'1.0.2','root':{'path':'rootfs'},'process':{'args':['sh'],'cwd':'/'" proc   \
	"}" extra "}"

static void test_validate(void)
{
	struct rt_err err;

	is_int(
	    validate(VDOC("", ",'linux':{'namespaces':[{'type':'network','path':'/run/netns/x'}]}"),
		     NULL, &err),
	    0, "a netns path is accepted (%s)", err.msg);
	ok(validate(VDOC("", ",'linux':{'namespaces':[{'type':'user'}]}"), NULL, &err) < 0,
	   "user namespace refused");
	is_str(err.msg, "config.json: linux.namespaces: user namespaces are not supported by runvm",
	       "user namespace message");
	ok(validate(VDOC("", ",'linux':{'namespaces':[{'type':'ipc','path':'/proc/1/ns/ipc'}]}"),
		    NULL, &err) < 0,
	   "joining an ipc namespace refused");
	ok(validate(VDOC("", ",'mounts':[{'destination':'/x','type':'overlay','source':'o'}]"),
		    NULL, &err) < 0,
	   "overlay mount refused");
	is_str(err.msg,
	       "config.json: mounts[0] (/x): mount type \"overlay\" is not supported by runvm",
	       "mount message");
	is_int(validate(VDOC("", ",'mounts':[{'destination':'/x','type':'none','source':'/h',"
				 "'options':['rbind']}]"),
			NULL, &err),
	       0, "bind mount of type none accepted");
	ok(validate(VDOC("", ",'vm':{'image':{'path':'/i','format':'raw'}}"), NULL, &err) < 0,
	   "vm.image refused");
	ok(validate(VDOC("", ",'vm':{'hwConfig':{'vcpus':0}}"), NULL, &err) < 0, "0 vCPUs refused");
	ok(validate(VDOC(",'terminal':true", ""), NULL, &err) < 0, "tty without a console socket");
	is_str(err.msg, "cannot allocate tty if runvm will detach without setting console socket",
	       "runc-like tty message");
	is_int(validate(VDOC(",'terminal':true", ""), "/sock", &err), 0,
	       "tty with a console socket");
	ok(validate(VDOC("", ""), "/sock", &err) < 0, "console socket without tty");
	ok(validate(VDOC("", ",'linux':{'resources':{'blockIO':{'weight':10}}}"), NULL, &err) < 0,
	   "blockIO refused");
	is_str(err.msg, "config.json: linux.resources.blockIO is not supported by runvm",
	       "resources message");
	ok(validate("{'ociVersion':'2.0.0','root':{'path':'r'},'process':{'args':['a'],'cwd':'/'}}",
		    NULL, &err) < 0,
	   "ociVersion 2 refused");
	ok(validate("{'ociVersion':'1.0.0','root':{'path':'r'}}", NULL, &err) < 0,
	   "create needs a process");
	is_int(validate(VDOC(",'apparmorProfile':'x','selinuxLabel':'y'", ""), NULL, &err), 0,
	       "AppArmor and SELinux labels are ignored");
	g.cgroup_manager = RT_CGROUP_SYSTEMD;
	ok(validate(VDOC("", ",'linux':{'cgroupsPath':'/a/b'}"), NULL, &err) < 0,
	   "systemd needs slice:prefix:name");
	is_int(validate(VDOC("", ",'linux':{'cgroupsPath':'machine.slice:libpod:x'}"), NULL, &err),
	       0, "systemd cgroupsPath");
	g.cgroup_manager = RT_CGROUP_CGROUPFS;
}

static void test_create_cleanup(void)
{
	struct rt_create_opts o = { .id = "new1", .bundle = bundle, .detach = true };
	char path[512], *json;
	struct rt_err err;
	size_t len;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	oci_spec_default(false, &json, &len, NULL);
	write_file(path, json);
	free(json);
	ok(rt_create(&g, &o, &err) < 0, "create with a terminal and no console socket");
	o.console_socket = "/nonexistent.sock";
	setenv("RUNVM_VMM", "/nonexistent/runvm-vmm", 1);
	ok(rt_create(&g, &o, &err) < 0, "create stops at the VM launch");
	is_str(err.msg, "the VMM /nonexistent/runvm-vmm (from RUNVM_VMM): No such file or directory",
	       "says which VMM is missing");
	unsetenv("RUNVM_VMM");
	snprintf(path, sizeof(path), "%s/new1", root);
	ok(!exists(path), "no state directory left behind");
	fake_container("dup", OCI_STATUS_STOPPED, 0);
	o.id = "dup";
	ok(rt_create(&g, &o, &err) < 0, "duplicate ID");
	is_str(err.msg, "container with given ID already exists", "duplicate message");
	snprintf(path, sizeof(path), "%s/dup", root);
	ok(exists(path), "the existing container is untouched");
	rt_delete(&g, "dup", true, &err);
	o.id = "new2";
	o.bundle = "/nonexistent-bundle";
	ok(rt_create(&g, &o, &err) < 0, "missing bundle");
	is_str(err.msg, "bundle /nonexistent-bundle: No such file or directory", "bundle message");
	o.bundle = tmp;
	ok(rt_create(&g, &o, &err) < 0, "bundle without config.json");
	ok(strstr(err.msg, "has no config.json") != NULL, "says so: %s", err.msg);
}

static void test_exec_process(void)
{
	struct rt_exec_opts o = { 0 };
	struct oci_config *cfg = NULL;
	struct oci_process *p = NULL;
	struct rt_err err;
	char *argv[] = { "ls", "-l", NULL };
	char *j =
	    q("{'ociVersion':'1.0.2','root':{'path':'r'},'process':{'args':['sh'],'cwd':'/srv',"
	      "'env':['PATH=/bin'],'user':{'uid':7,'gid':8}}}");

	oci_config_parse(j, strlen(j), &cfg, &err);
	free(j);
	o.argc = 2;
	o.argv = argv;
	oci_strv_push(&o.env, "X=1");
	o.user = "1000";
	is_int(rt_exec_process(&o, cfg, &p, &err), 0, "exec process from options (%s)", err.msg);
	ok(p && p->args.n == 2 && !strcmp(p->args.v[1], "-l"), "args from the command line");
	ok(p && p->env.n == 2 && !strcmp(p->env.v[1], "X=1"), "env: container's plus -e");
	ok(p && !strcmp(p->cwd, "/srv"), "cwd from the container");
	ok(p && p->user.uid == 1000 && p->user.gid == 8, "-u UID keeps the container's GID");
	oci_process_free(p);
	o.user = "x:y";
	p = NULL;
	ok(rt_exec_process(&o, cfg, &p, &err) < 0 && !p, "user names refused for now");
	o.user = NULL;
	o.cwd = "rel";
	ok(rt_exec_process(&o, cfg, &p, &err) < 0, "relative --cwd refused");
	rt_exec_opts_fini(&o);
	oci_config_free(cfg);
}

int main(void)
{
	char path[512];

	signal(SIGPIPE, SIG_DFL);
	if (!mkdtemp(tmp))
		return 1;
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(bundle, sizeof(bundle), "%s/bundle", tmp);
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	mkdir(bundle, 0755);
	mkdir(path, 0755);
	rt_globals_default(&g);
	g.root = root;
	test_dirs();
	test_liveness();
	test_lifecycle();
	test_poststop();
	test_hook_run();
	test_validate();
	test_create_cleanup();
	test_exec_process();
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		ok(0, "cleanup");
	return tap_done();
}
