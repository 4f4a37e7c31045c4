// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel profiles (include/tdxsim/profiles.h, src/kvm/tdxsim_profiles.c)
 * and their controls:
 *  - the table: every setting names a switch and one of its values, every
 *    kernel's ancestry ends at v6.16, which sets every switch that is not a
 *    fact of the world, so each switch of each kernel has a source;
 *    the values docs/upstream/releases.md §7 gives for the releases;
 *  - names: "base+overlay+..." resolves, an unknown part, an overlay alone
 *    or two bases are refused;
 *  - TDXSIM_SET_KERNEL / TDXSIM_GET_KERNEL: a new VM runs the default
 *    (next); EINVAL for an unknown name with nothing changed; EBUSY after
 *    KVM_TDX_INIT_VM; the "modified" flag once TDXSIM_SET_DESIGN changes a
 *    switch;
 *  - behaviour that differs between releases and is not counted elsewhere:
 *    a failed MR.EXTEND or PAGE.ADD bugs the VM from 6.19 on and is an
 *    -EIO in 6.16 (the VM goes on).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/profiles.h"
#include "tdxsim/report.h"
#include "tdxsim/vmm.h"
#include "testlib/kvm_util_internal.h"

static const char *value_of(const char *kernel, const char *sw_name)
{
	const struct tdxsim_design_switch *sw = tdxsim_design_switch_find(sw_name);
	static struct tdxsim_design d;

	assert_non_null(sw);
	assert_int_equal(tdxsim_kernel_design(kernel, &d, NULL, 0), 0);
	return tdxsim_design_value_name(&d, sw);
}

static void test_table(void **state)
{
	const struct tdxsim_kernel_profile *p, *oldest = NULL;
	const struct tdxsim_design_switch *sw;
	size_t n, nsw, i, j;

	p = tdxsim_kernel_profiles(&n);
	sw = tdxsim_design_switches(&nsw);
	assert_true(n >= 8);
	for (i = 0; i < n; i++) {
		const struct tdxsim_kernel_profile *a = &p[i];
		struct tdxsim_design d;
		int depth = 0;

		assert_non_null(a->summary);
		assert_non_null(a->source);
		assert_ptr_equal(tdxsim_kernel_profile_find(a->name), a);
		for (j = 0; j < a->nr_settings; j++) {
			const struct tdxsim_design_switch *s =
				tdxsim_design_switch_find(a->settings[j].name);
			unsigned int v;

			if (!s)
				fail_msg("%s sets unknown switch %s", a->name,
					 a->settings[j].name);
			for (v = 0; s->values[v]; v++)
				if (!strcmp(s->values[v], a->settings[j].value))
					break;
			if (!s->values[v])
				fail_msg("%s: %s=%s is no value of it", a->name,
					 s->name, a->settings[j].value);
			assert_true(strlen(a->settings[j].source) > 4);
		}
		if (a->overlay)
			continue;
		/* Kernels: the ancestry ends at the oldest, without a loop. */
		while (a->parent) {
			a = tdxsim_kernel_profile_find(a->parent);
			assert_non_null(a);
			assert_true(++depth < 16);
		}
		if (!oldest)
			oldest = a;
		assert_ptr_equal(a, oldest);
		assert_int_equal(tdxsim_kernel_design(p[i].name, &d, NULL, 0), 0);
		assert_int_equal(d.version, TDXSIM_DESIGN_VERSION);
	}
	/* The oldest kernel sets every switch that is not the world's. */
	for (i = 0; i < nsw; i++) {
		bool set = false;

		for (j = 0; j < oldest->nr_settings; j++)
			set |= !strcmp(oldest->settings[j].name, sw[i].name);
		if (set == sw[i].world)
			fail_msg("%s: switch %s %s", oldest->name, sw[i].name,
				 sw[i].world ? "is the world's, set" : "not set");
	}
	/* The default is a kernel, not an overlay. */
	assert_false(tdxsim_kernel_profile_find(TDXSIM_KERNEL_DEFAULT)->overlay);
}

/*
 * The longest design string fits TDXSIM_DESIGN_STRING_MAX: every switch
 * has a word of struct tdxsim_design and names within the limits the
 * size is made of; with each switch at its longest value, the string
 * holds every pair, whole.
 */
