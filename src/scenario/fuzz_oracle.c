// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's oracles. A run is judged from data only:
 * the scheduler's verdict and the waits it names, every lock-validator
 * report (kind and classes), the VM's KVM_BUG_ON record
 * (TDXSIM_GET_VM_FAILURE), the WARN count, the invariant checker, the
 * guest's data checks (when no VMM operation of the program disturbs what
 * the guest reads), the host-readable copies of the guest's private bytes,
 * the pages the module owns after teardown, PAMT violations, and every
 * uAPI answer against what KVM may answer for that operation in that
 * program (the allow-list of fuzz_allow.c, each entry argued from
 * upstream's code). Each failure gets a signature ("kvm-bug-on
 * TDH.MEM.RANGE.BLOCK TDX_OPERAND_BUSY") that says when two failures are
 * the same bug. Also the public entry points that run a program once
 * (tdxsim_fuzz_run()) or under every schedule (tdxsim_fuzz_explore()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/report.h"
#include "tdxsim/tdx.h"
#include "scenario/fuzz_exec.h"
#include "scenario/scenario_internal.h"

static const char *const kind_names[TDXSIM_FUZZ_NR_KINDS] = {
	[TDXSIM_FUZZ_DEADLOCK] = "deadlock",
	[TDXSIM_FUZZ_HANG] = "hang",
	[TDXSIM_FUZZ_LIVELOCK] = "livelock",
	[TDXSIM_FUZZ_LOCKDEP] = "lockdep",
	[TDXSIM_FUZZ_KVM_BUG_ON] = "kvm-bug-on",
	[TDXSIM_FUZZ_WARN] = "warn",
	[TDXSIM_FUZZ_PAMT] = "pamt",
	[TDXSIM_FUZZ_PAGES_OWNED] = "pages-owned",
	[TDXSIM_FUZZ_INVARIANT] = "invariant",
	[TDXSIM_FUZZ_LEAK] = "leak",
	[TDXSIM_FUZZ_DATA] = "data",
	[TDXSIM_FUZZ_ERRNO] = "errno",
	[TDXSIM_FUZZ_CRASH] = "crash",
};

const char *tdxsim_fuzz_kind_name(enum tdxsim_fuzz_kind kind)
{
	return (unsigned int)kind < TDXSIM_FUZZ_NR_KINDS ? kind_names[kind] : "?";
}

void tdxsim_fuzz_outcome_free(struct tdxsim_fuzz_outcome *o)
{
	free(o->report);
	o->report = NULL;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOTTY: return "ENOTTY";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOEXEC: return "ENOEXEC";
	case EDEADLK: return "EDEADLK";
	case EHWPOISON: return "EHWPOISON";
	default: return "E?";
	}
}

/* --- judging -------------------------------------------------------------- */

struct judge {
	struct tdxsim_fuzz_outcome *out;
	struct strbuf why;		/* the findings, one per line */
};

static void found(struct judge *j, enum tdxsim_fuzz_kind kind,
		  const char *sig, const char *fmt, ...) __printf(4, 5);
static void found(struct judge *j, enum tdxsim_fuzz_kind kind,
		  const char *sig, const char *fmt, ...)
{
	struct tdxsim_fuzz_outcome *o = j->out;
	size_t n = strlen(o->signatures);
	va_list ap;

	if (!(o->kinds & (1U << kind)) &&
	    (!o->failed || kind < o->kind)) {
		o->kind = kind;
		snprintf(o->signature, sizeof(o->signature), "%s", sig);
		va_start(ap, fmt);
		vsnprintf(o->summary, sizeof(o->summary), fmt, ap);
		va_end(ap);
	}
	o->failed = true;
	o->kinds |= 1U << kind;
	if (!strstr(o->signatures, sig))
		snprintf(o->signatures + n, sizeof(o->signatures) - n, "%s\n",
			 sig);
	sb_printf(&j->why, "  %s: ", kind_names[kind]);
	va_start(ap, fmt);
	sb_vprintf(&j->why, fmt, ap);
	va_end(ap);
	sb_printf(&j->why, "\n");
}

/* Put the primary signature first in the list. */
static void order_signatures(struct tdxsim_fuzz_outcome *o)
{
	char rest[sizeof(o->signatures)];
	char *p = strstr(o->signatures, o->signature);
	size_t n = strlen(o->signature);

	if (!p || p == o->signatures)
		return;
	snprintf(rest, sizeof(rest), "%.*s%s", (int)(p - o->signatures),
		 o->signatures, p + n + 1);
	n = strlen(o->signature);
	memcpy(o->signatures, o->signature, n);
	o->signatures[n] = '\n';
	snprintf(o->signatures + n + 1, sizeof(o->signatures) - n - 1, "%s",
		 rest);
}

/* Add @item to the comma-separated, sorted set @set. */
static void set_add(char *set, size_t len, const char *item)
{
	char tmp[160], *save, *tok, *items[16];
	unsigned int n = 0, i, j;
	size_t used = 0;

	if (!*item)
		return;
	snprintf(tmp, sizeof(tmp), "%s", set);
	for (tok = strtok_r(tmp, ",", &save); tok && n < 15;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, item))
			return;
		items[n++] = tok;
	}
	items[n++] = (char *)item;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
			char *t = items[j];

			items[j] = items[j - 1];
			items[j - 1] = t;
		}
	{
		char out[160];

		out[0] = '\0';
		for (i = 0; i < n; i++)
			used += snprintf(out + used, used < sizeof(out) ?
					 sizeof(out) - used : 0, "%s%s",
					 i ? "," : "", items[i]);
		snprintf(set, len, "%s", out);
	}
}

