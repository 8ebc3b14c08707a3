// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "procmaps.h"

bool kht_maps_index(const char *maps_path, unsigned long long addr, unsigned long long *index,
		    unsigned long long *ino)
{
	unsigned long long start, end, off, inode;
	char line[512], perms[8];
	unsigned maj, min;
	bool found = false;
	FILE *f = fopen(maps_path, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off,
			   &maj, &min, &inode) != 7)
			continue;
		if (addr < start || addr >= end || !inode)
			continue;
		*index = (off + (addr - start)) >> 12;
		*ino = inode;
		found = true;
		break;
	}
	fclose(f);
	return found;
}