static void test_design_string(void **state)
{
	const struct tdxsim_design_switch *sw;
	struct tdxsim_design d = { .version = TDXSIM_DESIGN_VERSION };
	char buf[TDXSIM_DESIGN_STRING_MAX], *p;
	size_t n, i, want = 0;

	sw = tdxsim_design_switches(&n);
	assert_true(n <= sizeof(d) / sizeof(__tdxsim_u32) - 1);
	for (i = 0; i < n; i++) {
		unsigned int v, longest = 0;

		if (strlen(sw[i].name) > TDXSIM_DESIGN_NAME_MAX)
			fail_msg("switch %s: name over %d", sw[i].name,
				 TDXSIM_DESIGN_NAME_MAX);
		assert_true(sw[i].offset >= sizeof(__tdxsim_u32));
		assert_true(sw[i].offset <= sizeof(d) - sizeof(__tdxsim_u32));
		for (v = 0; v < TDXSIM_SWITCH_MAX_VALUES && sw[i].values[v];
		     v++) {
			if (strlen(sw[i].values[v]) > TDXSIM_DESIGN_VALUE_MAX)
				fail_msg("%s=%s: value over %d", sw[i].name,
					 sw[i].values[v],
					 TDXSIM_DESIGN_VALUE_MAX);
			if (strlen(sw[i].values[v]) >
			    strlen(sw[i].values[longest]))
				longest = v;
		}
		*(__tdxsim_u32 *)((char *)&d + sw[i].offset) = longest;
		want += (i ? 1 : 0) + strlen(sw[i].name) + 1 +
			strlen(sw[i].values[longest]);
	}
	p = tdxsim_design_string(&d, buf, sizeof(buf));
	print_message("# the longest design string: %zu of %zu bytes\n",
		      strlen(p) + 1, sizeof(buf));
	assert_int_equal(strlen(p), want);
}

/* The release-by-release values of docs/upstream/releases.md §7. */
static void test_release_values(void **state)
{
	static const struct {
		const char *sw, *v[6];	/* v6.16 v6.17 v6.18 v6.19 v7.0 next */
	} rows[] = {
		{ "populate", { "gmem_cb", "gmem_cb", "gmem_cb", "map_pfn", "map_pfn", "map_pfn" } },
		{ "premap_count", { "on", "on", "on", "off", "off", "off" } },
		{ "populate_gup", { "in_callback", "in_callback", "in_callback", "in_callback", "before_lock", "before_lock" } },
		{ "populate_eexist", { "on", "on", "on", "on", "off", "off" } },
		{ "pin_pages", { "on", "on", "on", "off", "off", "off" } },
		{ "vp_init_lock", { "none", "none", "none", "mmu_write", "mmu_write", "mmu_write" } },
		{ "vm_state_guard", { "kvm_lock", "kvm_lock", "kvm_lock", "all", "all", "all" } },
		{ "init_vcpu_ioctls_unlocked", { "off", "off", "off", "on", "on", "on" } },
		{ "caps_locking", { "kvm_lock", "kvm_lock", "kvm_lock", "none", "none", "none" } },
		{ "mng_create_fail", { "error", "error", "error", "bug", "bug", "bug" } },
		{ "page_add_fail", { "error", "error", "error", "bug", "bug", "bug" } },
		{ "mr_extend_fail", { "error", "error", "error", "bug", "bug", "bug" } },
		{ "bug_macro", { "kvm_bug_on", "kvm_bug_on", "kvm_bug_on", "tdx_bug_on", "tdx_bug_on", "tdx_bug_on" } },
		{ "ept_retry_exit", { "events", "events", "memslot_invalid", "memslot_invalid", "memslot_invalid", "memslot_invalid" } },
		{ "private_max_level", { "4k", "4k", "4k", "4k", "4k", "4k" } },
		{ "accept_level", { "ignore", "ignore", "ignore", "ignore", "ignore", "ignore" } },
		{ "huge_split", { "off", "off", "off", "off", "off", "off" } },
		{ "mapgpa_user_ret", { "any_invalid", "any_invalid", "any_invalid", "any_invalid", "any_invalid", "errno_map" } },
		{ "mirror_freeze", { "on", "on", "on", "on", "on", "on" } },
		{ "mirror_cmpxchg_refresh_old", { "off", "off", "off", "off", "off", "on" } },
		{ "free_external_spt", { "rcu", "rcu", "rcu", "rcu", "rcu", "immediate" } },
		{ "gmem_bind_overlap", { "einval", "einval", "einval", "einval", "einval", "eexist" } },
		{ "gmem_locking", { "legacy", "legacy", "legacy", "legacy", "legacy", "legacy" } },
		{ "populate_src_null_check", { "off", "off", "off", "off", "off", "on" } },
		{ "td_init_nent_recheck", { "off", "off", "off", "off", "off", "on" } },
		{ "page_reset", { "always", "always", "quirk", "quirk", "quirk", "quirk" } },
		{ "prefault_eagain", { "off", "off", "on", "on", "on", "on" } },
		{ "finalize_lock", { "none", "none", "none", "none", "none", "none" } },
		{ "extend_lock", { "none", "none", "none", "none", "none", "none" } },
		{ "huge_split_order", { "sept_first", "sept_first", "sept_first",
					"sept_first", "sept_first", "sept_first" } },
		{ "huge_error_split", { "off", "off", "off", "off", "off", "off" } },
	};
	static const char *const k[] = { "v6.16", "v6.17", "v6.18", "v6.19",
					 "v7.0", "next" };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		for (j = 0; j < ARRAY_SIZE(k); j++)
			if (strcmp(value_of(k[j], rows[i].sw), rows[i].v[j]))
				fail_msg("%s: %s=%s, expected %s", k[j],
					 rows[i].sw, value_of(k[j], rows[i].sw),
					 rows[i].v[j]);
	/* The overlays change only what their series changes. */
	assert_string_equal(value_of("next+hugepage-rfc", "private_max_level"), "2m");
	assert_string_equal(value_of("next+hugepage-rfc", "accept_level"), "split_inhibit");
	assert_string_equal(value_of("next+hugepage-rfc", "populate"), "map_pfn");
	assert_string_equal(value_of("v6.16+hugepage-rfc", "pin_pages"), "on");
	assert_string_equal(value_of("next+seed000-rfc", "populate"), "decoupled");
	assert_string_equal(value_of("next+seed000-rfc", "premap_count"), "on");
	assert_string_equal(value_of("next+seed000-rfc", "vp_init_lock"), "mmu_write");
}

