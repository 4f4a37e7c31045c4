// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest code: struct tdx_guest_ops.run for every vCPU.
 *
 * run() executes the vCPU's program from its program counter. Every
 * operation is restartable: when a TDCALL or a memory access causes a TD
 * exit (TDG_EXITED / TDG_MEM_EXITED), run() returns at once without
 * advancing, and the next TDH.VP.ENTER re-executes the same step, as the
 * hardware re-executes an instruction whose EPT violation exited (RIP not
 * advanced). Progress inside an operation (the next page of a range) is
 * kept in the vCPU state and only moves once a page's step completed.
 * When the program ends, run() returns without a pending exit: the module
 * reports the vCPU halted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sched.h"
#include "base/trace.h"
#include "ulib/strbuf.h"
#include "guest/guest_internal.h"

/* What a step did. */
enum step {
	STEP_DONE,		/* the operation finished */
	STEP_EXIT,		/* a TD exit: return from run(), re-execute */
	STEP_FAIL,		/* unexpected result: the vCPU stops */
	STEP_RETRY,		/* a #VE was handled: re-execute the access now */
};

void gvcpu_msg(struct gvcpu *v, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (v->nr_msgs >= GUEST_MAX_MSGS)
		return;
	sb_printf(&sb, "vcpu %u: ", v->index);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	v->msgs[v->nr_msgs] = sb_detach(&sb);
	__atomic_store_n(&v->nr_msgs, v->nr_msgs + 1, __ATOMIC_RELEASE);
}

static const char *op_where(const struct gop *op, char *buf, size_t len)
{
	char text[96];

	gop_format(op, text, sizeof(text));
	if (op->line)
		snprintf(buf, len, "line %u: %s", op->line, text);
	else
		snprintf(buf, len, "%s", text);
	return buf;
}

static enum step fail(struct gvcpu *v, const struct gop *op, const char *what,
		      u64 gpa, u64 status)
{
	char where[128], st[64];

	GSTAT_INC(v, errors);
	gvcpu_msg(v, "%s at GPA 0x%llx returned %s (%s); vCPU stopped", what,
		  (unsigned long long)gpa,
		  tdxsim_tdx_status_string(status, st, sizeof(st)),
		  op_where(op, where, sizeof(where)));
	return STEP_FAIL;
}

/* A guest memory access failed (a GPA beyond the TD's GPA width). */
static enum step fail_access(struct gvcpu *v, const struct gop *op,
			     const char *what, u64 gpa, int err)
{
	char where[128];

	GSTAT_INC(v, errors);
	gvcpu_msg(v, "%s at GPA 0x%llx failed: %s (%s); vCPU stopped", what,
		  (unsigned long long)gpa, strerror(-err),
		  op_where(op, where, sizeof(where)));
	return STEP_FAIL;
}

static bool in_ram(struct gvcpu *v, u64 gpa)
{
	return guest_in_unaccepted_ram(v->g, gpa);
}

/* Apply @fn to the record of [@gpa, @gpa + @size). */
static void rec_accepted(struct gvcpu *v, u64 gpa, u64 size, bool already,
			 const struct gop *op)
{
	u64 gfn = gpa >> PAGE_SHIFT, end = (gpa + size) >> PAGE_SHIFT;
	char where[128];

	for (; gfn < end; gfn++) {
		u32 old = grec_get(&v->rec, gfn);

		if (!already && grec_accept_loses_data(old)) {
			GSTAT_INC(v, data_failures);
			gvcpu_msg(v,
				  "GPA 0x%llx: accept zeroed a page this vCPU had accepted before (its content was lost without a conversion) (%s)",
				  (unsigned long long)(gfn << PAGE_SHIFT),
				  op_where(op, where, sizeof(where)));
		}
		grec_set(&v->rec, gfn,
			 grec_after_accept(old, already,
					   in_ram(v, gfn << PAGE_SHIFT)));
	}
}

/*
 * TDG.MEM.PAGE.ACCEPT of one page or block, retrying BUSY. Returns the
 * TDX status, or TDG_EXITED.
 */
