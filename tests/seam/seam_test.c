// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by the tests of src/seam.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "seam_test.h"

#define MAX_TRACKED	8192

static struct {
	struct page *page;
	unsigned int order;
} tracked[MAX_TRACKED];
static int nr_tracked;

int seam_test_group_setup(void **state)
{
	int ret = phys_mem_init(512ULL << 20);

	return ret == -EBUSY ? 0 : ret;
}

int seam_test_group_teardown(void **state)
{
	return 0;
}

void seam_test_start(const struct tdx_module_config *cfg)
{
	nr_tracked = 0;
	assert_int_equal(tdx_module_init(cfg), 0);
}

void seam_test_end(void)
{
	int i;

	/* Module down first: the pages are then no longer owned by anyone. */
	tdx_module_exit();
	for (i = 0; i < nr_tracked; i++)
		__free_pages(tracked[i].page, tracked[i].order);
	nr_tracked = 0;
}

int seam_test_setup(void **state)
{
	seam_test_start(NULL);
	return 0;
}

int seam_test_teardown(void **state)
{
	seam_test_end();
	return 0;
}

u64 test_alloc(unsigned int order)
{
	struct page *p = alloc_pages(order);

	assert_non_null(p);
	assert_true(nr_tracked < MAX_TRACKED);
	tracked[nr_tracked].page = p;
	tracked[nr_tracked].order = order;
	nr_tracked++;
	return page_to_phys(p);
}

void test_free_page(u64 pa)
{
	int i;

	for (i = 0; i < nr_tracked; i++) {
		if (page_to_phys(tracked[i].page) != pa)
			continue;
		__free_pages(tracked[i].page, tracked[i].order);
		tracked[i] = tracked[--nr_tracked];
		return;
	}
	fail_msg("test_free_page(%#llx): not from test_alloc()",
		 (unsigned long long)pa);
}

u64 ttd_params(int max_vcpus, bool five_level, u64 attributes)
{
	u64 pa = test_alloc(0);
	struct td_params *p = pfn_to_virt(pa >> PAGE_SHIFT);

	memset(p, 0, sizeof(*p));
	p->attributes = attributes;
	p->xfam = 0x3;
	p->max_vcpus = max_vcpus;
	p->eptp_controls = TDX_EPTP_MT_WB |
			   (five_level ? TDX_EPTP_PWL_5 : TDX_EPTP_PWL_4);
	p->config_flags = five_level ? TDX_CONFIG_FLAGS_MAX_GPAW : 0;
	p->tsc_frequency = 100;
	return pa;
}

void ttd_create(struct test_td *td, int max_vcpus, bool five_level,
		u64 attributes)
{
	unsigned int i;
	u64 err, ext;

	memset(td, 0, sizeof(*td));
	td->hkid = tdx_guest_keyid_alloc();
	assert_true(td->hkid > 0);
	td->tdr_pa = test_alloc(0);
	assert_status(tdh_mng_create(td->tdr_pa, td->hkid), TDX_SUCCESS);
	assert_status(tdh_mng_key_config(td->tdr_pa), TDX_SUCCESS);
	for (i = 0; i < tdx_nr_tdcs_pages(); i++) {
		td->tdcs[i] = test_alloc(0);
		assert_status(tdh_mng_addcx(td->tdr_pa, td->tdcs[i]),
			      TDX_SUCCESS);
	}
	err = tdh_mng_init(td->tdr_pa,
			   ttd_params(max_vcpus, five_level, attributes), &ext);
	assert_status(err, TDX_SUCCESS);
	td->pwl = five_level ? 4 : 3;
	td->shared_bit = five_level ? BIT_ULL(51) : BIT_ULL(47);
}

int ttd_add_vcpu(struct test_td *td)
{
	int i = td->nr_vcpus;
	unsigned int k;
	u64 pa;

	assert_true(i < TTD_MAX_VCPUS);
	pa = test_alloc(0);
	assert_status(tdh_vp_create(td->tdr_pa, pa), TDX_SUCCESS);
	for (k = 0; k < tdx_nr_tdcx_pages(); k++) {
		td->vcpu[i].tdcx[k] = test_alloc(0);
		assert_status(tdh_vp_addcx(pa, td->vcpu[i].tdcx[k]),
			      TDX_SUCCESS);
	}
	assert_status(tdh_vp_init(pa, 0x1000 + i, i), TDX_SUCCESS);
	td->vcpu[i].tdvpr_pa = pa;
	td->nr_vcpus++;
	return i;
}

