/* Unit tests for the config.json -> proto_spec translation (runtime/spec2proto.c):
 * the process (caps by name to bits, rlimits, user, terminal), mounts with bind
 * sources moved into the share, namespaces, sysctl, paths, devices, resources as
 * cgroup v2 files, seccomp, refusals naming the JSON path, and an encode/decode
 * round trip through the wire format. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/proto.h"
#include "oci/config.h"
#include "runtime/spec2proto.h"
#include "tests/unit/tap.h"
#include "tests/unit/oci_doc.h"

static const char *kv_get(const struct proto_kv *kv, uint32_t n, const char *key)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

static const char full_doc[] =
	"{'ociVersion':'1.0.2','hostname':'box','domainname':'example.org',"
	"'root':{'path':'rootfs','readonly':true},"
	"'process':{'terminal':true,'consoleSize':{'height':40,'width':120},"
	" 'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,6]},"
	" 'args':['sh','-c','echo hi'],'env':['PATH=/bin','A=b'],'cwd':'/work',"
	" 'capabilities':{'bounding':['CAP_CHOWN','CAP_KILL','CAP_NOT_A_CAP'],"
	"   'effective':['CAP_KILL'],'permitted':['CAP_KILL'],'inheritable':[],'ambient':['CAP_SYS_ADMIN']},"
	" 'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':512}],"
	" 'noNewPrivileges':true,'oomScoreAdj':-500},"
	"'mounts':["
	" {'destination':'/proc','type':'proc','source':'proc','options':['nosuid']},"
	" {'destination':'/data','type':'bind','source':'/srv/data','options':['rbind','ro']},"
	" {'destination':'/etc/hosts','source':'/tmp/hosts','options':['bind']},"
	" {'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup'}],"
	"'linux':{'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'network','path':'/run/netns/x'},"
	"   {'type':'uts'},{'type':'ipc'},{'type':'cgroup'}],"
	" 'sysctl':{'net.ipv4.ip_forward':'1'},"
	" 'maskedPaths':['/proc/kcore'],'readonlyPaths':['/proc/sys','/proc/bus'],"
	" 'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,'uid':0}],"
	" 'resources':{'memory':{'limit':536870912,'reservation':268435456,'swap':1073741824},"
	"   'cpu':{'shares':1024,'quota':150000,'period':100000},'pids':{'limit':100}},"
	" 'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
	"   'architectures':['SCMP_ARCH_X86_64'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"
	"   'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
	"     {'names':['kill'],'action':'SCMP_ACT_ERRNO',"
	"      'args':[{'index':1,'value':9,'op':'SCMP_CMP_EQ'}]}]}}}";

static void test_full(void)
{
	static const char *const names[] = { NULL, "m0", "m1", NULL };
	struct oci_config *c = cfg_of(full_doc);
	struct rt_spec_in in = { .cfg = c, .id = "ctr1", .root_tag = RT_SHARE_TAG,
				 .root_path = "rootfs", .bind_names = names };
	struct proto_spec s;
	struct rt_err err;
	const struct proto_process *p = &s.process;

	ok(c != NULL, "full config parses");
	if (!c)
		return;
	is_int(rt_spec_build(&in, &s, &err), 0, "full config translates");
	is_str(s.id, "ctr1", "id");
	is_str(s.root_tag, "rootfs", "root tag");
	is_str(s.root_path, "rootfs", "root path in the share");
	ok(s.flags & PROTO_SPEC_ROOT_RO, "root.readonly");
	is_str(s.hostname, "box", "hostname");
	is_str(s.domainname, "example.org", "domainname");
	/* process */
	is_int(p->args.n, 3, "args");
	is_str(p->args.v[2], "echo hi", "args[2]");
	is_int(p->env.n, 2, "env");
	is_str(p->cwd, "/work", "cwd");
	is_int(p->uid, 1000, "uid");
	is_int(p->gid, 1001, "gid");
	ok(p->flags & PROTO_PROC_UMASK, "umask given");
	is_int(p->umask, 18, "umask value");
	is_int(p->n_gids, 2, "additionalGids");
	is_int(p->gids[1], 6, "additionalGids[1]");
	ok(p->flags & PROTO_PROC_TERMINAL, "terminal");
	is_int(p->rows, 40, "consoleSize height -> rows");
	is_int(p->cols, 120, "consoleSize width -> cols");
	ok(p->flags & PROTO_PROC_CAPS, "capabilities apply");
	is_int(p->caps[PROTO_CAP_BOUNDING], (1ull << 0) | (1ull << 5),
	       "bounding: CAP_CHOWN and CAP_KILL, the unknown one skipped");
	is_int(p->caps[PROTO_CAP_EFFECTIVE], 1ull << 5, "effective");
	is_int(p->caps[PROTO_CAP_INHERITABLE], 0, "inheritable empty");
	is_int(p->caps[PROTO_CAP_AMBIENT], 1ull << 21, "ambient CAP_SYS_ADMIN");
	is_int(p->n_rlimits, 1, "rlimits");
	is_int(p->rlimits[0].type, RLIMIT_NOFILE, "rlimit type by name");
	is_int(p->rlimits[0].soft, 512, "rlimit soft");
	is_int(p->rlimits[0].hard, 1024, "rlimit hard");
	ok(p->flags & PROTO_PROC_NNP, "noNewPrivileges");
	ok(p->flags & PROTO_PROC_OOM_SCORE, "oomScoreAdj given");
	is_int(p->oom_score_adj, -500, "oomScoreAdj");
	/* mounts */
	is_int(s.n_mounts, 4, "mounts");
	is_str(s.mounts[0].type, "proc", "proc passes through");
	is_str(s.mounts[0].source, "proc", "proc source");
	is_str(s.mounts[1].source, PROTO_SHARE_DIR "/m0", "bind source is in the share");
	is_str(s.mounts[1].type, "bind", "bind type");
	is_int(s.mounts[1].options.n, 2, "bind options kept");
	is_str(s.mounts[2].source, PROTO_SHARE_DIR "/m1", "bind by option, source in the share");
	is_str(s.mounts[2].type, "bind", "bind by option gets the bind type");
	is_str(s.mounts[3].type, "cgroup", "cgroup passes through");
	/* linux */
	is_int(s.namespaces,
	       PROTO_NS_PID | PROTO_NS_UTS | PROTO_NS_IPC | PROTO_NS_CGROUP,
	       "namespaces (mount implied; a network path: the guest's own, which the VM's "
	       "network is attached to)");
	is_int(s.n_sysctl, 1, "sysctl");
	is_str(s.sysctl[0].key, "net.ipv4.ip_forward", "sysctl key");
	is_int(s.masked.n, 1, "maskedPaths");
	is_int(s.readonly.n, 2, "readonlyPaths");
	is_int(s.n_devices, 1, "devices");
	is_int(s.devices[0].type, 'c', "device type");
	is_int(s.devices[0].minor, 229, "device minor");
	is_int(s.devices[0].mode, 438, "device mode");
	is_int(s.devices[0].flags, PROTO_DEV_MODE | PROTO_DEV_UID, "device flags");
	/* resources */
	is_str(kv_get(s.cgroup, s.n_cgroup, "memory.max"), "536870912", "memory.max");
	is_str(kv_get(s.cgroup, s.n_cgroup, "memory.low"), "268435456", "memory.low");
	ok(!kv_get(s.cgroup, s.n_cgroup, "memory.swap.max"), "no swap in the guest");
	is_str(kv_get(s.cgroup, s.n_cgroup, "cpu.max"), "150000 100000", "cpu.max");
	is_str(kv_get(s.cgroup, s.n_cgroup, "cpu.weight"), "39", "cpu.weight from 1024 shares");
	is_str(kv_get(s.cgroup, s.n_cgroup, "pids.max"), "100", "pids.max");
	/* seccomp */
	ok(s.flags & PROTO_SPEC_SECCOMP, "seccomp applies");
	is_int(s.seccomp.default_action, PROTO_SCMP_ERRNO, "default action");
	is_int(s.seccomp.default_ret, 38, "defaultErrnoRet");
	is_int(s.seccomp.flags, PROTO_SCMP_FLAG_LOG, "flags");
	is_int(s.seccomp.archs.n, 1, "architectures");
	is_int(s.seccomp.n_rules, 2, "rules");
	is_int(s.seccomp.rules[0].action, PROTO_SCMP_ALLOW, "rule 0 action");
	is_int(s.seccomp.rules[0].names.n, 2, "rule 0 names");
	is_int(s.seccomp.rules[1].ret, EPERM, "ERRNO without errnoRet is EPERM");
	is_int(s.seccomp.rules[1].n_args, 1, "rule 1 args");
	is_int(s.seccomp.rules[1].args[0].op, PROTO_SCMP_EQ, "arg op");
	is_int(s.seccomp.rules[1].args[0].value, 9, "arg value");
	proto_spec_free(&s);

	/* The wire: encode, then decode as the guest does. */
	{
		struct proto_buf b;
		struct proto_hdr h;
		struct proto_spec d;

		proto_buf_init(&b);
		is_int(rt_spec_encode(&in, &b, &err), 0, "encodes");
		ok(proto_hdr_decode(b.data, b.len, &h) == 0 && h.type == PROTO_CREATE &&
			   h.id != 0 && h.len + PROTO_HDR_SIZE == b.len,
		   "one PROTO_CREATE message with a request id");
		is_int(proto_dec_spec(b.data + PROTO_HDR_SIZE, h.len, &d), 0, "decodes");
		is_str(d.mounts[2].source, PROTO_SHARE_DIR "/m1", "decoded bind source");
		is_int(d.process.caps[PROTO_CAP_BOUNDING], (1ull << 0) | (1ull << 5), "decoded caps");
		is_str(kv_get(d.cgroup, d.n_cgroup, "pids.max"), "100", "decoded cgroup file");
		proto_spec_free(&d);
		proto_buf_fini(&b);
	}
	oci_config_free(c);
}