/* A TDCALL from tick @start, with its status, on the guest's track. */
static void trace_tdcall(u32 start, const char *name, u64 r, u64 gpa)
{
	bool bad = r != TDG_EXITED && (r & TDX_SEAMCALL_STATUS_MASK);
	char failed[64];

	/* A failure is named with its status (Perfetto ignores colours). */
	if (bad)
		snprintf(failed, sizeof(failed), "%s: %s", name,
			 tdxsim_tdx_status_name(r & TDX_SEAMCALL_STATUS_MASK));
	tdxsim_trace_complete(start, TDXSIM_TRACK_GUEST, bad ? failed : name,
			      bad ? TDXSIM_TRACE_RED : NULL,
			      "\"gpa\": \"%#llx\", \"status\": \"%s\", \"busy\": %s",
			      (unsigned long long)gpa,
			      r == TDG_EXITED ? "TD exit" :
			      tdxsim_tdx_status_name(r),
			      r != TDG_EXITED && tdx_operand_busy(r) ?
			      "true" : "false");
}

static u64 accept_one(struct gvcpu *v, struct tdx_vcpu_ctx *ctx, u64 gpa,
		      int level)
{
	for (;;) {
		u32 t0 = tdxsim_trace_on() ? tdxsim_trace_tick() : 0;
		u64 r = tdg_mem_page_accept(ctx, gpa | level);

		if (tdxsim_trace_on())
			trace_tdcall(t0, "TDG.MEM.PAGE.ACCEPT", r, gpa);

		if (r == TDG_EXITED || !tdx_operand_busy(r))
			return r;
		GSTAT_INC(v, busy_retries);
		cpu_relax();
	}
}

/*
 * The #VE handler of a guest without SEPT_VE_DISABLE: a PENDING page was
 * touched; accept it at 4K (a non-Linux guest's lazy accept).
 */
static enum step handle_ve(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			   const struct gop *op, u64 fault_gpa)
{
	u64 r;

	if (!v->ve_pending) {
		struct tdx_module_args ve = { 0 };

		/* Read (and so invalidate) the #VE info first. */
		r = tdg_vp_veinfo_get(ctx, &ve);
		if (r == TDG_EXITED)
			return STEP_EXIT;	/* the access re-executes */
		v->ve_gpa = r ? fault_gpa :
				ve.r9 & ~v->shared_mask & PAGE_MASK;
		v->ve_pending = true;
	}
	r = accept_one(v, ctx, v->ve_gpa, 0);
	if (r == TDG_EXITED)
		return STEP_EXIT;
	v->ve_pending = false;
	switch (r & TDX_SEAMCALL_STATUS_MASK) {
	case TDX_SUCCESS:
		GSTAT_INC(v, ve_accepts);
		GSTAT_INC(v, accepts_4k);
		rec_accepted(v, v->ve_gpa, PAGE_SIZE, false, op);
		return STEP_DONE;
	case TDX_PAGE_ALREADY_ACCEPTED:
		GSTAT_INC(v, already_accepted);
		rec_accepted(v, v->ve_gpa, PAGE_SIZE, true, op);
		return STEP_DONE;
	default:
		return fail(v, op, "#VE handler TDG.MEM.PAGE.ACCEPT", v->ve_gpa,
			    r);
	}
}

static enum step do_accept(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			   const struct gop *op)
{
	u64 end = op->gpa + op->size;

	while (v->cur < end) {
		int level = 0;
		u64 size, r;

		if (v->fallback_end && v->cur < v->fallback_end) {
			level = 0;
		} else {
			v->fallback_end = 0;
			if (op->policy != TDXSIM_ACCEPT_4K &&
			    IS_ALIGNED(v->cur, SZ_2M) && end - v->cur >= SZ_2M)
				level = 1;
		}
		size = level ? SZ_2M : PAGE_SIZE;
		r = accept_one(v, ctx, v->cur, level);
		if (r == TDG_EXITED)
			return STEP_EXIT;
		switch (r & TDX_SEAMCALL_STATUS_MASK) {
		case TDX_SUCCESS:
			if (level)
				GSTAT_INC(v, accepts_2m);
			else
				GSTAT_INC(v, accepts_4k);
			rec_accepted(v, v->cur, size, false, op);
			break;
		case TDX_PAGE_ALREADY_ACCEPTED:
			GSTAT_INC(v, already_accepted);
			rec_accepted(v, v->cur, size, true, op);
			break;
		case TDX_PAGE_SIZE_MISMATCH:
			if (level && op->policy == TDXSIM_ACCEPT_2M_FALLBACK) {
				/* Linux: retry the block at 4K. */
				GSTAT_INC(v, fallbacks);
				v->fallback_end = v->cur + SZ_2M;
				continue;
			}
			return fail(v, op, "TDG.MEM.PAGE.ACCEPT", v->cur, r);
		default:
			return fail(v, op, "TDG.MEM.PAGE.ACCEPT", v->cur, r);
		}
		v->cur += size;
	}
	v->fallback_end = 0;
	return STEP_DONE;
}

