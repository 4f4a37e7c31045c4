/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Moved to src/ulib (kept for work in flight; include "ulib/strbuf.h"). */
#include "ulib/strbuf.h"
