/* The handle table: every object a host holds is a 64-bit number resolved here, so a
 * freed, forged, wrong-kind or foreign-thread handle is an error code, never a pointer
 * dereference.
 *
 * Layout of a handle (52 bits, so Lua numbers hold it exactly):
 *   bits 28..51  generation (1..2^24-1; bumped when the slot is freed)
 *   bits 24..27  kind
 *   bits  0..23  slot index
 * Slots live in fixed chunks that never move or shrink, so a lookup never races with a
 * resize. Creating and releasing take the table's mutex (the free list). Looking up does
 * not, on the path every call takes: a slot's generation, kind and owner are one atomic
 * word, and a handle owned by the calling thread can only be released by that thread, so
 * when the word matches, the slot cannot change under the lookup. Watchdog handles (used
 * from any thread) and every failed lookup take the mutex. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define INDEX_BITS 24
#define KIND_BITS 4
#define GEN_BITS 24
#define INDEX_MASK ((UINT64_C(1) << INDEX_BITS) - 1)
#define KIND_MASK ((UINT64_C(1) << KIND_BITS) - 1)
#define GEN_MASK ((UINT64_C(1) << GEN_BITS) - 1)
#define GEN_SHIFT (INDEX_BITS + KIND_BITS)
#define CHUNK_SLOTS 4096
#define MAX_CHUNKS ((1u << INDEX_BITS) / CHUNK_SLOTS)
#define NO_SLOT UINT32_MAX

/* A slot's identity as one word: owner thread tag (32 bits), generation, kind. */
#define IDENTITY(owner, gen, kind) ((uint64_t)(owner) << 32 | (uint64_t)(gen) << 8 | (uint64_t)(kind))
#define IDENTITY_OWNER(w) ((uint32_t)((w) >> 32))
#define IDENTITY_GEN(w) ((uint32_t)((w) >> 8) & GEN_MASK)
#define IDENTITY_KIND(w) ((unsigned)((w)&0xff))

typedef struct slot {
  void *obj;
  _Atomic uint64_t identity; /* kind 0 while free */
  uint32_t next;             /* free list link */
} slot;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static slot *_Atomic chunks[MAX_CHUNKS];
static _Atomic uint32_t slots_used; /* slots ever handed out; those above are untouched */
static uint32_t free_head = NO_SLOT;

static const char *const kind_names[] = {"nothing", "a loop", "an instance", "a call", "a watchdog"};

static const char *kind_name(unsigned kind) {
  return kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown kind";
}

/* Process-unique per thread, never 0 (32 bits: a process would need 4 billion threads
 * before two shared one). */
uint64_t ski_thread_tag(void) {
  static _Atomic uint32_t next_tag = 1;
  /* initial-exec: read on every handle lookup, and the general dynamic model makes each
   * read a __tls_get_addr call; four bytes fit glibc's static TLS reserve for dlopen */
  static _Thread_local uint32_t tag __attribute__((tls_model("initial-exec")));
  if (!tag) {
    tag = atomic_fetch_add(&next_tag, 1);
    if (!tag) tag = atomic_fetch_add(&next_tag, 1);
  }
  return tag;
}

static slot *slot_at(uint32_t index) {
  return &atomic_load_explicit(&chunks[index / CHUNK_SLOTS], memory_order_acquire)[index % CHUNK_SLOTS];
}

static uint64_t handle_of(uint32_t index, unsigned kind, uint32_t gen) {
  return ((uint64_t)gen << GEN_SHIFT) | ((uint64_t)kind << INDEX_BITS) | index;
}
static unsigned kind_of(uint64_t handle) { return (unsigned)((handle >> INDEX_BITS) & KIND_MASK); }
static uint32_t gen_of(uint64_t handle) { return (uint32_t)((handle >> GEN_SHIFT) & GEN_MASK); }

int ski_handle_new(ski_kind kind, void *obj, uint64_t *out) {
  uint64_t owner = ski_thread_tag();
  pthread_mutex_lock(&table_lock);
  uint32_t index, gen;
  uint32_t used = atomic_load_explicit(&slots_used, memory_order_relaxed);
  if (free_head != NO_SLOT) {
    index = free_head;
    free_head = slot_at(index)->next;
    gen = IDENTITY_GEN(atomic_load_explicit(&slot_at(index)->identity, memory_order_relaxed));
  } else {
    if (used == (1u << INDEX_BITS)) {
      pthread_mutex_unlock(&table_lock);
      return ski_fail(SKI_ENOMEM, "handle table is full (%u live objects)", used);
    }
    index = used;
    if (!atomic_load_explicit(&chunks[index / CHUNK_SLOTS], memory_order_relaxed)) {
      slot *chunk = calloc(CHUNK_SLOTS, sizeof(slot));
      if (!chunk) {
        pthread_mutex_unlock(&table_lock);
        return ski_fail(SKI_ENOMEM, "out of memory growing the handle table");
      }
      atomic_store_explicit(&chunks[index / CHUNK_SLOTS], chunk, memory_order_release);
    }
    atomic_store_explicit(&slots_used, used + 1, memory_order_release);
    gen = 1;
  }
  slot *s = slot_at(index);
  s->obj = obj;
  s->next = NO_SLOT;
  atomic_store_explicit(&s->identity, IDENTITY(owner, gen, kind), memory_order_release);
  *out = handle_of(index, kind, gen);
  pthread_mutex_unlock(&table_lock);
  return SKI_OK;
}