static void report_mismatch(struct gvcpu *v, const struct gop *op,
			    const char *msg)
{
	char where[128];

	GSTAT_INC(v, data_failures);
	gvcpu_msg(v, "data check failed: %s (%s)", msg,
		  op_where(op, where, sizeof(where)));
}

/* Read one page and check it against the record. */
static enum step read_page(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			   const struct gop *op, u64 gpa, bool shared)
{
	u64 access = shared ? gpa | v->shared_mask : gpa;
	char msg[320];
	u32 rec;
	int r;

	r = tdg_mem_read(ctx, access, v->rbuf, PAGE_SIZE);
	if (r == TDG_MEM_EXITED)
		return STEP_EXIT;
	if (r == TDG_MEM_VE) {
		enum step s = handle_ve(v, ctx, op, gpa);

		return s == STEP_DONE ? STEP_RETRY : s;
	}
	if (r)
		return fail_access(v, op, "guest read", access, r);
	rec = grec_get(&v->rec, gpa >> PAGE_SHIFT);
	if (grec_check(rec, gpa >> PAGE_SHIFT, shared, v->rbuf, msg,
		       sizeof(msg)))
		report_mismatch(v, op, msg);
	else if (grec_state(rec) != GREC_NONE &&
		 grec_state(rec) != GREC_PRIV_UNKNOWN)
		GSTAT_ADD(v, bytes_verified, PAGE_SIZE);
	return STEP_DONE;
}

/*
 * Run a page-by-page operation (write, read, touch). An access that got a
 * #VE is re-executed once the handler accepted the page.
 */
static enum step do_pages(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			  const struct gop *op)
{
	u64 end = op->gpa + op->size;

	if (v->ve_pending) {
		enum step s = handle_ve(v, ctx, op, v->ve_gpa);

		if (s != STEP_DONE)
			return s;
	}
	while (v->cur < end) {
		u64 gpa = v->cur, gfn = gpa >> PAGE_SHIFT;
		enum step s;

		if (op->kind == GOP_WRITE) {
			u64 access = op->shared ? gpa | v->shared_mask : gpa;
			int r;

			grec_fill(v->wbuf, gfn, op->pattern);
			r = tdg_mem_write(ctx, access, v->wbuf, PAGE_SIZE);
			if (r == TDG_MEM_EXITED)
				return STEP_EXIT;
			if (r == TDG_MEM_VE) {
				s = handle_ve(v, ctx, op, gpa);
				if (s != STEP_DONE)
					return s;
				continue;
			}
			if (r)
				return fail_access(v, op, "guest write",
						   access, r);
			grec_set(&v->rec, gfn,
				 grec_after_write(grec_get(&v->rec, gfn),
						  op->shared, op->pattern));
			GSTAT_ADD(v, bytes_written, PAGE_SIZE);
		} else {
			s = read_page(v, ctx, op, gpa, op->shared);
			if (s == STEP_RETRY)
				continue;
			if (s != STEP_DONE)
				return s;
			if (op->kind == GOP_TOUCH)
				GSTAT_INC(v, touches);
		}
		v->cur += PAGE_SIZE;
	}
	return STEP_DONE;
}

/* TDG.VP.VMCALL<MapGPA>, resuming from R11 on TDVMCALL_STATUS_RETRY. */
static enum step do_mapgpa(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			   const struct gop *op)
{
	u64 end = op->gpa + op->size;

