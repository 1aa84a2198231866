/*
 * timeserver's optional native UDP path (Linux): one non-blocking UDP socket
 * per listener, read in batches with recvmmsg and answered in batches with
 * sendmmsg, each datagram carrying the kernel's receive timestamp
 * (SO_TIMESTAMPNS), and the kernel clock's state read with ntp_adjtime.
 *
 * The socket lives on Node's own event loop (a uv_poll watcher): when it is
 * readable, one recvmmsg fills a preallocated batch, JavaScript is called once
 * with the count and writes each reply into the batch's transmit slots, and
 * the batch goes out with one sendmmsg. The clock is read for the transmit
 * timestamp right before that sendmmsg and written into every reply that asks
 * for it (an NTP reply's bytes 40–47), so the send waits behind no JavaScript.
 *
 * Nothing here knows a protocol beyond "write an NTP timestamp at this
 * offset"; policy, counters and logs stay in JavaScript, per datagram.
 *
 * Shared memory (allocated by JavaScript, held here by reference):
 *   rx   BATCH slots of SLOT bytes: the datagrams received
 *   tx   BATCH slots of SLOT bytes: the replies, slot i answers datagram i
 *   meta (BATCH + 1) records of META_INTS int32: per datagram, then totals
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64
#define SLOT 2048
#define META_INTS 32
/* Batches read per readable event before the loop gets a turn (level-triggered: the rest wait). */
#define MAX_ROUNDS 8

/* Per-datagram record, int32 indexes. */
enum {
  M_LENGTH = 0,     /* bytes received (at most SLOT) */
  M_PORT = 1,       /* source port */
  M_FAMILY = 2,     /* 4 or 6 */
  M_FLAGS = 3,      /* F_* */
  M_SEC_HI = 4,     /* receive time, Unix seconds, high 32 bits */
  M_SEC_LO = 5,     /* receive time, Unix seconds, low 32 bits (unsigned) */
  M_NSEC = 6,       /* receive time, nanoseconds */
  M_REPLY_LEN = 7,  /* written by JavaScript: reply bytes in tx slot, 0 = none */
  M_TX_OFFSET = 8,  /* written by JavaScript: where to write the transmit timestamp, -1 = nowhere */
  M_ADDR_LEN = 9,   /* bytes of address text */
  M_ADDR = 10,      /* address text (inet_ntop), up to 48 bytes = 12 int32 */
};
/* Totals record (record BATCH), int32 indexes. */
enum {
  T_SEND_ERRORS = 0,
  T_SEND_ERRNO = 1,
  T_RECV_ERRORS = 2,
  T_RECV_ERRNO = 3,
  T_NO_PORT = 4, /* replies not sent because the source port was 0 */
};
enum {
  F_TRUNCATED = 1, /* the datagram was longer than SLOT */
  F_KERNEL_TIME = 2, /* the receive time is the kernel's, not a clock read after recvmmsg */
};

#define NTP_UNIX_OFFSET 2208988800u
#define CONTROL_SPACE CMSG_SPACE(sizeof(struct timespec))

typedef struct {
  napi_env env;
  int fd;
  int family;
  int poll_started;
  int closing;
  int handle_closed; /* uv_close finished */
  int finalized;     /* the JavaScript external is gone */
  int in_batch;      /* JavaScript is handling a batch: close() defers dropping references */
  int cleanup_hook;  /* registered with napi_add_env_cleanup_hook */
  uv_poll_t poll;
  napi_ref callback;
  napi_ref buffers[3];
  napi_ref self;
  napi_async_context async;
  uint8_t *rx;
  uint8_t *tx;
  int32_t *meta;
  struct mmsghdr rmsgs[BATCH];
  struct mmsghdr smsgs[BATCH];
  struct iovec riov[BATCH];
  struct iovec siov[BATCH];
  struct sockaddr_storage names[BATCH];
  union {
    char bytes[CONTROL_SPACE];
    struct cmsghdr align;
  } control[BATCH];
} udp_socket;

