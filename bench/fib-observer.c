/*
 * The FIB observer of bench/fib.ts, native version (the default; fib-observer.ts is the
 * fallback when no C compiler is at hand, and speaks the same JSON lines, documented there).
 *
 * Why native: the observer counts one rtnetlink notification per route, and through Node and
 * the netlink addon each costs 6-8 µs (a recvmsg, a Buffer, a JavaScript callback): 0.7 s of
 * CPU for 100k routes, most of a core on this 2-core machine, taken from whichever router uses
 * more than one thread. Here recvmmsg(2) takes up to 64 notifications per system call and the
 * whole count costs about 0.1 s.
 *
 * Why it sleeps instead of blocking: a reader blocked on the socket is woken by the kernel for
 * every notification, and that wake-up is paid inside the router's own sendmsg(2) (it is the
 * router's request that emits the notification). So the socket is drained without waiting
 * (MSG_DONTWAIT) and, once empty, the observer sleeps 1 ms: nobody waits on the socket, the
 * router pays no wake-ups, and the clock is at most about a millisecond late.
 *
 * Notifications are parsed from the netlink headers up (rtnetlink(7), linux/rtnetlink.h):
 *
 *   0        8        16       24       32
 *   +--------+--------+--------+--------+
 *   | family | dst_len| src_len|  tos   |   struct rtmsg
 *   +--------+--------+--------+--------+
 *   | table  |protocol| scope  |  type  |
 *   +--------+--------+--------+--------+
 *   |              flags                |
 *   +--------+--------+--------+--------+
 *   | rta_len (16)    | rta_type (16)   |  RTA_DST = 1: the destination address
 *   +--------+--------+--------+--------+
 *   | value, padded to 4 octets …       |
 *
 * argv[1]: the ObserverArgs JSON of fib-observer.ts ({"n":…,"baseAddress":…,"protocol":…,
 * "recvBuffer":…}), written by fib-measure.ts. Exits when stdin closes or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define NOTIFICATION_BUFFER 4096
#define DUMP_BUFFER 65536

static long n_routes;
static uint32_t base_address;
static int protocol;
static unsigned char *held;
static long count;
static double first_at = -1;

static double monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

static void fail(const char *what) {
  emit("{\"ev\":\"error\",\"msg\":\"%s: %s\"}", what, strerror(errno));
  exit(1);
}

/* A number after "key": in the argument JSON; -1 when absent. */
static long json_number(const char *json, const char *key) {
  char quoted[64];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *p = strstr(json, quoted);
  if (p == NULL) return -1;
  p = strchr(p + strlen(quoted), ':');
  return p == NULL ? -1 : strtol(p + 1, NULL, 10);
}

/* Accounts one route message; 1 when the count changed. */
static int account(const struct nlmsghdr *h) {
  if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE) return 0;
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg))) return 0;
  const struct rtmsg *rt = NLMSG_DATA(h);
  if (rt->rtm_family != AF_INET || rt->rtm_dst_len != 24 || rt->rtm_protocol != protocol) return 0;
  int len = RTM_PAYLOAD(h);
  for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type != RTA_DST || RTA_PAYLOAD(a) < 4) continue;
    uint32_t dst;
    memcpy(&dst, RTA_DATA(a), 4);
    int64_t off = (int64_t)ntohl(dst) - base_address;
    if (off < 0 || off % 256 != 0 || off / 256 >= n_routes) return 0;
    long slot = (long)(off / 256);
    if (h->nlmsg_type == RTM_NEWROUTE && !held[slot]) {
      held[slot] = 1;
      count++;
      if (first_at < 0) first_at = monotonic_ms();
      return 1;
    }
    if (h->nlmsg_type == RTM_DELROUTE && held[slot]) {
      held[slot] = 0;
      count--;
      return 1;
    }
    return 0;
  }
  return 0;
}

/* The whole IPv4 table on a socket of its own, merged into the count. */
static void dump_ipv4(void) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) fail("dump socket");
  struct {
    struct nlmsghdr h;
    struct rtmsg r;
  } req = {
      .h = {.nlmsg_len = sizeof req, .nlmsg_type = RTM_GETROUTE, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1},
      .r = {.rtm_family = AF_INET},
  };
  if (send(s, &req, sizeof req, 0) < 0) fail("dump request");
  static char buf[DUMP_BUFFER];
  for (;;) {
    ssize_t got = recv(s, buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("dump");
    }
    int len = (int)got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        close(s);
        return;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        errno = -e->error;
        fail("dump refused");
      }
      if (h->nlmsg_type == RTM_NEWROUTE) account(h);
    }
  }
}