	while (v->cur < end) {
		struct tdx_module_args a = {
			.r10 = 0,
			.r11 = TDVMCALL_MAP_GPA,
			.r12 = op->shared ? v->cur | v->shared_mask : v->cur,
			.r13 = end - v->cur,
		};
		u64 r, upto, gfn;
		u32 t0;

		t0 = tdxsim_trace_on() ? tdxsim_trace_tick() : 0;
		r = tdg_vp_vmcall(ctx, &a);
		if (tdxsim_trace_on())
			trace_tdcall(t0, "TDG.VP.VMCALL<MapGPA>", r, v->cur);
		if (r == TDG_EXITED)
			return STEP_EXIT;
		if (r != TDX_SUCCESS)
			return fail(v, op, "TDG.VP.VMCALL<MapGPA>", v->cur, r);
		if (a.r10 == TDVMCALL_STATUS_SUCCESS) {
			upto = end;
		} else if (a.r10 == TDVMCALL_STATUS_RETRY) {
			upto = a.r11 & ~v->shared_mask;
			GSTAT_INC(v, mapgpa_retries);
			if (upto < v->cur || upto > end ||
			    !IS_ALIGNED(upto, PAGE_SIZE)) {
				char where[128];

				GSTAT_INC(v, errors);
				gvcpu_msg(v,
					  "MapGPA RETRY with R11 = 0x%llx outside [0x%llx, 0x%llx) (%s); vCPU stopped",
					  (unsigned long long)a.r11,
					  (unsigned long long)v->cur,
					  (unsigned long long)end,
					  op_where(op, where, sizeof(where)));
				return STEP_FAIL;
			}
		} else {
			char where[128];

			GSTAT_INC(v, errors);
			gvcpu_msg(v,
				  "MapGPA of [0x%llx, 0x%llx) to %s failed: R10 = 0x%llx (%s); vCPU stopped",
				  (unsigned long long)v->cur,
				  (unsigned long long)end,
				  op->shared ? "shared" : "private",
				  (unsigned long long)a.r10,
				  op_where(op, where, sizeof(where)));
			return STEP_FAIL;
		}
		for (gfn = v->cur >> PAGE_SHIFT; gfn < upto >> PAGE_SHIFT;
		     gfn++) {
			u32 old = grec_get(&v->rec, gfn);

			grec_set(&v->rec, gfn,
				 op->shared ? grec_after_to_shared(old) :
					      grec_after_to_private(old));
		}
		v->cur = upto;
	}
	GSTAT_INC(v, mapgpa);
	return STEP_DONE;
}

/* The GHCI GetQuote buffer: a 24-byte header, then the TDREPORT. */
#define QUOTE_HDR_VERSION	0	/* u64: 1 */
#define QUOTE_HDR_STATUS	8	/* u64: 0 = success (the VMM writes it) */
#define QUOTE_HDR_IN_LEN	16	/* u32: bytes of the request */
#define QUOTE_HDR_OUT_LEN	20	/* u32: bytes of the quote */
#define QUOTE_HDR_SIZE		24
#define TDREPORT_SIZE		1024
#define REPORTDATA_OFF		128	/* in the TDREPORT */

/*
 * report GPA: REPORTDATA (64 bytes from the seed) written at GPA + 1024,
 * TDG.MR.REPORT to GPA, the TDREPORT read back and kept for `quote`. Every
 * step may exit and is redone on re-execution (they are idempotent).
 */
static enum step do_report(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			   const struct gop *op)
{
	u64 data_gpa = op->gpa + TDREPORT_SIZE, r;
	u8 data[64];
	unsigned int i;
	int m;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (u8)(guest_mix64(v->g->cfg.seed + v->index * 64 + i));
	m = tdg_mem_write(ctx, data_gpa, data, sizeof(data));
	if (m == TDG_MEM_EXITED)
		return STEP_EXIT;
	if (m)
		return fail_access(v, op, "REPORTDATA write", data_gpa, m);
	r = tdg_mr_report(ctx, op->gpa, data_gpa, 0);
	if (r == TDG_EXITED)
		return STEP_EXIT;
	if (r != TDX_SUCCESS)
		return fail(v, op, "TDG.MR.REPORT", op->gpa, r);
	m = tdg_mem_read(ctx, op->gpa, v->tdreport, sizeof(v->tdreport));
	if (m == TDG_MEM_EXITED)
		return STEP_EXIT;
	if (m)
		return fail_access(v, op, "TDREPORT read", op->gpa, m);
	grec_set(&v->rec, op->gpa >> PAGE_SHIFT,
		 grec_make(GREC_PRIV_UNKNOWN, 0));
	if (memcmp(v->tdreport + REPORTDATA_OFF, data, sizeof(data))) {
		char where[128];

		GSTAT_INC(v, data_failures);
		gvcpu_msg(v, "TDREPORT at 0x%llx does not carry its REPORTDATA (%s)",
			  (unsigned long long)op->gpa,
			  op_where(op, where, sizeof(where)));
	}
	v->have_report = true;
	GSTAT_INC(v, reports);
	return STEP_DONE;
}

