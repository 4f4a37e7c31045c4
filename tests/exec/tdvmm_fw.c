// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdvmm's firmware side: the TDVF metadata of OVMF.fd (the sections the
 * VMM adds to the TD and which of them MR.EXTEND measures) and the TD HOB
 * the VMM writes for the guest, as QEMU's hw/i386/tdvf.c and tdvf-hob.c.
 */
#include <string.h>

#include "tdvmm.h"

/* ---- the firmware's TDVF metadata ---- */

uint8_t *fw;
size_t fw_size;
struct section sections[16];
unsigned int nr_sections;

static const uint8_t footer_guid[16] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };
static const uint8_t tdx_offset_guid[16] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2 };

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The OVMF GUIDed table at the end of the image, then the descriptor. */
void parse_tdvf(void)
{
	size_t end = fw_size - 0x20, tlen, off, desc = 0;
	unsigned int i;

	if (fw_size < 0x40 || memcmp(fw + end - 16, footer_guid, 16))
		die("firmware: no OVMF GUID table");
	tlen = fw[end - 18] | fw[end - 17] << 8;
	if (tlen < 18 || tlen > end)
		die("firmware: bad table length");
	/* Entries backwards from the footer: data, u16 length, GUID. */
	for (off = end - 18; off > end - tlen; ) {
		size_t len = fw[off - 18] | fw[off - 17] << 8;

		if (len < 18 || len > off - (end - tlen))
			die("firmware: bad table entry");
		if (!memcmp(fw + off - 16, tdx_offset_guid, 16) && len >= 22)
			desc = fw_size - le32(fw + off - 22);
		off -= len;
	}
	if (!desc || desc + 16 > fw_size || memcmp(fw + desc, "TDVF", 4))
		die("firmware: no TDVF descriptor");
	nr_sections = le32(fw + desc + 12);
	if (nr_sections < 2 || nr_sections > 16 ||
	    desc + 16 + 32 * nr_sections > fw_size)
		die("firmware: %u sections", nr_sections);
	for (i = 0; i < nr_sections; i++) {
		const uint8_t *e = fw + desc + 16 + 32 * i;
		struct section *s = &sections[i];

		s->data_offset = le32(e);
		s->raw_size = le32(e + 4);
		s->addr = le64(e + 8);
		s->size = le64(e + 16);
		s->type = le32(e + 24);
		s->attrs = le32(e + 28);
		if (s->type > SEC_TEMP_MEM || s->addr % PAGE_SIZE ||
		    s->size % PAGE_SIZE ||
		    (uint64_t)s->data_offset + s->raw_size > fw_size)
			die("firmware: bad section %u", i);
	}
}

/* ---- the TD HOB (PI hand-off blocks), as QEMU's hw/i386/tdvf-hob.c ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

size_t build_hob(uint8_t *b, size_t len, uint64_t gpa,
		 const struct range *r, unsigned int n)
{
	size_t need = 56 + 48 * n + 8, off = 56;
	unsigned int i;

	if (need > len)
		die("TD HOB does not fit");
	memset(b, 0, need);
	put16(b, 1);			/* PHIT */
	put16(b + 2, 56);
	put32(b + 8, 9);		/* version */
	put64(b + 16, gpa + len);
	put64(b + 24, gpa);
	put64(b + 32, gpa + len);
	put64(b + 40, gpa + need);
	put64(b + 48, gpa + need - 8);
	for (i = 0; i < n; i++, off += 48) {
		put16(b + off, 3);	/* resource descriptor */
		put16(b + off + 2, 48);
		put32(b + off + 24, r[i].type);
		put32(b + off + 28, 7);	/* present, initialized, tested */
		put64(b + off + 32, r[i].base);
		put64(b + off + 40, r[i].size);
	}
	put16(b + off, 0xffff);		/* end of the list */
	put16(b + off + 2, 8);
	return need;
}
