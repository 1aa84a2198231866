/*
 * loadgen: the load generator `npm run bench` trusts. A ratio against the C
 * reference means something only when the generator is not what ran out of
 * CPU, so this one stays lean: one thread, level-triggered epoll, fixed
 * buffers, batch syscalls where the protocol allows them (UDP), and still
 * every reply is checked and every latency recorded.
 *
 *   loadgen -m MODE [-h host] [-p port] [-c conns] [-P depth] [-d seconds]
 *           [-w warmup] [-H hold-seconds] [-f daytime|rfc868] [-t timeout-ms]
 *
 *   rr           c connections, closed loop: send P x TIME, read P replies, repeat
 *   churn        c loops of connect / TIME / reply / QUIT / wait for the close
 *   hold         open c idle connections, hold them H s, then one TIME each
 *   tcp-read     c loops of connect / read until close (-f daytime or rfc868)
 *   udp-sntp, udp-rfc868, udp-daytime
 *                c sockets, each a closed loop of batches of P datagrams; a
 *                batch not answered within -t ms counts its missing replies
 *                as lost and the next batch goes out
 *
 * Prints one JSON line: requests, rps, p50_us, p99_us, p999_us, max_us, bad,
 * errors, lost, cpu_user_s, cpu_sys_s (+ held, answered, failed for hold).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { RR, CHURN, HOLD, TCP_READ, UDP_SNTP, UDP_RFC868, UDP_DAYTIME };
enum state { IDLE, CONNECTING, WAIT_REPLY, WAIT_CLOSE, RETRY, DONE };

#define MAX_DEPTH 1024
#define LINE_MAX_LEN 128
#define NTP_LEN 48
#define NTP_UNIX_OFFSET 2208988800u /* seconds from 1900 to 1970 */
#define NEAR_NOW_S 5

struct conn {
  int fd;
  enum state state;
  unsigned pending;    /* replies still expected (rr, udp) */
  uint32_t seq;        /* udp: batch number, part of every SNTP token */
  uint64_t t0;         /* when the batch / session / request began */
  size_t len;          /* bytes kept in buf */
  char buf[LINE_MAX_LEN];
  uint8_t seen[MAX_DEPTH]; /* udp-sntp: which replies of the batch arrived */
};

/* ---------- options and counters ---------- */

static enum mode mode;
static const char *host = "127.0.0.1", *format = "daytime";
static int port = 45000, conns = 100, depth = 1, timeout_ms = 1000;
static double duration_s = 5, warmup_s = 1, hold_s = 5;

static struct sockaddr_in target;
static int epfd;
static struct conn *table;
static int recording, stopping;
static uint64_t requests, bad, errors, lost, late, held, answered, failed;
static char rbuf[65536];
static char request[MAX_DEPTH * 6];

/* ---------- time and the histogram ---------- */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Log-linear: 32 linear steps per power of two, so every bucket is within 3%. */
#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
static uint64_t hist[64 * SUB], hist_count, hist_max;

static unsigned bucket_of(uint64_t v) {
  if (v < SUB) return (unsigned)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v);
  return (e - SUB_BITS + 1) * SUB + (unsigned)((v >> (e - SUB_BITS)) & (SUB - 1));
}

static uint64_t bucket_value(unsigned b) {
  if (b < SUB) return b;
  unsigned e = b / SUB + SUB_BITS - 1, sub = b % SUB;
  uint64_t low = (uint64_t)(SUB + sub) << (e - SUB_BITS);
  return low + ((1ull << (e - SUB_BITS)) >> 1); /* middle of the bucket */
}

static void record(uint64_t ns) {
  if (!recording) return;
  hist[bucket_of(ns)]++;
  hist_count++;
  if (ns > hist_max) hist_max = ns;
}

static double percentile_us(double q) {
  if (hist_count == 0) return 0;
  uint64_t want = (uint64_t)(q * (double)hist_count + 0.5), seen = 0;
  if (want < 1) want = 1;
  for (unsigned b = 0; b < 64 * SUB; b++) {
    seen += hist[b];
    if (seen >= want) {
      uint64_t v = bucket_value(b);
      return (double)(v < hist_max ? v : hist_max) / 1000.0;
    }
  }
  return (double)hist_max / 1000.0;
}

/* ---------- reply checks ---------- */

static int digits2(const char *p, int max) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return 0;
  return (p[0] - '0') * 10 + (p[1] - '0') <= max;
}

