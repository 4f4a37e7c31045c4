// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD HOB: the PI hand-off block list the VMM writes into the TD_HOB
 * section of TDVF and whose GPA the vCPUs get in RCX. The guest reads its
 * RAM map from the resource descriptor HOBs: type 0 (system memory, already
 * accepted) and 7 (unaccepted memory).
 *
 * Layouts (little endian, every HOB 8-byte aligned):
 *   EFI_HOB_GENERIC_HEADER   u16 HobType, u16 HobLength, u32 Reserved
 *   PHIT (type 1, 56 bytes)  header, u32 Version, u32 BootMode,
 *                            u64 EfiMemoryTop, EfiMemoryBottom,
 *                            EfiFreeMemoryTop, EfiFreeMemoryBottom,
 *                            EfiEndOfHobList
 *   RESOURCE_DESCRIPTOR      header, EFI_GUID Owner (16 bytes),
 *     (type 3, 48 bytes)     u32 ResourceType, u32 ResourceAttribute,
 *                            u64 PhysicalStart, u64 ResourceLength
 *   END_OF_HOB_LIST          header with type 0xFFFF, length 8
 */
#include <errno.h>
#include <string.h>

#include "guest/guest_internal.h"
#include "ulib/unaligned.h"

#define HOB_HDR_LEN		8
#define HOB_PHIT_LEN		56
#define HOB_RESOURCE_LEN	48
#define HOB_END_LEN		8
#define HOB_HANDOFF_VERSION	0x0009
/* PRESENT | INITIALIZED | TESTED */
#define HOB_RESOURCE_ATTRS	0x00000007

static void put_hdr(u8 *p, u16 type, u16 len)
{
	put_unaligned_le16(type, p);
	put_unaligned_le16(len, p + 2);
	put_unaligned_le32(0, p + 4);
}

long tdxsim_guest_hob_build(void *buf, size_t len, uint64_t hob_gpa,
			    const struct tdxsim_ram_range *ranges,
			    unsigned int nr_ranges)
{
	size_t need = HOB_PHIT_LEN + (size_t)nr_ranges * HOB_RESOURCE_LEN +
		      HOB_END_LEN;
	u8 *b = buf;
	size_t off;
	unsigned int i;

	if (!buf && len)
		return -EINVAL;
	for (i = 0; i < nr_ranges; i++) {
		if (!ranges[i].size ||
		    ranges[i].base + ranges[i].size < ranges[i].base ||
		    (ranges[i].type != TDXSIM_RAM_SYSTEM &&
		     ranges[i].type != TDXSIM_RAM_UNACCEPTED))
			return -EINVAL;
	}
	if (len < need)
		return -ENOSPC;
	memset(b, 0, need);

	put_hdr(b, TDXSIM_HOB_TYPE_HANDOFF, HOB_PHIT_LEN);
	put_unaligned_le32(HOB_HANDOFF_VERSION, b + 8);
	put_unaligned_le32(0, b + 12);				/* BOOT_WITH_FULL_CONFIGURATION */
	put_unaligned_le64(hob_gpa + len, b + 16);			/* EfiMemoryTop */
	put_unaligned_le64(hob_gpa, b + 24);				/* EfiMemoryBottom */
	put_unaligned_le64(hob_gpa + len, b + 32);			/* EfiFreeMemoryTop */
	put_unaligned_le64(hob_gpa + need, b + 40);			/* EfiFreeMemoryBottom */
	put_unaligned_le64(hob_gpa + need - HOB_END_LEN, b + 48);	/* EfiEndOfHobList */

	off = HOB_PHIT_LEN;
	for (i = 0; i < nr_ranges; i++, off += HOB_RESOURCE_LEN) {
		u8 *r = b + off;

		put_hdr(r, TDXSIM_HOB_TYPE_RESOURCE_DESCRIPTOR,
			HOB_RESOURCE_LEN);
		/* Owner GUID: zero. */
		put_unaligned_le32(ranges[i].type, r + 24);
		put_unaligned_le32(HOB_RESOURCE_ATTRS, r + 28);
		put_unaligned_le64(ranges[i].base, r + 32);
		put_unaligned_le64(ranges[i].size, r + 40);
	}
	put_hdr(b + off, TDXSIM_HOB_TYPE_END_OF_HOB_LIST, HOB_END_LEN);
	return need;
}

int tdxsim_guest_hob_parse(const void *buf, size_t len,
			   struct tdxsim_ram_range *ranges, unsigned int max)
{
	const u8 *b = buf;
	size_t off = 0;
	unsigned int n = 0;
	bool first = true;

	while (off + HOB_HDR_LEN <= len) {
		u16 type = get_unaligned_le16(b + off);
		u16 hlen = get_unaligned_le16(b + off + 2);

		if (type == TDXSIM_HOB_TYPE_END_OF_HOB_LIST)
			return first ? -EINVAL : (int)n;
		if (hlen < HOB_HDR_LEN || hlen % 8 || off + hlen > len)
			return -EINVAL;
		if (first) {
			if (type != TDXSIM_HOB_TYPE_HANDOFF ||
			    hlen < HOB_PHIT_LEN)
				return -EINVAL;
			first = false;
		} else if (type == TDXSIM_HOB_TYPE_RESOURCE_DESCRIPTOR) {
			const u8 *r = b + off;
			u32 rtype;

			if (hlen < HOB_RESOURCE_LEN)
				return -EINVAL;
			rtype = get_unaligned_le32(r + 24);
			if (rtype == TDXSIM_RAM_SYSTEM ||
			    rtype == TDXSIM_RAM_UNACCEPTED) {
				if (n == max)
					return -E2BIG;
				ranges[n].base = get_unaligned_le64(r + 32);
				ranges[n].size = get_unaligned_le64(r + 40);
				ranges[n].type = rtype;
				n++;
			}
		}
		off += hlen;
	}
	return -EINVAL;
}
