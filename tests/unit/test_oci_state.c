/* Unit tests for oci/ state and JSON output: RFC 3339 times, state.json round
 * trips with runvm's private fields, the exact `runvm state` and hook documents,
 * atomic saves, the JSON writer, and the features document. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/config.h"
#include "oci/jsonw.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "tests/unit/tap.h"

static void test_time(void)
{
	struct timespec ts = { 0, 0 }, back;
	char buf[64];

	is_int(oci_time_format(&ts, buf, sizeof(buf)), 0, "format epoch");
	is_str(buf, "1970-01-01T00:00:00Z", "no fraction for whole seconds");
	ts.tv_sec = 1700000000;
	ts.tv_nsec = 123456789;
	oci_time_format(&ts, buf, sizeof(buf));
	is_str(buf, "2023-11-14T22:13:20.123456789Z", "nanoseconds");
	ts.tv_nsec = 120000000;
	oci_time_format(&ts, buf, sizeof(buf));
	is_str(buf, "2023-11-14T22:13:20.12Z", "trailing zeros trimmed (Go's RFC3339Nano)");
	is_int(oci_time_parse(buf, &back), 0, "parse it back");
	ok(back.tv_sec == ts.tv_sec && back.tv_nsec == ts.tv_nsec, "round trip");
	is_int(oci_time_parse("2023-11-15T00:13:20.5+02:00", &back), 0, "offset form");
	ok(back.tv_sec == 1700000000 && back.tv_nsec == 500000000, "offset applied");
	is_int(oci_time_parse("2023-11-14T22:13:20.1234567891Z", &back), 0, "extra digits");
	is_int(back.tv_nsec, 123456789, "digits past nanoseconds ignored");
	ok(oci_time_parse("2023-11-14 22:13:20Z", &back) < 0, "space separator refused");
	ok(oci_time_parse("2023-11-14T22:13:20", &back) < 0, "missing zone refused");
	ok(oci_time_parse("2023-11-14T22:13:20.Z", &back) < 0, "empty fraction refused");
	is_str(oci_status_name(OCI_STATUS_PAUSED), "paused", "status name");
	{
		enum oci_status st;

		ok(oci_status_parse("creating", &st) == 0 && st == OCI_STATUS_CREATING,
		   "status parse");
		ok(oci_status_parse("dead", &st) < 0, "unknown status refused");
	}
}

static void fill_state(struct oci_state *s)
{
	memset(s, 0, sizeof(*s));
	s->oci_version = strdup("1.1.0");
	s->id = strdup("c1");
	s->status = OCI_STATUS_RUNNING;
	s->pid = 4242;
	s->bundle = strdup("/b");
	s->rootfs = strdup("/b/rootfs");
	s->created.tv_sec = 1700000000;
	s->created.tv_nsec = 5;
	oci_kvv_push(&s->annotations, "k", "v \"quoted\"");
	s->owner = strdup("root");
	s->rv.cgroup_manager = strdup("systemd");
	s->rv.cgroups_path = strdup("machine.slice:libpod:c1");
	s->rv.rootless = true;
	s->rv.vmm_path = strdup("/usr/bin/runvm-vmm");
	s->rv.control_socket = strdup("/run/runvm/c1/ctl.sock");
	s->rv.vmm_start_time = 123456;
}

static void test_views(void)
{
	struct oci_state s;
	struct rt_err err;
	char *json;
	size_t len;

	fill_state(&s);
	is_int(oci_state_to_json(&s, OCI_STATE_VIEW_CLI, NULL, &json, &len, &err), 0, "CLI view");
	is_str(json,
	       "{\"ociVersion\":\"1.1.0\",\"id\":\"c1\",\"status\":\"running\",\"pid\":4242,"
	       "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\","
	       "\"created\":\"2023-11-14T22:13:20.000000005Z\","
	       "\"annotations\":{\"k\":\"v \\\"quoted\\\"\"},\"owner\":\"root\"}",
	       "runvm state: the contract's fields, in its order, nothing private");
	free(json);
	is_int(oci_state_to_json(&s, OCI_STATE_VIEW_HOOK, NULL, &json, &len, &err), 0, "hook view");
	is_str(json,
	       "{\"ociVersion\":\"1.1.0\",\"id\":\"c1\",\"status\":\"running\",\"pid\":4242,"
	       "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v \\\"quoted\\\"\"}}",
	       "hook state: the OCI state document");
	free(json);
	is_int(oci_state_to_json(&s, OCI_STATE_VIEW_GUEST_HOOK, NULL, &json, &len, &err), 0,
	       "guest hook view");
	is_str(json,
	       "{\"ociVersion\":\"1.1.0\",\"id\":\"c1\",\"status\":\"running\","
	       "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v \\\"quoted\\\"\"}}",
	       "startContainer state: the same without pid, which the guest adds");
	free(json);
	is_int(oci_state_to_json(&s, OCI_STATE_VIEW_CLI, "  ", &json, &len, &err), 0, "pretty");
	ok(!strncmp(json, "{\n  \"ociVersion\": \"1.1.0\",\n  \"id\"", 32), "two-space indent");
	ok(json[len - 1] == '\n', "ends with a newline");
	free(json);
	oci_state_fini(&s);
}

static void test_round_trip(void)
{
	struct oci_state s, back;
	struct rt_err err;
	char *json;
	size_t len;

	fill_state(&s);
	is_int(oci_state_to_json(&s, OCI_STATE_VIEW_DISK, NULL, &json, &len, &err), 0, "disk view");
	ok(strstr(json, "\"runvm\":{\"cgroupManager\":\"systemd\"") != NULL, "private fields");
	is_int(oci_state_parse(json, len, &back, &err), 0, "parses back (%s)", err.msg);
	is_str(back.id, "c1", "id");
	is_int(back.status, OCI_STATUS_RUNNING, "status");
	is_int(back.pid, 4242, "pid");
	is_str(back.bundle, "/b", "bundle");
	is_str(back.rootfs, "/b/rootfs", "rootfs");
	ok(back.created.tv_sec == 1700000000 && back.created.tv_nsec == 5, "created");
	is_str(oci_kvv_get(&back.annotations, "k"), "v \"quoted\"", "annotations");
	is_str(back.owner, "root", "owner");
	is_str(back.rv.cgroup_manager, "systemd", "cgroup manager");
	is_str(back.rv.cgroups_path, "machine.slice:libpod:c1", "cgroups path");
	ok(back.rv.rootless, "rootless");
	is_str(back.rv.vmm_path, "/usr/bin/runvm-vmm", "VMM path");
	is_str(back.rv.control_socket, "/run/runvm/c1/ctl.sock", "control socket");
	ok(back.rv.kernel_path && !back.rv.kernel_path[0], "unset path is empty");
	is_int(back.rv.vmm_start_time, 123456, "VMM start time");
	free(json);
	oci_state_fini(&back);
	oci_state_fini(&s);
	json = strdup("{\"id\":\"x\",\"status\":\"zombie\"}");
	ok(oci_state_parse(json, strlen(json), &back, &err) < 0, "bad status refused");
	is_str(err.msg, "status: unknown status \"zombie\"", "bad status message");
	free(json);
	json = strdup("{\"status\":\"created\"}");
	ok(oci_state_parse(json, strlen(json), &back, &err) < 0, "missing id refused");
	free(json);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_save_load(void)
{
	char dir[] = "/tmp/test_oci_state.XXXXXX";
	struct oci_state s, back;
	struct rt_err err;
	int dfd;

	ok(mkdtemp(dir) != NULL, "temp dir");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fill_state(&s);
	is_int(oci_state_save(dfd, &s, &err), 0, "save");
	s.status = OCI_STATUS_STOPPED;
	s.pid = 0;
	is_int(oci_state_save(dfd, &s, &err), 0, "save again (replace)");
	is_int(count_entries(dir), 1, "only state.json: no temporary file left");
	is_int(oci_state_load(dfd, &back, &err), 0, "load");
	ok(back.status == OCI_STATUS_STOPPED && back.pid == 0, "the second save won");
	oci_state_fini(&back);
	oci_state_fini(&s);
	unlinkat(dfd, OCI_STATE_FILE, 0);
	is_int(oci_state_load(dfd, &back, &err), -ENOENT, "missing state.json is ENOENT");
	close(dfd);
	rmdir(dir);
}

static void test_writer(void)
{
	struct oci_jw w;
	struct rt_err err;
	const char *buf;
	size_t len;
	const char *list[] = { "a", "b\n", NULL };

	is_int(oci_jw_init(&w, NULL, &err), 0, "writer");
	oci_jw_obj(&w);
	oci_jw_kuint(&w, "big", UINT64_MAX);
	oci_jw_kint(&w, "neg", -5);
	oci_jw_kstrs(&w, "l", list);
	oci_jw_kstr(&w, "null", NULL);
	oci_jw_kstr(&w, "path", "/a/b");
	oci_jw_obj_end(&w);
	is_int(oci_jw_done(&w, &buf, &len, &err), 0, "document done");
	is_str(buf,
	       "{\"big\":18446744073709551615,\"neg\":-5,\"l\":[\"a\",\"b\\n\"],\"null\":\"\","
	       "\"path\":\"/a/b\"}",
	       "values, escapes, unescaped solidus");
	oci_jw_fini(&w);
	oci_jw_init(&w, NULL, &err);
	oci_jw_obj_end(&w);
	ok(oci_jw_done(&w, &buf, &len, &err) < 0, "malformed document is an error");
	oci_jw_fini(&w);
}

static void test_features(void)
{
	struct rt_err err;
	yajl_val top, v;
	char *json;
	size_t len;
	const char *p_max[] = { "ociVersionMax", NULL };
	const char *p_hooks[] = { "hooks", NULL };
	const char *p_ns[] = { "linux", "namespaces", NULL };
	const char *p_aa[] = { "linux", "apparmor", "enabled", NULL };
	const char *p_v1[] = { "linux", "cgroup", "v1", NULL };

	is_int(oci_features_json("0.1.0", "abc", &json, &len, &err), 0, "features");
	is_int(oci_json_parse(json, len, &top, &err), 0, "features is JSON");
	v = yajl_tree_get(top, p_max, yajl_t_string);
	is_str(v ? v->u.string : NULL, OCI_SPEC_VERSION, "ociVersionMax");
	v = yajl_tree_get(top, p_hooks, yajl_t_array);
	ok(v && v->u.array.len == 6, "all six hooks, startContainer (in the guest) included");
	v = yajl_tree_get(top, p_ns, yajl_t_array);
	ok(v && v->u.array.len == 6, "namespaces without user and time");
	ok(yajl_tree_get(top, p_aa, yajl_t_false) != NULL, "apparmor disabled");
	ok(yajl_tree_get(top, p_v1, yajl_t_true) != NULL, "cgroup v1 advertised");
	yajl_tree_free(top);
	free(json);
}

int main(void)
{
	test_time();
	test_views();
	test_round_trip();
	test_save_load();
	test_writer();
	test_features();
	return tap_done();
}
