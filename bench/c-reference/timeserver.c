/*
 * timeserver-c: the time protocol in plain C, the yardstick for benchmarks.
 * What a lean server does on this machine is the ceiling the Node server is
 * measured against, so this one stays minimal: one thread, level-triggered
 * epoll, one read and one write per wakeup, no logging, no limits. With
 * -t N it runs N such threads, each with its own SO_REUSEPORT listener, to
 * set against `timeserver --workers N`.
 *
 *   TIME\r\n -> JAM hh:mm:ss\r\n   QUIT\r\n -> close   other line -> Invalid command\r\n
 *
 * Usage: timeserver-c [-t threads] [port]   (default 45000; 0 picks one and prints it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 1024     /* bytes before the LF, as the Node server's default */
#define READ_CHUNK 16384  /* one read per wakeup keeps connections fair */
#define MAX_EVENTS 512
#define INVALID "Invalid command\r\n"
#define INVALID_LEN 17
#define JAM_LEN 14

struct conn {
  int fd;
  int closing;          /* 1: over-long line, 2: QUIT; close once `pending` is flushed */
  size_t tail_len;      /* unterminated line carried to the next read */
  char *pending;        /* replies the kernel would not take yet (malloc'd) */
  size_t pending_len, pending_off;
  char tail[MAX_LINE];
};

/* Per thread, shared by its connections: at most one is being served at a time. */
static __thread int epfd;
static __thread char in_buf[MAX_LINE + READ_CHUNK];
static __thread char out_buf[(MAX_LINE + READ_CHUNK + 1) * INVALID_LEN]; /* worst: every byte a LF */
static __thread char jam[JAM_LEN + 1];
static __thread time_t jam_second = -1;

/* Formatting local time costs far more than a reply: do it once per second. */
static void refresh_jam(void) {
  time_t now = time(NULL);
  if (now == jam_second) return;
  struct tm tm;
  localtime_r(&now, &tm);
  snprintf(jam, sizeof jam, "JAM %02d:%02d:%02d\r\n", tm.tm_hour, tm.tm_min, tm.tm_sec);
  jam_second = now;
}

static void drop(struct conn *c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c->pending);
  free(c);
}

/* Polite close after QUIT / over-long line: FIN after the replies, then release. */
static void finish(struct conn *c) {
  shutdown(c->fd, SHUT_WR);
  drop(c);
}

static void watch(struct conn *c, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(epfd, op, c->fd, &ev);
}

/* Write what we can; keep the rest and stop reading until it is gone. */
static void send_out(struct conn *c, const char *data, size_t len) {
  ssize_t n = len > 0 ? write(c->fd, data, len) : 0;
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) { drop(c); return; }
    n = 0;
  }
  if ((size_t)n < len) {
    c->pending_len = len - (size_t)n;
    c->pending_off = 0;
    c->pending = malloc(c->pending_len);
    if (c->pending == NULL) { drop(c); return; }
    memcpy(c->pending, data + n, c->pending_len);
    watch(c, EPOLL_CTL_MOD, EPOLLOUT);
    return;
  }
  if (c->closing) finish(c);
}

static void on_writable(struct conn *c) {
  ssize_t n = write(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) drop(c);
    return;
  }
  c->pending_off += (size_t)n;
  if (c->pending_off < c->pending_len) return;
  free(c->pending);
  c->pending = NULL;
  if (c->closing) { finish(c); return; }
  watch(c, EPOLL_CTL_MOD, EPOLLIN);
}

static void on_readable(struct conn *c) {
  memcpy(in_buf, c->tail, c->tail_len);
  ssize_t n = read(c->fd, in_buf + c->tail_len, READ_CHUNK);
  if (n == 0) { drop(c); return; } /* EOF: the client is done */
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) drop(c);
    return;
  }
  size_t len = c->tail_len + (size_t)n, pos = 0, out = 0;
  while (pos < len) {
    char *lf = memchr(in_buf + pos, '\n', len - pos);
    if (lf == NULL) break;
    size_t line = (size_t)(lf - (in_buf + pos)); /* bytes before the LF */
    if (line > MAX_LINE) { c->closing = 1; break; }
    const char *p = in_buf + pos;
    pos += line + 1;
    if (line == 5 && memcmp(p, "TIME\r", 5) == 0) {
      memcpy(out_buf + out, jam, JAM_LEN);
      out += JAM_LEN;
    } else if (line == 5 && memcmp(p, "QUIT\r", 5) == 0) {
      c->closing = 2; /* no reply, and later bytes are ignored */
      break;
    } else {
      memcpy(out_buf + out, INVALID, INVALID_LEN);
      out += INVALID_LEN;
    }
  }
  if (!c->closing) {
    c->tail_len = len - pos;
    if (c->tail_len > MAX_LINE) c->closing = 1; /* over-long even without its LF */
    else memcpy(c->tail, in_buf + pos, c->tail_len);
  }
  if (c->closing == 1) {
    memcpy(out_buf + out, INVALID, INVALID_LEN);
    out += INVALID_LEN;
  }
  send_out(c, out_buf, out);
}

static void on_acceptable(int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* Out of descriptors: the backlog stays readable, so back off instead of spinning. */
      if (errno == EMFILE || errno == ENFILE) usleep(1000);
      else if (errno != EAGAIN && errno != EWOULDBLOCK) perror("accept4");
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) { close(fd); continue; }
    c->fd = fd;
    watch(c, EPOLL_CTL_ADD, EPOLLIN);
  }
}

static int open_listener(int port, int reuseport) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); exit(1); }
  if (listen(fd, SOMAXCONN) < 0) { perror("listen"); exit(1); }
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_in addr;
  socklen_t size = sizeof addr;
  getsockname(fd, (struct sockaddr *)&addr, &size);
  return ntohs(addr.sin_port);
}

/* One thread's event loop over its own listener. */
static void *serve(void *arg) {
  int listener = (int)(intptr_t)arg;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      exit(1);
    }
    refresh_jam();
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) on_acceptable(listener);
      else if (c->pending != NULL) on_writable(c); /* only EPOLLOUT is watched then */
      else on_readable(c);
    }
  }
  return NULL;
}

static long parse_number(const char *text, long max) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0 || value > max) {
    fprintf(stderr, "usage: timeserver-c [-t threads] [port]\n");
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  int port = 45000, threads = 1, arg = 1;
  if (arg + 1 < argc && strcmp(argv[arg], "-t") == 0) {
    threads = (int)parse_number(argv[arg + 1], 1024);
    if (threads < 1) threads = 1;
    arg += 2;
  }
  if (arg < argc) port = (int)parse_number(argv[arg++], 65535);
  if (arg < argc) parse_number("", 0); /* extra arguments: usage */
  /* Hold tests keep thousands of sockets open: take every descriptor allowed. */
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  signal(SIGPIPE, SIG_IGN); /* a reset peer is an EPIPE from write, not a dead server */

  /* The first listener fixes the port (0 picks one); the others share it. */
  int first = open_listener(port, threads > 1);
  port = bound_port(first);
  printf("listening on port %d (%d thread%s)\n", port, threads, threads == 1 ? "" : "s");
  fflush(stdout);
  for (int i = 1; i < threads; i++) {
    pthread_t thread;
    int listener = open_listener(port, 1);
    if (pthread_create(&thread, NULL, serve, (void *)(intptr_t)listener) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  serve((void *)(intptr_t)first);
  return 0;
}
