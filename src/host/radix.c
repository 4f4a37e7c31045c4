// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fixed-height radix tree of 512-slot nodes (see radix.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/log.h"
#include "ulib/strbuf.h"
#include "host/radix.h"

/*
 * The root and the number of levels of nodes under it (the tree grows from
 * one level as larger indexes are stored, as the kernel's radix tree does:
 * a guest_memfd of a few MiB needs two nodes, not six), in one word so that
 * a lock-free reader sees the two together: the level count sits in the
 * low bits of the root node's address (nodes are 16-byte aligned).
 */
#define RADIX_LV_MASK	7UL

static inline void **root_node(uintptr_t r)
{
	return (void **)(r & ~RADIX_LV_MASK);
}

static inline int root_levels(uintptr_t r)
{
	return r & RADIX_LV_MASK;
}

/* The indexes @levels levels of nodes cover. */
static inline u64 levels_span(int levels)
{
	return 1ULL << (levels * RADIX_SHIFT);
}

void radix_init(struct radix_tree *t, int height)
{
	WARN_ON_ONCE(height < 1 || height > (int)RADIX_LV_MASK);
	t->root = 0;
	t->height = height;
	t->nr_nodes = 0;
}

u64 radix_limit(const struct radix_tree *t)
{
	unsigned int bits = t->height * RADIX_SHIFT;

	return bits >= 64 ? ~0ULL : 1ULL << bits;
}

static void radix_free_node(void **node, int level)
{
	unsigned long i;

	if (!node)
		return;
	if (level > 1) {
		for (i = 0; i < RADIX_SLOTS; i++)
			radix_free_node(node[i], level - 1);
	}
	free(node);
}

void radix_destroy(struct radix_tree *t)
{
	radix_free_node(root_node(t->root), root_levels(t->root));
	t->root = 0;
	t->nr_nodes = 0;
}

static inline unsigned long radix_offset(u64 index, int level)
{
	return (index >> ((level - 1) * RADIX_SHIFT)) & (RADIX_SLOTS - 1);
}

void *radix_lookup(const struct radix_tree *t, u64 index)
{
	uintptr_t r = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);
	void **node = root_node(r);
	int level = root_levels(r);

	if (!node || index >= levels_span(level))
		return NULL;
	for (; node && level > 1; level--)
		node = radix_slot_read(&node[radix_offset(index, level)]);
	if (!node)
		return NULL;
	return radix_slot_read(&node[radix_offset(index, 1)]);
}

static void **radix_new_node(struct radix_tree *t)
{
	t->nr_nodes++;
	return xzalloc(RADIX_SLOTS * sizeof(void *));
}

void **radix_slot(struct radix_tree *t, u64 index, bool create)
{
	uintptr_t r;
	void **node, **next;
	int level;

	if (index >= radix_limit(t))
		return NULL;
	r = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);
	node = root_node(r);
	level = root_levels(r);
	if (!node || index >= levels_span(level)) {
		if (!create)
			return NULL;
		if (!node) {
			node = radix_new_node(t);
			level = 1;
		}
		/* Grow: the old root becomes slot 0 of a new one. */
		while (index >= levels_span(level)) {
			next = radix_new_node(t);
			radix_slot_write(&next[0], node);
			node = next;
			level++;
		}
		__atomic_store_n(&t->root, (uintptr_t)node | level,
				 __ATOMIC_RELEASE);
	}
	for (; level > 1; level--) {
		void **slot = &node[radix_offset(index, level)];

		next = radix_slot_read(slot);
		if (!next) {
			if (!create)
				return NULL;
			next = radix_new_node(t);
			radix_slot_write(slot, next);
		}
		node = next;
	}
	return &node[radix_offset(index, 1)];
}

int radix_store(struct radix_tree *t, u64 index, void *val)
{
	void **slot = radix_slot(t, index, val != NULL);

	if (!slot)
		return val ? -EINVAL : 0;
	radix_slot_write(slot, val);
	return 0;
}

static void *radix_next_node(void **node, int level, u64 base, u64 *index,
			     u64 end)
{
	u64 span = 1ULL << ((level - 1) * RADIX_SHIFT);
	unsigned long i = radix_offset(*index, level);

	for (; i < RADIX_SLOTS; i++) {
		u64 start = base + i * span;
		void *v;

		if (start >= end)
			return NULL;
		v = radix_slot_read(&node[i]);
		if (!v)
			continue;
		if (level == 1) {
			if (start >= *index) {
				*index = start;
				return v;
			}
			continue;
		}
		if (start + span <= *index)
			continue;
		if (start > *index)
			*index = start;
		v = radix_next_node(v, level - 1, start, index, end);
		if (v)
			return v;
		/* Nothing in this subtree: continue after it. */
		*index = start + span;
	}
	return NULL;
}

void *radix_next(const struct radix_tree *t, u64 *index, u64 end)
{
	uintptr_t r = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);
	void **root = root_node(r);
	int levels = root_levels(r);

	if (!root)
		return NULL;
	if (end > levels_span(levels))
		end = levels_span(levels);
	if (*index >= end)
		return NULL;
	return radix_next_node(root, levels, 0, index, end);
}