/* Exactly "JAM hh:mm:ss\r\n", `len` including the LF. */
static int jam_ok(const char *p, size_t len) {
  return len == 14 && memcmp(p, "JAM ", 4) == 0 && digits2(p + 4, 23) && p[6] == ':' &&
         digits2(p + 7, 59) && p[9] == ':' && digits2(p + 10, 60) && p[12] == '\r' &&
         p[13] == '\n';
}

/* One printable line ending CRLF and nothing after it. */
static int daytime_ok(const char *p, size_t len) {
  if (len < 3 || p[len - 2] != '\r' || p[len - 1] != '\n') return 0;
  for (size_t i = 0; i + 2 < len; i++)
    if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e) return 0;
  return 1;
}

static int near_now(uint32_t seconds_since_1900) {
  uint32_t now = (uint32_t)time(NULL) + NTP_UNIX_OFFSET;
  int32_t diff = (int32_t)(seconds_since_1900 - now); /* wraps correctly in 2036 */
  return diff >= -NEAR_NOW_S && diff <= NEAR_NOW_S;
}

static uint32_t be32(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static int rfc868_ok(const char *p, size_t len) { return len == 4 && near_now(be32(p)); }

/* ---------- sockets ---------- */

static void watch(struct conn *c, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &ev) < 0) { perror("epoll_ctl"); exit(1); }
}

static void close_conn(struct conn *c, enum state next) {
  if (c->fd >= 0) close(c->fd); /* also leaves the epoll set */
  c->fd = -1;
  c->state = next;
  c->len = 0;
}

/* Non-blocking connect; completion is reported as EPOLLOUT. */
static void start_connect(struct conn *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) { errors++; c->state = RETRY; return; }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->t0 = now_ns();
  c->len = 0;
  if (connect(c->fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
    errors++;
    close_conn(c, RETRY);
    return;
  }
  c->state = CONNECTING;
  watch(c, EPOLL_CTL_ADD, EPOLLOUT);
}

static int connect_finished(struct conn *c) {
  int err = 0;
  socklen_t size = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &size);
  if (err == 0) return 1;
  errors++;
  close_conn(c, RETRY);
  return 0;
}

static int send_all(struct conn *c, const char *data, size_t len) {
  ssize_t n = write(c->fd, data, len);
  if (n == (ssize_t)len) return 1;
  errors++; /* a few bytes on a fresh closed-loop socket always fit */
  close_conn(c, RETRY);
  return 0;
}

/* Read after what is kept in c->buf: bytes now in rbuf, 0 at EOF, -1 on error, -2 no data. */
static ssize_t read_more(struct conn *c) {
  memcpy(rbuf, c->buf, c->len);
  ssize_t n = read(c->fd, rbuf + c->len, sizeof rbuf - c->len);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return -2;
  if (n < 0) return -1;
  return n == 0 ? 0 : (ssize_t)c->len + n;
}

/* Keep an unfinished line for the next read; a too long one is a bad reply. */
static void keep_rest(struct conn *c, size_t from, size_t to) {
  size_t rest = to - from;
  if (rest >= sizeof c->buf) { bad++; rest = 0; }
  memmove(c->buf, rbuf + from, rest);
  c->len = rest;
}

/* ---------- TCP modes ---------- */

static void rr_send(struct conn *c) {
  c->pending = (unsigned)depth;
  c->t0 = now_ns();
  send_all(c, request, (size_t)depth * 6);
}

static void rr_event(struct conn *c) {
  if (c->state == CONNECTING) {
    if (!connect_finished(c)) return;
    c->state = WAIT_REPLY;
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
    rr_send(c);
    return;
  }
  ssize_t n = read_more(c);
  if (n == -2) return;
  if (n <= 0) { errors++; close_conn(c, DONE); return; }
  uint64_t t = now_ns();
  size_t pos = 0;
  char *lf;
  while ((lf = memchr(rbuf + pos, '\n', (size_t)n - pos)) != NULL) {
    size_t len = (size_t)(lf - (rbuf + pos)) + 1;
    if (!jam_ok(rbuf + pos, len) || c->pending == 0) bad++;
    else if (recording) requests++;
    record(t - c->t0);
    pos += len;
    if (c->pending > 0) c->pending--;
  }
  keep_rest(c, pos, (size_t)n);
  if (c->pending == 0 && !stopping) rr_send(c);
}

static void session_done(struct conn *c, int ok) {
  if (ok && recording) {
    requests++;
    record(now_ns() - c->t0);
  }
  close_conn(c, IDLE);
  if (!stopping) start_connect(c);
}

