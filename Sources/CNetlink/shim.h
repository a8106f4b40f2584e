/* The kernel's rtnetlink UAPI, structs and constants only (nothing to link): UsherBPF's
 * NetlinkSocket is its one user. The sizes that code reads and writes by hand are pinned here. */
#ifndef USHER_CNETLINK_SHIM_H
#define USHER_CNETLINK_SHIM_H
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>

_Static_assert(sizeof(struct nlmsghdr) == 16, "nlmsghdr");
_Static_assert(sizeof(struct nlmsgerr) == 20, "nlmsgerr");
_Static_assert(sizeof(struct rtattr) == 4, "rtattr");
_Static_assert(sizeof(struct rtmsg) == 12, "rtmsg");
_Static_assert(sizeof(struct ndmsg) == 12, "ndmsg");
_Static_assert(sizeof(struct ifinfomsg) == 16, "ifinfomsg");
#endif
