/*
 * AEAD_AES_SIV_CMAC_256 (RFC 5297) on OpenSSL's AES, for NTS (RFC 8915):
 * the same operation as src/crypto/aes-siv.ts, without a JavaScript cipher
 * object or a Buffer per AES run. An NTS request costs four SIV operations
 * (open the cookie, verify the Authenticator, seal a fresh cookie, seal the
 * reply); in JavaScript each is several calls into node:crypto, each
 * allocating its output, and that, not AES, was most of a request's cost.
 *
 * OpenSSL is the one inside Node: its binary exports libcrypto's symbols
 * for addons and node-gyp's headers carry openssl/. Only EVP calls that
 * OpenSSL 1.1.1 and 3.x share are used. The functions are exported only
 * when the headers were there at build time and the symbols are there at
 * run time (a Node built without them, or another runtime), so the UDP part
 * of the module never depends on them; JavaScript falls back to the pure
 * implementation when they are absent.
 *
 * A key is two EVP contexts: AES-128-CBC with the first half of the key
 * for every CMAC (a CBC chain restarts at a zero IV by xoring the previous
 * output block into the next message's first block, so the context is never
 * re-initialised), and AES-128-ECB with the second half turning counter
 * blocks into CTR's key stream. JavaScript passes the key's bytes on every
 * call and the contexts of recent keys are kept here (find_key), so no
 * JavaScript object stands for a key.
 *
 * JavaScript API (all byte arguments Uint8Array, views allowed):
 *   sivSeal(key[32], out, offset, plaintext, ...associated): writes IV ‖ C (16 + plaintext.length
 *     bytes) into out at offset
 *   sivOpen(key[32], out, offset, sealed, ...associated) -> boolean: writes the plaintext
 *     (sealed.length - 16 bytes) into out at offset; false (and those bytes zeroed) when it
 *     does not verify
 * `out` may be the input itself at the same place, never a partly overlapping range.
 */

#include <dlfcn.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<openssl/evp.h>)
#define HAVE_OPENSSL_EVP 1
#endif
#endif

#ifdef HAVE_OPENSSL_EVP
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define BLOCK 16
/* Bytes handed to OpenSSL per call; every NTS packet fits in one. */
#define CHUNK 2048
/* Associated data components per call (RFC 5297 allows 126; NTS uses one or two). */
#define MAX_COMPONENTS 8

/*
 * The two ciphers, fetched once: in OpenSSL 3 a context initialised with
 * EVP_aes_128_cbc() looks the implementation up again every time, which
 * made a new key cost several microseconds.
 */
static const EVP_CIPHER *cbc_cipher;
static const EVP_CIPHER *ecb_cipher;
static pthread_once_t ciphers_once = PTHREAD_ONCE_INIT;

static void fetch_ciphers(void) {
#if OPENSSL_VERSION_MAJOR >= 3
  if (dlsym(RTLD_DEFAULT, "EVP_CIPHER_fetch") != NULL) {
    cbc_cipher = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    ecb_cipher = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
  }
#endif
  if (cbc_cipher == NULL) cbc_cipher = EVP_aes_128_cbc();
  if (ecb_cipher == NULL) ecb_cipher = EVP_aes_128_ecb();
}

typedef struct {
  EVP_CIPHER_CTX *cbc;
  EVP_CIPHER_CTX *ecb;
  uint8_t chain[BLOCK]; /* the CBC chain's last output block */
  uint8_t k1[BLOCK];    /* CMAC subkeys (RFC 4493 §2.3) */
  uint8_t k2[BLOCK];
  uint8_t d0[BLOCK];    /* S2V's D after its first step: CMAC(K, 0^128) */
} siv_key;

typedef struct {
  const uint8_t *data;
  size_t length;
} bytes;