static void judge_verdict(struct judge *j, const struct tdxsim_sched_result *sr)
{
	struct tdxsim_sched_verdict sv;
	char sig[200], locks[120] = "", queues[120] = "";
	int fd;
	unsigned int i;

	if (sr->verdict == TDXSIM_VERDICT_OK)
		return;
	memset(&sv, 0, sizeof(sv));
	fd = tdxsim_open("/dev/kvm", 0);
	if (fd >= 0) {
		tdxsim_ioctl(fd, TDXSIM_GET_SCHED_VERDICT, &sv);
		tdxsim_close(fd);
	}
	/* What the stuck tasks wait for: lock classes, wait queues. */
	for (i = 0; i < sv.nr_tasks && i < TDXSIM_VERDICT_MAX_TASKS; i++) {
		const struct tdxsim_verdict_task *t = &sv.tasks[i];

		if (t->wait == TDXSIM_TASK_WAITS_LOCK)
			set_add(locks, sizeof(locks), t->on);
		else if (t->wait == TDXSIM_TASK_WAITS_QUEUE)
			set_add(queues, sizeof(queues), t->on);
	}
	switch (sr->verdict) {
	case TDXSIM_VERDICT_DEADLOCK:
		snprintf(sig, sizeof(sig), "deadlock %s", locks);
		found(j, TDXSIM_FUZZ_DEADLOCK, sig,
		      "deadlock: every task waits for a lock (%s)", locks);
		break;
	case TDXSIM_VERDICT_HANG:
		snprintf(sig, sizeof(sig), "hang %s", queues);
		found(j, TDXSIM_FUZZ_HANG, sig,
		      "hang: a wait that can never end (%s)", queues);
		break;
	default:
		/*
		 * A task that waits on a queue forever while the others spin
		 * (a fault retrying against the waiter's lock): the hang is
		 * the bug, the spinning its consequence.
		 */
		if (queues[0]) {
			snprintf(sig, sizeof(sig), "hang %s", queues);
			found(j, TDXSIM_FUZZ_HANG, sig,
			      "hang: a wait that can never end (%s) while the other tasks spin (%llu schedule points)",
			      queues, (unsigned long long)sr->steps);
			break;
		}
		found(j, TDXSIM_FUZZ_LIVELOCK, "livelock scheduler",
		      "livelock: the run passed %llu schedule points",
		      (unsigned long long)sr->steps);
		break;
	}
}

