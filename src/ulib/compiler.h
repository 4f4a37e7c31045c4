/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-style basic types and helpers for tdxsim.
 */
#ifndef TDXSIM_ULIB_COMPILER_H
#define TDXSIM_ULIB_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Built with AddressSanitizer (GCC or clang): TDXSIM_ASAN. */
#if defined(__SANITIZE_ADDRESS__)
#define TDXSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TDXSIM_ASAN 1
#endif
#endif
/* Built with ThreadSanitizer: TDXSIM_TSAN. */
#if defined(__SANITIZE_THREAD__)
#define TDXSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TDXSIM_TSAN 1
#endif
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 gfn_t;
typedef u64 gpa_t;
typedef u64 hpa_t;
typedef u64 kvm_pfn_t;

#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define GENMASK_ULL(h, l) \
	(((~0ULL) << (l)) & (~0ULL >> (63 - (h))))
#define GENMASK(h, l)	GENMASK_ULL(h, l)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define __must_check	__attribute__((warn_unused_result))
#define __maybe_unused	__attribute__((unused))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#ifndef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#endif
#define noinline	__attribute__((noinline))
/*
 * Thread-local variables read on hot paths: the initial-exec TLS model, so
 * that code in libtdxsim.so reads them at a fixed offset from %fs instead of
 * calling __tls_get_addr(). The library is linked or preloaded at start-up
 * (never dlopen()ed), so its TLS is in the static block.
 */
#define __thread_fast	__thread __attribute__((tls_model("initial-exec")))

#define ALIGN(x, a)		(((x) + ((a) - 1)) & ~((typeof(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define min(a, b)	({ typeof(a) _a = (a); typeof(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b)	({ typeof(a) _a = (a); typeof(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b)	min((t)(a), (t)(b))
#define max_t(t, a, b)	max((t)(a), (t)(b))

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)

#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define SZ_1G		0x40000000UL

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

#endif /* TDXSIM_ULIB_COMPILER_H */
