/* libbpf and libxdp as Debian ships them; UsherBPF is the only module that imports this. */
#ifndef USHER_CLIBBPF_SHIM_H
#define USHER_CLIBBPF_SHIM_H
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <linux/if_link.h>
#include <net/if.h>
#endif