static void churn_event(struct conn *c) {
  if (c->state == CONNECTING) {
    if (!connect_finished(c)) return;
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
    if (mode == TCP_READ) { c->state = WAIT_CLOSE; return; }
    c->state = WAIT_REPLY;
    send_all(c, "TIME\r\n", 6);
    return;
  }
  ssize_t n = read_more(c);
  if (n == -2) return;
  if (n < 0) { errors++; close_conn(c, RETRY); return; }
  if (mode == TCP_READ) {
    if (n > 0) { keep_rest(c, 0, (size_t)n); return; }
    int ok = strcmp(format, "rfc868") == 0 ? rfc868_ok(c->buf, c->len)
                                           : daytime_ok(c->buf, c->len);
    if (!ok) bad++;
    session_done(c, ok);
    return;
  }
  if (c->state == WAIT_CLOSE) {
    if (n > 0) { bad++; c->len = 0; return; } /* nothing may follow the reply */
    session_done(c, 1);
    return;
  }
  if (n == 0) { errors++; close_conn(c, RETRY); return; } /* closed before replying */
  char *lf = memchr(rbuf, '\n', (size_t)n);
  if (lf == NULL) { keep_rest(c, 0, (size_t)n); return; }
  size_t len = (size_t)(lf - rbuf) + 1;
  if (!jam_ok(rbuf, len) || len != (size_t)n) bad++;
  c->len = 0;
  c->state = WAIT_CLOSE;
  send_all(c, "QUIT\r\n", 6);
}

static void hold_event(struct conn *c) {
  if (c->state == CONNECTING) {
    if (!connect_finished(c)) { c->state = DONE; return; }
    c->state = IDLE;
    held++;
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
    return;
  }
  ssize_t n = read_more(c);
  if (n == -2) return;
  if (c->state == IDLE || n <= 0) { /* anything while idle, or a close, loses the connection */
    if (c->state == IDLE) held--;
    else failed++;
    if (n > 0) bad++;
    close_conn(c, DONE);
    return;
  }
  char *lf = memchr(rbuf, '\n', (size_t)n);
  if (lf == NULL) { keep_rest(c, 0, (size_t)n); return; }
  size_t len = (size_t)(lf - rbuf) + 1;
  if (jam_ok(rbuf, len) && len == (size_t)n) {
    answered++;
    record(now_ns() - c->t0);
  } else {
    bad++;
    failed++;
  }
  close_conn(c, DONE);
}

/* ---------- UDP modes ---------- */

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

/* The SNTP transmit timestamp doubles as a token: batch number, socket, index. */
static void token(unsigned char *p, uint32_t seq, unsigned sock, unsigned i) {
  put_be32(p, seq);
  put_be32(p + 4, (uint32_t)sock << 16 | (uint32_t)i);
}

static void udp_send(struct conn *c) {
  static unsigned char packets[MAX_DEPTH][NTP_LEN];
  static struct mmsghdr msgs[MAX_DEPTH];
  static struct iovec iovs[MAX_DEPTH];
  unsigned sock = (unsigned)(c - table);
  c->seq++;
  for (int i = 0; i < depth; i++) {
    size_t len = 0;
    if (mode == UDP_SNTP) {
      memset(packets[i], 0, NTP_LEN);
      packets[i][0] = 0x23; /* LI 0, version 4, mode 3 (client) */
      token(packets[i] + 40, c->seq, sock, (unsigned)i);
      c->seen[i] = 0;
      len = NTP_LEN;
    } /* RFC 868 and daytime: an empty datagram asks for the reply */
    iovs[i] = (struct iovec){.iov_base = packets[i], .iov_len = len};
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[i], .msg_iovlen = 1}};
  }
  c->pending = (unsigned)depth;
  c->t0 = now_ns();
  int sent = 0;
  while (sent < depth) {
    int n = sendmmsg(c->fd, msgs + sent, (unsigned)(depth - sent), 0);
    if (n <= 0) { errors++; lost += (unsigned)(depth - sent); c->pending -= (unsigned)(depth - sent); break; }
    sent += n;
  }
}

static int sntp_ok(struct conn *c, const char *p, size_t len) {
  if (len != NTP_LEN || (p[0] & 7) != 4 || !near_now(be32(p + 40))) return 0;
  unsigned char want[8];
  unsigned i = (unsigned char)p[30] << 8 | (unsigned char)p[31];
  token(want, c->seq, (unsigned)(c - table), i);
  if (i >= (unsigned)depth || memcmp(p + 24, want, 8) != 0 || c->seen[i]) return 0;
  c->seen[i] = 1;
  return 1;
}