static void test_names(void **state)
{
	const struct tdxsim_design_switch *sw;
	struct tdxsim_design d, e;
	const char *from, *src;
	char err[160];

	assert_int_equal(tdxsim_kernel_design("next+seed000-rfc+hugepage-rfc",
					      &d, err, sizeof(err)), 0);
	assert_int_equal(d.populate, TDXSIM_POPULATE_DECOUPLED);
	assert_int_equal(d.private_max_level, TDXSIM_PRIVATE_MAX_LEVEL_2M);
	memset(&e, 0x5a, sizeof(e));
	d = e;
	assert_int_equal(tdxsim_kernel_design("v5.4", &d, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown profile 'v5.4'"));
	assert_memory_equal(&d, &e, sizeof(d));	/* untouched */
	assert_int_equal(tdxsim_kernel_design("hugepage-rfc", &d, err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is an overlay"));
	assert_int_equal(tdxsim_kernel_design("next+v6.16", &d, err,
					      sizeof(err)), -EINVAL);
	assert_int_equal(tdxsim_kernel_design("next+", &d, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(tdxsim_kernel_design("", &d, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(tdxsim_kernel_design("next+nope", &d, NULL, 0),
			 -EINVAL);

	/* Where a value comes from: the kernel or overlay that set it. */
	sw = tdxsim_design_switch_find("populate");
	assert_int_equal(tdxsim_kernel_switch_source("next", sw, &from, &src), 0);
	assert_string_equal(from, "v6.19");
	assert_non_null(strstr(src, "6b5b71ff"));
	assert_int_equal(tdxsim_kernel_switch_source("v6.18+seed000-rfc", sw,
						     &from, &src), 0);
	assert_string_equal(from, "seed000-rfc");
	sw = tdxsim_design_switch_find("gmem_hugepages");
	assert_int_equal(tdxsim_kernel_switch_source("next", sw, &from, &src), 0);
	assert_null(from);
	assert_true(sw->world);
}

static int set_kernel(int vm, const char *name)
{
	struct tdxsim_kernel k;

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", name);
	return tdxsim_ioctl(vm, TDXSIM_SET_KERNEL, &k) < 0 ? -errno : 0;
}

static void get_kernel(int vm, struct tdxsim_kernel *k)
{
	memset(k, 0xff, sizeof(*k));
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_KERNEL, k), 0);
}

static void test_uapi(void **state)
{
	struct tdxsim_design d, want;
	struct tdxsim_kernel k;
	struct td_opts o;
	struct td td;
	int vm;

	/* A VM of the TD builder, stopped before KVM_TDX_INIT_VM. */
	td_opts_init(&o);
	o.vm_only = true;
	td_create(&td, &o);
	vm = td.vm;

	/* A new VM runs the default kernel. */
	get_kernel(vm, &k);
	assert_string_equal(k.name, TDXSIM_KERNEL_DEFAULT);
	assert_int_equal(k.flags, 0);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	assert_int_equal(tdxsim_kernel_design("next", &want, NULL, 0), 0);
	assert_memory_equal(&d, &want, sizeof(d));

	/* A profile sets every switch. */
	assert_int_equal(set_kernel(vm, "v6.16+hugepage-rfc"), 0);
	get_kernel(vm, &k);
	assert_string_equal(k.name, "v6.16+hugepage-rfc");
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	assert_int_equal(tdxsim_kernel_design("v6.16+hugepage-rfc", &want,
					      NULL, 0), 0);
	assert_memory_equal(&d, &want, sizeof(d));
	assert_int_equal(vm_kvm(vm)->design.pin_pages, 1);

	/* Bad names and bad structs: EINVAL, nothing changed. */
	assert_int_equal(set_kernel(vm, "v2.6"), -EINVAL);
	assert_int_equal(set_kernel(vm, "hugepage-rfc"), -EINVAL);
	memset(&k, 'x', sizeof(k));	/* no NUL */
	k.flags = 0;
	memset(k.reserved, 0, sizeof(k.reserved));
	assert_true(tdxsim_ioctl(vm, TDXSIM_SET_KERNEL, &k) < 0);
	assert_int_equal(errno, EINVAL);
	memset(&k, 0, sizeof(k));
	strcpy(k.name, "next");
	k.reserved[2] = 1;
	assert_true(tdxsim_ioctl(vm, TDXSIM_SET_KERNEL, &k) < 0);
	assert_int_equal(errno, EINVAL);
	get_kernel(vm, &k);
	assert_string_equal(k.name, "v6.16+hugepage-rfc");
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	assert_memory_equal(&d, &want, sizeof(d));

	/* A switch changed on top: the kernel says so. */
	d.pin_pages = 0;
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d), 0);
	get_kernel(vm, &k);
	assert_int_equal(k.flags, TDXSIM_KERNEL_MODIFIED);
	/* Set back: not modified any more. */
	d.pin_pages = 1;
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d), 0);
	get_kernel(vm, &k);
	assert_int_equal(k.flags, 0);

	/* Fixed once the TD exists. */
	td_create_rest(&td, &o);
	assert_int_equal(set_kernel(vm, "next"), -EBUSY);
	get_kernel(vm, &k);
	assert_string_equal(k.name, "v6.16+hugepage-rfc");
	td_destroy(&td);
}

/* An MR.EXTEND or PAGE.ADD failure: -EIO in 6.16; the VM bugged in 6.19. */
static void fail_populate(const char *kernel, unsigned int leaf, bool bugs)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = 1,
					 .status = TDX_OPERAND_INVALID };
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	td_create(&td, &o);
	assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_INJECT_FAULT, &f), 0);
	assert_int_equal(__td_populate(&td, 0x800000, 1, true, 1), -EIO);
	td_kvm_stats(&td, &ks);
	if (ks.vm_bugged != bugs)
		fail_msg("%s, leaf %u: vm_bugged %llu", kernel, leaf,
			 (unsigned long long)ks.vm_bugged);
	if (!bugs) {
		/* 6.16 goes on: another page populates, the TD finalizes. */
		td_populate(&td, 0x900000, 1, true, 1);
	}
	td.allow_leak = true;
	td_destroy(&td);
	tdxsim_reset_reports();
}

static void test_populate_failures(void **state)
{
	fail_populate("v6.16", TDH_MR_EXTEND, false);
	fail_populate("v6.19", TDH_MR_EXTEND, true);
	fail_populate("v6.16", TDH_MEM_PAGE_ADD, false);
	fail_populate("v6.19", TDH_MEM_PAGE_ADD, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_design_string),
		cmocka_unit_test(test_release_values),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_uapi),
		cmocka_unit_test(test_populate_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