/* ---------- errors ---------- */

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s %s: %s", syscall, uv_err_name(-err), strerror(err));
  napi_value code, text, error, sys;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_value errnum;
  napi_create_int32(env, -err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG", message);
  return NULL;
}

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) return throw_type(env, "timeserver_native: " #call); \
  } while (0)

/* ---------- clock ---------- */

static void write_ntp(uint8_t *at, const struct timespec *ts) {
  uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET);
  /* round(nsec * 2^32 / 1e9), as the JavaScript encoder does */
  uint32_t frac = (uint32_t)((((uint64_t)ts->tv_nsec << 32) + 500000000u) / 1000000000u);
  at[0] = sec >> 24; at[1] = sec >> 16; at[2] = sec >> 8; at[3] = sec;
  at[4] = frac >> 24; at[5] = frac >> 16; at[6] = frac >> 8; at[7] = frac;
}

static void put_time(int32_t *m, const struct timespec *ts) {
  int64_t sec = (int64_t)ts->tv_sec;
  m[M_SEC_HI] = (int32_t)(sec >> 32);
  m[M_SEC_LO] = (int32_t)(uint32_t)(sec & 0xffffffffu);
  m[M_NSEC] = (int32_t)ts->tv_nsec;
}

static void drop_refs(void *data);

/* ---------- the batch ---------- */

static void prepare_receive(udp_socket *s) {
  for (int i = 0; i < BATCH; i++) {
    struct msghdr *h = &s->rmsgs[i].msg_hdr;
    s->riov[i].iov_base = s->rx + (size_t)i * SLOT;
    s->riov[i].iov_len = SLOT;
    h->msg_iov = &s->riov[i];
    h->msg_iovlen = 1;
    h->msg_name = &s->names[i];
    h->msg_namelen = sizeof s->names[i];
    h->msg_control = s->control[i].bytes;
    h->msg_controllen = sizeof s->control[i].bytes;
    h->msg_flags = 0;
  }
}

static void describe(udp_socket *s, int i, struct timespec *fallback) {
  int32_t *m = s->meta + (size_t)i * META_INTS;
  struct msghdr *h = &s->rmsgs[i].msg_hdr;
  int flags = 0;
  m[M_LENGTH] = (int32_t)s->rmsgs[i].msg_len;
  if (h->msg_flags & MSG_TRUNC) flags |= F_TRUNCATED;
  int have_time = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      put_time(m, &ts);
      have_time = 1;
      flags |= F_KERNEL_TIME;
    }
  }
  if (!have_time) put_time(m, fallback);
  char *text = (char *)(m + M_ADDR);
  const struct sockaddr *name = (const struct sockaddr *)&s->names[i];
  if (name->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)name;
    m[M_PORT] = ntohs(in->sin_port);
    m[M_FAMILY] = 4;
    inet_ntop(AF_INET, &in->sin_addr, text, 48);
  } else if (name->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)name;
    m[M_PORT] = ntohs(in6->sin6_port);
    m[M_FAMILY] = 6;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, 48);
  } else {
    m[M_PORT] = 0;
    m[M_FAMILY] = 0;
    text[0] = '\0';
  }
  m[M_ADDR_LEN] = (int32_t)strnlen(text, 47);
  m[M_FLAGS] = flags;
  m[M_REPLY_LEN] = 0;
  m[M_TX_OFFSET] = -1;
}