void ttd_sept_path(struct test_td *td, u64 gpa, int leaf_level)
{
	int level;

	for (level = td->pwl; level > leaf_level; level--) {
		u64 base = gpa & ~((4096ULL << (9 * level)) - 1);
		u64 page = test_alloc(0), e1, e2;
		u64 err = tdh_mem_sept_add(td->tdr_pa, base, level, page,
					   &e1, &e2);

		/* Already linked: fine. */
		if (err == (TDX_EPT_ENTRY_STATE_INCORRECT |
			    TDX_OPERAND_ID_RCX) &&
		    tdx_level_state_state(e2) == TDX_SEPT_PUB_NL_MAPPED)
			continue;
		assert_status(err, TDX_SUCCESS);
	}
}

u64 ttd_page_add(struct test_td *td, u64 gpa, const void *data)
{
	u64 page = test_alloc(0), src = test_alloc(0), e1, e2;

	ttd_sept_path(td, gpa, 0);
	memcpy(pfn_to_virt(src >> PAGE_SHIFT), data, PAGE_SIZE);
	assert_status(tdh_mem_page_add(td->tdr_pa, gpa, page, src, &e1, &e2),
		      TDX_SUCCESS);
	return page;
}

u64 ttd_aug(struct test_td *td, u64 gpa, int level)
{
	u64 page = test_alloc(level ? PMD_ORDER : 0), e1, e2;

	ttd_sept_path(td, gpa, level);
	assert_status(tdh_mem_page_aug(td->tdr_pa, gpa, level, page, &e1, &e2),
		      TDX_SUCCESS);
	return page;
}

void ttd_finalize(struct test_td *td)
{
	assert_status(tdh_mr_finalize(td->tdr_pa), TDX_SUCCESS);
}

void ttd_block_track(struct test_td *td, u64 gpa, int level)
{
	u64 e1, e2;

	assert_status(tdh_mem_range_block(td->tdr_pa, gpa, level, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mem_track(td->tdr_pa), TDX_SUCCESS);
}

void tg_add(struct test_guest *g, enum tg_op_kind kind, u64 gpa, u64 arg)
{
	struct tg_op *op = &g->ops[g->nr_ops++];

	assert_true(g->nr_ops <= (int)ARRAY_SIZE(g->ops));
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->gpa = gpa;
	op->arg = arg;
}

static int test_guest_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	struct test_guest *g = guest;

	g->runs++;
	if (tdx_guest_first_entry(ctx))
		g->saw_first_entry = true;
	while (g->pc < g->nr_ops) {
		struct tg_op *op = &g->ops[g->pc];
		struct tdx_module_args a = { 0 };
		u64 st = 0;
		int r;

		switch (op->kind) {
		case TG_ACCEPT:
			st = tdg_mem_page_accept(ctx, op->gpa | op->arg);
			if (st == TDG_EXITED)
				goto exited;
			break;
		case TG_READ:
			r = tdg_mem_read(ctx, op->gpa, &op->value, 8);
			if (r == TDG_MEM_EXITED)
				goto exited;
			st = r;
			break;
		case TG_WRITE:
			r = tdg_mem_write(ctx, op->gpa, &op->arg, 8);
			if (r == TDG_MEM_EXITED)
				goto exited;
			st = r;
			break;
		case TG_VMCALL:
			a.r10 = 0;
			a.r11 = op->arg;
			a.r12 = op->gpa;
			a.r13 = op->arg2;
			st = tdg_vp_vmcall(ctx, &a);
			if (st == TDG_EXITED)
				goto exited;
			op->value = a.r10;
			op->value2 = a.r11;
			break;
		case TG_INFO:
			st = tdg_vp_info(ctx, &a);
			if (st == TDG_EXITED)
				goto exited;
			op->value = a.r9;
			op->value2 = a.rcx;
			break;
		}
		op->status = st;
		g->pc++;
	}
	return 0;
exited:
	g->exits++;
	return 0;
}

const struct tdx_guest_ops test_guest_ops = {
	.run = test_guest_run,
};

u64 ttd_enter(struct test_td *td, int i, struct tdx_module_args *out)
{
	memset(out, 0, sizeof(*out));
	return tdh_vp_enter(td->vcpu[i].tdvpr_pa, out);
}