static void udp_event(struct conn *c) {
  static char bufs[64][LINE_MAX_LEN * 4];
  static struct mmsghdr msgs[64];
  static struct iovec iovs[64];
  for (int i = 0; i < 64; i++) {
    iovs[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof bufs[i]};
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[i], .msg_iovlen = 1}};
  }
  int n = recvmmsg(c->fd, msgs, 64, MSG_DONTWAIT, NULL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) errors++; /* e.g. ECONNREFUSED: nobody there */
    return;
  }
  uint64_t t = now_ns();
  for (int i = 0; i < n; i++) {
    const char *p = bufs[i];
    size_t len = msgs[i].msg_len;
    if (mode == UDP_SNTP && len == NTP_LEN && be32(p + 24) != c->seq) { late++; continue; }
    int ok = mode == UDP_SNTP     ? sntp_ok(c, p, len)
             : mode == UDP_RFC868 ? rfc868_ok(p, len)
                                  : daytime_ok(p, len);
    if (!ok || c->pending == 0) { bad++; continue; }
    c->pending--;
    if (recording) requests++;
    record(t - c->t0);
  }
  if (c->pending == 0 && !stopping) udp_send(c);
}

/* A batch that waited longer than the timeout lost what is missing. */
static void udp_timeouts(uint64_t t) {
  for (int i = 0; i < conns; i++) {
    struct conn *c = &table[i];
    if (c->pending > 0 && t - c->t0 > (uint64_t)timeout_ms * 1000000u) {
      if (recording) lost += c->pending;
      udp_send(c);
    }
  }
}

static void udp_open(struct conn *c) {
  c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&target, sizeof target) < 0) {
    perror("udp socket");
    exit(1);
  }
  watch(c, EPOLL_CTL_ADD, EPOLLIN);
  udp_send(c);
}

/* ---------- the loop ---------- */

static void dispatch(struct conn *c) {
  switch (mode) {
  case RR: rr_event(c); break;
  case CHURN: case TCP_READ: churn_event(c); break;
  case HOLD: hold_event(c); break;
  default: udp_event(c); break;
  }
}

/* Serve events until `until` (monotonic ns); `tick` runs every 10 ms. */
static void run_until(uint64_t until, void (*tick)(uint64_t)) {
  static struct epoll_event events[1024];
  static uint64_t last_tick;
  for (;;) {
    uint64_t t = now_ns();
    if (t >= until) return;
    if (tick != NULL && t - last_tick >= 10000000u) {
      last_tick = t;
      tick(t);
    }
    uint64_t wait_ms = (until - t) / 1000000u + 1;
    int n = epoll_wait(epfd, events, 1024, (int)(wait_ms < 10 ? wait_ms : 10));
    if (n < 0 && errno != EINTR) { perror("epoll_wait"); exit(1); }
    for (int i = 0; i < n; i++) dispatch(events[i].data.ptr);
  }
}

/* Failed sessions wait a tick before trying again, so a dead server is not hammered. */
static void retry_tick(uint64_t t) {
  (void)t;
  for (int i = 0; i < conns; i++)
    if (table[i].state == RETRY && !stopping) start_connect(&table[i]);
}

static int hold_all_resolved(void) {
  for (int i = 0; i < conns; i++)
    if (table[i].state == CONNECTING) return 0;
  return 1;
}

static double cpu_seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static void run_hold(double *seconds) {
  /* Connect in waves of 128 every 10 ms (12,800/s): faster, and a slow-accepting
   * server overruns its listen backlog, so connections the client counts as
   * open are not yet (or never) accepted by the server. */
  for (int i = 0; i < conns; i++) {
    start_connect(&table[i]);
    if (i % 128 == 127) run_until(now_ns() + 10000000, NULL);
  }
  uint64_t give_up = now_ns() + 30ull * 1000000000u;
  while (!hold_all_resolved() && now_ns() < give_up) run_until(now_ns() + 10000000, NULL);
  run_until(now_ns() + (uint64_t)(hold_s * 1e9), NULL);
  recording = 1;
  uint64_t began = now_ns();
  for (int i = 0; i < conns; i++) {
    struct conn *c = &table[i];
    if (c->state != IDLE) continue;
    c->state = WAIT_REPLY;
    c->t0 = now_ns();
    if (!send_all(c, "TIME\r\n", 6)) { c->state = DONE; failed++; }
  }
  uint64_t deadline = now_ns() + 10ull * 1000000000u;
  while (answered + failed < held && now_ns() < deadline) run_until(now_ns() + 10000000, NULL);
  *seconds = (double)(now_ns() - began) / 1e9;
  requests = answered;
  failed = (uint64_t)conns - answered; /* never opened, lost while idle, wrong or no answer */
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen -m rr|churn|hold|tcp-read|udp-sntp|udp-rfc868|udp-daytime\n"
          "  [-h host] [-p port] [-c conns] [-P depth] [-d seconds] [-w warmup]\n"
          "  [-H hold-seconds] [-f daytime|rfc868] [-t timeout-ms]\n");
  exit(2);
}