/*
 * quote [private] GPA SIZE: the last TDREPORT, behind a GHCI header, into
 * the buffer through its shared alias (the guest converted it before),
 * then TDG.VP.VMCALL<GetQuote> (R12 = the buffer's shared GPA, R13 =
 * SIZE). `private` passes the private GPA instead: a bad buffer, which
 * KVM answers TDVMCALL_STATUS_INVALID_OPERAND. A status other than SUCCESS
 * stops the vCPU. The buffer is the VMM's afterwards (its quote, or
 * nothing: the guest does not check it).
 */
static enum step do_quote(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			  const struct gop *op)
{
	u64 buf_gpa = op->gpa | v->shared_mask, gfn;
	struct tdx_module_args a = { 0 };
	u64 r;

	if (!v->have_report) {
		char where[128];

		GSTAT_INC(v, errors);
		gvcpu_msg(v, "quote without a report before it (%s); vCPU stopped",
			  op_where(op, where, sizeof(where)));
		return STEP_FAIL;
	}
	if (v->step == 0 && op->shared) {
		u8 *b = v->wbuf;
		int m;

		memset(b, 0, QUOTE_HDR_SIZE);
		b[QUOTE_HDR_VERSION] = 1;
		b[QUOTE_HDR_IN_LEN] = TDREPORT_SIZE & 0xff;
		b[QUOTE_HDR_IN_LEN + 1] = TDREPORT_SIZE >> 8;
		memcpy(b + QUOTE_HDR_SIZE, v->tdreport, TDREPORT_SIZE);
		m = tdg_mem_write(ctx, buf_gpa, b,
				  QUOTE_HDR_SIZE + TDREPORT_SIZE);
		if (m == TDG_MEM_EXITED)
			return STEP_EXIT;
		if (m)
			return fail_access(v, op, "GetQuote buffer write",
					   buf_gpa, m);
	}
	v->step = 1;	/* the request is written: never again */
	a.r11 = TDVMCALL_GET_QUOTE;
	a.r12 = op->shared ? buf_gpa : op->gpa;
	a.r13 = op->size;
	r = tdg_vp_vmcall(ctx, &a);
	if (r == TDG_EXITED)
		return STEP_EXIT;
	if (r != TDX_SUCCESS)
		return fail(v, op, "TDG.VP.VMCALL<GetQuote>", op->gpa, r);
	if (a.r10 != TDVMCALL_STATUS_SUCCESS) {
		char where[128];

		GSTAT_INC(v, errors);
		gvcpu_msg(v, "GetQuote of [0x%llx, 0x%llx) failed: R10 = 0x%llx (%s); vCPU stopped",
			  (unsigned long long)op->gpa,
			  (unsigned long long)(op->gpa + op->size),
			  (unsigned long long)a.r10,
			  op_where(op, where, sizeof(where)));
		return STEP_FAIL;
	}
	for (gfn = op->gpa >> PAGE_SHIFT;
	     gfn < (op->gpa + op->size) >> PAGE_SHIFT; gfn++)
		grec_set(&v->rec, gfn, grec_make(GREC_SHARED, 0));
	GSTAT_INC(v, quotes);
	return STEP_DONE;
}

/*
 * pio PORT VALUE / mmio GPA VALUE: a device write, as a guest's IN/OUT
 * #VE handler or its MMIO #VE handler issues it: TDG.VP.VMCALL
 * <Instruction.IO> (R11 = 30, R12 size, R13 = 1 write, R14 port, R15
 * value) or <#VE.RequestMMIO> (R11 = 48, R14 = the shared GPA). A status
 * other than SUCCESS stops the vCPU.
 */