static void judge_reports(struct judge *j)
{
	unsigned int i, n = tdxsim_nr_reports();

	for (i = 0; i < n; i++) {
		enum tdxsim_report_kind kind;
		char classes[120], sig[160];

		if (tdxsim_get_report(i, &kind, classes, sizeof(classes)))
			break;
		/* The scheduler's verdicts are judged from the verdict. */
		if (kind == TDXSIM_REPORT_DEADLOCK || kind == TDXSIM_REPORT_HANG ||
		    kind == TDXSIM_REPORT_LIVELOCK)
			continue;
		j->out->reports++;
		snprintf(sig, sizeof(sig), "lockdep %s %s",
			 tdxsim_report_kind_name(kind), classes);
		found(j, TDXSIM_FUZZ_LOCKDEP, sig, "lockdep: %s report naming %s",
		      tdxsim_report_kind_name(kind), classes);
	}
}

/*
 * A SEAMCALL's failure as a signature's key: "LEAF STATUS". A BUSY on a
 * page the caller named in a register keeps that register ("|RCX": a
 * page's own entry, e.g. its 2M region's PAMT entry), so that it does not
 * collapse with a BUSY on an implicit operand (the TDR, "|TDR" dropped as
 * before): the same leaf's BUSY on two different locks is two bugs.
 */
