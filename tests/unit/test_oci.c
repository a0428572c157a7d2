/* Unit tests for oci/ config.json parsing: runc's and podman's real-world shapes,
 * wrong types named by JSON path, missing required fields, unknown fields ignored,
 * size and nesting limits, seccomp with arguments, standalone process/resources. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oci/config.h"
#include "oci/spec.h"
#include "tests/unit/tap.h"
#include "tests/unit/oci_doc.h"

/* Parses q(doc): 0 or -errno; the message lands in err. */
static int parse(const char *doc, struct oci_config **c, struct rt_err *err)
{
	char *j = q(doc);
	int r;

	rt_err_clear(err);
	*c = NULL;
	r = oci_config_parse(j, strlen(j), c, err);
	free(j);
	return r;
}

/* Expects parse(doc) to fail with exactly want. */
static void bad(const char *doc, const char *want, const char *what)
{
	struct oci_config *c;
	struct rt_err err;
	int r = parse(doc, &c, &err);

	ok(r < 0 && c == NULL, "%s: refused", what);
	is_str(err.msg, want, "%s: message", what);
	oci_config_free(c);
}

#define MIN_DOC(extra) "{'ociVersion':'1.0.2','root':{'path':'rootfs'}" extra "}"

static const char runc_spec[] =
    "{'ociVersion':'1.0.2-dev','process':{'terminal':true,'user':{'uid':0,'gid':0},"
    "'args':['sh'],'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "'TERM=xterm'],'cwd':'/','capabilities':{'bounding':['CAP_AUDIT_WRITE','CAP_KILL',"
    "'CAP_NET_BIND_SERVICE'],'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
    "'permitted':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],'ambient':["
    "'CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']},'rlimits':[{'type':'RLIMIT_NOFILE',"
    "'hard':1024,'soft':1024}],'noNewPrivileges':true},'root':{'path':'rootfs','readonly':true},"
    "'hostname':'runc','mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
    "{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime',"
    "'mode=755','size=65536k']},{'destination':'/dev/pts','type':'devpts','source':'devpts',"
    "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
    "{'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec',"
    "'nodev','mode=1777','size=65536k']},{'destination':'/dev/mqueue','type':'mqueue',"
    "'source':'mqueue','options':['nosuid','noexec','nodev']},{'destination':'/sys',"
    "'type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']},"
    "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid',"
    "'noexec','nodev','relatime','ro']}],'linux':{'resources':{'devices':[{'allow':false,"
    "'access':'rwm'}]},'namespaces':[{'type':'pid'},{'type':'network'},{'type':'ipc'},"
    "{'type':'uts'},{'type':'mount'}],'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore',"
    "'/proc/keys','/proc/latency_stats','/proc/timer_list','/proc/timer_stats',"
    "'/proc/sched_debug','/sys/firmware','/proc/scsi'],'readonlyPaths':['/proc/bus','/proc/fs',"
    "'/proc/irq','/proc/sys','/proc/sysrq-trigger']}}";

static const char podman_spec[] =
    "{'ociVersion':'1.0.2-dev','process':{'user':{'uid':1000,'gid':1000,'umask':18,"
    "'additionalGids':[10,27]},'args':['/bin/sh','-c','echo hi'],'env':["
    "'PATH=/usr/local/bin:/usr/bin:/bin','TERM=xterm','container=podman','HOSTNAME=f00'],"
    "'cwd':'/work','consoleSize':{'height':24,'width':80},'terminal':true,"
    "'capabilities':{'bounding':['CAP_CHOWN','CAP_KILL','CAP_SETUID'],'effective':['CAP_CHOWN'],"
    "'permitted':['CAP_CHOWN'],'inheritable':[]},'rlimits':[{'type':'RLIMIT_NOFILE',"
    "'hard':1048576,'soft':1048576},{'type':'RLIMIT_NPROC','hard':4194304,'soft':4194304}],"
    "'apparmorProfile':'containers-default-0.50.0','oomScoreAdj':-500,"
    "'selinuxLabel':''},"
    "'root':{'path':'/var/lib/containers/storage/overlay/abc/merged'},'hostname':'f00',"
    "'domainname':'example.org',"
    "'mounts':[{'destination':'/proc','type':'proc','source':'proc','options':['nosuid',"
    "'noexec','nodev']},{'destination':'/etc/hosts','type':'bind','source':"
    "'/run/containers/storage/overlay-containers/abc/userdata/hosts','options':['bind',"
    "'rprivate']},{'destination':'/dev/shm','type':'bind','source':'/x/shm','options':["
    "'bind','rprivate','nosuid','noexec','nodev']},{'destination':'/sys/fs/cgroup',"
    "'type':'cgroup','source':'cgroup','options':['rprivate','nosuid','noexec','nodev',"
    "'relatime','ro']}],"
    "'annotations':{'io.container.manager':'libpod','org.opencontainers.image.stopSignal':'15'},"
    "'hooks':{'prestart':[{'path':'/usr/libexec/oci/hooks.d/h','args':['h','prestart'],"
    "'env':['A=B'],'timeout':5}],'poststop':[{'path':'/bin/true'}],"
    "'createRuntime':[{'path':'/bin/cr'}],'startContainer':[{'path':'/in/guest'}]},"
    "'linux':{'sysctl':{'net.ipv4.ping_group_range':'0 0'},'resources':{'pids':{'limit':2048},"
    "'memory':{'limit':536870912,'swap':1073741824,'reservation':-1},'cpu':{'shares':1024,"
    "'quota':50000,'period':100000,'cpus':'0-1','mems':'0'},'devices':[{'allow':false,"
    "'access':'rwm'},{'allow':true,'type':'c','major':10,'minor':229,'access':'rw'}],"
    "'hugepageLimits':[],'blockIO':{}},"
    "'cgroupsPath':'machine.slice:libpod:f00','namespaces':[{'type':'pid'},{'type':'network',"
    "'path':'/run/netns/netns-1'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},"
    "{'type':'cgroup'}],'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
    "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],'syscalls':["
    "{'names':['bdflush','io_pgetevents'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
    "{'names':['accept','read','write'],'action':'SCMP_ACT_ALLOW'},"
    "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':2114060288,"
    "'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]},{'names':['socket'],'action':'SCMP_ACT_ERRNO',"
    "'errnoRet':22,'args':[{'index':0,'value':16,'op':'SCMP_CMP_EQ'},{'index':2,"
    "'value':18446744073709551615,'op':'SCMP_CMP_NE'}]}]},'maskedPaths':['/proc/kcore'],"
    "'readonlyPaths':['/proc/sys'],'devices':[{'path':'/dev/fuse','type':'c','major':10,"
    "'minor':229,'fileMode':438,'uid':0,'gid':0},{'path':'/dev/p','type':'p'}]},"
    "'vm':{'hypervisor':{'path':'/usr/bin/runvm-vmm','parameters':['--debug']},"
    "'kernel':{'path':'/lib/runvm/vmlinux','parameters':['quiet'],'initrd':'/lib/runvm/i.cpio'},"
    "'hwConfig':{'vcpus':2,'memory':512}}}";

static void test_runc_spec(void)
{
	struct oci_config *c;
	struct rt_err err;
	struct oci_process *p;

	is_int(parse(runc_spec, &c, &err), 0, "runc spec parses (%s)", err.msg);
	if (!c)
		return;
	p = c->process;
	is_str(c->oci_version, "1.0.2-dev", "ociVersion");
	ok(p && p->terminal, "process.terminal");
	is_int(p->args.n, 1, "one arg");
	is_str(p->args.v[0], "sh", "args[0]");
	ok(p->args.v[1] == NULL, "args are NULL-terminated");
	is_int(p->env.n, 2, "env");
	is_str(p->cwd, "/", "cwd");
	ok(p->has_caps && p->caps.ambient.n == 3 && p->caps.inheritable.n == 0, "capabilities");
	is_int(p->n_rlimits, 1, "rlimits");
	is_int(p->rlimits[0].resource, RLIMIT_NOFILE, "rlimit resource mapped");
	is_int(p->rlimits[0].soft, 1024, "rlimit soft");
	ok(p->no_new_privileges, "noNewPrivileges");
	ok(!p->has_console_size && !p->has_oom_score_adj, "absent knobs stay absent");
	is_str(c->root.path, "rootfs", "root.path");
	ok(c->root.readonly, "root.readonly");
	is_str(c->hostname, "runc", "hostname");
	is_int(c->n_mounts, 7, "mounts");
	is_str(c->mounts[2].destination, "/dev/pts", "mount destination");
	is_int(c->mounts[2].options.n, 6, "mount options");
	ok(c->mounts[0].options.n == 0 && c->mounts[0].options.v == NULL, "no options: empty");
	is_int(c->lnx.n_namespaces, 5, "namespaces");
	is_int(c->lnx.namespaces[1].type, OCI_NS_NETWORK, "namespace type");
	ok(c->lnx.namespaces[1].path == NULL, "new namespace has no path");
	is_int(c->lnx.masked_paths.n, 10, "maskedPaths");
	is_int(c->lnx.readonly_paths.n, 5, "readonlyPaths");
	ok(c->lnx.has_resources && c->lnx.resources.n_devices == 1 &&
	       !c->lnx.resources.devices[0].allow && c->lnx.resources.devices[0].type == 'a',
	   "device cgroup deny-all rule");
	ok(c->lnx.seccomp == NULL && c->vm == NULL, "absent sections are NULL");
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		ok(c->hooks[k].n == 0, "no %s hooks", oci_hook_kind_name(k));
	oci_config_free(c);
}

static void test_podman_process(const struct oci_process *p)
{
	is_int(p->user.uid, 1000, "user.uid");
	ok(p->user.has_umask && p->user.umask == 18, "user.umask");
	ok(p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 27, "additionalGids");
	is_int(p->args.n, 3, "args");
	is_str(p->cwd, "/work", "cwd");
	ok(p->has_console_size && p->console_height == 24 && p->console_width == 80, "consoleSize");
	is_int(p->caps.bounding.n, 3, "bounding caps");
	ok(p->caps.inheritable.n == 0, "empty inheritable");
	is_int(p->n_rlimits, 2, "rlimits");
	is_int(p->rlimits[1].resource, RLIMIT_NPROC, "second rlimit");
	is_str(p->apparmor_profile, "containers-default-0.50.0", "apparmorProfile");
	ok(p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");
	is_str(p->selinux_label, "", "selinuxLabel");
}

static void test_podman_linux(const struct oci_linux *l)
{
	const struct oci_resources *r = &l->resources;
	const struct oci_seccomp *s = l->seccomp;

	is_str(l->cgroups_path, "machine.slice:libpod:f00", "cgroupsPath");
	is_str(oci_kvv_get(&l->sysctl, "net.ipv4.ping_group_range"), "0 0", "sysctl");
	ok(r->has_pids_limit && r->pids_limit == 2048, "pids.limit");
	ok(r->has_memory_limit && r->memory_limit == 536870912, "memory.limit");
	ok(r->has_memory_swap && r->memory_swap == 1073741824, "memory.swap");
	ok(r->has_memory_reservation && r->memory_reservation == -1, "memory.reservation -1");
	ok(r->has_cpu_shares && r->cpu_shares == 1024, "cpu.shares");
	ok(r->has_cpu_quota && r->cpu_quota == 50000 && r->cpu_period == 100000, "cpu quota");
	is_str(r->cpu_cpus, "0-1", "cpu.cpus");
	ok(r->n_devices == 2 && r->devices[1].allow && r->devices[1].major == 10 &&
	       r->devices[1].has_minor && !strcmp(r->devices[1].access, "rw"),
	   "device rules");
	is_int(r->unsupported.n, 0, "empty blockIO/hugepageLimits are not 'unsupported'");
	is_int(l->n_namespaces, 6, "namespaces");
	is_str(l->namespaces[1].path, "/run/netns/netns-1", "netns path");
	ok(s != NULL, "seccomp present");
	if (!s)
		return;
	is_str(s->default_action, "SCMP_ACT_ERRNO", "seccomp defaultAction");
	ok(s->has_default_errno_ret && s->default_errno_ret == 38, "defaultErrnoRet");
	is_int(s->architectures.n, 3, "architectures");
	is_int(s->n_syscalls, 4, "syscall rules");
	ok(s->syscalls[0].has_errno_ret && s->syscalls[0].errno_ret == 1, "errnoRet");
	ok(!s->syscalls[1].has_errno_ret && s->syscalls[1].names.n == 3, "names");
	ok(s->syscalls[2].n_args == 1 && s->syscalls[2].args[0].value == 2114060288ull,
	   "arg value");
	is_str(s->syscalls[2].args[0].op, "SCMP_CMP_MASKED_EQ", "arg op");
	ok(s->syscalls[3].n_args == 2 && s->syscalls[3].args[1].index == 2, "arg index");
	ok(s->syscalls[3].args[1].value == UINT64_MAX, "arg value: full uint64 range");
	ok(l->n_devices == 2 && l->devices[0].has_file_mode && l->devices[0].file_mode == 438,
	   "linux.devices");
	ok(l->devices[1].type == 'p' && !l->devices[1].has_uid, "fifo device without numbers");
}

static void test_podman_spec(void)
{
	struct oci_config *c;
	struct rt_err err;

	is_int(parse(podman_spec, &c, &err), 0, "podman-like spec parses (%s)", err.msg);
	if (!c)
		return;
	test_podman_process(c->process);
	test_podman_linux(&c->lnx);
	is_str(c->domainname, "example.org", "domainname");
	is_int(c->n_mounts, 4, "mounts");
	ok(c->mounts[1].type && !strcmp(c->mounts[1].type, "bind"), "bind mount");
	is_str(oci_kvv_get(&c->annotations, "io.container.manager"), "libpod", "annotations");
	is_int(c->annotations.n, 2, "annotation count");
	is_int(c->hooks[OCI_HOOK_PRESTART].n, 1, "prestart hook");
	ok(c->hooks[OCI_HOOK_PRESTART].v[0].has_timeout &&
	       c->hooks[OCI_HOOK_PRESTART].v[0].timeout == 5,
	   "hook timeout");
	is_str(c->hooks[OCI_HOOK_PRESTART].v[0].args.v[1], "prestart", "hook args");
	is_str(c->hooks[OCI_HOOK_PRESTART].v[0].env.v[0], "A=B", "hook env");
	ok(c->hooks[OCI_HOOK_POSTSTOP].n == 1 && !c->hooks[OCI_HOOK_POSTSTOP].v[0].has_timeout,
	   "poststop hook");
	is_int(c->hooks[OCI_HOOK_CREATE_RUNTIME].n, 1, "createRuntime hook");
	is_int(c->hooks[OCI_HOOK_START_CONTAINER].n, 1, "startContainer hook");
	ok(c->vm && !strcmp(c->vm->hypervisor_path, "/usr/bin/runvm-vmm"), "vm.hypervisor.path");
	ok(c->vm && c->vm->kernel_params.n == 1, "vm.kernel.parameters");
	is_str(c->vm ? c->vm->initrd : NULL, "/lib/runvm/i.cpio", "vm.kernel.initrd");
	ok(c->vm && c->vm->has_vcpus && c->vm->vcpus == 2, "vm.hwConfig.vcpus");
	ok(c->vm && c->vm->has_memory && c->vm->memory_mib == 512, "vm.hwConfig.memory");
	oci_config_free(c);
}

static void test_wrong_types(void)
{
	bad(MIN_DOC(",'process':{'args':'sh','cwd':'/'}"),
	    "process.args: expected an array of strings", "args as a string");
	bad(MIN_DOC(",'process':{'args':['sh',1],'cwd':'/'}"),
	    "process.args: expected an array of strings", "args with a number");
	bad(MIN_DOC(",'process':{'args':['sh'],'cwd':'/','terminal':'yes'}"),
	    "process.terminal: expected a boolean", "terminal as a string");
	bad("{'ociVersion':'1.0.0','root':{'path':'r','readonly':1}}",
	    "root.readonly: expected a boolean", "root.readonly");
	bad(MIN_DOC(",'mounts':{}"), "mounts: expected an array", "mounts as an object");
	bad(MIN_DOC(",'mounts':[{'destination':'/a'},{'destination':'/b','options':'ro'}]"),
	    "mounts[1].options: expected an array of strings", "mount options");
	bad(MIN_DOC(",'linux':{'namespaces':[{'type':'pid'},{'type':'bogus'}]}"),
	    "linux.namespaces[1].type: unknown namespace type \"bogus\"", "namespace type");
	bad(MIN_DOC(",'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}"),
	    "linux.namespaces: duplicate namespace type pid", "duplicate namespace");
	bad(MIN_DOC(",'hooks':{'prestart':[{'path':'/x','timeout':0}]}"),
	    "hooks.prestart[0].timeout: expected an integer from 1 to 2147483647",
	    "hook timeout 0");
	bad(MIN_DOC(",'hooks':{'poststop':[{'path':'rel'}]}"),
	    "hooks.poststop[0].path: must be an absolute path", "relative hook path");
	bad(MIN_DOC(",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
		    "['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'EQ'}]}]}}"),
	    "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\"", "seccomp op");
	bad(MIN_DOC(",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
		    "['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':"
		    "'SCMP_CMP_EQ'}]}]}}"),
	    "linux.seccomp.syscalls[0].args[0].index: expected 0 to 5", "seccomp arg index");
	bad(MIN_DOC(",'linux':{'seccomp':{'defaultAction':'ALLOW'}}"),
	    "linux.seccomp.defaultAction: unknown seccomp action \"ALLOW\"", "seccomp action");
	bad(MIN_DOC(",'process':{'args':['a'],'cwd':'/','rlimits':[{'type':'RLIMIT_FOO','soft':1,"
		    "'hard':1}]}"),
	    "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"", "rlimit type");
	bad(MIN_DOC(",'process':{'args':['a'],'cwd':'/','user':{'uid':-1}}"),
	    "process.user.uid: expected an integer from 0 to 4294967295", "negative uid");
	bad(MIN_DOC(",'process':{'args':['a'],'cwd':'/','oomScoreAdj':1001}"),
	    "process.oomScoreAdj: expected an integer from -1000 to 1000", "oomScoreAdj range");
	bad(MIN_DOC(",'process':{'args':['a'],'cwd':'/','user':{'uid':1.5}}"),
	    "process.user.uid: expected an integer from 0 to 4294967295", "fractional uid");
	bad(MIN_DOC(",'annotations':{'a':'b','k':1}"), "annotations.k: expected a string",
	    "annotation value");
	bad(MIN_DOC(",'linux':{'resources':{'memory':{'limit':'1G'}}}"),
	    "linux.resources.memory.limit: expected an integer from -1 to 9223372036854775807",
	    "memory limit as a string");
	bad(MIN_DOC(",'linux':{'devices':[{'path':'/dev/x','type':'c','major':1}]}"),
	    "linux.devices[0].minor: required but missing", "device without minor");
	bad(MIN_DOC(",'vm':{'hwConfig':{'vcpus':'2'}}"),
	    "vm.hwConfig.vcpus: expected an integer from 0 to 4294967295", "vm vcpus");
	bad(MIN_DOC(",'hostname':7"), "hostname: expected a string", "hostname");
	bad("[1,2]", "expected a JSON object", "top level array");
}

static void test_missing(void)
{
	bad("{'root':{'path':'r'}}", "ociVersion: required but missing", "no ociVersion");
	bad("{'ociVersion':'1.0.0'}", "root: required but missing", "no root");
	bad("{'ociVersion':'1.0.0','root':{'readonly':true}}", "root.path: required but missing",
	    "no root.path");
	bad(MIN_DOC(",'process':{'cwd':'/'}"), "process.args: required but missing", "no args");
	bad(MIN_DOC(",'process':{'args':[],'cwd':'/'}"), "process.args: must not be empty",
	    "empty args");
	bad(MIN_DOC(",'process':{'args':['a']}"), "process.cwd: required but missing", "no cwd");
	bad(MIN_DOC(",'process':{'args':['a'],'cwd':'x'}"), "process.cwd: must be an absolute path",
	    "relative cwd");
	bad(MIN_DOC(",'mounts':[{'type':'tmpfs'}]"), "mounts[0].destination: required but missing",
	    "mount without destination");
	bad(MIN_DOC(",'hooks':{'prestart':[{'args':['x']}]}"),
	    "hooks.prestart[0].path: required but missing", "hook without path");
	bad(MIN_DOC(",'process':{'args':['a'],'cwd':'/','consoleSize':{'height':1}}"),
	    "process.consoleSize.width: required but missing", "consoleSize without width");
	bad(MIN_DOC(",'linux':{'seccomp':{'syscalls':[]}}"),
	    "linux.seccomp.defaultAction: required but missing", "seccomp without defaultAction");
}

static void test_lenient(void)
{
	struct oci_config *c;
	struct rt_err err;

	is_int(parse("{'ociVersion':'1.0.0','root':{'path':'r','x':1},'foo':{'bar':[1,{}]},"
		     "'process':{'args':['a'],'cwd':'/','newThing':true,'user':{'uid':0,"
		     "'gid':0,'username':'root'}},'linux':{'intelRdt':{'closID':'x'},"
		     "'uidMappingsX':3},'windows':{'layerFolders':[]}}",
		     &c, &err),
	       0, "unknown properties are ignored (%s)", err.msg);
	oci_config_free(c);
	is_int(parse(MIN_DOC(",'hostname':null,'process':null,'linux':{'sysctl':null}"), &c, &err),
	       0, "null counts as absent (%s)", err.msg);
	ok(c && c->hostname == NULL && c->process == NULL, "null fields stay empty");
	oci_config_free(c);
	is_int(parse(MIN_DOC(",'linux':{'resources':{'blockIO':{'weight':10},'memory':{"
			     "'swappiness':0,'kernel':100}}}"),
		     &c, &err),
	       0, "unsupported resources parse");
	ok(c && c->lnx.resources.unsupported.n == 2, "unsupported sections are listed");
	if (c && c->lnx.resources.unsupported.n == 2) {
		is_str(c->lnx.resources.unsupported.v[0], "linux.resources.memory.kernel",
		       "named by path (memory.kernel)");
		is_str(c->lnx.resources.unsupported.v[1], "linux.resources.blockIO",
		       "named by path (blockIO)");
	}
	oci_config_free(c);
}

static void test_limits(void)
{
	char dir[] = "/tmp/test_oci.XXXXXX", path[64];
	struct oci_config *c = NULL;
	struct rt_err err;
	char *big;
	int fd;

	bad("{", "invalid JSON: parse error: premature EOF", "truncated JSON");
	big = malloc(100 * 2 + 1);
	memset(big, '[', 100);
	memset(big + 100, ']', 100);
	big[200] = '\0';
	bad(big, "JSON nested deeper than 64 levels", "deep nesting");
	free(big);
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof(path), "%s/config.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	big = calloc(1, OCI_CONFIG_MAX + 2);
	memset(big, ' ', OCI_CONFIG_MAX + 1);
	ok(fd >= 0 && write(fd, big, OCI_CONFIG_MAX + 1) == OCI_CONFIG_MAX + 1, "oversized file");
	close(fd);
	free(big);
	rt_err_clear(&err);
	is_int(oci_config_load(path, &c, &err), -EFBIG, "oversized config.json is refused");
	ok(strstr(err.msg, "is larger than the limit of 4194304 bytes") != NULL, "says why: %s",
	   err.msg);
	fd = open(path, O_WRONLY | O_TRUNC);
	big = q(MIN_DOC(",'process':{'args':'sh','cwd':'/'}"));
	ok(write(fd, big, strlen(big)) == (ssize_t)strlen(big), "bad config written");
	close(fd);
	free(big);
	is_int(oci_config_load(path, &c, &err), -EINVAL, "load reports type errors");
	is_str(err.msg, "config.json: process.args: expected an array of strings",
	       "load prefixes the file name");
	unlink(path);
	is_int(oci_config_load(path, &c, &err), -ENOENT, "missing file");
	rmdir(dir);
}

static void test_standalone(void)
{
	struct oci_process *p = NULL;
	struct oci_resources r;
	struct rt_err err;
	char *j;

	j = q("{'args':['ls','-l'],'cwd':'/tmp','env':['A=1'],'terminal':false,'user':{'uid':5}}");
	is_int(oci_process_parse(j, strlen(j), &p, &err), 0, "exec process parses");
	ok(p && p->args.n == 2 && p->user.uid == 5, "exec process fields");
	oci_process_free(p);
	free(j);
	j = q("{'args':'ls','cwd':'/'}");
	p = NULL;
	ok(oci_process_parse(j, strlen(j), &p, &err) < 0 && !p, "bad exec process refused");
	is_str(err.msg, "process.args: expected an array of strings", "exec process message");
	free(j);
	j = q("{'memory':{'limit':1048576},'cpu':{'quota':-1},'pids':{'limit':-1},"
	      "'unified':{'memory.high':'1'},'rdma':{}}");
	is_int(oci_resources_parse(j, strlen(j), &r, &err), 0, "update resources parse");
	ok(r.has_memory_limit && r.memory_limit == 1048576 && r.cpu_quota == -1,
	   "resources fields");
	ok(r.unsupported.n == 1 && !strcmp(r.unsupported.v[0], "resources.unified"),
	   "unified is unsupported, empty rdma is not");
	oci_resources_fini(&r);
	free(j);
}

static void test_default_spec(void)
{
	for (int rootless = 0; rootless < 2; rootless++) {
		struct oci_config *c = NULL;
		struct rt_err err;
		char *json;
		size_t len;

		is_int(oci_spec_default(rootless, &json, &len, &err), 0,
		       "default spec (rootless=%d)", rootless);
		is_int(oci_config_parse(json, len, &c, &err), 0, "our default spec parses (%s)",
		       err.msg);
		ok(c && c->process && c->process->terminal && !strcmp(c->root.path, "rootfs"),
		   "default spec fields");
		ok(c && c->lnx.n_namespaces == (rootless ? 4u : 5u), "namespaces (rootless=%d)",
		   rootless);
		ok(json[1] == '\n' && json[2] == '\t', "tab-indented like runc");
		oci_config_free(c);
		free(json);
	}
}

int main(void)
{
	test_runc_spec();
	test_podman_spec();
	test_wrong_types();
	test_missing();
	test_lenient();
	test_limits();
	test_standalone();
	test_default_spec();
	return tap_done();
}
