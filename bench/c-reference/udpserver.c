/*
 * udpserver-c: SNTP, RFC 868 (time) and daytime over UDP in plain C, the
 * yardstick for the Node server's UDP services. By default it pays what
 * Node's dgram pays, one recvmsg and one sendmsg per datagram, so the ratio
 * compares the two servers' work rather than their syscall patterns; --mmsg
 * batches with recvmmsg/sendmmsg to show what batching would be worth.
 *
 *   SNTP (RFC 4330): 48-byte reply, mode 4, stratum 1, originate = the
 *                    request's transmit timestamp, receive/transmit = now
 *   RFC 868:         any datagram -> 4 bytes, seconds since 1900, big-endian
 *   daytime:         any datagram -> "Weekday, Month DD, YYYY HH:MM:SS-ZONE\r\n"
 *
 * Usage: udpserver-c [--mmsg] [--ntp-port p] [--rfc868-port p] [--daytime-port p]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTP_LEN 48
#define NTP_UNIX_OFFSET 2208988800u
#define BATCH 64
#define MAX_REPLY 128

enum service { NTP, RFC868, DAYTIME };
static const char *service_names[] = {"ntp", "rfc868", "daytime"};

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static void ntp_timestamp(unsigned char *p, const struct timespec *ts) {
  put_be32(p, (uint32_t)ts->tv_sec + NTP_UNIX_OFFSET);
  put_be32(p + 4, (uint32_t)(((uint64_t)ts->tv_nsec << 32) / 1000000000u));
}

/* The reply to one request, into `out`; returns its length, 0 for none. */
static size_t answer(enum service s, const unsigned char *in, size_t len, unsigned char *out) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (s == RFC868) {
    put_be32(out, (uint32_t)now.tv_sec + NTP_UNIX_OFFSET);
    return 4;
  }
  if (s == DAYTIME) {
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    return strftime((char *)out, MAX_REPLY, "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &tm);
  }
  if (len < NTP_LEN || (in[0] & 7) != 3) return 0; /* only client requests */
  memset(out, 0, NTP_LEN);
  out[0] = (unsigned char)((in[0] & 0x38) | 4); /* LI 0, the client's version, mode 4 */
  out[1] = 1;                                    /* stratum 1: a primary reference */
  out[2] = in[2];                                /* poll */
  out[3] = (unsigned char)-20;                   /* precision ~1 us */
  memcpy(out + 12, "LOCL", 4);
  ntp_timestamp(out + 16, &now);  /* reference */
  memcpy(out + 24, in + 40, 8);   /* originate = the client's transmit */
  ntp_timestamp(out + 32, &now);  /* receive */
  ntp_timestamp(out + 40, &now);  /* transmit */
  return NTP_LEN;
}

/* One recvmsg and one sendmsg per datagram, until the socket is empty. */
static void serve_single(int fd, enum service s) {
  unsigned char in[512], out[MAX_REPLY];
  struct sockaddr_in peer;
  for (;;) {
    struct iovec iov = {.iov_base = in, .iov_len = sizeof in};
    struct msghdr msg = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov,
                         .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return; /* EAGAIN: drained */
    size_t len = answer(s, in, (size_t)n, out);
    if (len == 0) continue;
    struct iovec reply = {.iov_base = out, .iov_len = len};
    struct msghdr back = {.msg_name = &peer, .msg_namelen = msg.msg_namelen, .msg_iov = &reply,
                          .msg_iovlen = 1};
    sendmsg(fd, &back, MSG_DONTWAIT); /* a full buffer drops the reply, as UDP may */
  }
}

/* Up to BATCH datagrams in, their replies out, two system calls. */
static void serve_batch(int fd, enum service s) {
  static unsigned char in[BATCH][512], out[BATCH][MAX_REPLY];
  static struct sockaddr_in peers[BATCH];
  static struct iovec in_iov[BATCH], out_iov[BATCH];
  static struct mmsghdr in_msgs[BATCH], out_msgs[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      in_iov[i] = (struct iovec){.iov_base = in[i], .iov_len = sizeof in[i]};
      in_msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &peers[i],
                                                .msg_namelen = sizeof peers[i],
                                                .msg_iov = &in_iov[i], .msg_iovlen = 1}};
    }
    int n = recvmmsg(fd, in_msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    int replies = 0;
    for (int i = 0; i < n; i++) {
      size_t len = answer(s, in[i], in_msgs[i].msg_len, out[replies]);
      if (len == 0) continue;
      out_iov[replies] = (struct iovec){.iov_base = out[replies], .iov_len = len};
      out_msgs[replies] = (struct mmsghdr){.msg_hdr = {.msg_name = &peers[i],
                                                       .msg_namelen = in_msgs[i].msg_hdr.msg_namelen,
                                                       .msg_iov = &out_iov[replies],
                                                       .msg_iovlen = 1}};
      replies++;
    }
    for (int sent = 0; sent < replies;) {
      int m = sendmmsg(fd, out_msgs + sent, (unsigned)(replies - sent), MSG_DONTWAIT);
      if (m <= 0) break;
      sent += m;
    }
    if (n < BATCH) return;
  }
}

static int open_udp(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { perror("socket"); exit(1); }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); exit(1); }
  return fd;
}

static void usage(void) {
  fprintf(stderr,
          "usage: udpserver-c [--mmsg] [--ntp-port p] [--rfc868-port p] [--daytime-port p]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int ports[3] = {0, 0, 0}, mmsg = 0, any = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--mmsg") == 0) { mmsg = 1; continue; }
    int s = -1;
    for (int k = 0; k < 3; k++) {
      char flag[32];
      snprintf(flag, sizeof flag, "--%s-port", service_names[k]);
      if (strcmp(argv[i], flag) == 0) s = k;
    }
    if (s < 0 || i + 1 >= argc) usage();
    char *end;
    long value = strtol(argv[++i], &end, 10);
    if (*end != '\0' || value < 1 || value > 65535) usage();
    ports[s] = (int)value;
    any = 1;
  }
  if (!any) usage();
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  int fds[3] = {-1, -1, -1};
  for (int s = 0; s < 3; s++) {
    if (ports[s] == 0) continue;
    fds[s] = open_udp(ports[s]);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fds[s], &ev);
    printf("%s on udp port %d\n", service_names[s], ports[s]);
  }
  fflush(stdout);
  struct epoll_event events[3];
  for (;;) {
    int n = epoll_wait(epfd, events, 3, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      enum service s = (enum service)events[i].data.u32;
      if (mmsg) serve_batch(fds[s], s);
      else serve_single(fds[s], s);
    }
  }
}