/* The slot a well-formed handle names, or NULL if it names none ski issued. */
static slot *slot_of(uint64_t handle) {
  uint32_t index = (uint32_t)(handle & INDEX_MASK);
  if (handle >> (GEN_SHIFT + GEN_BITS) || gen_of(handle) == 0 || kind_of(handle) == 0 ||
      index >= atomic_load_explicit(&slots_used, memory_order_acquire))
    return NULL;
  return slot_at(index);
}

/* The object of a live handle of `kind` owned by this thread, without the lock; NULL if
 * that is not what the handle is (the caller then takes the locked path for the error). */
static void *owned_object(uint64_t handle, ski_kind kind) {
  if (kind == SKI_KIND_WATCHDOG || kind_of(handle) != (unsigned)kind) return NULL;
  slot *s = slot_of(handle);
  if (!s) return NULL;
  uint64_t want = IDENTITY(ski_thread_tag(), gen_of(handle), kind);
  return atomic_load_explicit(&s->identity, memory_order_acquire) == want ? s->obj : NULL;
}

/* Finds the live slot for handle, or records why there is none. Table lock held. */
static int lookup_locked(uint64_t handle, ski_kind kind, slot **found) {
  if (ski_is_forked_child())
    return ski_fail(SKI_EFORKED, "ski was initialised in process %ld; forked child %ld cannot use its objects",
                    ski_init_pid(), (long)getpid());
  unsigned hkind = kind_of(handle);
  uint32_t gen = gen_of(handle);
  slot *s = slot_of(handle);
  if (!s)
    return ski_fail(SKI_EBADHANDLE, "0x%llx is not a handle ski issued (expected %s)",
                    (unsigned long long)handle, kind_name(kind));
  if (hkind != (unsigned)kind)
    return ski_fail(SKI_EBADHANDLE, "handle 0x%llx is %s, expected %s",
                    (unsigned long long)handle, kind_name(hkind), kind_name(kind));
  uint64_t id = atomic_load_explicit(&s->identity, memory_order_relaxed);
  if (IDENTITY_GEN(id) != gen || IDENTITY_KIND(id) != (unsigned)kind)
    return ski_fail(SKI_EBADHANDLE, "handle 0x%llx (%s) was already freed",
                    (unsigned long long)handle, kind_name(kind));
  if (kind != SKI_KIND_WATCHDOG && IDENTITY_OWNER(id) != ski_thread_tag())
    return ski_fail(SKI_EWRONGTHREAD, "handle 0x%llx (%s) belongs to another thread",
                    (unsigned long long)handle, kind_name(kind));
  *found = s;
  return SKI_OK;
}

int ski_handle_get(uint64_t handle, ski_kind kind, void **obj) {
  void *fast = ski_is_forked_child() ? NULL : owned_object(handle, kind);
  if (fast) {
    *obj = fast;
    return SKI_OK;
  }
  slot *s = NULL;
  pthread_mutex_lock(&table_lock);
  int rc = lookup_locked(handle, kind, &s);
  if (rc == SKI_OK) *obj = s->obj;
  pthread_mutex_unlock(&table_lock);
  return rc;
}

int ski_handle_release(uint64_t handle, ski_kind kind, void **obj) {
  slot *s = NULL;
  pthread_mutex_lock(&table_lock);
  int rc = lookup_locked(handle, kind, &s);
  if (rc == SKI_OK) {
    *obj = s->obj;
    s->obj = NULL;
    uint32_t gen = (IDENTITY_GEN(atomic_load_explicit(&s->identity, memory_order_relaxed)) + 1) & GEN_MASK;
    atomic_store_explicit(&s->identity, IDENTITY(0, gen ? gen : 1, 0), memory_order_release);
    uint32_t index = (uint32_t)(handle & INDEX_MASK);
    s->next = free_head;
    free_head = index;
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}

void *ski_handle_peek(uint64_t handle, ski_kind kind) {
  void *obj = ski_is_forked_child() ? NULL : owned_object(handle, kind);
  if (obj || kind != SKI_KIND_WATCHDOG) return obj;
  pthread_mutex_lock(&table_lock);
  slot *s = slot_of(handle);
  if (s && kind_of(handle) == (unsigned)kind) {
    uint64_t id = atomic_load_explicit(&s->identity, memory_order_relaxed);
    if (IDENTITY_GEN(id) == gen_of(handle) && IDENTITY_KIND(id) == (unsigned)kind)
      obj = s->obj;
  }
  pthread_mutex_unlock(&table_lock);
  return obj;
}
