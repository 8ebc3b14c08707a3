// SPDX-License-Identifier: GPL-2.0
/* A writer thread for stories: see story_writer.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "grow.h"
#include "story_writer.h"

struct sw_item {
	struct sw_item *next;
	struct kht_timeline *t;
	unsigned long long story;
};

/* The tag of a story whose next part is still to come (the writer's alone). */
struct sw_tag {
	unsigned long long story, tag;
};

struct kht_story_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room;	/* an item came; pending went down */
	struct sw_item *head, *tail;
	size_t pending, max_pending, peak_pending;
	unsigned long long waits;	/* times the drain thread waited for room */
	unsigned long long stories;	/* numbered by kht_sw_take (the drain thread's) */
	bool done;
	kht_sw_write_fn write;
	void *ctx;
	struct sw_tag *tags;		/* split stories under way: few (each >= 256 events) */
	size_t ntags, cap_tags;
};

static void free_story(struct kht_timeline *t)
{
	kht_tl_free(t);
	free(t);
}

/* Where the story's tag is kept between its parts; NULL if it has none yet. */
static struct sw_tag *tag_find(struct kht_story_writer *w, unsigned long long story)
{
	for (size_t i = 0; i < w->ntags; i++)
		if (w->tags[i].story == story)
			return &w->tags[i];
	return NULL;
}

/* Write one story, keeping its tag for its next part (or forgetting it after the last). */
static void write_one(struct kht_story_writer *w, struct sw_item *it)
{
	const struct kht_tl_group *g = &it->t->groups[0];
	struct sw_tag *k = tag_find(w, it->story);
	unsigned long long tag = k ? k->tag : 0;

	w->write(w->ctx, it->t, g, &tag);
	if (g->more && k) {
		k->tag = tag;
	} else if (g->more) {
		/* no room: the next part gets a tag of its own (a Perfetto track), nothing lost */
		if (!kht_grow((void **)&w->tags, &w->cap_tags, w->ntags, sizeof(*w->tags), 8))
			w->tags[w->ntags++] = (struct sw_tag){ it->story, tag };
	} else if (k) {
		*k = w->tags[--w->ntags];
	}
}

static void *writer_main(void *arg)
{
	struct kht_story_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct sw_item *it;
		size_t n;

		while (!w->head && !w->done)
			pthread_cond_wait(&w->more, &w->lock);
		if (!w->head)
			break;
		it = w->head;
		w->head = it->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);

		n = it->t->n;
		write_one(w, it);
		free_story(it->t);
		free(it);

		pthread_mutex_lock(&w->lock);
		w->pending -= n;
		pthread_cond_signal(&w->room);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct kht_story_writer *kht_sw_start(kht_sw_write_fn write, void *ctx, size_t max_pending)
{
	struct kht_story_writer *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->write = write;
	w->ctx = ctx;
	w->max_pending = max_pending;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->room, NULL);
	err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err) {
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->more);
		pthread_mutex_destroy(&w->lock);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int kht_sw_put(struct kht_story_writer *w, struct kht_timeline *t, unsigned long long story)
{
	struct sw_item *it = malloc(sizeof(*it));

	if (!it) {
		free_story(t);
		return -1;
	}
	*it = (struct sw_item){ .t = t, .story = story };
	pthread_mutex_lock(&w->lock);
	/* a story bigger than the bound alone still goes (after all before it) */
	if (w->pending && w->pending + t->n > w->max_pending) {
		w->waits++;
		while (w->pending && w->pending + t->n > w->max_pending)
			pthread_cond_wait(&w->room, &w->lock);
	}
	w->pending += t->n;
	if (w->pending > w->peak_pending)
		w->peak_pending = w->pending;
	if (w->tail)
		w->tail->next = it;
	else
		w->head = it;
	w->tail = it;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int kht_sw_take(void *ctx, struct kht_timeline *t, unsigned long long *tag)
{
	struct kht_story_writer *w = ctx;

	if (!*tag)
		*tag = ++w->stories;
	return kht_sw_put(w, t, *tag);
}

void kht_sw_finish(struct kht_story_writer *w, size_t *peak_pending, unsigned long long *waits)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (peak_pending)
		*peak_pending = w->peak_pending;
	if (waits)
		*waits = w->waits;
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->more);
	pthread_mutex_destroy(&w->lock);
	free(w->tags);
	free(w);
}