static void test_minimal(void)
{
	struct oci_config *c = cfg_of("{'ociVersion':'1.0.0','root':{'path':'r'},"
				      "'process':{'args':['true'],'cwd':'/','user':{'uid':0,'gid':0}}}");
	struct rt_spec_in in = { .cfg = c, .id = "m", .root_path = "/" };
	struct proto_spec s;
	struct rt_err err;

	if (!c) {
		ok(0, "minimal config parses");
		return;
	}
	is_int(rt_spec_build(&in, &s, &err), 0, "minimal config translates");
	is_str(s.process.cwd, "/", "cwd");
	is_int(s.process.flags, 0, "no flags: no caps, umask, terminal, nnp, oom");
	is_str(s.hostname, "", "no hostname: empty");
	is_str(s.root_tag, "", "no tag: a guest directory");
	is_int(s.n_cgroup, 0, "no resources: no cgroup files");
	ok(!(s.flags & PROTO_SPEC_SECCOMP), "no seccomp");
	is_int(s.namespaces, 0, "no namespaces");
	is_int(s.process.n_extra, 0, "no --preserve-fds: no extra fds");
	proto_spec_free(&s);
	oci_config_free(c);
}

/* --preserve-fds: the directions the runtime found go into the process. */
static void test_extra_fds(void)
{
	struct oci_config *c = cfg_of("{'ociVersion':'1.0.0','root':{'path':'r'},"
				      "'process':{'args':['true'],'cwd':'/','user':{'uid':0,'gid':0}}}");
	struct proto_extra_fd x[PROTO_MAX_EXTRA_FDS + 1] = { { PROTO_EXTRA_IN, 0 },
							     { PROTO_EXTRA_BOTH, 0 } };
	struct rt_spec_in in = { .cfg = c, .id = "m", .root_path = "/", .extra = x, .n_extra = 2 };
	struct proto_spec s;
	struct rt_err err = { 0 };

	if (!c) {
		ok(0, "minimal config parses");
		return;
	}
	is_int(rt_spec_build(&in, &s, &err), 0, "a spec with two extra fds");
	ok(s.process.n_extra == 2 && s.process.extra[0].dir == PROTO_EXTRA_IN &&
		   s.process.extra[1].dir == PROTO_EXTRA_BOTH && !s.process.extra[1].port,
	   "they are the process's, in order, ports left to the VMM");
	proto_spec_free(&s);
	in.n_extra = PROTO_MAX_EXTRA_FDS + 1;
	ok(rt_spec_build(&in, &s, &err) < 0 && strstr(err.msg, "--preserve-fds: more than 16"),
	   "more than PROTO_MAX_EXTRA_FDS refused: %s", err.msg);
	proto_spec_free(&s);
	oci_config_free(c);
}