static void seamcall_key(char *buf, size_t len, u32 leaf_nr, u64 status)
{
	const char *leaf = tdxsim_seamcall_name(leaf_nr);
	const char *cls = tdxsim_tdx_status_name(status);
	u64 op = status & ~TDX_SEAMCALL_STATUS_MASK;
	const char *opn = tdxsim_tdx_operand_name(op);

	if ((status & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY &&
	    op >= TDX_OPERAND_ID_RCX && op <= TDX_OPERAND_ID_R15 && opn)
		snprintf(buf, len, "%s %s|%s", leaf ? leaf : "?",
			 cls ? cls : "?", opn);
	else
		snprintf(buf, len, "%s %s", leaf ? leaf : "?", cls ? cls : "?");
}

static void judge_vm(struct judge *j, struct fz_run *r, unsigned int td)
{
	const struct fz_vm *vm = &r->vm[td];
	const struct tdxsim_vm_failure *f = &vm->failure;
	const char *which = r->p->nr_tds > 1 ? (td ? " (TD 1)" : " (TD 0)") : "";
	char sig[160], key[120], st[64];

	if (!vm->stats.vm_bugged && !(vm->have_failure && f->bugged))
		return;
	if (vm->have_failure && f->seamcall_failures) {
		const char *leaf = tdxsim_seamcall_name(f->first_seamcall.leaf);

		seamcall_key(key, sizeof(key), f->first_seamcall.leaf,
			     f->first_seamcall.status);
		snprintf(sig, sizeof(sig), "kvm-bug-on %s", key);
		found(j, TDXSIM_FUZZ_KVM_BUG_ON, sig,
		      "KVM_BUG_ON: %s failed with %s in %s(); the VM%s is bugged",
		      leaf ? leaf : "?",
		      tdxsim_tdx_status_string(f->first_seamcall.status, st,
					       sizeof(st)),
		      f->first_seamcall.func, which);
	} else {
		snprintf(sig, sizeof(sig), "kvm-bug-on %s",
			 vm->have_failure ? f->bug_func : "?");
		found(j, TDXSIM_FUZZ_KVM_BUG_ON, sig,
		      "KVM_BUG_ON in %s() (%s:%u); the VM%s is bugged",
		      vm->have_failure ? f->bug_func : "?",
		      vm->have_failure ? f->bug_file : "?",
		      vm->have_failure ? f->bug_line : 0, which);
	}
}

/*
 * The module's failed PAMT.ADD/REMOVE since the youngest TD was created
 * (each TD's record counts from its creation): the key of a WARN that
 * comes with one ("warn TDH.PHYMEM.PAMT.ADD TDX_HPA_RANGE_NOT_FREE").
 */
static bool pamt_failure(const struct fz_run *r, char *key, size_t len)
{
	unsigned int t;

	for (t = r->p->nr_tds; t-- > 0; ) {
		const struct tdxsim_vm_failure *f = &r->vm[t].failure;

		if (!r->vm[t].have_failure || !f->pamt_errors)
			continue;
		seamcall_key(key, len, f->pamt_last_leaf, f->pamt_last_status);
		return true;
	}
	return false;
}

static void judge_errnos(struct judge *j, struct fz_run *r)
{
	const struct tdxsim_fuzz_program *p = r->p;
	unsigned int i, k;
	char sig[160];

	for (i = 0; i < p->nr_setup; i++) {
		int e = r->setup_err[i];

		if (e <= 0 || fz_errno_allowed(r, &p->setup[i], true, e))
			continue;
		j->out->bad_errnos++;
		snprintf(sig, sizeof(sig), "errno %s %s",
			 fz_op_name(p->setup[i].kind), errno_name(e));
		found(j, TDXSIM_FUZZ_ERRNO, sig,
		      "set-up operation %u (%s) answered %s, which KVM does not answer there",
		      i + 1, fz_op_name(p->setup[i].kind), errno_name(e));
	}
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];
		const struct fz_task_state *ts = &r->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			if (!fz_run_errno_allowed(r, ts, ts->run_errno)) {
				j->out->bad_errnos++;
				snprintf(sig, sizeof(sig), "errno KVM_RUN %s",
					 errno_name(ts->run_errno));
				found(j, TDXSIM_FUZZ_ERRNO, sig,
				      "task %u: KVM_RUN on vCPU %u answered %s",
				      i, t->vcpu, errno_name(ts->run_errno));
			}
			if (ts->convert_errno && ts->convert_errno != EIO &&
			    ts->convert_errno != EBADF) {
				j->out->bad_errnos++;
				snprintf(sig, sizeof(sig),
					 "errno conversion %s",
					 errno_name(ts->convert_errno));
				found(j, TDXSIM_FUZZ_ERRNO, sig,
				      "task %u: the conversion of a memory-fault exit answered %s",
				      i, errno_name(ts->convert_errno));
			}
			continue;
		}
		for (k = 0; k < t->nr_ops; k++) {
			int e = ts->err[k];

			if (e <= 0 || fz_errno_allowed(r, &t->ops[k], false, e))
				continue;
			j->out->bad_errnos++;
			snprintf(sig, sizeof(sig), "errno %s %s",
				 fz_op_name(t->ops[k].kind), errno_name(e));
			found(j, TDXSIM_FUZZ_ERRNO, sig,
			      "task %u operation %u (%s) answered %s, which KVM does not answer there",
			      i, k + 1, fz_op_name(t->ops[k].kind),
			      errno_name(e));
		}
	}
}

/*
 * A vCPU task stopped by an exit KVM does not handle
 * (KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON). The module's host-priority
 * timeout is upstream behaviour when the program can leave an entry with
 * HP (fz_hp_timeout_explained()); without that, the guest was kept from
 * its memory by nothing the program did. Any other reason is an answer
 * KVM_RUN does not give.
 */
