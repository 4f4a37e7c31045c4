/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Little-endian loads and stores at any alignment, under the kernel's names
 * (<linux/unaligned.h>): the one set every layer, the tools and the tests
 * use for firmware tables, TD HOBs and measurement blocks. Byte by byte, so
 * they mean the same on any host.
 */
#ifndef TDXSIM_ULIB_UNALIGNED_H
#define TDXSIM_ULIB_UNALIGNED_H

#include "ulib/compiler.h"

static inline u16 get_unaligned_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static inline u32 get_unaligned_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u64 get_unaligned_le64(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_le32(b) | (u64)get_unaligned_le32(b + 4) << 32;
}

static inline void put_unaligned_le16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = v;
	b[1] = v >> 8;
}

static inline void put_unaligned_le32(u32 v, void *p)
{
	u8 *b = p;

	put_unaligned_le16(v, b);
	put_unaligned_le16(v >> 16, b + 2);
}

static inline void put_unaligned_le64(u64 v, void *p)
{
	u8 *b = p;

	put_unaligned_le32(v, b);
	put_unaligned_le32(v >> 32, b + 4);
}

#endif /* TDXSIM_ULIB_UNALIGNED_H */
