/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A sparse array of pointers indexed by a 64-bit key: a radix tree with
 * 512 slots per node, as high as its largest index needs (up to a fixed
 * height), so a lookup or a store is O(height), i.e. O(1) per index. tdxsim uses it where the kernel uses an xarray: the
 * per-gfn memory attributes of a VM and the page cache of a guest_memfd.
 *
 * Lookups are lock-free (nodes are published with release stores and never
 * freed before radix_destroy()); stores must be serialised by the owner.
 */
#ifndef TDXSIM_HOST_RADIX_H
#define TDXSIM_HOST_RADIX_H

#include <stdint.h>

#include "ulib/compiler.h"

#define RADIX_SHIFT	9
#define RADIX_SLOTS	(1UL << RADIX_SHIFT)

struct radix_tree {
	uintptr_t root;	/* the root node | its levels (radix.c) */
	int height;	/* most levels of nodes; indexes have height * 9 bits */
	u64 nr_nodes;	/* nodes allocated (memory accounting) */
};

/* Initialise @t for indexes below 2^(9 * @height). */
void radix_init(struct radix_tree *t, int height);
/* Free every node (not the values). */
void radix_destroy(struct radix_tree *t);
/* The value at @index, NULL if none; lock-free. */
void *radix_lookup(const struct radix_tree *t, u64 index);
/*
 * The slot of @index, allocating the nodes on the way when @create is true
 * (NULL if @create is false and a node is missing, or @index is too large).
 * Access the slot with radix_slot_read()/radix_slot_write().
 */
void **radix_slot(struct radix_tree *t, u64 index, bool create);
/* Store @val at @index (creating nodes); -EINVAL if @index is too large. */
int radix_store(struct radix_tree *t, u64 index, void *val);
/*
 * The first index in [*@index, @end) with a non-NULL value, skipping empty
 * subtrees: stores it in *@index and returns the value, or NULL if none.
 */
void *radix_next(const struct radix_tree *t, u64 *index, u64 end);
/* Largest index + 1 this tree can hold. */
u64 radix_limit(const struct radix_tree *t);

/* Load a slot's value (acquire: the node it points to is initialised). */
static inline void *radix_slot_read(void **slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* Publish a value in a slot (release). */
static inline void radix_slot_write(void **slot, void *val)
{
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
}

#endif /* TDXSIM_HOST_RADIX_H */
