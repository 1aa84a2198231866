/*
 * probe: how true an SNTP server's time is, asked as a client on the same
 * machine (so the true offset is 0). Each request's transmit timestamp is
 * CLOCK_REALTIME read just before send (T1), the reply's arrival is read just
 * after recv (T4); with the server's receive (T2) and transmit (T3)
 * timestamps, the NTP offset is ((T2 - T1) + (T3 - T4)) / 2 and the delay
 * (T4 - T1) - (T3 - T2). A server that reads its clock late (its receive
 * timestamp taken after the request waited in a queue) shows as an offset.
 *
 * On a saturated machine the probe itself may wait for a CPU after the reply
 * arrived, which looks like the server's error; so T4 is also taken from the
 * kernel's receive stamp of the reply (SO_TIMESTAMPNS), and the offset is
 * printed both ways: `offset_*` with T4 read after recv (as any client does),
 * `koffset_*` with the kernel's T4 (the server's own error, less the probe's).
 *
 *   probe [-h host] [-p port] [-n requests] [-i interval-us] [-t timeout-ms]
 *
 * Prints one JSON line: requests, answered, lost, offset_p50_us,
 * offset_p99_us, offset_max_us (all |offset|), koffset_p50_us, koffset_p99_us,
 * delay_p50_us, delay_p99_us, leap, stratum (of the last reply).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTP_UNIX_OFFSET 2208988800u

static double realtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put_ntp(uint8_t *at, double t) {
  double sec = floor(t);
  uint32_t s = (uint32_t)((uint64_t)sec + NTP_UNIX_OFFSET);
  uint32_t f = (uint32_t)((t - sec) * 4294967296.0);
  uint32_t be[2] = {htonl(s), htonl(f)};
  memcpy(at, be, 8);
}

/* NTP timestamp to Unix seconds, in the era nearest `near`. */
static double get_ntp(const uint8_t *at, double near) {
  uint32_t be[2];
  memcpy(be, at, 8);
  double t = (double)ntohl(be[0]) - NTP_UNIX_OFFSET + ntohl(be[1]) / 4294967296.0;
  while (t < near - 2147483648.0) t += 4294967296.0;
  return t;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double *sorted, int n, double p) {
  if (n == 0) return NAN;
  int i = (int)ceil(p * n) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return sorted[i];
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 123, count = 300, interval_us = 5000, timeout_ms = 1000, opt;
  while ((opt = getopt(argc, argv, "h:p:n:i:t:")) != -1) {
    switch (opt) {
      case 'h': host = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 'n': count = atoi(optarg); break;
      case 'i': interval_us = atoi(optarg); break;
      case 't': timeout_ms = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: probe [-h host] [-p port] [-n requests] [-i interval-us] [-t timeout-ms]\n");
        return 2;
    }
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
    fprintf(stderr, "probe: %s is not an IPv4 address\n", host);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
    perror("probe: socket");
    return 1;
  }
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  double *offsets = calloc((size_t)count, sizeof *offsets);
  double *koffsets = calloc((size_t)count, sizeof *koffsets);
  double *delays = calloc((size_t)count, sizeof *delays);
  int answered = 0, leap = -1, stratum = -1;
  for (int i = 0; i < count; i++) {
    uint8_t request[48] = {0}, reply[512];
    request[0] = (0 << 6) | (4 << 3) | 3;
    double t1 = realtime();
    put_ntp(request + 40, t1);
    if (send(fd, request, sizeof request, 0) < 0) {
      perror("probe: send");
      return 1;
    }
    for (;;) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, timeout_ms) <= 0) break;
      union {
        char bytes[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
      } control;
      struct iovec iov = {.iov_base = reply, .iov_len = sizeof reply};
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                           .msg_controllen = sizeof control.bytes};
      ssize_t n = recvmsg(fd, &msg, 0);
      double t4 = realtime(), k4 = t4;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          k4 = (double)ts.tv_sec + ts.tv_nsec / 1e9;
        }
      }
      if (n < 48 || memcmp(reply + 24, request + 40, 8) != 0) continue; /* a late reply to an earlier request */
      double t2 = get_ntp(reply + 32, t1), t3 = get_ntp(reply + 40, t1);
      offsets[answered] = fabs(((t2 - t1) + (t3 - t4)) / 2);
      koffsets[answered] = fabs(((t2 - t1) + (t3 - k4)) / 2);
      delays[answered] = (t4 - t1) - (t3 - t2);
      leap = reply[0] >> 6;
      stratum = reply[1];
      answered++;
      break;
    }
    usleep((useconds_t)interval_us);
  }
  qsort(offsets, (size_t)answered, sizeof *offsets, compare);
  qsort(delays, (size_t)answered, sizeof *delays, compare);
  qsort(koffsets, (size_t)answered, sizeof *koffsets, compare);
  printf("{\"requests\":%d,\"answered\":%d,\"lost\":%d,\"offset_p50_us\":%.1f,\"offset_p99_us\":%.1f,"
         "\"offset_max_us\":%.1f,\"koffset_p50_us\":%.1f,\"koffset_p99_us\":%.1f,\"delay_p50_us\":%.1f,\"delay_p99_us\":%.1f,\"leap\":%d,\"stratum\":%d}\n",
         count, answered, count - answered, percentile(offsets, answered, 0.5) * 1e6,
         percentile(offsets, answered, 0.99) * 1e6, percentile(offsets, answered, 1.0) * 1e6,
         percentile(koffsets, answered, 0.5) * 1e6, percentile(koffsets, answered, 0.99) * 1e6,
         percentile(delays, answered, 0.5) * 1e6, percentile(delays, answered, 0.99) * 1e6, leap, stratum);
  return answered == count ? 0 : 3;
}