static void judge_unexpected_exits(struct judge *j, struct fz_run *r)
{
	unsigned int i;

	for (i = 0; i < r->p->nr_tasks; i++) {
		u64 x = r->tasks[i].unexpected_exit;
		char sig[96];

		if (!x)
			continue;
		if (x == TDX_HOST_PRIORITY_BUSY_TIMEOUT) {
			j->out->hp_timeouts++;
			if (!fz_hp_timeout_explained(r->p))
				found(j, TDXSIM_FUZZ_LIVELOCK,
				      "livelock hp-timeout",
				      "livelock: vCPU %u's guest was answered BUSY until the module's host-priority timeout, with nothing in the program to leave an entry with HP",
				      r->p->tasks[i].vcpu);
			continue;
		}
		snprintf(sig, sizeof(sig), "errno run unexpected-exit %s",
			 tdxsim_tdx_status_name(x & TDX_SEAMCALL_STATUS_MASK));
		found(j, TDXSIM_FUZZ_ERRNO, sig,
		      "vCPU %u stopped with KVM_EXIT_INTERNAL_ERROR, unexpected exit reason 0x%llx",
		      r->p->tasks[i].vcpu, (unsigned long long)x);
	}
}

/* What each task did, for the report. */
static void describe(struct fz_run *r, struct strbuf *sb)
{
	const struct tdxsim_fuzz_program *p = r->p;
	unsigned int i, k;

	if (r->build_err)
		sb_printf(sb, "  the TD could not be built: %s answered %s\n",
			  r->build_what, errno_name(r->build_err));
	for (i = 0; i < p->nr_setup; i++) {
		sb_printf(sb, "  set-up: %s", p->setup[i].td ? "td1 " : "");
		fz_op_format(&p->setup[i], sb);
		if (r->setup_err[i] == FZ_NOT_RUN)
			sb_printf(sb, ": not reached\n");
		else
			sb_printf(sb, ": %s\n", errno_name(r->setup_err[i]));
	}
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];
		const struct fz_task_state *ts = &r->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			sb_printf(sb, "  task %u (%svCPU %u): %llu KVM_RUN, %llu conversions, %s",
				  i, t->td ? "TD 1's " : "", t->vcpu, (unsigned long long)ts->kvm_runs,
				  (unsigned long long)ts->conversions,
				  ts->halted ? "the guest halted" :
				  ts->livelock_exit ? "KVM's livelock exit" :
				  ts->unexpected_exit ==
					  TDX_HOST_PRIORITY_BUSY_TIMEOUT ?
				  "the module's host-priority timeout (KVM_EXIT_INTERNAL_ERROR)" :
				  ts->unexpected_exit ?
				  "an unexpected exit (KVM_EXIT_INTERNAL_ERROR)" :
				  ts->gave_up ? "gave up after the KVM_RUN bound" :
				  ts->no_slot ? "a memory fault outside every memslot" :
				  "stopped");
			if (ts->run_errno)
				sb_printf(sb, ", KVM_RUN answered %s",
					  errno_name(ts->run_errno));
			if (ts->convert_errno)
				sb_printf(sb, ", a conversion answered %s",
					  errno_name(ts->convert_errno));
			sb_printf(sb, "\n");
			continue;
		}
		for (k = 0; k < t->nr_ops; k++) {
			sb_printf(sb, "  task %u: %s", i, t->ops[k].td ? "td1 " : "");
			fz_op_format(&t->ops[k], sb);
			if (ts->err[k] == FZ_NOT_RUN)
				sb_printf(sb, ": not reached\n");
			else
				sb_printf(sb, ": %s\n", errno_name(ts->err[k]));
		}
	}
}

static bool any_bugged(const struct fz_run *r)
{
	unsigned int t;

	for (t = 0; t < r->p->nr_tds; t++)
		if (r->vm[t].stats.vm_bugged)
			return true;
	return false;
}

