/* config.json "vm": the hypervisor, kernel, initrd and hwConfig (vcpus, memory in
 * MiB) that may pick and size a VM-based container's VM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"

static int vm_path_obj(yajl_val vm, const char *key, char **path_out, struct oci_strv *params_out,
		       struct rt_err *err)
{
	char path[OCI_JPATH_MAX];
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(vm, key, "vm", &v, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), "vm", key);
	r = oci_j_str(v, "path", path, path_out, err);
	if (r == 0)
		return oci_j_missing(path, "path", err);
	if (r < 0)
		return r;
	if (params_out && oci_j_strv(v, "parameters", path, params_out, err) < 0)
		return -EINVAL;
	return 1;
}

static int vm_hw(yajl_val vm, struct oci_vm *out, struct rt_err *err)
{
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(vm, "hwConfig", "vm", &v, err);
	if (r <= 0)
		return r;
	r = oci_j_u32(v, "vcpus", "vm.hwConfig", &out->vcpus, err);
	if (r < 0)
		return r;
	out->has_vcpus = r;
	r = oci_j_u64(v, "memory", "vm.hwConfig", UINT64_MAX, &out->memory_mib, err);
	if (r < 0)
		return r;
	out->has_memory = r;
	return 0;
}

int oci_parse_vm(yajl_val v, const char *path, struct oci_vm *vm, struct rt_err *err)
{
	yajl_val kernel = NULL, image = NULL;
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	if (vm_path_obj(v, "hypervisor", &vm->hypervisor_path, &vm->hypervisor_params, err) < 0)
		return -EINVAL;
	r = vm_path_obj(v, "kernel", &vm->kernel_path, &vm->kernel_params, err);
	if (r < 0)
		return r;
	if (r > 0 && oci_j_obj(v, "kernel", "vm", &kernel, err) > 0 &&
	    oci_j_str(kernel, "initrd", "vm.kernel", &vm->initrd, err) < 0)
		return -EINVAL;
	if (vm_path_obj(v, "image", &vm->image_path, NULL, err) < 0)
		return -EINVAL;
	if (vm->image_path && oci_j_obj(v, "image", "vm", &image, err) > 0 &&
	    oci_j_str(image, "format", "vm.image", &vm->image_format, err) < 0)
		return -EINVAL;
	return vm_hw(v, vm, err);
}

void oci_vm_fini(struct oci_vm *vm)
{
	if (!vm)
		return;
	free(vm->hypervisor_path);
	oci_strv_fini(&vm->hypervisor_params);
	free(vm->kernel_path);
	oci_strv_fini(&vm->kernel_params);
	free(vm->initrd);
	free(vm->image_path);
	free(vm->image_format);
	memset(vm, 0, sizeof(*vm));
}