/* Blocks as two big-endian 64-bit words: whole-word xors and shifts, no byte loops. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BIG_ENDIAN_64(x) (x)
#else
#define BIG_ENDIAN_64(x) __builtin_bswap64(x)
#endif

static inline void load_block(const uint8_t *block, uint64_t *hi, uint64_t *lo) {
  memcpy(hi, block, 8);
  memcpy(lo, block + 8, 8);
  *hi = BIG_ENDIAN_64(*hi);
  *lo = BIG_ENDIAN_64(*lo);
}

static inline void store_block(uint8_t *block, uint64_t hi, uint64_t lo) {
  hi = BIG_ENDIAN_64(hi);
  lo = BIG_ENDIAN_64(lo);
  memcpy(block, &hi, 8);
  memcpy(block + 8, &lo, 8);
}

static void dbl(uint8_t *block) {
  uint64_t hi, lo;
  load_block(block, &hi, &lo);
  uint64_t carry = hi >> 63;
  hi = (hi << 1) | (lo >> 63);
  lo = (lo << 1) ^ (carry * 0x87);
  store_block(block, hi, lo);
}

static inline void xor_block(uint8_t *target, const uint8_t *source) {
  uint64_t t[2], s[2];
  memcpy(t, target, BLOCK);
  memcpy(s, source, BLOCK);
  t[0] ^= s[0];
  t[1] ^= s[1];
  memcpy(target, t, BLOCK);
}

/*
 * AES-CMAC (RFC 4493) of `message`, its last 16 bytes first xored with
 * `xorend` when given (S2V's xorend, only for messages of 16 bytes or more).
 * The padded message is streamed through the CBC context in chunks.
 */
static int cmac(siv_key *k, const uint8_t *message, size_t length, const uint8_t *xorend, uint8_t *mac) {
  uint8_t in[CHUNK], out[CHUNK];
  size_t used = 0;
  int ok = 1;
  int complete = length > 0 && length % BLOCK == 0;
  size_t padded = complete ? length : length - length % BLOCK + BLOCK;
  size_t last = padded - BLOCK;
  for (size_t off = 0; off < padded; off += CHUNK) {
    size_t n = padded - off < CHUNK ? padded - off : CHUNK;
    size_t have = length > off ? (length - off < n ? length - off : n) : 0;
    if (have > 0) memcpy(in, message + off, have);
    if (have < n) {
      memset(in + have, 0, n - have);
      in[have] = 0x80;
    }
    if (xorend != NULL) {
      size_t from = length - BLOCK;
      for (size_t i = from > off ? from : off; i < off + have; i++) in[i - off] ^= xorend[i - from];
    }
    if (off == 0) xor_block(in, k->chain);
    if (last >= off && last < off + n) xor_block(in + (last - off), complete ? k->k1 : k->k2);
    if (n > used) used = n;
    int written = 0;
    ok = EVP_EncryptUpdate(k->cbc, out, &written, in, (int)n) == 1 && (size_t)written == n;
    if (ok && off + n == padded) memcpy(mac, out + n - BLOCK, BLOCK);
    if (!ok) break;
  }
  /* The copies of the message (a cookie's keys, say) and the chain's blocks of it. */
  OPENSSL_cleanse(in, used);
  OPENSSL_cleanse(out, used);
  if (!ok) return 0;
  memcpy(k->chain, mac, BLOCK);
  return 1;
}

/* S2V (RFC 5297 §2.4) over the associated data and the plaintext: the synthetic IV. */
static int s2v(siv_key *k, const bytes *associated, size_t count, const uint8_t *last, size_t length, uint8_t *iv) {
  uint8_t d[BLOCK], mac[BLOCK];
  memcpy(d, k->d0, BLOCK);
  for (size_t c = 0; c < count; c++) {
    if (!cmac(k, associated[c].data, associated[c].length, NULL, mac)) return 0;
    dbl(d);
    xor_block(d, mac);
  }
  if (length >= BLOCK) return cmac(k, last, length, d, iv);
  dbl(d);
  for (size_t i = 0; i < length; i++) d[i] ^= last[i];
  d[length] ^= 0x80;
  return cmac(k, d, BLOCK, NULL, iv);
}

/* AES-CTR from the IV with bits 31 and 63 cleared (RFC 5297 §2.5). */
static int ctr(siv_key *k, const uint8_t *iv, const uint8_t *input, size_t length, uint8_t *output) {
  uint8_t counters[CHUNK], stream[CHUNK];
  uint8_t q[BLOCK];
  memcpy(q, iv, BLOCK);
  q[8] &= 0x7f;
  q[12] &= 0x7f;
  uint64_t hi, lo;
  load_block(q, &hi, &lo);
  for (size_t off = 0; off < length; off += CHUNK) {
    size_t n = length - off < CHUNK ? length - off : CHUNK;
    size_t blocks = (n + BLOCK - 1) / BLOCK;
    for (size_t b = 0; b < blocks; b++) {
      store_block(counters + b * BLOCK, hi, lo);
      if (++lo == 0) hi++;
    }
    int written = 0;
    if (EVP_EncryptUpdate(k->ecb, stream, &written, counters, (int)(blocks * BLOCK)) != 1) return 0;
    for (size_t i = 0; i < n; i++) output[off + i] = input[off + i] ^ stream[i];
    OPENSSL_cleanse(stream, blocks * BLOCK);
  }
  return 1;
}