static double number(const char *text, double min, double max) {
  char *end;
  double v = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || v < min || v > max) usage();
  return v;
}

int main(int argc, char **argv) {
  static const char *names[] = {"rr", "churn", "hold", "tcp-read", "udp-sntp", "udp-rfc868",
                                "udp-daytime"};
  int opt, have_mode = 0;
  while ((opt = getopt(argc, argv, "h:p:m:c:P:d:w:H:f:t:")) != -1) {
    switch (opt) {
    case 'h': host = optarg; break;
    case 'p': port = (int)number(optarg, 1, 65535); break;
    case 'c': conns = (int)number(optarg, 1, 1000000); break;
    case 'P': depth = (int)number(optarg, 1, MAX_DEPTH); break;
    case 'd': duration_s = number(optarg, 0.1, 86400); break;
    case 'w': warmup_s = number(optarg, 0, 86400); break;
    case 'H': hold_s = number(optarg, 0, 86400); break;
    case 't': timeout_ms = (int)number(optarg, 1, 600000); break;
    case 'f':
      if (strcmp(optarg, "daytime") != 0 && strcmp(optarg, "rfc868") != 0) usage();
      format = optarg;
      break;
    case 'm':
      for (int i = 0; i < 7; i++)
        if (strcmp(optarg, names[i]) == 0) { mode = (enum mode)i; have_mode = 1; }
      if (!have_mode) usage();
      break;
    default: usage();
    }
  }
  if (!have_mode || optind != argc) usage();
  target = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &target.sin_addr) != 1) {
    fprintf(stderr, "loadgen: -h takes an IPv4 address, not %s\n", host);
    return 2;
  }
  struct rlimit lim; /* hold keeps thousands of sockets open */
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < depth; i++) memcpy(request + i * 6, "TIME\r\n", 6);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  table = calloc((size_t)conns, sizeof *table);
  if (table == NULL) { perror("calloc"); return 1; }
  for (int i = 0; i < conns; i++) table[i].fd = -1;

  struct rusage ru0, ru1;
  double seconds = 0;
  if (mode == HOLD) {
    getrusage(RUSAGE_SELF, &ru0);
    run_hold(&seconds);
  } else {
    int udp = mode >= UDP_SNTP;
    void (*tick)(uint64_t) = udp ? udp_timeouts : retry_tick;
    for (int i = 0; i < conns; i++) {
      if (udp) udp_open(&table[i]);
      else start_connect(&table[i]);
    }
    run_until(now_ns() + (uint64_t)(warmup_s * 1e9), tick);
    uint64_t bad0 = bad, errors0 = errors;
    recording = 1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t began = now_ns();
    run_until(began + (uint64_t)(duration_s * 1e9), tick);
    seconds = (double)(now_ns() - began) / 1e9;
    recording = 0;
    stopping = 1;
    bad -= bad0; /* figures cover the measured window only */
    errors -= errors0;
  }
  getrusage(RUSAGE_SELF, &ru1);
  printf("{\"mode\":\"%s\",\"connections\":%d,\"depth\":%d,\"seconds\":%.3f,"
         "\"requests\":%llu,\"rps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
         "\"max_us\":%.1f,\"bad\":%llu,\"errors\":%llu,\"lost\":%llu,\"late\":%llu,",
         names[mode], conns, depth, seconds, (unsigned long long)requests,
         seconds > 0 ? (double)requests / seconds : 0.0, percentile_us(0.5),
         percentile_us(0.99), percentile_us(0.999), (double)hist_max / 1000.0,
         (unsigned long long)bad, (unsigned long long)errors, (unsigned long long)lost,
         (unsigned long long)late);
  if (mode == HOLD)
    printf("\"held\":%llu,\"answered\":%llu,\"failed\":%llu,", (unsigned long long)held,
           (unsigned long long)answered, (unsigned long long)failed);
  printf("\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
         cpu_seconds(ru1.ru_utime) - cpu_seconds(ru0.ru_utime),
         cpu_seconds(ru1.ru_stime) - cpu_seconds(ru0.ru_stime));
  return 0;
}