/* Sends the replies JavaScript wrote for datagrams 0..n-1; one clock read, just before sendmmsg. */
static void send_batch(udp_socket *s, int n) {
  int32_t *totals = s->meta + (size_t)BATCH * META_INTS;
  int count = 0;
  for (int i = 0; i < n; i++) {
    int32_t *m = s->meta + (size_t)i * META_INTS;
    int32_t length = m[M_REPLY_LEN];
    if (length <= 0 || length > SLOT) continue;
    if (m[M_PORT] == 0) {
      totals[T_NO_PORT]++;
      continue;
    }
    struct msghdr *h = &s->smsgs[count].msg_hdr;
    memset(h, 0, sizeof *h);
    s->siov[count].iov_base = s->tx + (size_t)i * SLOT;
    s->siov[count].iov_len = (size_t)length;
    h->msg_iov = &s->siov[count];
    h->msg_iovlen = 1;
    h->msg_name = &s->names[i];
    h->msg_namelen = s->rmsgs[i].msg_hdr.msg_namelen;
    count++;
  }
  if (count == 0) return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int j = 0; j < count; j++) {
    int i = (int)(((uint8_t *)s->siov[j].iov_base - s->tx) / SLOT);
    int32_t offset = s->meta[(size_t)i * META_INTS + M_TX_OFFSET];
    if (offset >= 0 && offset + 8 <= (int32_t)s->siov[j].iov_len)
      write_ntp(s->tx + (size_t)i * SLOT + offset, &now);
  }
  int sent = 0;
  while (sent < count) {
    int r = sendmmsg(s->fd, s->smsgs + sent, (unsigned)(count - sent), 0);
    if (r > 0) {
      sent += r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      /* The first message of the rest failed (or the buffer is full): skip it, counted. */
      totals[T_SEND_ERRORS]++;
      totals[T_SEND_ERRNO] = r < 0 ? errno : 0;
      sent++;
    }
  }
}

static void fatal_if_pending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  udp_socket *s = poll->data;
  if (s->closing) return;
  int32_t *totals = s->meta + (size_t)BATCH * META_INTS;
  if (status < 0) {
    totals[T_RECV_ERRORS]++;
    totals[T_RECV_ERRNO] = -status;
    return;
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, self;
  napi_get_reference_value(env, s->callback, &callback);
  napi_get_reference_value(env, s->self, &self);
  for (int round = 0; round < MAX_ROUNDS && !s->closing; round++) {
    prepare_receive(s);
    int n = recvmmsg(s->fd, s->rmsgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        totals[T_RECV_ERRORS]++;
        totals[T_RECV_ERRNO] = errno;
      }
      break;
    }
    if (n == 0) break;
    struct timespec fallback;
    clock_gettime(CLOCK_REALTIME, &fallback);
    for (int i = 0; i < n; i++) describe(s, i, &fallback);
    napi_value count, result;
    napi_create_int32(env, n, &count);
    s->in_batch = 1;
    napi_status called = napi_make_callback(env, s->async, self, callback, 1, &count, &result);
    s->in_batch = 0;
    if (called != napi_ok) {
      fatal_if_pending(env);
      break;
    }
    if (s->closing) break;
    send_batch(s, n);
    if (n < BATCH) break;
  }
  if (s->closing) drop_refs(s);
  napi_close_handle_scope(env, scope);
}

/* ---------- lifetime ---------- */

static void release(udp_socket *s) {
  if (s->finalized && (s->handle_closed || !s->poll_started)) free(s);
}

static void on_closed(uv_handle_t *handle) {
  udp_socket *s = handle->data;
  s->handle_closed = 1;
  release(s);
}

static void close_socket(udp_socket *s) {
  if (s->closing) return;
  s->closing = 1;
  if (s->poll_started) uv_close((uv_handle_t *)&s->poll, on_closed);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void drop_refs(void *data) {
  udp_socket *s = data;
  napi_env env = s->env;
  if (s->cleanup_hook) napi_remove_env_cleanup_hook(env, drop_refs, s);
  s->cleanup_hook = 0;
  close_socket(s);
  if (s->callback) napi_delete_reference(env, s->callback);
  for (int i = 0; i < 3; i++)
    if (s->buffers[i]) napi_delete_reference(env, s->buffers[i]);
  if (s->self) napi_delete_reference(env, s->self);
  if (s->async) napi_async_destroy(env, s->async);
  s->callback = NULL;
  s->self = NULL;
  s->async = NULL;
  for (int i = 0; i < 3; i++) s->buffers[i] = NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  udp_socket *s = data;
  close_socket(s);
  s->finalized = 1;
  release(s);
}

static udp_socket *unwrap(napi_env env, napi_value value) {
  udp_socket *s = NULL;
  if (napi_unwrap(env, value, (void **)&s) != napi_ok || s == NULL) {
    throw_type(env, "not a native UDP socket");
    return NULL;
  }
  return s;
}

/* ---------- JavaScript API ---------- */

static int set_options(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) return errno;
  return 0;
}