/* Sets the key's contexts (made once per slot) to `key` and computes its subkeys. */
static int set_key(siv_key *k, const uint8_t *key) {
  static const uint8_t zero[BLOCK] = {0};
  if (k->cbc == NULL) k->cbc = EVP_CIPHER_CTX_new();
  if (k->ecb == NULL) k->ecb = EVP_CIPHER_CTX_new();
  if (k->cbc == NULL || k->ecb == NULL ||
      EVP_EncryptInit_ex(k->cbc, cbc_cipher, NULL, key, zero) != 1 ||
      EVP_EncryptInit_ex(k->ecb, ecb_cipher, NULL, key + BLOCK, NULL) != 1 ||
      EVP_CIPHER_CTX_set_padding(k->cbc, 0) != 1 || EVP_CIPHER_CTX_set_padding(k->ecb, 0) != 1)
    return 0;
  /* L = AES(K, 0): the chain starts at zero, so this is the first block's output. */
  uint8_t l[BLOCK];
  int written = 0;
  if (EVP_EncryptUpdate(k->cbc, l, &written, zero, BLOCK) != 1) return 0;
  memcpy(k->chain, l, BLOCK);
  memcpy(k->k1, l, BLOCK);
  dbl(k->k1);
  memcpy(k->k2, k->k1, BLOCK);
  dbl(k->k2);
  OPENSSL_cleanse(l, sizeof l);
  return cmac(k, zero, BLOCK, NULL, k->d0);
}

/*
 * The keys last used, per thread (N-API instance data): an NTS client uses
 * the two keys of one key exchange for all its requests, and the cookie key
 * changes once a period, so most calls find their key here and pay no key
 * schedule. Set-associative (WAYS slots per set, the least recently used
 * one replaced), indexed by the key's first bytes: keys are random, and
 * only keys from cookies this server sealed (or its own) ever get here.
 */
#define SETS 256
#define WAYS 4

typedef struct {
  uint8_t key[2 * BLOCK];
  uint64_t used; /* 0: empty */
  siv_key k;
} siv_slot;

typedef struct {
  uint64_t clock;
  siv_slot slots[SETS * WAYS];
} siv_cache;

static void free_cache(napi_env env, void *data, void *hint) {
  siv_cache *cache = data;
  for (size_t i = 0; i < SETS * WAYS; i++) {
    siv_slot *slot = &cache->slots[i];
    if (slot->k.cbc != NULL) EVP_CIPHER_CTX_free(slot->k.cbc);
    if (slot->k.ecb != NULL) EVP_CIPHER_CTX_free(slot->k.ecb);
  }
  OPENSSL_cleanse(cache, sizeof *cache);
  free(cache);
}

/* Compares two keys in constant time, a word at a time. */
static inline int same_key(const uint8_t *a, const uint8_t *b) {
  uint64_t x[4], y[4];
  memcpy(x, a, sizeof x);
  memcpy(y, b, sizeof y);
  return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

static siv_key *find_key(napi_env env, const uint8_t *key) {
  siv_cache *cache = NULL;
  if (napi_get_instance_data(env, (void **)&cache) != napi_ok || cache == NULL) return NULL;
  uint32_t index;
  memcpy(&index, key, sizeof index);
  siv_slot *set = &cache->slots[(size_t)(index % SETS) * WAYS];
  siv_slot *victim = &set[0];
  uint64_t stamp = ++cache->clock;
  for (int w = 0; w < WAYS; w++) {
    siv_slot *slot = &set[w];
    if (slot->used != 0 && same_key(slot->key, key)) {
      slot->used = stamp;
      return &slot->k;
    }
    if (slot->used < victim->used) victim = slot;
  }
  victim->used = 0;
  if (!set_key(&victim->k, key)) return NULL;
  memcpy(victim->key, key, sizeof victim->key);
  victim->used = stamp;
  return &victim->k;
}

/* ---------- JavaScript ---------- */

static napi_value siv_throw(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG", message);
  return NULL;
}

static int get_bytes(napi_env env, napi_value value, bytes *out) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  out->data = data;
  out->length = length;
  return 1;
}