static enum step do_io(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
		       const struct gop *op)
{
	bool pio = op->kind == GOP_PIO;
	struct tdx_module_args a = {
		.r11 = pio ? EXIT_REASON_IO_INSTRUCTION :
			     EXIT_REASON_EPT_VIOLATION,
		.r12 = op->size,
		.r13 = 1,
		.r14 = pio ? op->gpa : op->gpa | v->shared_mask,
		.r15 = op->value,
	};
	u64 r = tdg_vp_vmcall(ctx, &a);

	if (r == TDG_EXITED)
		return STEP_EXIT;
	if (r != TDX_SUCCESS)
		return fail(v, op, pio ? "TDG.VP.VMCALL<Instruction.IO>" :
					 "TDG.VP.VMCALL<#VE.RequestMMIO>",
			    op->gpa, r);
	if (a.r10 != TDVMCALL_STATUS_SUCCESS) {
		char where[128];

		GSTAT_INC(v, errors);
		gvcpu_msg(v, "%s write to 0x%llx failed: R10 = 0x%llx (%s); vCPU stopped",
			  pio ? "port" : "MMIO", (unsigned long long)op->gpa,
			  (unsigned long long)a.r10,
			  op_where(op, where, sizeof(where)));
		return STEP_FAIL;
	}
	GSTAT_INC(v, device_writes);
	return STEP_DONE;
}

#define HOB_PHIT_LEN	56

/* Read the TD HOB at the initial RCX and generate the workload from it. */
static enum step load_hob(struct gvcpu *v, struct tdx_vcpu_ctx *ctx)
{
	struct tdxsim_guest_model *g = v->g;
	u64 hob_gpa = tdx_guest_initial_rcx(ctx);
	struct tdxsim_ram_range ranges[TDXSIM_GUEST_MAX_RANGES];
	u64 want;
	char err[160];
	int n;

	if (!v->hob)
		v->hob = xzalloc(GUEST_HOB_MAX);
	for (;;) {
		u64 chunk;
		int r;

		if (v->hob_read < HOB_PHIT_LEN) {
			want = HOB_PHIT_LEN;	/* the PHIT first */
		} else {
			u64 endl;

			memcpy(&endl, v->hob + 48, 8);	/* EfiEndOfHobList */
			want = endl + 8 > hob_gpa ? endl + 8 - hob_gpa : 0;
			if (want > GUEST_HOB_MAX || want < HOB_PHIT_LEN)
				want = 0;
		}
		if (!want) {
			GSTAT_INC(v, errors);
			gvcpu_msg(v, "TD HOB at 0x%llx: bad EfiEndOfHobList; vCPU stopped",
				  (unsigned long long)hob_gpa);
			return STEP_FAIL;
		}
		if (v->hob_read >= want)
			break;
		chunk = min(want - v->hob_read,
			    PAGE_SIZE - ((hob_gpa + v->hob_read) & ~PAGE_MASK));
		r = tdg_mem_read(ctx, hob_gpa + v->hob_read,
				 v->hob + v->hob_read, chunk);
		if (r == TDG_MEM_EXITED)
			return STEP_EXIT;
		if (r) {
			GSTAT_INC(v, errors);
			gvcpu_msg(v, "TD HOB at 0x%llx: read failed (%d); vCPU stopped",
				  (unsigned long long)hob_gpa, r);
			return STEP_FAIL;
		}
		v->hob_read += chunk;
	}
	n = tdxsim_guest_hob_parse(v->hob, v->hob_read, ranges,
				   ARRAY_SIZE(ranges));
	free(v->hob);
	v->hob = NULL;
	if (n < 0) {
		GSTAT_INC(v, errors);
		gvcpu_msg(v, "TD HOB at 0x%llx: malformed HOB list (%d); vCPU stopped",
			  (unsigned long long)hob_gpa, n);
		return STEP_FAIL;
	}
	{
		struct gw_params p = {
			.workload = g->workload,
			.vcpu = v->index,
			.nr_vcpus = g->nr_vcpus,
			.seed = g->cfg.seed,
			.chunk_size = g->cfg.chunk_size,
			.policy = g->cfg.accept,
			.nr_ops = g->cfg.nr_ops,
			.shared_regions = g->cfg.shared_regions,
			.working_set = g->cfg.working_set,
			.nr_ranges = n,
			.ranges = ranges,
		};

		if (guest_workload_generate(&p, &v->prog, err, sizeof(err))) {
			GSTAT_INC(v, errors);
			gvcpu_msg(v, "TD HOB: %s; vCPU stopped", err);
			return STEP_FAIL;
		}
	}
	return STEP_DONE;
}