/*
 * open(family: 4|6, address: string, port: number, fd: number, reusePort: boolean) -> socket
 * object; fd >= 0 adopts it. reusePort (SO_REUSEPORT) lets the processes of a cluster bind
 * the same port, the kernel spreading the clients among them.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], this_arg;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &this_arg, NULL));
  if (argc < 5) return throw_type(env, "open(family, address, port, fd, reusePort)");
  bool reuse_port = false;
  CHECK(napi_get_value_bool(env, argv[4], &reuse_port));
  int32_t family, port, fd;
  char address[64];
  size_t address_len;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_len));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &fd));
  int adopted = fd >= 0;
  if (adopted) {
    struct sockaddr_storage name;
    socklen_t len = sizeof name;
    int type = 0;
    socklen_t type_len = sizeof type;
    if (getsockname(fd, (struct sockaddr *)&name, &len) < 0) return throw_errno(env, "getsockname", errno);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) < 0) return throw_errno(env, "getsockopt", errno);
    if (type != SOCK_DGRAM) return throw_errno(env, "getsockopt", EPROTOTYPE);
    family = name.ss_family == AF_INET6 ? 6 : 4;
  } else {
    struct sockaddr_storage name;
    socklen_t len;
    memset(&name, 0, sizeof name);
    if (family == 6) {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&name;
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons((uint16_t)port);
      if (inet_pton(AF_INET6, address, &in6->sin6_addr) != 1) return throw_errno(env, "inet_pton", EINVAL);
      len = sizeof *in6;
    } else {
      struct sockaddr_in *in = (struct sockaddr_in *)&name;
      in->sin_family = AF_INET;
      in->sin_port = htons((uint16_t)port);
      if (inet_pton(AF_INET, address, &in->sin_addr) != 1) return throw_errno(env, "inet_pton", EINVAL);
      len = sizeof *in;
    }
    fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return throw_errno(env, "socket", errno);
    int on = 1;
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, "setsockopt", err);
    }
    if (bind(fd, (struct sockaddr *)&name, len) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, "bind", err);
    }
  }
  int err = set_options(fd);
  if (err != 0) {
    if (!adopted) close(fd);
    return throw_errno(env, "setsockopt", err);
  }
  udp_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    if (!adopted) close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  s->env = env;
  s->fd = fd;
  s->family = family;
  s->poll.data = s;
  napi_value object;
  CHECK(napi_create_object(env, &object));
  if (napi_wrap(env, object, s, finalize, NULL, NULL) != napi_ok) {
    close(fd);
    free(s);
    return throw_type(env, "napi_wrap failed");
  }
  return object;
}

/* address(socket) -> { address, port, family: "IPv4" | "IPv6" } */
static napi_value js_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->fd < 0) return throw_errno(env, "getsockname", EBADF);
  struct sockaddr_storage name;
  socklen_t len = sizeof name;
  if (getsockname(s->fd, (struct sockaddr *)&name, &len) < 0) return throw_errno(env, "getsockname", errno);
  char text[64] = "";
  int port = 0;
  const char *family = "IPv4";
  if (name.ss_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&name;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
    family = "IPv6";
  } else {
    struct sockaddr_in *in = (struct sockaddr_in *)&name;
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  }
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, result, "address", v));
  CHECK(napi_create_int32(env, port, &v));
  CHECK(napi_set_named_property(env, result, "port", v));
  CHECK(napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, result, "family", v));
  return result;
}

static int arraybuffer(napi_env env, napi_value value, size_t want, void **data) {
  bool is = false;
  size_t length = 0;
  if (napi_is_arraybuffer(env, value, &is) != napi_ok || !is) return 0;
  if (napi_get_arraybuffer_info(env, value, data, &length) != napi_ok) return 0;
  return length >= want;
}

