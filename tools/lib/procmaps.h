/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address -> file page index through /proc/PID/maps. Used where the probes
 * only see a user address (syscalls mode): the caller is usually still alive
 * when its event arrives, and reading its maps costs one small file read.
 */
#ifndef KHT_PROCMAPS_H
#define KHT_PROCMAPS_H

#include <stdbool.h>

/* Look up addr in a maps file; true and *index set if a file mapping covers it. */
bool kht_maps_index(const char *maps_path, unsigned long long addr, unsigned long long *index,
		    unsigned long long *ino);

#endif