/* What TD @td left: invariants, leaks, the guest's data checks, a kill. */
static void judge_td(struct judge *j, struct fz_run *r, unsigned int td)
{
	const struct fz_vm *vm = &r->vm[td];
	const struct tdxsim_fuzz_program *view = r->view[td];
	struct tdxsim_fuzz_outcome *out = j->out;
	const char *which = r->p->nr_tds > 1 ? (td ? " (TD 1)" : " (TD 0)") : "";

	out->invariant_errors += vm->invariant_errors;
	if (vm->invariant_errors)
		found(j, TDXSIM_FUZZ_INVARIANT, "invariant",
		      "TDXSIM_CHECK_INVARIANTS%s: %u violation(s)", which,
		      vm->invariant_errors);
	out->leaked_pages += vm->leaked_pages;
	if (vm->leaked_pages)
		found(j, TDXSIM_FUZZ_LEAK, "leak private-bytes",
		      "the host read the guest's private data%s: %llu page(s), the first at GPA 0x%llx",
		      which, (unsigned long long)vm->leaked_pages,
		      (unsigned long long)vm->leak_gpa);
	/* One TD's data checks are checked if its program lets them be. */
	if (fz_data_checkable(view)) {
		out->data_checked = true;
		out->data_failures += vm->data_failures;
		if (vm->data_failures)
			found(j, TDXSIM_FUZZ_DATA, "data-check",
			      "the guest read wrong data%s: %llu data-check failure(s)",
			      which, (unsigned long long)vm->data_failures);
	}
	if (r->collected && fz_vm_dead(r, td) && !vm->stats.vm_bugged &&
	    !fz_kill_explained(view))
		found(j, TDXSIM_FUZZ_DATA, "vm-killed",
		      "the VM%s was killed (guest access before accepting) though nothing took the guest's memory",
		      which);
}

/* Module state before the run (outside the scheduler). */
static struct tdxsim_module_stats module_before;

void fz_judge_begin(void)
{
	scn_module_stats(&module_before);
}

void fz_judge(struct fz_run *r, const struct tdxsim_sched_result *sr,
	      struct tdxsim_fuzz_outcome *out)
{
	struct judge j = { .out = out, .why = STRBUF_INIT };
	struct tdxsim_module_stats after;
	struct strbuf rep = STRBUF_INIT;
	bool stuck = sr->verdict != TDXSIM_VERDICT_OK;
	unsigned int i, t;
	char *text;

	memset(out, 0, sizeof(*out));
	out->verdict = sr->verdict;
	out->steps = sr->steps;
	out->switches = sr->switches;
	out->preemptions = sr->preemptions;
	out->stuck = stuck;
	out->ops_done = (u32)r->ops_done;

