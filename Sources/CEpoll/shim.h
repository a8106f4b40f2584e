/* epoll and eventfd from glibc (Swift's Glibc module leaves them out): UsherHealth's
 * SocketProber is their one user. Nothing to link. */
#ifndef USHER_CEPOLL_SHIM_H
#define USHER_CEPOLL_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>

_Static_assert(sizeof(struct epoll_event) == 12, "epoll_event is packed on x86_64");
#endif
