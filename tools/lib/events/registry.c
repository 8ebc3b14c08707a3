// SPDX-License-Identifier: GPL-2.0
/* The one list of registered event kinds. */
#include "event_kind.h"

static const struct kht_event_kind *const kinds[] = {
	&kht_ev_modify,
};

const struct kht_event_kind *kht_event_kind(unsigned type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i]->type == type)
			return kinds[i];
	return NULL;
}