	if (r->build_err) {
		out->setup_error = true;
		snprintf(out->summary, sizeof(out->summary),
			 "the program could not be built: %s answered %s",
			 r->build_what, errno_name(r->build_err));
	}
	judge_verdict(&j, sr);
	if (!stuck) {
		for (t = 0; t < r->p->nr_tds; t++)
			judge_vm(&j, r, t);
		scn_module_stats(&after);
		out->pamt_violations = after.pamt_violations -
				       module_before.pamt_violations;
		out->pamt_adds = after.pamt_adds - module_before.pamt_adds;
		out->pamt_removes = after.pamt_removes -
				    module_before.pamt_removes;
		if (out->pamt_violations) {
			out->tainted = true;
			fz_set_tainted();
			found(&j, TDXSIM_FUZZ_PAMT, "pamt-violation",
			      "the host freed %llu page(s) the TDX module still owned",
			      (unsigned long long)out->pamt_violations);
		}
		out->pages_owned_after = after.pages_owned >
					 module_before.pages_owned ?
			after.pages_owned - module_before.pages_owned : 0;
		/* A bugged VM keeps the pages whose zap failed, by design. */
		if (out->pages_owned_after && !any_bugged(r) && r->torn_down)
			found(&j, TDXSIM_FUZZ_PAGES_OWNED, "pages-owned-after-teardown",
			      "after teardown the TDX module still owns %llu page(s) of the TD",
			      (unsigned long long)out->pages_owned_after);
		for (t = 0; t < r->p->nr_tds; t++)
			judge_td(&j, r, t);
		judge_unexpected_exits(&j, r);
		for (i = 0; i < r->p->nr_tasks; i++)
			if (r->tasks[i].livelock_exit)
				found(&j, TDXSIM_FUZZ_LIVELOCK, "livelock kvm",
				      "livelock: KVM stopped vCPU %u (the same EPT violation again and again: KVM_EXIT_INTERNAL_ERROR, livelock)",
				      r->p->tasks[i].vcpu);
		judge_errnos(&j, r);
	}
	judge_reports(&j);
	out->warnings = tdxsim_nr_warnings() - r->warnings_before;
	if (out->warnings && !(out->kinds & (1U << TDXSIM_FUZZ_KVM_BUG_ON))) {
		char key[120], sig[140];

		if (!stuck && pamt_failure(r, key, sizeof(key))) {
			snprintf(sig, sizeof(sig), "warn %s", key);
			found(&j, TDXSIM_FUZZ_WARN, sig,
			      "the kernel side WARNed %llu time(s); the TDX module's %s failed",
			      (unsigned long long)out->warnings, key);
		} else {
			found(&j, TDXSIM_FUZZ_WARN, "warn",
			      "the kernel side WARNed %llu time(s)",
			      (unsigned long long)out->warnings);
		}
	}
	/* The failure record of the TD that failed (TD 0's if both or none). */
	for (t = r->p->nr_tds; t-- > 0; )
		if (r->vm[t].have_failure &&
		    (r->vm[t].failure.bugged || (!t && !out->failure.bugged)))
			out->failure = r->vm[t].failure;
	order_signatures(out);

	sb_printf(&rep, "what the program did:\n");
	describe(r, &rep);
	if (j.why.len)
		sb_printf(&rep, "findings:\n%s", sb_str(&j.why));
	for (t = 0; t < r->p->nr_tds; t++)
		if (r->vm[t].invariant_errors && r->vm[t].invariant_report)
			sb_printf(&rep, "--- invariant check%s ---\n%s\n",
				  t ? " (TD 1)" : "", r->vm[t].invariant_report);
	text = r->log_buf;
	if (text && *text)
		sb_printf(&rep, "--- kernel log ---\n%s", text);
	out->report = sb_detach(&rep);
	sb_free(&j.why);
	if (!out->failed && !out->setup_error)
		snprintf(out->summary, sizeof(out->summary),
			 "clean: %u operations, %llu schedule points",
			 out->ops_done, (unsigned long long)out->steps);
}

/* --- the public entry points ------------------------------------------------- */

int tdxsim_fuzz_run(const struct tdxsim_fuzz_program *p,
		    struct tdxsim_fuzz_outcome *out)
{
	struct tdxsim_sched_config cfg;
	struct tdxsim_sched_result sr;
	struct fz_run *r;
	char err[256];
	int ret;

	memset(out, 0, sizeof(*out));
	r = fz_run_new(p, err, sizeof(err));
	if (!r) {
		out->setup_error = true;
		snprintf(out->summary, sizeof(out->summary), "%s", err);
		return -EINVAL;
	}
	fz_sched_config(p, &cfg);
	tdxsim_reset_reports();
	tdxsim_set_reports_quiet(false);
	fz_judge_begin();
	fz_capture_start(r);
	ret = tdxsim_sched_run(&cfg, fz_run_fn, r, &sr);
	fz_capture_end(r);
	if (ret) {
		fz_run_release(r, false);
		return ret;
	}
	fz_judge(r, &sr, out);
	fz_run_release(r, out->stuck);
	return 0;
}

/* Bounded search: a fresh run per schedule. */
struct explore_ctx {
	const struct tdxsim_fuzz_program *p;
	const struct tdxsim_fuzz_explore_opts *o;
	struct tdxsim_fuzz_explore_result *res;
	struct fz_run *cur;
	u64 schedules, failures;
	bool have_outcome;
	bool cur_used;		/* x->cur has been run */
};