/* Translates doc; expects failure with a message containing want. */
static void refused(const char *doc, const char *const *names, const char *want, const char *what)
{
	struct oci_config *c = cfg_of(doc);
	struct rt_spec_in in = { .cfg = c, .id = "x", .root_tag = RT_SHARE_TAG,
				 .root_path = "rootfs", .bind_names = names };
	struct proto_spec s;
	struct rt_err err = { 0 };

	if (!c) {
		ok(0, "%s: parses", what);
		return;
	}
	ok(rt_spec_build(&in, &s, &err) < 0, "%s: refused", what);
	ok(strstr(err.msg, want) != NULL, "%s: message names it", what);
	if (!strstr(err.msg, want))
		printf("#   got \"%s\", want \"%s\"\n", err.msg, want);
	proto_spec_free(&s);
	oci_config_free(c);
}

#define BASE "'ociVersion':'1.0.0','root':{'path':'r'},'process':{'args':['true'],'cwd':'/','user':{'uid':0,'gid':0}"

static void test_refusals(void)
{
	refused("{" BASE "},'mounts':[{'destination':'/d','type':'bind','source':'/s'}]}", NULL,
		"mounts[0]", "bind mount that is not in the share");
	refused("{" BASE "},'linux':{'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY'}}}", NULL,
		"SCMP_ACT_NOTIFY", "seccomp notify action");
	refused("{" BASE "},'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		"'listenerPath':'/run/l.sock'}}}",
		NULL, "listenerPath", "seccomp listener");
	refused("{" BASE "},'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		"'flags':['SECCOMP_FILTER_FLAG_NEW_LISTENER']}}}",
		NULL, "SECCOMP_FILTER_FLAG_NEW_LISTENER", "unknown seccomp flag");
	refused("{" BASE "},'hostname':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}",
		NULL, "hostname", "hostname over 64 bytes");
	{
		struct oci_config *c = cfg_of("{" BASE "}}");
		struct rt_err err = { 0 };
		struct proto_spec s;
		struct rt_spec_in in = { .cfg = c, .id = "x", .root_tag = "", .root_path = "/" };

		ok(c && rt_spec_build(&in, &s, &err) == 0, "valid config for the message prefix");
		proto_spec_free(&s);
		oci_config_free(c);
	}
	{
		struct oci_config *c = cfg_of("{" BASE "},'mounts':[{'destination':'/d','type':'bind','source':'/s'}]}");
		struct rt_err err = { 0 };
		struct proto_spec s;
		struct rt_spec_in in = { .cfg = c, .id = "x", .root_tag = "", .root_path = "/" };

		ok(c && rt_spec_build(&in, &s, &err) < 0 && !strncmp(err.msg, "config.json: ", 13),
		   "messages start with config.json");
		proto_spec_free(&s);
		oci_config_free(c);
	}
}