static enum step exec_op(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
			 const struct gop *op)
{
	switch (op->kind) {
	case GOP_ACCEPT:
		return do_accept(v, ctx, op);
	case GOP_WRITE:
	case GOP_READ:
	case GOP_TOUCH:
		return do_pages(v, ctx, op);
	case GOP_MAPGPA:
		return do_mapgpa(v, ctx, op);
	case GOP_REPORT:
		return do_report(v, ctx, op);
	case GOP_QUOTE:
		return do_quote(v, ctx, op);
	case GOP_PIO:
	case GOP_MMIO:
		return do_io(v, ctx, op);
	default:
		return STEP_DONE;
	}
}

/* One operation (or its resumption after a TD exit) on the guest track. */
static enum step traced_exec_op(struct gvcpu *v, struct tdx_vcpu_ctx *ctx,
				const struct gop *op)
{
	static const char *const names[] = {
		[GOP_ACCEPT] = "accept", [GOP_WRITE] = "write",
		[GOP_READ] = "read", [GOP_MAPGPA] = "MapGPA",
		[GOP_TOUCH] = "touch", [GOP_HALT] = "halt",
		[GOP_REPORT] = "TDG.MR.REPORT", [GOP_QUOTE] = "GetQuote",
		[GOP_PIO] = "port write", [GOP_MMIO] = "MMIO write",
	};
	static const char *const results[] = {
		[STEP_DONE] = "done", [STEP_EXIT] = "TD exit",
		[STEP_FAIL] = "failed", [STEP_RETRY] = "retry",
	};
	enum step s;

	tdxsim_trace_begin(TDXSIM_TRACK_GUEST,
			   op->kind < ARRAY_SIZE(names) ? names[op->kind] : "op",
			   NULL,
			   "\"gpa\": \"%#llx\", \"size\": \"%#llx\", \"shared\": %s, \"resumed\": %s",
			   (unsigned long long)op->gpa,
			   (unsigned long long)op->size,
			   op->shared ? "true" : "false",
			   v->cur != op->gpa ? "true" : "false");
	s = exec_op(v, ctx, op);
	tdxsim_trace_end(TDXSIM_TRACK_GUEST, "\"result\": \"%s\"",
			 results[s]);
	return s;
}

int guest_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	struct gvcpu *v = guest;

	if (v->halted)
		return 0;
	if (!v->started) {
		v->shared_mask = tdx_guest_shared_mask(ctx);
		__atomic_store_n(&v->started, true, __ATOMIC_RELEASE);
	}
	if (!v->prog_ready) {
		enum step s = load_hob(v, ctx);

		if (s == STEP_EXIT) {
			GSTAT_INC(v, exits);
			return 0;
		}
		if (s == STEP_FAIL) {
			__atomic_store_n(&v->failed, true, __ATOMIC_RELEASE);
			__atomic_store_n(&v->halted, true, __ATOMIC_RELEASE);
			return 0;
		}
		__atomic_store_n(&v->prog_ready, true, __ATOMIC_RELEASE);
	}
	while (v->pc < v->prog.nr) {
		const struct gop *op = &v->prog.ops[v->pc];
		enum step s;

		if (op->kind == GOP_HALT)
			break;
		if (!v->op_started) {
			v->cur = op->gpa;
			v->fallback_end = 0;
			v->step = 0;
			v->op_started = true;
		}
		if (tdxsim_trace_on())
			s = traced_exec_op(v, ctx, op);
		else
			s = exec_op(v, ctx, op);
		if (s == STEP_EXIT) {
			GSTAT_INC(v, exits);
			return 0;
		}
		if (s == STEP_FAIL) {
			__atomic_store_n(&v->failed, true, __ATOMIC_RELEASE);
			__atomic_store_n(&v->halted, true, __ATOMIC_RELEASE);
			return 0;
		}
		v->op_started = false;
		GSTAT_INC(v, ops_done);
		__atomic_store_n(&v->pc, v->pc + 1, __ATOMIC_RELEASE);
	}
	/* halt: return with no exit pending; the module reports HLT. */
	__atomic_store_n(&v->halted, true, __ATOMIC_RELEASE);
	return 0;
}
