/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fiber context switch of the deterministic scheduler (tdxsim's own; see
 * base/fiber.h). A switch saves what the x86-64 System V ABI says a callee
 * must preserve: rbx, rbp, r12-r15, the stack pointer, and the control bits
 * of MXCSR and the x87 control word. No system call: swapcontext() would
 * make one (sigprocmask) per switch.
 *
 * Frame of a parked fiber, from its saved stack pointer up:
 *   +0  MXCSR (4 bytes), +4 x87 control word (2 bytes), +8 unused
 *   +16 r15, +24 r14, +32 r13, +40 r12, +48 rbx, +56 rbp, +64 return address
 */
#if defined(__x86_64__)

	.text

/* void tdxsim_fiber_swap(void **save_sp, void *next_sp) */
	.globl	tdxsim_fiber_swap
	.type	tdxsim_fiber_swap, @function
	.p2align 4
tdxsim_fiber_swap:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	subq	$16, %rsp
	.cfi_adjust_cfa_offset 16
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$16, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	tdxsim_fiber_swap, .-tdxsim_fiber_swap

/*
 * First code of a new fiber: tdxsim_fiber_swap() "returns" here with r12 =
 * the argument and r13 = the function, which must never return. The stack
 * pointer is 16-byte aligned here, as before a call.
 */
	.globl	tdxsim_fiber_start
	.type	tdxsim_fiber_start, @function
	.p2align 4
tdxsim_fiber_start:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	ud2
	.cfi_endproc
	.size	tdxsim_fiber_start, .-tdxsim_fiber_start

#endif

	.section .note.GNU-stack, "", @progbits
