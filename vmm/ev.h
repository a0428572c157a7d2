/* The VMM's single event loop: epoll on the main thread. Every device, socket and
 * signal source registers an fd with a callback; callbacks run on the main thread
 * only, so device back-ends need no locking against each other. */
#ifndef RUNVM_VMM_EV_H
#define RUNVM_VMM_EV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev_loop;

/* events: the EPOLL* mask that fired. */
typedef void (*ev_cb)(struct ev_loop *loop, int fd, uint32_t events, void *arg);

struct ev_loop *ev_create(void);
void ev_destroy(struct ev_loop *loop);

/* Registers fd (not owned by the loop). 0 or -errno. */
int ev_add(struct ev_loop *loop, int fd, uint32_t events, ev_cb cb, void *arg);
int ev_mod(struct ev_loop *loop, int fd, uint32_t events);
/* Safe to call from inside any callback, including fd's own. */
int ev_del(struct ev_loop *loop, int fd);

/* Runs until ev_stop(); returns the code given to ev_stop, or -errno on failure.
 * A loop runs once: stopping is final, so a loop stopped during set-up (before
 * ev_run) returns at once. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop, int code);
bool ev_stopped(const struct ev_loop *loop);

#endif
