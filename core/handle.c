/* The handle table: every object a host holds is a 64-bit number resolved here, so a
 * freed, forged, wrong-kind or foreign-thread handle is an error code, never a pointer
 * dereference.
 *
 * Layout of a handle (52 bits, so Lua numbers hold it exactly):
 *   bits 28..51  generation (1..2^24-1; bumped when the slot is freed)
 *   bits 24..27  kind
 *   bits  0..23  slot index
 * Slots live in fixed chunks that never move or shrink, so a lookup never races with a
 * resize. One mutex guards the table: it is held for a few loads, never across a call. */
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

typedef struct slot {
  void *obj;
  uint64_t owner;    /* thread tag of the owner */
  uint32_t gen;      /* current generation; a live handle must carry it */
  uint32_t next;     /* free list link */
  uint8_t kind;      /* 0 while free */
} slot;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static slot *chunks[MAX_CHUNKS];
static uint32_t slots_used; /* slots ever handed out; those above are untouched */
static uint32_t free_head = NO_SLOT;

static const char *const kind_names[] = {"nothing", "a loop", "an instance", "a call", "a watchdog"};

static const char *kind_name(unsigned kind) {
  return kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown kind";
}

uint64_t ski_thread_tag(void) {
  static atomic_uint_fast64_t next_tag = 1;
  static _Thread_local uint64_t tag;
  if (!tag) tag = atomic_fetch_add(&next_tag, 1);
  return tag;
}

static slot *slot_at(uint32_t index) { return &chunks[index / CHUNK_SLOTS][index % CHUNK_SLOTS]; }

static uint64_t handle_of(uint32_t index, unsigned kind, uint32_t gen) {
  return ((uint64_t)gen << GEN_SHIFT) | ((uint64_t)kind << INDEX_BITS) | index;
}

int ski_handle_new(ski_kind kind, void *obj, uint64_t *out) {
  uint64_t owner = ski_thread_tag();
  pthread_mutex_lock(&table_lock);
  uint32_t index;
  if (free_head != NO_SLOT) {
    index = free_head;
    free_head = slot_at(index)->next;
  } else {
    if (slots_used == (1u << INDEX_BITS)) {
      pthread_mutex_unlock(&table_lock);
      return ski_fail(SKI_ENOMEM, "handle table is full (%u live objects)", slots_used);
    }
    index = slots_used;
    if (!chunks[index / CHUNK_SLOTS]) {
      slot *chunk = calloc(CHUNK_SLOTS, sizeof(slot));
      if (!chunk) {
        pthread_mutex_unlock(&table_lock);
        return ski_fail(SKI_ENOMEM, "out of memory growing the handle table");
      }
      chunks[index / CHUNK_SLOTS] = chunk;
    }
    slots_used++;
    slot_at(index)->gen = 1;
  }
  slot *s = slot_at(index);
  s->obj = obj;
  s->owner = owner;
  s->kind = (uint8_t)kind;
  s->next = NO_SLOT;
  *out = handle_of(index, kind, s->gen);
  pthread_mutex_unlock(&table_lock);
  return SKI_OK;
}

/* Finds the live slot for handle, or records why there is none. Table lock held. */
static int lookup_locked(uint64_t handle, ski_kind kind, slot **found) {
  if (ski_is_forked_child())
    return ski_fail(SKI_EFORKED, "ski was initialised in process %ld; forked child %ld cannot use its objects",
                    ski_init_pid(), (long)getpid());
  unsigned hkind = (unsigned)((handle >> INDEX_BITS) & KIND_MASK);
  uint32_t index = (uint32_t)(handle & INDEX_MASK);
  uint32_t gen = (uint32_t)((handle >> GEN_SHIFT) & GEN_MASK);
  if (handle >> (GEN_SHIFT + GEN_BITS) || gen == 0 || hkind == 0 || index >= slots_used)
    return ski_fail(SKI_EBADHANDLE, "0x%llx is not a handle ski issued (expected %s)",
                    (unsigned long long)handle, kind_name(kind));
  if (hkind != (unsigned)kind)
    return ski_fail(SKI_EBADHANDLE, "handle 0x%llx is %s, expected %s",
                    (unsigned long long)handle, kind_name(hkind), kind_name(kind));
  slot *s = slot_at(index);
  if (s->gen != gen || s->kind != kind)
    return ski_fail(SKI_EBADHANDLE, "handle 0x%llx (%s) was already freed",
                    (unsigned long long)handle, kind_name(kind));
  if (kind != SKI_KIND_WATCHDOG && s->owner != ski_thread_tag())
    return ski_fail(SKI_EWRONGTHREAD, "handle 0x%llx (%s) belongs to another thread",
                    (unsigned long long)handle, kind_name(kind));
  *found = s;
  return SKI_OK;
}

int ski_handle_get(uint64_t handle, ski_kind kind, void **obj) {
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
    s->kind = 0;
    s->owner = 0;
    s->gen = (s->gen + 1) & GEN_MASK;
    if (s->gen == 0) s->gen = 1;
    uint32_t index = (uint32_t)(handle & INDEX_MASK);
    s->next = free_head;
    free_head = index;
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}

void *ski_handle_peek(uint64_t handle, ski_kind kind) {
  void *obj = NULL;
  pthread_mutex_lock(&table_lock);
  unsigned hkind = (unsigned)((handle >> INDEX_BITS) & KIND_MASK);
  uint32_t index = (uint32_t)(handle & INDEX_MASK);
  uint32_t gen = (uint32_t)((handle >> GEN_SHIFT) & GEN_MASK);
  if (!(handle >> (GEN_SHIFT + GEN_BITS)) && hkind == (unsigned)kind && index < slots_used) {
    slot *s = slot_at(index);
    if (s->gen == gen && s->kind == kind && (kind == SKI_KIND_WATCHDOG || s->owner == ski_thread_tag()))
      obj = s->obj;
  }
  pthread_mutex_unlock(&table_lock);
  return obj;
}