static void explore_next_world(struct explore_ctx *x)
{
	char err[128];

	x->cur = fz_run_new(x->p, err, sizeof(err));
	tdxsim_reset_reports();
	fz_judge_begin();
	fz_capture_start(x->cur);
}

static int explore_fn(void *arg)
{
	struct explore_ctx *x = arg;

	/*
	 * The explorer does not judge every run it makes (a schedule past the
	 * preemption bound, or another shard's): such a run used the world
	 * without explore_check() seeing it. A run that finished tore its VM
	 * down; one that did not left tasks holding the VM's locks.
	 */
	if (x->cur_used) {
		fz_capture_end(x->cur);
		fz_run_release(x->cur, !x->cur->torn_down);
		explore_next_world(x);
	}
	x->cur_used = true;
	return fz_run_fn(x->cur);
}

static bool sig_matches(const struct tdxsim_fuzz_outcome *o, const char *sig)
{
	const char *s;
	size_t n;

	if (!sig || !*sig)
		return o->failed;
	n = strlen(sig);
	for (s = o->signatures; (s = strstr(s, sig)); s += n)
		if ((s == o->signatures || s[-1] == '\n') && s[n] == '\n')
			return true;
	return false;
}

static int explore_check(void *arg, const struct tdxsim_sched_result *sr)
{
	struct explore_ctx *x = arg;
	struct tdxsim_fuzz_outcome out;
	bool fail;

	fz_capture_end(x->cur);
	fz_judge(x->cur, sr, &out);
	fz_run_release(x->cur, out.stuck);
	fail = sig_matches(&out, x->o->signature);
	x->schedules++;
	if (fail) {
		x->failures++;
		if (!x->have_outcome) {
			x->res->outcome = out;
			x->have_outcome = true;
		} else {
			tdxsim_fuzz_outcome_free(&out);
		}
	} else {
		tdxsim_fuzz_outcome_free(&out);
	}
	if (x->o->progress)
		x->o->progress(x->o->progress_arg, x->schedules, x->failures);
	/* The next run's world. */
	explore_next_world(x);
	x->cur_used = false;
	return fail;
}

int tdxsim_fuzz_explore(const struct tdxsim_fuzz_program *p,
			const struct tdxsim_fuzz_explore_opts *o,
			struct tdxsim_fuzz_explore_result *r)
{
	struct explore_ctx x = { .p = p, .o = o, .res = r };
	struct tdxsim_explore_config cfg;
	char err[256];
	int ret;

	memset(r, 0, sizeof(*r));
	x.cur = fz_run_new(p, err, sizeof(err));
	if (!x.cur)
		return -EINVAL;
	memset(&cfg, 0, sizeof(cfg));
	fz_sched_config(p, &cfg.run);
	cfg.run.replay = NULL;
	cfg.preemptions = o->preemptions;
	cfg.sleep_sets = o->sleep_sets;
	cfg.shard = o->shard;
	cfg.nr_shards = o->nr_shards;
	cfg.max_schedules = o->max_schedules;
	tdxsim_reset_reports();
	tdxsim_set_reports_quiet(false);
	fz_judge_begin();
	fz_capture_start(x.cur);
	ret = tdxsim_sched_explore(&cfg, explore_fn, &x, explore_check,
				   &r->explore);
	/* The world prepared for a run that did not come, or an unjudged one. */
	fz_capture_end(x.cur);
	fz_run_release(x.cur, x.cur_used && !x.cur->torn_down);
	if (ret && x.have_outcome)
		tdxsim_fuzz_outcome_free(&r->outcome);
	return ret;
}

void tdxsim_fuzz_explore_result_free(struct tdxsim_fuzz_explore_result *r)
{
	free(r->explore.failing);
	r->explore.failing = NULL;
	tdxsim_fuzz_outcome_free(&r->outcome);
}