static long rmem_max(void) {
  FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
  long v = 4 << 20;
  if (f != NULL) {
    if (fscanf(f, "%ld", &v) != 1) v = 4 << 20;
    fclose(f);
  }
  return v;
}

int main(int argc, char **argv) {
  const char *args = argc > 1 ? argv[1] : "{}";
  n_routes = json_number(args, "n");
  long base = json_number(args, "baseAddress");
  protocol = (int)json_number(args, "protocol");
  long want_rcvbuf = json_number(args, "recvBuffer");
  if (n_routes <= 0 || base < 0 || protocol < 0) {
    emit("{\"ev\":\"error\",\"msg\":\"bad arguments: %s\"}", args);
    return 2;
  }
  base_address = (uint32_t)base;
  held = calloc((size_t)n_routes, 1);
  if (held == NULL) fail("calloc");

  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) fail("socket");
  int rcvbuf = (int)(want_rcvbuf > 0 ? want_rcvbuf : rmem_max());
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) fail("SO_RCVBUF");
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) fail("bind");
  int group = RTNLGRP_IPV4_ROUTE;
  if (setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) fail("NETLINK_ADD_MEMBERSHIP");
  socklen_t optlen = sizeof rcvbuf;
  getsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen);

  /* Subscribed first, dumped second: a route added in between is seen at least once. */
  dump_ipv4();
  emit("{\"ev\":\"ready\",\"rcvbuf\":%d,\"count\":%ld}", rcvbuf, count);

  static char bufs[BATCH][NOTIFICATION_BUFFER];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  int first_reported = 0, done = 0, overflowed = 0;
  long last_progress = -1;
  double last_progress_at = monotonic_ms(), last_change_at = last_progress_at, last_dump_at = 0;
  const struct timespec nap = {0, 1000000};

  for (;;) {
    int via_dump = 0;
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = NOTIFICATION_BUFFER};
      msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    int got = recvmmsg(s, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got < 0 && errno == ENOBUFS) {
      /* Lost notifications: the only way back to the truth is a full dump (rtnetlink(7)). */
      overflowed = 1;
      dump_ipv4();
      last_dump_at = monotonic_ms();
      emit("{\"ev\":\"overflow\",\"why\":\"ENOBUFS\",\"count\":%ld}", count);
      via_dump = 1;
    } else if (got < 0 && errno != EAGAIN && errno != EINTR) {
      fail("recvmmsg");
    }
    int changed = 0, truncated = 0;
    for (int i = 0; i < got; i++) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) truncated = 1;
      int len = (int)msgs[i].msg_len;
      for (struct nlmsghdr *h = (struct nlmsghdr *)bufs[i]; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) changed |= account(h);
    }
    if (truncated) {
      /* A notification larger than the buffer: its route is unknown, so look at the table. */
      overflowed = 1;
      dump_ipv4();
      last_dump_at = monotonic_ms();
      emit("{\"ev\":\"overflow\",\"why\":\"a truncated notification\",\"count\":%ld}", count);
      via_dump = 1;
    }
    double now = monotonic_ms();
    if (changed || via_dump) last_change_at = now;
    if (!first_reported && first_at >= 0) {
      first_reported = 1;
      emit("{\"ev\":\"first\",\"t\":%.3f}", first_at);
    }
    if (!done && count >= n_routes) {
      done = 1;
      emit("{\"ev\":\"done\",\"t\":%.3f,\"first\":%.3f,\"viaDump\":%s}", now, first_at, via_dump ? "true" : "false");
    }
    if (now - last_progress_at >= 250) {
      last_progress_at = now;
      if (count != last_progress) {
        last_progress = count;
        emit("{\"ev\":\"progress\",\"count\":%ld}", count);
      }
      /* After an overflow, routes added behind a dump's cursor may be lost silently: dump
         again whenever the count has stood still for a second short of N. */
      if (overflowed && !done && now - last_change_at >= 1000 && now - last_dump_at >= 1000) {
        dump_ipv4();
        last_dump_at = monotonic_ms();
        emit("{\"ev\":\"recheck\",\"count\":%ld}", count);
        if (count >= n_routes) {
          done = 1;
          emit("{\"ev\":\"done\",\"t\":%.3f,\"first\":%.3f,\"viaDump\":true}", monotonic_ms(), first_at);
        }
      }
      /* The parent closes our stdin when it is done with us. */
      struct pollfd in = {.fd = 0, .events = POLLIN};
      if (poll(&in, 1, 0) > 0) {
        char c;
        if (read(0, &c, 1) <= 0) return 0;
      }
    }
    if (got <= 0) nanosleep(&nap, NULL);
  }
}