/* start(socket, rx: ArrayBuffer, tx: ArrayBuffer, meta: ArrayBuffer, onBatch: (count) => void) */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_type(env, "start(socket, rx, tx, meta, onBatch)");
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->poll_started || s->closing) return throw_type(env, "the socket was already started or closed");
  void *rx, *tx, *meta;
  if (!arraybuffer(env, argv[1], (size_t)BATCH * SLOT, &rx) ||
      !arraybuffer(env, argv[2], (size_t)BATCH * SLOT, &tx) ||
      !arraybuffer(env, argv[3], (size_t)(BATCH + 1) * META_INTS * 4, &meta))
    return throw_type(env, "the batch buffers are too small");
  napi_valuetype type;
  CHECK(napi_typeof(env, argv[4], &type));
  if (type != napi_function) return throw_type(env, "onBatch must be a function");
  s->rx = rx;
  s->tx = tx;
  s->meta = meta;
  for (int i = 0; i < 3; i++) CHECK(napi_create_reference(env, argv[1 + i], 1, &s->buffers[i]));
  CHECK(napi_create_reference(env, argv[4], 1, &s->callback));
  CHECK(napi_create_reference(env, argv[0], 1, &s->self));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "timeserver:udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, argv[0], name, &s->async));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int r = uv_poll_init(loop, &s->poll, s->fd);
  if (r < 0) return throw_errno(env, "uv_poll_init", -r);
  s->poll_started = 1;
  /* A worker thread that ends without closing still closes the socket. */
  if (napi_add_env_cleanup_hook(env, drop_refs, s) == napi_ok) s->cleanup_hook = 1;
  r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (r < 0) return throw_errno(env, "uv_poll_start", -r);
  return NULL;
}

/* close(socket): stops reading and closes the descriptor at once. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  close_socket(s);
  if (!s->in_batch) drop_refs(s);
  return NULL;
}

/* ref(socket, on: boolean): whether the watcher keeps the loop alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  bool on;
  CHECK(napi_get_value_bool(env, argv[1], &on));
  if (s->poll_started && !s->closing) {
    if (on) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

static void set_number(napi_env env, napi_value object, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

/*
 * clockState() -> { state, status, maxErrorUs, estErrorUs, offsetNs?, ... }: the
 * kernel clock as ntp_adjtime reports it (read only, modes = 0). `state` is
 * the return value: TIME_OK 0, TIME_INS 1, TIME_DEL 2, TIME_OOP 3, TIME_WAIT
 * 4, TIME_ERROR 5.
 */
static napi_value js_clock_state(napi_env env, napi_callback_info info) {
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  int state = ntp_adjtime(&tx);
  if (state < 0) return throw_errno(env, "ntp_adjtime", errno);
  napi_value result;
  CHECK(napi_create_object(env, &result));
  set_number(env, result, "state", state);
  set_number(env, result, "status", tx.status);
  set_number(env, result, "maxErrorUs", (double)tx.maxerror);
  set_number(env, result, "estErrorUs", (double)tx.esterror);
  set_number(env, result, "offset", (double)tx.offset);
  set_number(env, result, "frequency", (double)tx.freq);
  set_number(env, result, "tai", (double)tx.tai);
  return result;
}

/* realtime(out: Float64Array[2]): CLOCK_REALTIME as seconds and nanoseconds, no BigInt. */
static napi_value js_realtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL));
  if (type != napi_float64_array || length < 2) return throw_type(env, "realtime(Float64Array(2))");
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  ((double *)data)[0] = (double)now.tv_sec;
  ((double *)data)[1] = (double)now.tv_nsec;
  return NULL;
}

/* AES-SIV for NTS (aes_siv.c): sivSeal, sivOpen, when OpenSSL is there. */
void siv_register(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"address", NULL, js_address, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"ref", NULL, js_ref, NULL, NULL, NULL, napi_default, NULL},
    {"clockState", NULL, js_clock_state, NULL, NULL, NULL, napi_default, NULL},
    {"realtime", NULL, js_realtime, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  napi_value v;
  napi_create_int32(env, BATCH, &v);
  napi_set_named_property(env, exports, "BATCH", v);
  napi_create_int32(env, SLOT, &v);
  napi_set_named_property(env, exports, "SLOT", v);
  napi_create_int32(env, META_INTS, &v);
  napi_set_named_property(env, exports, "META_INTS", v);
  siv_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