static void test_hooks(void)
{
	struct oci_config *c = cfg_of("{" BASE "},'hooks':{'prestart':[{'path':'/host/only'}],"
				      "'startContainer':[{'path':'/bin/sh','args':['sh','-c','true'],"
				      "'env':['A=1'],'timeout':7},{'path':'/bin/true'}]}}");
	struct rt_spec_in in = { .cfg = c, .id = "x", .root_tag = "", .root_path = "/",
				 .hook_state = "{\"id\":\"x\"}" };
	struct proto_spec s, d;
	struct proto_buf b;
	struct rt_err err;

	if (!c) {
		ok(0, "hooks config parses");
		return;
	}
	is_int(rt_spec_build(&in, &s, &err), 0, "startContainer hooks translate");
	ok(s.n_hooks == 2 && !strcmp(s.hooks[0].path, "/bin/sh") && s.hooks[0].args.n == 3 &&
		   !strcmp(s.hooks[0].args.v[2], "true") && s.hooks[0].env.n == 1 &&
		   s.hooks[0].timeout == 7 && s.hooks[1].timeout == 0 && s.hooks[1].args.n == 0,
	   "only startContainer goes to the guest, with args, env and timeout");
	is_str(s.hook_state, "{\"id\":\"x\"}", "with the pre-rendered state");
	proto_buf_init(&b);
	ok(!proto_enc_spec(&b, 1, &s) &&
		   !proto_dec_spec(b.data + PROTO_HDR_SIZE, b.len - PROTO_HDR_SIZE, &d) &&
		   d.n_hooks == 2 && !strcmp(d.hooks[1].path, "/bin/true"),
	   "and survive the wire");
	proto_spec_free(&d);
	proto_buf_fini(&b);
	proto_spec_free(&s);
	in.hook_state = NULL;
	ok(rt_spec_build(&in, &s, &err) < 0 && strstr(err.msg, "hooks.startContainer"),
	   "hooks without a state are an error naming hooks.startContainer");
	proto_spec_free(&s);
	oci_config_free(c);
}

