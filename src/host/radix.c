// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fixed-height radix tree of 512-slot nodes (see radix.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "ulib/strbuf.h"
#include "host/radix.h"

void radix_init(struct radix_tree *t, int height)
{
	t->root = NULL;
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
	radix_free_node(t->root, t->height);
	t->root = NULL;
	t->nr_nodes = 0;
}

static inline unsigned long radix_offset(u64 index, int level)
{
	return (index >> ((level - 1) * RADIX_SHIFT)) & (RADIX_SLOTS - 1);
}

void *radix_lookup(const struct radix_tree *t, u64 index)
{
	void **node;
	int level;

	if (index >= radix_limit(t))
		return NULL;
	node = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);
	for (level = t->height; node && level > 1; level--)
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
	void **node, **next;
	int level;

	if (index >= radix_limit(t))
		return NULL;
	node = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);
	if (!node) {
		if (!create)
			return NULL;
		node = radix_new_node(t);
		__atomic_store_n(&t->root, node, __ATOMIC_RELEASE);
	}
	for (level = t->height; level > 1; level--) {
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
	void **root = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);

	if (end > radix_limit(t))
		end = radix_limit(t);
	if (!root || *index >= end)
		return NULL;
	return radix_next_node(root, t->height, 0, index, end);
}
