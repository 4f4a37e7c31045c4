/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdvmm's parts (tests/exec): the VMM (tdvmm.c) and the firmware side,
 * TDVF metadata and the TD HOB (tdvmm_fw.c). The kernel's uAPI copy and
 * plain system calls only.
 */
#ifndef TESTS_EXEC_TDVMM_H
#define TESTS_EXEC_TDVMM_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE	4096ULL

/* Exit status 1 with one line naming what went wrong. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- the firmware's TDVF metadata (tdvmm_fw.c) ---- */

struct section {
	uint32_t data_offset, raw_size;
	uint64_t addr, size;
	uint32_t type, attrs;
};

enum { SEC_BFV, SEC_CFV, SEC_TD_HOB, SEC_TEMP_MEM };
#define ATTR_MR_EXTEND	1

extern uint8_t *fw;
extern size_t fw_size;
extern struct section sections[16];
extern unsigned int nr_sections;

/* Read the TDVF metadata of fw[] into sections[]; die() if malformed. */
void parse_tdvf(void);

/* ---- the TD HOB, as QEMU's hw/i386/tdvf-hob.c (tdvmm_fw.c) ---- */

struct range {
	uint64_t base, size;
	uint32_t type;		/* 0 system memory (accepted), 7 unaccepted */
};

/* The HOB list at @gpa (@len bytes at @b) of @n RAM ranges; its size. */
size_t build_hob(uint8_t *b, size_t len, uint64_t gpa,
		 const struct range *r, unsigned int n);

#endif /* TESTS_EXEC_TDVMM_H */