static void test_resources(void)
{
	struct oci_resources r = { 0 };
	struct proto_arena a = { 0 };
	struct proto_kv *kv;
	struct rt_err err;
	uint32_t n;

	is_int(rt_cpu_shares_to_weight(2), 1, "shares 2 -> weight 1");
	is_int(rt_cpu_shares_to_weight(1024), 39, "shares 1024 -> weight 39 (runc)");
	is_int(rt_cpu_shares_to_weight(262144), 10000, "shares max -> weight 10000");
	is_int(rt_cpu_shares_to_weight(1), 1, "below the minimum clamps");

	r.has_memory_limit = true;
	r.memory_limit = -1;
	r.has_cpu_quota = true;
	r.cpu_quota = -1;
	r.has_pids_limit = true;
	r.pids_limit = -1;
	is_int(rt_resources_cgroup(&r, &a, &kv, &n, &err), 0, "unlimited values translate");
	is_str(kv_get(kv, n, "memory.max"), "max", "memory -1 -> max");
	is_str(kv_get(kv, n, "cpu.max"), "max 100000", "quota -1 -> max with the default period");
	is_str(kv_get(kv, n, "pids.max"), "max", "pids -1 -> max");

	memset(&r, 0, sizeof(r));
	r.has_memory_limit = r.has_cpu_shares = r.has_pids_limit = r.has_cpu_quota = true;
	is_int(rt_resources_cgroup(&r, &a, &kv, &n, &err), 0, "zeros translate");
	is_int(n, 0, "zero values mean not set (clients send them for 'leave alone')");

	memset(&r, 0, sizeof(r));
	r.has_cpu_quota = true;
	r.cpu_quota = 50000;
	r.has_cpu_period = true;
	r.cpu_period = 25000;
	rt_resources_cgroup(&r, &a, &kv, &n, &err);
	is_str(kv_get(kv, n, "cpu.max"), "50000 25000", "quota with its own period");
	proto_arena_fini(&a);
}

static void test_exec_process(void)
{
	struct oci_process p = { 0 };
	struct proto_arena a = { 0 };
	struct proto_process out;
	struct rt_err err;
	char *args[] = { "ls", NULL };

	is_int(rt_process_build(&p, &a, &out, &err), -EINVAL, "no args refused");
	p.args.n = 1;
	p.args.v = args;
	is_int(rt_process_build(&p, &a, &out, &err), 0, "exec process with args only");
	is_str(out.cwd, "/", "exec cwd defaults to /");
	is_int(out.stdio[0] + out.stdio[1] + out.stdio[2], 0, "stdio ports left to the proxy");
	proto_arena_fini(&a);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_full();
	test_minimal();
	test_extra_fds();
	test_refusals();
	test_hooks();
	test_resources();
	test_exec_process();
	return tap_done();
}