/* The arguments of sivSeal and sivOpen: key, out, offset, input, ...associated. */
typedef struct {
  siv_key *key;
  uint8_t *out;
  size_t room; /* bytes of out from offset on */
  bytes input;
  bytes associated[MAX_COMPONENTS];
  size_t count;
} siv_call;

static int siv_args(napi_env env, napi_callback_info info, siv_call *call) {
  size_t argc = 4 + MAX_COMPONENTS;
  napi_value argv[4 + MAX_COMPONENTS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      argc > 4 + MAX_COMPONENTS)
    return 0;
  bytes key, out;
  uint32_t offset;
  if (!get_bytes(env, argv[0], &key) || key.length != 2 * BLOCK) return 0;
  if (!get_bytes(env, argv[1], &out) || napi_get_value_uint32(env, argv[2], &offset) != napi_ok ||
      offset > out.length || !get_bytes(env, argv[3], &call->input))
    return 0;
  call->key = find_key(env, key.data);
  if (call->key == NULL) return 0;
  call->out = (uint8_t *)out.data + offset;
  call->room = out.length - offset;
  call->count = argc - 4;
  for (size_t c = 0; c < call->count; c++)
    if (!get_bytes(env, argv[4 + c], &call->associated[c])) return 0;
  return 1;
}

static napi_value js_siv_seal(napi_env env, napi_callback_info info) {
  siv_call call;
  if (!siv_args(env, info, &call))
    return siv_throw(env, "sivSeal(key[32], out, offset, plaintext, ...associated)");
  if (call.room < BLOCK + call.input.length) return siv_throw(env, "sivSeal: out is too short");
  uint8_t iv[BLOCK];
  if (!s2v(call.key, call.associated, call.count, call.input.data, call.input.length, iv) ||
      !ctr(call.key, iv, call.input.data, call.input.length, call.out + BLOCK))
    return siv_throw(env, "sivSeal: OpenSSL failed");
  memcpy(call.out, iv, BLOCK);
  return NULL;
}

static napi_value js_siv_open(napi_env env, napi_callback_info info) {
  siv_call call;
  if (!siv_args(env, info, &call))
    return siv_throw(env, "sivOpen(key[32], out, offset, sealed, ...associated)");
  napi_value result;
  if (call.input.length < BLOCK) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  size_t length = call.input.length - BLOCK;
  if (call.room < length) return siv_throw(env, "sivOpen: out is too short");
  uint8_t iv[BLOCK], check[BLOCK];
  memcpy(iv, call.input.data, BLOCK); /* before out, which may be the input, is written */
  if (!ctr(call.key, iv, call.input.data + BLOCK, length, call.out) ||
      !s2v(call.key, call.associated, call.count, call.out, length, check))
    return siv_throw(env, "sivOpen: OpenSSL failed");
  int ok = CRYPTO_memcmp(check, iv, BLOCK) == 0;
  if (!ok) OPENSSL_cleanse(call.out, length);
  napi_get_boolean(env, ok, &result);
  return result;
}

/* True when the process has the libcrypto functions this file calls. */
static int have_libcrypto(void) {
  static const char *const names[] = {
    "EVP_CIPHER_CTX_new", "EVP_CIPHER_CTX_free", "EVP_CIPHER_CTX_set_padding",
    "EVP_EncryptInit_ex", "EVP_EncryptUpdate", "EVP_aes_128_cbc", "EVP_aes_128_ecb",
    "CRYPTO_memcmp", "OPENSSL_cleanse",
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (dlsym(RTLD_DEFAULT, names[i]) == NULL) return 0;
  return 1;
}

void siv_register(napi_env env, napi_value exports) {
  if (!have_libcrypto()) return;
  pthread_once(&ciphers_once, fetch_ciphers);
  siv_cache *cache = calloc(1, sizeof *cache);
  if (cache == NULL) return;
  if (napi_set_instance_data(env, cache, free_cache, NULL) != napi_ok) {
    free(cache);
    return;
  }
  napi_property_descriptor methods[] = {
    {"sivSeal", NULL, js_siv_seal, NULL, NULL, NULL, napi_default, NULL},
    {"sivOpen", NULL, js_siv_open, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
}

#else

void siv_register(napi_env env, napi_value exports) {}

#endif
