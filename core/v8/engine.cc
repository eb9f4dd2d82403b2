// The only place that talks to V8. Each exported function is one synchronous window:
// enter the isolate, work, leave it — on every path — so that when control returns to
// the loop or the host, the thread's V8 enter stack is exactly as it was before.
// Pending work is held by engine-owned v8::Globals and by the JS layer, never by a V8
// handle in C code.
#include "engine.h"

#include "../internal.h"
#include "../ops/base64.h"
#include "../ops/http.h"
#include "../ops/utf16.h"
#include "../ops/utf8.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#if V8_MAJOR_VERSION != 10 || V8_MINOR_VERSION != 2
#error "ski is built for V8 10.2 (Debian libnode108); these V8 headers are another version"
#endif

#define SKI_STR2(x) #x
#define SKI_STR(x) SKI_STR2(x)
#define SKI_V8_HEADER_VERSION                                                              \
  SKI_STR(V8_MAJOR_VERSION) "." SKI_STR(V8_MINOR_VERSION) "." SKI_STR(V8_BUILD_NUMBER) "." \
      SKI_STR(V8_PATCH_LEVEL)

// The JS layer is linked only into ski-mksnapshot, which runs it once at build time;
// libski links the resulting startup snapshot instead. Weak, so each binary links with
// the one it has.
extern "C" __attribute__((weak)) const char ski_js_runtime[];
extern "C" __attribute__((weak)) const size_t ski_js_runtime_len;
extern "C" __attribute__((weak)) const char ski_snapshot_data[];
extern "C" __attribute__((weak)) const char ski_snapshot_end[];

// ski's own wrapper around V8's startup blob, checked before V8 sees a byte of it: a
// truncated or corrupt blob makes V8 abort the process (its own checks are CHECKs).
struct SnapshotHeader {
  char magic[8];         // "SKISNAP"
  uint32_t format;       // 1
  uint32_t header_size;  // sizeof(SnapshotHeader)
  uint64_t blob_size;
  uint64_t checksum;     // FNV-1a 64 of the blob
  char v8_version[48];   // V8::GetVersion() of the V8 that wrote it
};
constexpr char kSnapshotMagic[8] = "SKISNAP";

// ArrayBuffers live outside the V8 heap, so the heap limit does not see them: every
// backing store of an isolate is counted here against its own cap.
class CappedAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit CappedAllocator(size_t cap) : cap_(cap) {}
  ~CappedAllocator() override { delete base_; }

  void *Allocate(size_t n) override { return reserve(n) ? settle(base_->Allocate(n), n) : nullptr; }
  void *AllocateUninitialized(size_t n) override {
    return reserve(n) ? settle(base_->AllocateUninitialized(n), n) : nullptr;
  }
  void Free(void *data, size_t n) override {
    base_->Free(data, n);
    release(n);
  }

  // Reaching the cap stops the isolate's JS, as the heap limit does (the instance is
  // then disposed), rather than leaving a RangeError the worker might swallow and retry.
  void watch(v8::Isolate *isolate) { isolate_ = isolate; }

  // Counts n bytes against the cap; false (and the cap marked as hit) if they do not fit.
  bool reserve(size_t n) {
    size_t cur = used_.load(std::memory_order_relaxed);
    do {
      if (n > cap_ || cur > cap_ - n) {
        hit_.store(true, std::memory_order_relaxed);
        if (isolate_) isolate_->TerminateExecution();
        return false;
      }
    } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
  }
  void release(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  bool hit() const { return hit_.load(std::memory_order_relaxed); }

 private:
  void *settle(void *p, size_t n) {
    if (!p) release(n);
    return p;
  }
  v8::ArrayBuffer::Allocator *base_ = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  v8::Isolate *isolate_ = nullptr;
  size_t cap_;
  std::atomic<size_t> used_{0};
  std::atomic<bool> hit_{false};
};

struct ski_engine {
  v8::Isolate *isolate = nullptr;
  CappedAllocator *allocator = nullptr;
  ski_engine_limits limits{};
  uintptr_t stack_floor = 0; // lowest address JS may reach on the owner thread's stack
  uintptr_t stack_limit = 0; // the limit V8 has now (SetStackLimit)
  int limit_hit = 0;         // SKI_EHEAPLIMIT / SKI_EMEMLIMIT
  v8::Global<v8::Context> context;
  v8::Global<v8::Function> dispatch, set_entry, set_env, is_import_error, describe;
  v8::Global<v8::Function> begin_timers, run_due_timer, reset_clock;
  ski_engine_callbacks cb{};
  void *host = nullptr;
  std::shared_ptr<class ForegroundRunner> runner; // this isolate's foreground tasks
  // Promises rejected with no handler since the last checkpoint, with their reasons;
  // a handler added later takes one off. At most kMaxUnhandled are kept, the rest counted.
  std::vector<std::pair<v8::Global<v8::Promise>, v8::Global<v8::Value>>> unhandled;
  size_t unhandled_overflow = 0;
};

// ---- the platform ----------------------------------------------------------------------
// V8's default platform, except for each isolate's foreground tasks: V8 posts them (GC
// jobs, FinalizationRegistry cleanup, from any thread) expecting the embedder to run
// them on the isolate's thread. The default platform only queues them for a
// PumpMessageLoop nobody calls here, so they never ran. They come to ski instead: a post
// wakes the instance's loop (cb.wake), which runs them with ski_engine_run_tasks.
class ForegroundRunner final : public v8::TaskRunner {
 public:
  void PostTask(std::unique_ptr<v8::Task> task) override { post(std::move(task), 0); }
  void PostNonNestableTask(std::unique_ptr<v8::Task> task) override { post(std::move(task), 0); }
  void PostDelayedTask(std::unique_ptr<v8::Task> task, double delay_s) override { post(std::move(task), delay_s); }
  void PostNonNestableDelayedTask(std::unique_ptr<v8::Task> task, double delay_s) override {
    post(std::move(task), delay_s);
  }
  void PostIdleTask(std::unique_ptr<v8::IdleTask>) override {} // IdleTasksEnabled() is false
  bool IdleTasksEnabled() override { return false; }
  bool NonNestableTasksEnabled() const override { return true; }
  bool NonNestableDelayedTasksEnabled() const override { return true; }

  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  // Owner thread: whom a post wakes from now on. Tasks already waiting wake it at once.
  void bind(void (*wake)(void *), void *host) {
    std::lock_guard<std::mutex> lock(m_);
    wake_ = wake;
    host_ = host;
    if (wake_ && !tasks_.empty()) wake_(host_);
  }

  // Owner thread: the earliest task due at `at` (FIFO among equals), or none; *next_s is
  // then the seconds until the next one is due (0: one is due now), or -1 for none.
  std::unique_ptr<v8::Task> take(double at, double *next_s) {
    std::lock_guard<std::mutex> lock(m_);
    size_t best = tasks_.size();
    for (size_t i = 0; i < tasks_.size(); i++)
      if (tasks_[i].due <= at && (best == tasks_.size() || tasks_[i].seq < tasks_[best].seq)) best = i;
    std::unique_ptr<v8::Task> task;
    if (best != tasks_.size()) {
      task = std::move(tasks_[best].task);
      tasks_.erase(tasks_.begin() + static_cast<std::ptrdiff_t>(best));
    }
    *next_s = -1;
    for (const Entry &t : tasks_) {
      double in = t.due > at ? t.due - at : 0;
      if (*next_s < 0 || in < *next_s) *next_s = in;
    }
    return task;
  }

  // Owner thread, before its isolate is disposed: drops every task (their destructors
  // touch the isolate) and refuses later posts.
  void close() {
    std::vector<Entry> dropped;
    std::lock_guard<std::mutex> lock(m_);
    closed_ = true;
    wake_ = nullptr;
    dropped.swap(tasks_);
  }

 private:
  struct Entry {
    double due;
    uint64_t seq;
    std::unique_ptr<v8::Task> task;
  };

  void post(std::unique_ptr<v8::Task> task, double delay_s) {
    std::lock_guard<std::mutex> lock(m_);
    if (closed_) return; // the task is dropped on return
    tasks_.push_back({now() + (delay_s > 0 ? delay_s : 0), seq_++, std::move(task)});
    // Under the lock, so that close() cannot free the host between the check and the call.
    if (wake_) wake_(host_);
  }

  std::mutex m_;
  std::vector<Entry> tasks_;
  uint64_t seq_ = 0;
  bool closed_ = false;
  void (*wake_)(void *) = nullptr;
  void *host_ = nullptr;
};

class SkiPlatform final : public v8::Platform {
 public:
  explicit SkiPlatform(std::unique_ptr<v8::Platform> base) : base_(std::move(base)) {}

  // The runner of an isolate ski made (registered by ski_engine_new), else one of its own.
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate *isolate) override {
    return runner_for(isolate);
  }
  std::shared_ptr<ForegroundRunner> runner_for(v8::Isolate *isolate) {
    std::lock_guard<std::mutex> lock(m_);
    std::shared_ptr<ForegroundRunner> &r = runners_[isolate];
    if (!r) r = std::make_shared<ForegroundRunner>();
    return r;
  }
  void forget(v8::Isolate *isolate) {
    std::lock_guard<std::mutex> lock(m_);
    runners_.erase(isolate);
  }

  int NumberOfWorkerThreads() override { return base_->NumberOfWorkerThreads(); }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override { base_->CallOnWorkerThread(std::move(task)); }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    base_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    base_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_s) override {
    base_->CallDelayedOnWorkerThread(std::move(task), delay_s);
  }
  bool IdleTasksEnabled(v8::Isolate *) override { return false; }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority, std::unique_ptr<v8::JobTask> job) override {
    return base_->PostJob(priority, std::move(job));
  }
  double MonotonicallyIncreasingTime() override { return base_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return base_->CurrentClockTimeMillis(); }
  v8::TracingController *GetTracingController() override { return base_->GetTracingController(); }
  v8::PageAllocator *GetPageAllocator() override { return base_->GetPageAllocator(); }

 private:
  std::unique_ptr<v8::Platform> base_;
  std::mutex m_;
  std::unordered_map<v8::Isolate *, std::shared_ptr<ForegroundRunner>> runners_;
};

namespace {

SkiPlatform *platform; // never deleted: ~DefaultPlatform hangs at process exit

// Debug builds prove invariant 2: whatever a window did, it leaves the thread's current
// isolate as it found it. A base class, so the check runs after the scopes have closed.
struct EnterStackCheck {
#ifndef NDEBUG
  v8::Isolate *before = v8::Isolate::TryGetCurrent();
  ~EnterStackCheck() { assert(v8::Isolate::TryGetCurrent() == before); }
#endif
};

// One entry into an engine: isolate, handle scope and context, all released on return.
// JS may use limits.stack_bytes of native stack below the point where it is entered
// (hosts enter from different depths), never closer than a guard margin to the end of
// the thread's stack.
uintptr_t stack_limit_here(ski_engine *e) {
  auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  uintptr_t limit = here > e->limits.stack_bytes ? here - e->limits.stack_bytes : 0;
  return std::max(limit, e->stack_floor);
}

// V8's SetStackLimit takes the isolate's execution-access mutex, and a host enters from
// nearly the same depth every time: the limit is moved only when the entry point moved
// by more than an eighth of the allowance (at most 16 KB). Both limits respect the floor.
void set_stack_limit(ski_engine *e) {
  uintptr_t limit = stack_limit_here(e), now = e->stack_limit;
  uintptr_t slack = std::min<uintptr_t>(16u << 10, e->limits.stack_bytes / 8);
  if (now && (limit > now ? limit - now : now - limit) <= slack) return;
  e->isolate->SetStackLimit(limit);
  e->stack_limit = limit;
}

struct Window : EnterStackCheck {
  v8::Isolate *isolate;
  v8::Isolate::Scope isolate_scope;
  v8::HandleScope handle_scope;
  v8::Local<v8::Context> context;
  v8::Context::Scope context_scope;
  explicit Window(ski_engine *e)
      : isolate(e->isolate), isolate_scope(e->isolate), handle_scope(e->isolate),
        context(e->context.Get(e->isolate)), context_scope(context) {
    set_stack_limit(e);
  }
  bool terminated() const { return isolate->IsExecutionTerminating(); }
};

// A memory limit was reached inside V8: stop the JS; the host disposes the engine.
void hit_limit(ski_engine *e, int code) {
  if (!e->limit_hit) e->limit_hit = code;
  e->isolate->TerminateExecution();
}

// A backing store for bytes native code hands to JS, counted against the ArrayBuffer
// cap. (V8's NewBackingStore aborts the process when the allocator refuses, so native
// code asks the cap first and allocates outside V8's retry path.)
std::unique_ptr<v8::BackingStore> new_bytes(v8::Isolate *iso, size_t n) {
  auto *e = static_cast<ski_engine *>(iso->GetData(0));
  if (!e) return v8::ArrayBuffer::NewBackingStore(iso, n); // making the snapshot: no limits
  if (!e->allocator->reserve(n)) {
    hit_limit(e, SKI_EMEMLIMIT);
    return nullptr;
  }
  void *data = n ? malloc(n) : nullptr;
  if (n && !data) {
    e->allocator->release(n);
    return nullptr;
  }
  return v8::ArrayBuffer::NewBackingStore(
      data, n,
      [](void *p, size_t len, void *allocator) {
        free(p);
        static_cast<CappedAllocator *>(allocator)->release(len);
      },
      e->allocator);
}

// The most a dying isolate may grow past its limit while its termination is pending:
// a quarter of the machine's memory, at most 8 GB.
size_t dying_heap_cap() {
  static const size_t cap = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    size_t ram = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : (size_t{4} << 30);
    return std::min(ram / 4, size_t{8} << 30);
  }();
  return cap;
}

size_t near_heap_limit(void *data, size_t current, size_t initial) {
  auto *e = static_cast<ski_engine *>(data);
  hit_limit(e, SKI_EHEAPLIMIT);
  // Headroom is mandatory: returning the same limit lets V8 abort the process with a
  // fatal OOM before the termination lands. And termination lands only when JS runs
  // again: a builtin working in C++ (Array.prototype.fill over a dictionary of 50 M
  // elements, say) keeps allocating, in ever larger single blocks as its table doubles.
  // So the limit goes straight to dying_heap_cap() (fewer full GCs on the way than
  // stepping up); the isolate is disposed as soon as the builtin returns. Past the cap
  // nothing can save the process.
  size_t cap = std::max(dying_heap_cap(), initial + (64u << 20));
  return std::max(cap, current + (16u << 20));
}

v8::Local<v8::String> str(v8::Isolate *iso, const char *s) {
  return v8::String::NewFromUtf8(iso, s).ToLocalChecked(); // short literals cannot fail
}

std::string utf8(v8::Isolate *iso, v8::Local<v8::Value> v) {
  v8::String::Utf8Value u(iso, v);
  return *u ? std::string(*u, u.length()) : std::string("<unprintable>");
}

// The operator's text for a thrown value, from the JS layer's describe() when it can.
std::string describe(ski_engine *e, v8::Local<v8::Context> ctx, v8::Local<v8::Value> exc) {
  v8::Isolate *iso = e->isolate;
  if (!e->describe.IsEmpty()) {
    v8::TryCatch inner(iso);
    v8::Local<v8::Value> argv[] = {exc};
    v8::Local<v8::Value> text;
    if (e->describe.Get(iso)->Call(ctx, v8::Undefined(iso), 1, argv).ToLocal(&text))
      return utf8(iso, text);
  }
  return utf8(iso, exc);
}

constexpr size_t kMaxUnhandled = 100;

void forget_unhandled(ski_engine *e, v8::Local<v8::Promise> promise) {
  for (auto it = e->unhandled.begin(); it != e->unhandled.end(); ++it) {
    if (it->first == promise) {
      e->unhandled.erase(it);
      return;
    }
  }
}

// V8's promise rejection tracking: a rejection no handler awaits is noted, and forgotten
// if a handler comes later (before the checkpoint that ends the task).
void on_promise_reject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate *iso = promise->GetIsolate();
  auto *e = static_cast<ski_engine *>(iso->GetData(0));
  if (!e) return;
  if (message.GetEvent() == v8::kPromiseRejectWithNoHandler) {
    if (e->unhandled.size() == kMaxUnhandled) {
      e->unhandled_overflow++;
      return;
    }
    e->unhandled.emplace_back(v8::Global<v8::Promise>(iso, promise), v8::Global<v8::Value>(iso, message.GetValue()));
  } else if (message.GetEvent() == v8::kPromiseHandlerAddedAfterReject) {
    forget_unhandled(e, promise);
  }
}

// The end of a task (a dispatch, a timer, a V8 task, a load): microtasks run, then the
// rejections nothing handled are reported as browsers and workerd do, "Uncaught (in
// promise)" at error level.
void checkpoint(ski_engine *e) {
  v8::Isolate *iso = e->isolate;
  iso->PerformMicrotaskCheckpoint();
  if (e->unhandled.empty()) return;
  auto list = std::move(e->unhandled);
  e->unhandled.clear();
  size_t more = e->unhandled_overflow;
  e->unhandled_overflow = 0;
  if (iso->IsExecutionTerminating()) return;
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  for (auto &entry : list) {
    v8::Local<v8::Value> reason = entry.second.Get(iso);
    std::string text = "Uncaught (in promise) " + (ctx.IsEmpty() ? utf8(iso, reason) : describe(e, ctx, reason));
    e->cb.console(e->host, SKI_LOG_ERROR, text.data(), text.size());
  }
  if (more) {
    std::string text = "(" + std::to_string(more) + " more promise rejections were not handled)";
    e->cb.console(e->host, SKI_LOG_ERROR, text.data(), text.size());
  }
}

std::string location(v8::Isolate *iso, v8::Local<v8::Context> ctx, v8::Local<v8::Message> msg) {
  std::string where = utf8(iso, msg->GetScriptResourceName());
  int line = msg->GetLineNumber(ctx).FromMaybe(0);
  int col = msg->GetStartColumn(ctx).FromMaybe(-1) + 1;
  return where + ":" + std::to_string(line) + ":" + std::to_string(col);
}

// "file:line:col: SyntaxError: ...", then the source line and a caret under the error.
std::string syntax_error_text(v8::Isolate *iso, v8::Local<v8::Context> ctx, v8::TryCatch &tc) {
  v8::Local<v8::Message> msg = tc.Message();
  if (msg.IsEmpty()) return utf8(iso, tc.Exception());
  std::string what = utf8(iso, msg->Get());
  if (what.rfind("Uncaught ", 0) == 0) what.erase(0, 9); // V8 phrases it for consoles
  std::string text = location(iso, ctx, msg) + ": " + what;
  v8::Local<v8::String> line;
  if (msg->GetSourceLine(ctx).ToLocal(&line)) {
    std::string src = utf8(iso, line);
    int col = msg->GetStartColumn(ctx).FromMaybe(-1);
    if (src.size() <= 200 && col >= 0) text += "\n    " + src + "\n    " + std::string(col, ' ') + "^";
  }
  return text;
}

int fail_with(int code, const std::string &text) { return ski_fail_text(code, text.data(), text.size()); }

// The engine behind an op: isolate data slot 0 (ops carry no data of their own, so the
// functions can live in the startup snapshot). NULL while the snapshot is being made.
ski_engine *engine_of(const v8::FunctionCallbackInfo<v8::Value> &info) {
  return static_cast<ski_engine *>(info.GetIsolate()->GetData(0));
}

void throw_type_error(v8::Isolate *iso, const char *text) {
  iso->ThrowException(v8::Exception::TypeError(str(iso, text)));
}

// One block that starts with a ski_response, so the host frees everything with one
// free(). `wire` holds the `count` headers as "name\0value\0name\0value" (Headers never
// hold NUL), so written with one more NUL every name and value ends in place. `body` is a
// string (written as UTF-8, lone surrogates as U+FFFD), a Uint8Array, or null. nullptr if
// the parts are malformed or memory runs out (*oom tells which).
ski_response *response_block(v8::Isolate *iso, int status, v8::Local<v8::String> status_text, uint32_t count,
                             v8::Local<v8::String> wire, v8::Local<v8::Value> body, bool *oom) {
  *oom = false;
  if (!status_text->ContainsOnlyOneByte() || !wire->ContainsOnlyOneByte()) return nullptr;
  size_t wire_len = static_cast<size_t>(wire->Length());
  if ((count == 0) != (wire_len == 0)) return nullptr;
  size_t body_len = 0;
  if (body->IsString()) body_len = body.As<v8::String>()->Utf8Length(iso);
  else if (body->IsUint8Array()) body_len = body.As<v8::Uint8Array>()->ByteLength();
  else if (!body->IsNull()) return nullptr;
  size_t text_len = static_cast<size_t>(status_text->Length());
  size_t total = sizeof(ski_response) + count * sizeof(ski_header) + text_len + 1 + wire_len + 1 + body_len;
  char *block = static_cast<char *>(malloc(total));
  if (!block) {
    *oom = true;
    return nullptr;
  }
  auto *res = reinterpret_cast<ski_response *>(block);
  auto *hdrs = reinterpret_cast<ski_header *>(block + sizeof(ski_response));
  char *text = reinterpret_cast<char *>(hdrs + count);
  status_text->WriteOneByte(iso, reinterpret_cast<uint8_t *>(text), 0, static_cast<int>(text_len),
                            v8::String::NO_NULL_TERMINATION);
  text[text_len] = '\0';
  char *w = text + text_len + 1;
  wire->WriteOneByte(iso, reinterpret_cast<uint8_t *>(w), 0, static_cast<int>(wire_len),
                     v8::String::NO_NULL_TERMINATION);
  w[wire_len] = '\0';
  // fields end at the NULs; the last one at the NUL written after the wire, no sooner
  char *p = w, *end = w + wire_len;
  bool ok = true;
  for (uint32_t f = 0; ok && f < 2 * count; f++) {
    char *stop = static_cast<char *>(memchr(p, '\0', static_cast<size_t>(end + 1 - p)));
    ok = (stop == end) == (f + 1 == 2 * count);
    size_t len = static_cast<size_t>(stop - p);
    if (f % 2 == 0) {
      hdrs[f / 2].name = p;
      hdrs[f / 2].name_len = len;
    } else {
      hdrs[f / 2].value = p;
      hdrs[f / 2].value_len = len;
    }
    p = stop + 1;
  }
  if (!ok) {
    free(block);
    return nullptr;
  }
  res->size = sizeof(ski_response);
  res->status = status;
  res->status_text = text;
  res->status_text_len = text_len;
  res->headers = count ? hdrs : nullptr;
  res->header_count = count;
  char *b = end + 1;
  res->body = body_len ? b : nullptr;
  res->body_len = body_len;
  if (body_len && body->IsString())
    body.As<v8::String>()->WriteUtf8(iso, b, static_cast<int>(body_len), nullptr,
                                     v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  else if (body_len)
    body.As<v8::Uint8Array>()->CopyContents(b, body_len);
  return res;
}

// ops.respond(token, status, statusText, count, headers, body): the JS layer ends a call
// with a response (see response_block for the parts).
void op_respond(const v8::FunctionCallbackInfo<v8::Value> &info) {
  ski_engine *e = engine_of(info);
  if (!e) return;
  v8::Isolate *iso = info.GetIsolate();
  if (info.Length() < 6 || !info[0]->IsNumber() || !info[1]->IsInt32() || !info[2]->IsString() ||
      !info[3]->IsUint32() || !info[4]->IsString())
    return throw_type_error(iso, "respond(token, status, statusText, count, headers, body)");
  uint64_t token = static_cast<uint64_t>(info[0].As<v8::Number>()->Value());
  bool oom;
  ski_engine_outcome out = {SKI_OK, nullptr,
                            response_block(iso, info[1].As<v8::Int32>()->Value(), info[2].As<v8::String>(),
                                           info[3].As<v8::Uint32>()->Value(), info[4].As<v8::String>(), info[5],
                                           &oom)};
  if (!out.response) {
    out.code = SKI_ETHROWN;
    out.message = oom ? "out of memory copying the response for the host"
                      : "internal error: the JS layer sent a malformed response";
  }
  e->cb.settle(e->host, token, &out);
}

// ops.isCanonicalURL(string): ski_http_is_canonical_url (the parser's fast path).
void op_is_canonical_url(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  bool yes = false;
  if (info.Length() > 0 && info[0]->IsString()) {
    v8::Local<v8::String> s = info[0].As<v8::String>();
    size_t n = static_cast<size_t>(s->Length());
    if (n <= 8192 && s->ContainsOnlyOneByte()) {
      char buf[8192];
      s->WriteOneByte(iso, reinterpret_cast<uint8_t *>(buf), 0, static_cast<int>(n), v8::String::NO_NULL_TERMINATION);
      yes = ski_http_is_canonical_url(buf, n);
    }
  }
  info.GetReturnValue().Set(yes);
}

// ops.isProxy(value): whether its traps could observe how the layer reads it. (builtinKind
// below answers this too; this one test is what the Headers record path can afford.)
void op_is_proxy(const v8::FunctionCallbackInfo<v8::Value> &info) {
  info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsProxy());
}

// ops.builtinKind(value): which built-in's internal slots `value` has, as a number from
// ops.kinds (0 for none). A brand check that cannot throw: the layer's alternative, calling
// a built-in method in a try block, costs microseconds per miss (an exception with a stack).
#define SKI_BUILTIN_KINDS(X)                                                                    \
  X(proxy, 1, IsProxy) X(boolean, 2, IsBooleanObject) X(number, 3, IsNumberObject)             \
  X(bigint, 4, IsBigIntObject) X(string, 5, IsStringObject) X(symbol, 6, IsSymbolObject)        \
  X(date, 7, IsDate) X(regexp, 8, IsRegExp) X(arrayBuffer, 9, IsArrayBuffer)                   \
  X(sharedArrayBuffer, 10, IsSharedArrayBuffer) X(typedArray, 11, IsTypedArray)                 \
  X(dataView, 12, IsDataView) X(map, 13, IsMap) X(set, 14, IsSet) X(weakMap, 15, IsWeakMap)     \
  X(weakSet, 16, IsWeakSet) X(promise, 17, IsPromise) X(error, 18, IsNativeError)               \
  X(generator, 19, IsGeneratorObject) X(moduleNamespace, 20, IsModuleNamespaceObject)
void op_builtin_kind(const v8::FunctionCallbackInfo<v8::Value> &info) {
  int kind = 0;
  if (info.Length() > 0 && info[0]->IsObject()) {
    v8::Local<v8::Value> v = info[0];
#define SKI_KIND_TEST_(name, number, test) \
  if (!kind && v->test()) kind = number;
    SKI_BUILTIN_KINDS(SKI_KIND_TEST_)
#undef SKI_KIND_TEST_
  }
  info.GetReturnValue().Set(kind);
}

// ops.settle(token, code, message): the JS layer ends a call with a failure.
void op_settle(const v8::FunctionCallbackInfo<v8::Value> &info) {
  ski_engine *e = engine_of(info);
  if (!e) return;
  v8::Isolate *iso = info.GetIsolate();
  if (info.Length() < 3 || !info[0]->IsNumber() || !info[1]->IsInt32() || info[1].As<v8::Int32>()->Value() >= 0)
    return throw_type_error(iso, "settle(token, code < 0, message)");
  uint64_t token = static_cast<uint64_t>(info[0].As<v8::Number>()->Value());
  std::string message = utf8(iso, info[2]);
  ski_engine_outcome out = {info[1].As<v8::Int32>()->Value(), message.c_str(), nullptr};
  e->cb.settle(e->host, token, &out);
}

void op_utf8_encode(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  v8::Local<v8::String> s;
  if (!info[0]->ToString(iso->GetCurrentContext()).ToLocal(&s)) return;
  size_t len = s->Utf8Length(iso);
  std::shared_ptr<v8::BackingStore> store = new_bytes(iso, len);
  if (!store) return;
  s->WriteUtf8(iso, static_cast<char *>(store->Data()), static_cast<int>(len), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  v8::Local<v8::ArrayBuffer> buf = v8::ArrayBuffer::New(iso, std::move(store));
  info.GetReturnValue().Set(v8::Uint8Array::New(buf, 0, len));
}

void op_utf8_decode(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  if (!info[0]->IsUint8Array()) return throw_type_error(iso, "utf8Decode expects a Uint8Array");
  v8::Local<v8::Uint8Array> view = info[0].As<v8::Uint8Array>();
  bool fatal = info[1]->BooleanValue(iso);
  bool ignore_bom = info[2]->BooleanValue(iso);
  size_t len = view->ByteLength();
  const uint8_t *p = static_cast<const uint8_t *>(view->Buffer()->GetBackingStore()->Data());
  if (p) p += view->ByteOffset();
  if (!ignore_bom && len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) p += 3, len -= 3;
  if (fatal && !ski_utf8_valid(p, len))
    return throw_type_error(iso, "The encoded data was not valid for encoding utf-8");
  v8::Local<v8::String> out;
  if (!v8::String::NewFromUtf8(iso, reinterpret_cast<const char *>(p), v8::NewStringType::kNormal,
                               static_cast<int>(len))
           .ToLocal(&out))
    return; // too long: V8 has thrown a RangeError
  info.GetReturnValue().Set(out);
}

double monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// ops.now(): milliseconds on a monotonic clock, the timers' time base.
void op_now(const v8::FunctionCallbackInfo<v8::Value> &info) { info.GetReturnValue().Set(monotonic_ms()); }

// ops.timerArm(delayMs): the earliest timer is due in delayMs, or none is (< 0).
void op_timer_arm(const v8::FunctionCallbackInfo<v8::Value> &info) {
  ski_engine *e = engine_of(info);
  if (!e) return;
  double delay = info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : -1;
  e->cb.arm_timer(e->host, delay);
}

// ops.background(count): how many ctx.waitUntil() promises are still pending.
// A count argument (negative or not a number: 0).
uint32_t count_arg(const v8::FunctionCallbackInfo<v8::Value> &info) {
  double n = info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : 0;
  return n > 0 ? static_cast<uint32_t>(n) : 0;
}

void op_background(const v8::FunctionCallbackInfo<v8::Value> &info) {
  ski_engine *e = engine_of(info);
  if (e) e->cb.background(e->host, count_arg(info));
}

// ops.hostWork(count): `count` operations V8 finishes through its tasks are awaited now.
void op_host_work(const v8::FunctionCallbackInfo<v8::Value> &info) {
  ski_engine *e = engine_of(info);
  if (e && e->cb.host_work) e->cb.host_work(e->host, count_arg(info));
}

// Scratch memory for an op, sized by its input: malloc, so that a failure is a RangeError
// in the worker rather than std::bad_alloc, which would end the process.
struct Scratch {
  void *p = nullptr;
  explicit Scratch(size_t n) : p(malloc(n ? n : 1)) {}
  ~Scratch() { free(p); }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  template <typename T> T *as() { return static_cast<T *>(p); }
};

bool scratch_failed(v8::Isolate *iso, const Scratch &s) {
  if (s.p) return false;
  iso->ThrowException(v8::Exception::RangeError(str(iso, "out of memory for this operation")));
  return true;
}

// The bytes of a TypedArray/DataView argument (nullptr, 0 for anything else).
std::pair<uint8_t *, size_t> view_bytes(v8::Local<v8::Value> v) {
  if (!v->IsArrayBufferView()) return {nullptr, 0};
  auto view = v.As<v8::ArrayBufferView>();
  size_t len = view->ByteLength();
  auto *base = static_cast<uint8_t *>(view->Buffer()->GetBackingStore()->Data());
  return {base ? base + view->ByteOffset() : nullptr, len};
}

// ops.randomFill(view): fills the view from the kernel's CSPRNG (the JS layer enforces
// getRandomValues' 65,536-byte quota).
void op_random_fill(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  auto [p, len] = view_bytes(info[0]);
  if (!info[0]->IsArrayBufferView()) return throw_type_error(iso, "randomFill expects an ArrayBufferView");
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return throw_type_error(iso, "the system random number generator failed");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
}

// ops.utf16Decode(view, length, bigEndian, fatal, flush, state): TextDecoder's UTF-16;
// `state` is an Int32Array(2) carried across a stream. The string, or null when `fatal`
// and the input is not valid.
void op_utf16_decode(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (!info[0]->IsArrayBufferView() || !info[5]->IsInt32Array() || info[5].As<v8::Int32Array>()->Length() != 2)
    return throw_type_error(iso, "utf16Decode(view, length, bigEndian, fatal, flush, Int32Array(2))");
  auto [p, len] = view_bytes(info[0]);
  double want = info[1]->NumberValue(ctx).FromMaybe(0);
  if (want >= 0 && want < static_cast<double>(len)) len = static_cast<size_t>(want);
  auto [sp, slen] = view_bytes(info[5]);
  int32_t state[2];
  memcpy(state, sp, sizeof state);
  if (len > static_cast<size_t>(v8::String::kMaxLength))
    return void(iso->ThrowException(v8::Exception::RangeError(str(iso, "Invalid string length"))));
  Scratch out((len + 2) * sizeof(uint16_t));
  if (scratch_failed(iso, out)) return;
  ptrdiff_t n = ski_utf16_decode(p, len, info[2]->BooleanValue(iso), info[3]->BooleanValue(iso),
                                 info[4]->BooleanValue(iso), state, out.as<uint16_t>());
  memcpy(sp, state, sizeof state);
  if (n < 0) return info.GetReturnValue().SetNull();
  v8::Local<v8::String> s;
  if (v8::String::NewFromTwoByte(iso, out.as<uint16_t>(), v8::NewStringType::kNormal, static_cast<int>(n))
          .ToLocal(&s))
    info.GetReturnValue().Set(s);
}

// ops.detach(buffer): detaches an ArrayBuffer (structuredClone's transfer).
void op_detach(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  if (!info[0]->IsArrayBuffer()) return throw_type_error(iso, "detach expects an ArrayBuffer");
  v8::Local<v8::ArrayBuffer> buf = info[0].As<v8::ArrayBuffer>();
  if (!buf->IsDetachable()) return throw_type_error(iso, "this ArrayBuffer cannot be detached");
  buf->Detach();
}

// ops.base64Encode(view | string) -> string. A string is btoa's input: its code units are
// the bytes, and null is returned if one of them is 256 or above.
void op_base64_encode(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  bool is_text = info[0]->IsString();
  v8::Local<v8::String> text;
  if (is_text) {
    text = info[0].As<v8::String>();
    if (!text->ContainsOnlyOneByte()) return info.GetReturnValue().SetNull();
  } else if (!info[0]->IsArrayBufferView()) {
    return throw_type_error(iso, "base64Encode expects a string or an ArrayBufferView");
  }
  Scratch latin1(is_text ? static_cast<size_t>(text->Length()) : 0);
  if (scratch_failed(iso, latin1)) return;
  const uint8_t *p;
  size_t len;
  if (is_text) {
    len = static_cast<size_t>(text->Length());
    text->WriteOneByte(iso, latin1.as<uint8_t>(), 0, static_cast<int>(len), v8::String::NO_NULL_TERMINATION);
    p = latin1.as<uint8_t>();
  } else {
    std::tie(p, len) = view_bytes(info[0]);
  }
  size_t out_len = ski_base64_encoded_len(len);
  if (out_len > static_cast<size_t>(v8::String::kMaxLength))
    return void(iso->ThrowException(v8::Exception::RangeError(str(iso, "Invalid string length"))));
  Scratch out(out_len);
  if (scratch_failed(iso, out)) return;
  ski_base64_encode(p, len, out.as<char>());
  v8::Local<v8::String> s;
  if (v8::String::NewFromOneByte(iso, out.as<uint8_t>(), v8::NewStringType::kNormal,
                                 static_cast<int>(out_len))
          .ToLocal(&s))
    info.GetReturnValue().Set(s);
}

// ops.base64Decode(string) -> Uint8Array, or null if the string is not forgiving-base64.
void op_base64_decode(const v8::FunctionCallbackInfo<v8::Value> &info) {
  v8::Isolate *iso = info.GetIsolate();
  if (!info[0]->IsString()) return throw_type_error(iso, "base64Decode expects a string");
  v8::Local<v8::String> s = info[0].As<v8::String>();
  if (!s->ContainsOnlyOneByte()) return info.GetReturnValue().SetNull();
  size_t n = s->Length();
  Scratch in(n);
  if (scratch_failed(iso, in)) return;
  s->WriteOneByte(iso, in.as<uint8_t>(), 0, static_cast<int>(n), v8::String::NO_NULL_TERMINATION);
  std::unique_ptr<v8::BackingStore> store = new_bytes(iso, n / 4 * 3 + 3);
  if (!store) return;
  size_t len = 0;
  if (!ski_base64_decode(in.as<const char>(), n, static_cast<uint8_t *>(store->Data()), &len))
    return info.GetReturnValue().SetNull();
  v8::Local<v8::ArrayBuffer> buf = v8::ArrayBuffer::New(iso, std::move(store));
  info.GetReturnValue().Set(v8::Uint8Array::New(buf, 0, len));
}

// ops.print(level, text): one console line, for the host.
void op_print(const v8::FunctionCallbackInfo<v8::Value> &info) {
  ski_engine *e = engine_of(info);
  if (!e) return;
  v8::Isolate *iso = info.GetIsolate();
  int level = info[0]->IsInt32() ? info[0].As<v8::Int32>()->Value() : SKI_LOG_INFO;
  if (level < SKI_LOG_DEBUG || level > SKI_LOG_ERROR) level = SKI_LOG_INFO;
  std::string text = utf8(iso, info[1]);
  e->cb.console(e->host, level, text.data(), text.size());
}

void set_op(v8::Isolate *iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> ops, const char *name,
            v8::FunctionCallback fn) {
  v8::Local<v8::Function> f =
      v8::Function::New(ctx, fn, v8::Local<v8::Value>(), 0, v8::ConstructorBehavior::kThrow).ToLocalChecked();
  ops->Set(ctx, str(iso, name), f).Check();
}

// Every native function the JS layer holds, in one list: ops are made from it, and the
// startup snapshot refers to them through it (V8's external references).
struct Op {
  const char *name;
  v8::FunctionCallback fn;
};
const Op kOps[] = {
    {"settle", op_settle},           {"respond", op_respond},            {"isProxy", op_is_proxy},
    {"builtinKind", op_builtin_kind},
    {"hostWork", op_host_work},      {"isCanonicalURL", op_is_canonical_url},
    {"utf8Encode", op_utf8_encode},  {"utf8Decode", op_utf8_decode},
    {"print", op_print},             {"now", op_now},                    {"timerArm", op_timer_arm},
    {"background", op_background},   {"randomFill", op_random_fill},     {"base64Encode", op_base64_encode},
    {"base64Decode", op_base64_decode}, {"detach", op_detach},   {"utf16Decode", op_utf16_decode},
};
constexpr size_t kOpCount = sizeof kOps / sizeof kOps[0];

const intptr_t *external_references() {
  static intptr_t refs[kOpCount + 1];
  for (size_t i = 0; i < kOpCount; i++) refs[i] = reinterpret_cast<intptr_t>(kOps[i].fn);
  refs[kOpCount] = 0;
  return refs;
}

v8::MaybeLocal<v8::Promise> reject_dynamic_import(v8::Local<v8::Context> ctx, v8::Local<v8::Data>,
                                                  v8::Local<v8::Value>, v8::Local<v8::String> specifier,
                                                  v8::Local<v8::FixedArray>) {
  v8::Isolate *iso = ctx->GetIsolate();
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(ctx).ToLocal(&resolver)) return {};
  std::string text = "import('" + utf8(iso, specifier) +
                     "') is not supported: ski runs fully bundled workers (bundle with esbuild or rolldown)";
  resolver->Reject(ctx, v8::Exception::Error(str(iso, text.c_str()))).Check();
  return resolver->GetPromise();
}

v8::MaybeLocal<v8::Module> resolve_nothing(v8::Local<v8::Context> ctx, v8::Local<v8::String> specifier,
                                           v8::Local<v8::FixedArray>, v8::Local<v8::Module>) {
  v8::Isolate *iso = ctx->GetIsolate();
  std::string text = "cannot import '" + utf8(iso, specifier) + "': ski has no module loader";
  iso->ThrowException(v8::Exception::Error(str(iso, text.c_str())));
  return {};
}

// Runs the JS layer in a fresh context (at build time, for the snapshot): the `ops` it
// gets and the `internals` it returns (core/js/README.md).
int run_runtime(v8::Isolate *iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> *internals) {
  v8::TryCatch tc(iso);
  v8::Local<v8::Object> ops = v8::Object::New(iso);
  for (const Op &op : kOps) set_op(iso, ctx, ops, op.name, op.fn);
  v8::Local<v8::Object> codes = v8::Object::New(iso);
#define SKI_JS_CODE_(name, value, text) codes->Set(ctx, str(iso, #name), v8::Integer::New(iso, value)).Check();
  SKI_ERRORS(SKI_JS_CODE_)
#undef SKI_JS_CODE_
  ops->Set(ctx, str(iso, "codes"), codes).Check();
  v8::Local<v8::Object> kinds = v8::Object::New(iso);
#define SKI_KIND_NAME_(name, number, test) kinds->Set(ctx, str(iso, #name), v8::Integer::New(iso, number)).Check();
  SKI_BUILTIN_KINDS(SKI_KIND_NAME_)
#undef SKI_KIND_NAME_
  ops->Set(ctx, str(iso, "kinds"), kinds).Check();
  // V8's foreground tasks run (SkiPlatform), so WebAssembly's own async compile settles
  ops->Set(ctx, str(iso, "wasmAsync"), v8::True(iso)).Check();

  if (!ski_js_runtime) return ski_fail(SKI_EENGINE, "this binary carries no JS runtime");
  v8::Local<v8::String> source;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> fn, internals_value;
  v8::ScriptOrigin origin(iso, str(iso, "ski:runtime"));
  if (!v8::String::NewFromUtf8(iso, ski_js_runtime, v8::NewStringType::kNormal,
                               static_cast<int>(ski_js_runtime_len))
           .ToLocal(&source) ||
      !v8::Script::Compile(ctx, source, &origin).ToLocal(&script) || !script->Run(ctx).ToLocal(&fn) ||
      !fn->IsFunction())
    return fail_with(SKI_EENGINE, "the JS runtime failed to compile: " +
                                      (tc.HasCaught() ? syntax_error_text(iso, ctx, tc) : "not a function"));
  v8::Local<v8::Value> argv[] = {ops, ctx->Global()};
  if (!fn.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 2, argv).ToLocal(&internals_value) ||
      !internals_value->IsObject())
    return fail_with(SKI_EENGINE, "the JS runtime failed to start: " +
                                      (tc.HasCaught() ? utf8(iso, tc.Exception()) : "no internals"));
  *internals = internals_value.As<v8::Object>();
  return SKI_OK;
}

// Keeps the functions native code calls, from a context made from the snapshot, and
// lets the JS layer set up what must differ per instance (internals.resetClock: its
// clocks, and what V8 rebuilds in every context made from a snapshot).
int bind_internals(ski_engine *e, v8::Local<v8::Context> ctx, v8::Local<v8::Object> internals) {
  v8::Isolate *iso = e->isolate;
  struct {
    const char *name;
    v8::Global<v8::Function> *slot;
  } wanted[] = {{"dispatch", &e->dispatch},
                {"setEntry", &e->set_entry},
                {"setEnv", &e->set_env},
                {"isImportError", &e->is_import_error},
                {"describe", &e->describe},
                {"beginTimers", &e->begin_timers},
                {"runDueTimer", &e->run_due_timer}};
  for (auto &w : wanted) {
    v8::Local<v8::Value> f;
    if (!internals->Get(ctx, str(iso, w.name)).ToLocal(&f) || !f->IsFunction())
      return fail_with(SKI_EENGINE, std::string("the JS runtime has no internals.") + w.name);
    w.slot->Reset(iso, f.As<v8::Function>());
  }
  v8::Local<v8::Value> reset;
  if (internals->Get(ctx, str(iso, "resetClock")).ToLocal(&reset) && reset->IsFunction())
    e->reset_clock.Reset(iso, reset.As<v8::Function>());
  return SKI_OK;
}

// Callbacks for an engine no instance has adopted yet (a prewarmed spare).
void unadopted_settle(void *, uint64_t, const ski_engine_outcome *outcome) { free(outcome->response); }
void unadopted_arm_timer(void *, double) {}
void unadopted_background(void *, uint32_t) {}
void unadopted_console(void *, int, const char *, size_t) {}
// (no wake: an engine's tasks wait until it is adopted)
const ski_engine_callbacks kUnadopted = {unadopted_settle, unadopted_arm_timer, unadopted_background,
                                         unadopted_console, nullptr, nullptr};

uint64_t fnv1a64(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

v8::StartupData startup_blob; // verified once by ski_engine_init

// More than any HTTP server passes on (nginx: ~100 by default); bounds what a host's
// header_count can make ski allocate.
constexpr size_t kMaxRequestHeaders = 1 << 16;

int verify_snapshot(const char *data, size_t size, const char *where) {
  SnapshotHeader h;
  if (size < sizeof h) return ski_fail(SKI_EENGINE, "%s: the startup snapshot is truncated (%zu bytes)", where, size);
  memcpy(&h, data, sizeof h);
  if (memcmp(h.magic, kSnapshotMagic, sizeof h.magic) != 0 || h.format != 1 || h.header_size != sizeof h)
    return ski_fail(SKI_EENGINE, "%s: not a ski startup snapshot", where);
  if (h.blob_size != size - sizeof h)
    return ski_fail(SKI_EENGINE, "%s: the startup snapshot is truncated or padded (%zu bytes, expected %llu)", where,
                    size - sizeof h, static_cast<unsigned long long>(h.blob_size));
  const auto *blob = reinterpret_cast<const unsigned char *>(data + sizeof h);
  if (fnv1a64(blob, h.blob_size) != h.checksum)
    return ski_fail(SKI_EENGINE, "%s: the startup snapshot is corrupt (checksum mismatch)", where);
  h.v8_version[sizeof h.v8_version - 1] = '\0';
  if (strcmp(h.v8_version, v8::V8::GetVersion()) != 0)
    return ski_fail(SKI_EENGINE, "%s: the startup snapshot was made by V8 %s, this is V8 %s", where, h.v8_version,
                    v8::V8::GetVersion());
  startup_blob.data = data + sizeof h;
  startup_blob.raw_size = static_cast<int>(h.blob_size);
  return SKI_OK;
}

int load_snapshot(const char *path) {
  if (!path || !*path) {
    if (!ski_snapshot_data) return ski_fail(SKI_EENGINE, "libski was built without a startup snapshot");
    return verify_snapshot(ski_snapshot_data, static_cast<size_t>(ski_snapshot_end - ski_snapshot_data),
                           "built-in snapshot");
  }
  FILE *f = fopen(path, "rb");
  if (!f) return ski_fail(SKI_EINVAL, "%s: cannot open the startup snapshot: %s", path, strerror(errno));
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  fclose(f);
  char *kept = static_cast<char *>(malloc(data.size() ? data.size() : 1)); // lives as long as V8 does
  if (!kept) return ski_fail(SKI_ENOMEM, "out of memory reading %s", path);
  memcpy(kept, data.data(), data.size());
  int rc = verify_snapshot(kept, data.size(), path);
  if (rc != SKI_OK) free(kept);
  return rc;
}

// After the worker's top level ran: let the JS layer find the entry point.
int finish_load(ski_engine *e, v8::Local<v8::Context> ctx, v8::Local<v8::Value> default_export) {
  v8::Isolate *iso = e->isolate;
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> argv[] = {default_export};
  v8::Local<v8::Value> result;
  if (!e->set_entry.Get(iso)->Call(ctx, v8::Undefined(iso), 1, argv).ToLocal(&result))
    return fail_with(SKI_EENGINE, "setEntry threw: " + describe(e, ctx, tc.Exception()));
  if (!result->IsNull()) return fail_with(SKI_ENOHANDLER, utf8(iso, result));
  return SKI_OK;
}

// The worker's top level threw: a require() gets its own code.
int load_exception(ski_engine *e, v8::Local<v8::Context> ctx, v8::Local<v8::Value> exc) {
  v8::Isolate *iso = e->isolate;
  v8::Local<v8::Value> argv[] = {exc};
  v8::Local<v8::Value> is_import;
  {
    v8::TryCatch inner(iso);
    if (!e->is_import_error.Get(iso)->Call(ctx, v8::Undefined(iso), 1, argv).ToLocal(&is_import))
      is_import = v8::False(iso);
  }
  return fail_with(is_import->IsTrue() ? SKI_EIMPORT : SKI_ETHROWN,
                   "uncaught exception while loading the worker: " + describe(e, ctx, exc));
}

int load_module(ski_engine *e, v8::Local<v8::Context> ctx, v8::Local<v8::Module> module,
                const char *name) {
  v8::Isolate *iso = e->isolate;
  v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
  if (requests->Length() > 0) {
    auto request = requests->Get(ctx, 0).As<v8::ModuleRequest>();
    v8::Location at = module->SourceOffsetToLocation(request->GetSourceOffset());
    return ski_fail(SKI_EIMPORT,
                    "%s:%d:%d: import of '%s' is not supported: ski runs fully bundled workers "
                    "(bundle with esbuild or rolldown)",
                    name, at.GetLineNumber() + 1, at.GetColumnNumber() + 1,
                    utf8(iso, request->GetSpecifier()).c_str());
  }
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> evaluated;
  if (!module->InstantiateModule(ctx, resolve_nothing).FromMaybe(false) ||
      !module->Evaluate(ctx).ToLocal(&evaluated))
    return load_exception(e, ctx, tc.Exception());
  if (evaluated->IsPromise()) {
    // the load reports how evaluation ended: its promise is not an unhandled rejection
    v8::Local<v8::Promise> evaluation = evaluated.As<v8::Promise>();
    evaluation->MarkAsHandled();
    forget_unhandled(e, evaluation);
  }
  checkpoint(e); // lets a top-level await on resolved values finish
  if (module->GetStatus() == v8::Module::kErrored) return load_exception(e, ctx, module->GetException());
  if (evaluated->IsPromise() && evaluated.As<v8::Promise>()->State() == v8::Promise::kPending)
    return ski_fail(SKI_ESTALLED, "%s: top-level await did not settle while loading", name);
  v8::Local<v8::Value> default_export;
  if (!module->GetModuleNamespace().As<v8::Object>()->Get(ctx, str(iso, "default")).ToLocal(&default_export))
    return load_exception(e, ctx, tc.Exception());
  return finish_load(e, ctx, default_export);
}

// An exception nothing will catch, to the host's console at error level.
void report_uncaught(ski_engine *e, v8::Local<v8::Value> exception) {
  v8::Isolate *iso = e->isolate;
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  std::string text = "Uncaught " + (ctx.IsEmpty() ? utf8(iso, exception) : describe(e, ctx, exception));
  e->cb.console(e->host, SKI_LOG_ERROR, text.data(), text.size());
}

// Exceptions V8 reports itself, outside any TryCatch of ski's (a FinalizationRegistry
// callback that threw): to the console, not to V8's print on stdout.
void on_v8_message(v8::Local<v8::Message> message, v8::Local<v8::Value> exception) {
  auto *e = static_cast<ski_engine *>(message->GetIsolate()->GetData(0));
  if (e) report_uncaught(e, exception);
}

// A host's byte string (each byte one character) as a V8 string. Names (methods, header
// names) are internalized when short, so that the layer's comparisons with literals
// ("content-type") are pointer checks.
v8::MaybeLocal<v8::String> byte_string(v8::Isolate *iso, const char *s, size_t n, bool name = false) {
  return v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t *>(n ? s : ""),
                                    name && n <= 64 ? v8::NewStringType::kInternalized
                                                    : v8::NewStringType::kNormal,
                                    static_cast<int>(n));
}

// The request's header i as Headers keeps it (lowercased name, normalized value), after
// the checks Headers' append() makes: SKI_EINVAL if the host sent something no Headers
// could hold.
int host_header(v8::Isolate *iso, const ski_header &h, size_t i, v8::Local<v8::Value> *name,
                v8::Local<v8::Value> *value) {
  const size_t max = static_cast<size_t>(v8::String::kMaxLength);
  if (h.name_len > max || h.value_len > max) return ski_fail(SKI_EINVAL, "request header %zu is too long", i);
  if (!ski_http_is_token(h.name, h.name_len))
    return ski_fail(SKI_EINVAL, "request header %zu: the name '%.*s' is not an HTTP token", i,
                    static_cast<int>(h.name_len < 64 ? h.name_len : 64), h.name ? h.name : "");
  size_t start, len;
  if (!ski_http_value(h.value, h.value_len, &start, &len))
    return ski_fail(SKI_EINVAL, "request header %zu (%.*s): the value contains NUL, CR or LF", i,
                    static_cast<int>(h.name_len < 64 ? h.name_len : 64), h.name);
  char small[128];
  Scratch big(h.name_len > sizeof small ? h.name_len : 0);
  char *lower = h.name_len > sizeof small ? big.as<char>() : small;
  if (!lower) return ski_fail(SKI_ENOMEM, "out of memory reading request header %zu", i);
  const char *n = ski_http_lower(h.name, h.name_len, lower) ? lower : h.name;
  v8::Local<v8::String> a, b;
  if (!byte_string(iso, n, h.name_len, true).ToLocal(&a) || !byte_string(iso, h.value + start, len).ToLocal(&b))
    return ski_fail(SKI_ENOMEM, "request header %zu could not be converted", i);
  *name = a;
  *value = b;
  return SKI_OK;
}

} // namespace

extern "C" {

const char *ski_engine_v8_version(void) { return v8::V8::GetVersion(); }

// v8_flags through V8's command-line parser, which takes out the flags it accepts: what
// is left (a flag it does not know, a value it refused) is the host's error rather than
// a line on stderr. --help is refused first: V8 would print its help and exit.
static int set_v8_flags(const char *flags) {
  std::vector<std::string> words;
  for (const char *p = flags; *p;) {
    while (*p && isspace(static_cast<unsigned char>(*p))) p++;
    const char *start = p;
    while (*p && !isspace(static_cast<unsigned char>(*p))) p++;
    if (p > start) words.emplace_back(start, p);
  }
  for (const std::string &w : words) {
    size_t dashes = w.find_first_not_of('-');
    if (dashes >= 1 && dashes <= 2 && w.compare(dashes, 4, "help") == 0 &&
        (w.size() == dashes + 4 || w[dashes + 4] == '='))
      return ski_fail(SKI_EINVAL, "v8_flags: %s is refused (V8 would print its help and exit the process)", w.c_str());
  }
  std::vector<char *> argv;
  argv.push_back(const_cast<char *>("ski"));
  for (std::string &w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(words.size() + 1);
  v8::V8::SetFlagsFromCommandLine(&argc, argv.data(), true);
  if (argc <= 1) return SKI_OK;
  std::string left;
  for (int i = 1; i < argc; i++) left += (i > 1 ? " " : "") + std::string(argv[i]);
  return ski_fail(SKI_EINVAL, "v8_flags: V8 does not accept %s", left.c_str());
}

int ski_engine_init(const char *v8_flags, const char *snapshot_path) {
  const char *runtime = v8::V8::GetVersion();
  const char *header = SKI_V8_HEADER_VERSION;
  size_t n = strlen(header);
  if (strncmp(runtime, header, n) != 0 || (runtime[n] != '\0' && runtime[n] != '-'))
    return ski_fail(SKI_EVERSION, "libski was built with V8 %s headers but the V8 loaded is %s",
                    header, runtime);
  int rc = load_snapshot(snapshot_path);
  if (rc != SKI_OK) return rc;
  if (v8_flags && *v8_flags) {
    rc = set_v8_flags(v8_flags);
    if (rc != SKI_OK) return rc;
  }
  platform = new SkiPlatform(v8::platform::NewDefaultPlatform());
  v8::V8::InitializePlatform(platform);
  if (!v8::V8::Initialize()) return ski_fail(SKI_EENGINE, "v8::V8::Initialize failed");
  return SKI_OK;
}

int ski_engine_new(const ski_engine_limits *limits, ski_engine **out) {
  auto *e = new (std::nothrow) ski_engine;
  if (!e) return ski_fail(SKI_ENOMEM, "out of memory allocating an engine");
  e->cb = kUnadopted;
  e->limits = *limits;
  e->allocator = new CappedAllocator(limits->arraybuffer_bytes);
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *stack_addr;
    size_t stack_size;
    if (pthread_attr_getstack(&attr, &stack_addr, &stack_size) == 0)
      e->stack_floor = reinterpret_cast<uintptr_t>(stack_addr) + (64u << 10); // guard margin
    pthread_attr_destroy(&attr);
  }
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = e->allocator;
  params.constraints.ConfigureDefaultsFromHeapSize(0, limits->heap_bytes);
  params.snapshot_blob = &startup_blob;
  params.external_references = external_references();
  e->isolate = v8::Isolate::New(params);
  e->runner = platform->runner_for(e->isolate);
  e->isolate->SetData(0, e);
  e->isolate->AddNearHeapLimitCallback(near_heap_limit, e);
  e->allocator->watch(e->isolate);
  set_stack_limit(e);
  e->isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  e->isolate->SetPromiseRejectCallback(on_promise_reject);
  e->isolate->AddMessageListenerWithErrorLevel(on_v8_message, v8::Isolate::kMessageError);
  e->isolate->SetHostImportModuleDynamicallyCallback(reject_dynamic_import);
  int rc;
  {
    [[maybe_unused]] EnterStackCheck check;
    v8::Isolate::Scope isolate_scope(e->isolate);
    v8::HandleScope handle_scope(e->isolate);
    v8::Local<v8::Context> ctx = v8::Context::New(e->isolate); // the snapshot's context
    v8::Context::Scope context_scope(ctx);
    e->context.Reset(e->isolate, ctx);
    v8::Local<v8::Object> internals;
    rc = ctx->GetDataFromSnapshotOnce<v8::Object>(0).ToLocal(&internals)
             ? bind_internals(e, ctx, internals)
             : ski_fail(SKI_EENGINE, "the startup snapshot has no JS runtime");
  }
  if (rc != SKI_OK) {
    ski_engine_free(e);
    return rc;
  }
  *out = e;
  return SKI_OK;
}

int ski_engine_adopt(ski_engine *e, const ski_engine_callbacks *callbacks, void *host) {
  e->cb = *callbacks;
  e->host = host;
  if (e->runner) e->runner->bind(e->cb.wake, host);
  if (e->reset_clock.IsEmpty()) return SKI_OK;
  Window w(e);
  v8::TryCatch tc(w.isolate);
  v8::Local<v8::Value> ignored;
  if (!e->reset_clock.Get(w.isolate)->Call(w.context, v8::Undefined(w.isolate), 0, nullptr).ToLocal(&ignored))
    return fail_with(SKI_EENGINE, "internals.resetClock threw: " + describe(e, w.context, tc.Exception()));
  return SKI_OK;
}

const ski_engine_limits *ski_engine_get_limits(const ski_engine *e) { return &e->limits; }

int ski_engine_load(ski_engine *e, const char *name, const char *source, size_t len) {
  if (len > static_cast<size_t>(v8::String::kMaxLength))
    return ski_fail(SKI_EINVAL, "%s: worker source is %zu bytes, more than V8 can hold", name, len);
  Window w(e);
  v8::Isolate *iso = w.isolate;
  v8::Local<v8::Context> ctx = w.context;
  v8::Local<v8::String> src, resource = str(iso, name);
  if (!v8::String::NewFromUtf8(iso, source, v8::NewStringType::kNormal, static_cast<int>(len)).ToLocal(&src))
    return ski_fail(SKI_EINVAL, "%s: worker source could not be read as UTF-8", name);

  // A classic script first (sloppy-mode scripts must not run as strict modules); a module
  // when the script grammar rejects it. If both fail, report the parse that got further.
  v8::TryCatch script_tc(iso);
  v8::ScriptOrigin script_origin(iso, resource);
  v8::ScriptCompiler::Source script_source(src, script_origin);
  v8::Local<v8::Script> script;
  if (v8::ScriptCompiler::Compile(ctx, &script_source).ToLocal(&script)) {
    v8::Local<v8::Value> ignored;
    bool ran = script->Run(ctx).ToLocal(&ignored);
    if (w.terminated()) return ski_fail(SKI_ETERMINATED, "%s: terminated while loading", name);
    if (!ran) return load_exception(e, ctx, script_tc.Exception());
    checkpoint(e);
    if (w.terminated()) return ski_fail(SKI_ETERMINATED, "%s: terminated while loading", name);
    return finish_load(e, ctx, v8::Undefined(iso));
  }
  v8::TryCatch module_tc(iso);
  v8::ScriptOrigin module_origin(iso, resource, 0, 0, false, -1, v8::Local<v8::Value>(), false, false, true);
  v8::ScriptCompiler::Source module_source(src, module_origin);
  v8::Local<v8::Module> module;
  if (v8::ScriptCompiler::CompileModule(iso, &module_source).ToLocal(&module)) {
    int rc = load_module(e, ctx, module, name);
    if (w.terminated()) return ski_fail(SKI_ETERMINATED, "%s: terminated while loading", name);
    return rc;
  }
  auto reach = [&](v8::TryCatch &tc) {
    v8::Local<v8::Message> m = tc.Message();
    if (m.IsEmpty()) return std::make_pair(0, 0);
    return std::make_pair(m->GetLineNumber(ctx).FromMaybe(0), m->GetStartColumn(ctx).FromMaybe(0));
  };
  v8::TryCatch &further = reach(module_tc) > reach(script_tc) ? module_tc : script_tc;
  return fail_with(SKI_ESYNTAX, syntax_error_text(iso, ctx, further));
}

int ski_engine_set_env(ski_engine *e, const char *json, size_t len) {
  if (len > static_cast<size_t>(v8::String::kMaxLength)) return ski_fail(SKI_EINVAL, "env: %zu bytes is too long", len);
  Window w(e);
  v8::Isolate *iso = w.isolate;
  v8::Local<v8::Context> ctx = w.context;
  v8::TryCatch tc(iso);
  v8::Local<v8::String> text;
  v8::Local<v8::Value> env;
  if (!v8::String::NewFromUtf8(iso, json, v8::NewStringType::kNormal, static_cast<int>(len)).ToLocal(&text))
    return ski_fail(SKI_EINVAL, "env could not be read as UTF-8");
  if (!v8::JSON::Parse(ctx, text).ToLocal(&env)) {
    if (w.terminated()) return SKI_ETERMINATED;
    return fail_with(SKI_EINVAL, "env is not JSON: " + describe(e, ctx, tc.Exception()));
  }
  if (!env->IsObject() || env->IsArray())
    return ski_fail(SKI_EINVAL, "env must be a JSON object (names to values), not %s",
                    env->IsArray() ? "an array" : env->IsNull() ? "null" : "a single value");
  v8::Local<v8::Value> argv[] = {env};
  v8::Local<v8::Value> ignored;
  if (!e->set_env.Get(iso)->Call(ctx, v8::Undefined(iso), 1, argv).ToLocal(&ignored))
    return w.terminated() ? SKI_ETERMINATED : fail_with(SKI_EENGINE, "setEnv threw: " + describe(e, ctx, tc.Exception()));
  return SKI_OK;
}

int ski_engine_dispatch(ski_engine *e, uint64_t token, const ski_request *req) {
  const int max = v8::String::kMaxLength;
  if (req->url_len > static_cast<size_t>(max)) return ski_fail(SKI_EINVAL, "ski_request.url is too long");
  if (req->header_count > kMaxRequestHeaders)
    return ski_fail(SKI_EINVAL, "request has %zu headers; at most %zu are accepted", req->header_count,
                    kMaxRequestHeaders);
  const char *method_bytes = req->method ? req->method : "GET";
  size_t method_len = req->method ? req->method_len : 3;
  if (method_len > 64 || !ski_http_is_token(method_bytes, method_len))
    return ski_fail(SKI_EINVAL, "ski_request.method '%.*s' is not an HTTP method token",
                    static_cast<int>(method_len < 64 ? method_len : 64), method_bytes);
  if (const char *normal = ski_http_normal_method(method_bytes, method_len)) method_bytes = normal;
  Window w(e);
  v8::Isolate *iso = w.isolate;
  v8::Local<v8::Context> ctx = w.context;
  v8::Local<v8::String> method, url;
  if (!byte_string(iso, method_bytes, method_len, true).ToLocal(&method) ||
      !v8::String::NewFromUtf8(iso, req->url, v8::NewStringType::kNormal, static_cast<int>(req->url_len))
           .ToLocal(&url))
    return ski_fail(SKI_EINVAL, "ski_request.url could not be converted");
  // The usual handful of headers travel as arguments (the JS side collects them with a
  // rest parameter, in optimised code); more are built into an array in one piece.
  constexpr size_t kFixed = 6, kInline = 32;
  v8::Local<v8::Value> argv[kFixed + 2 * kInline];
  argv[0] = v8::Number::New(iso, static_cast<double>(token));
  argv[1] = method;
  argv[2] = url;
  argv[3] = v8::Boolean::New(iso, ski_http_is_canonical_url(req->url, req->url_len));
  argv[4] = v8::Null(iso); // the body, once the headers are known to be good
  argv[5] = v8::Null(iso);
  size_t n = req->header_count, argc = kFixed;
  if (n <= kInline) {
    for (size_t i = 0; i < n; i++) {
      int rc = host_header(iso, req->headers[i], i, &argv[kFixed + 2 * i], &argv[kFixed + 2 * i + 1]);
      if (rc != SKI_OK) return rc;
    }
    argc += 2 * n;
  } else {
    Scratch flat_memory(2 * n * sizeof(v8::Local<v8::Value>));
    auto *flat = flat_memory.as<v8::Local<v8::Value>>();
    if (!flat) return ski_fail(SKI_ENOMEM, "out of memory for %zu request headers", n);
    new (flat) v8::Local<v8::Value>[2 * n];
    for (size_t i = 0; i < n; i++) {
      int rc = host_header(iso, req->headers[i], i, &flat[2 * i], &flat[2 * i + 1]);
      if (rc != SKI_OK) return rc;
    }
    argv[5] = v8::Array::New(iso, flat, 2 * n);
  }
  if (req->body) {
    std::unique_ptr<v8::BackingStore> store = new_bytes(iso, req->body_len);
    if (!store) return ski_fail(SKI_ETERMINATED, "the request body does not fit the instance's ArrayBuffer limit");
    if (req->body_len) memcpy(store->Data(), req->body, req->body_len);
    argv[4] = v8::Uint8Array::New(v8::ArrayBuffer::New(iso, std::move(store)), 0, req->body_len);
  }
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> refused;
  if (!e->dispatch.Get(iso)->Call(ctx, v8::Undefined(iso), static_cast<int>(argc), argv).ToLocal(&refused)) {
    if (w.terminated()) return SKI_ETERMINATED;
    // dispatch never throws by contract; if it did (a stack overflow, say), end the call.
    std::string text = "the JS runtime failed to dispatch: " + describe(e, ctx, tc.Exception());
    ski_engine_outcome out = {SKI_ETHROWN, text.c_str(), nullptr};
    e->cb.settle(e->host, token, &out);
  } else if (refused->IsString()) {
    // the host's request is one no Request can hold (its URL, so far): no call started
    return fail_with(SKI_EINVAL, utf8(iso, refused));
  }
  checkpoint(e);
  return w.terminated() ? SKI_ETERMINATED : SKI_OK;
}

int ski_engine_run_timers(ski_engine *e) {
  Window w(e);
  v8::Isolate *iso = w.isolate;
  v8::Local<v8::Context> ctx = w.context;
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> batch, ran;
  if (!e->begin_timers.Get(iso)->Call(ctx, v8::Undefined(iso), 0, nullptr).ToLocal(&batch))
    return w.terminated() ? SKI_ETERMINATED : fail_with(SKI_EENGINE, "beginTimers threw: " + describe(e, ctx, tc.Exception()));
  // One timer per task, a microtask checkpoint after each: a promise a timer resolves
  // runs its reactions before the next timer fires, as in browsers.
  v8::Local<v8::Value> argv[] = {batch};
  while (e->run_due_timer.Get(iso)->Call(ctx, v8::Undefined(iso), 1, argv).ToLocal(&ran) && ran->IsTrue()) {
    checkpoint(e);
    if (w.terminated()) break;
  }
  if (w.terminated()) return SKI_ETERMINATED;
  if (tc.HasCaught()) return fail_with(SKI_EENGINE, "runDueTimer threw: " + describe(e, ctx, tc.Exception()));
  return SKI_OK;
}

int ski_engine_run_tasks(ski_engine *e, double *next_ms) {
  *next_ms = -1;
  if (!e->runner) return SKI_OK;
  Window w(e);
  v8::Isolate *iso = w.isolate;
  v8::TryCatch tc(iso);
  // A bounded batch, so that a stream of tasks cannot starve the loop's other work.
  for (int ran = 0;; ran++) {
    if (ran == 64) {
      *next_ms = 0;
      break;
    }
    double next_s;
    std::unique_ptr<v8::Task> task = e->runner->take(ForegroundRunner::now(), &next_s);
    if (!task) {
      *next_ms = next_s < 0 ? -1 : next_s * 1000;
      break;
    }
    task->Run();
    if (w.terminated()) return SKI_ETERMINATED;
    checkpoint(e);
    if (w.terminated()) return SKI_ETERMINATED;
    if (tc.HasCaught()) {
      report_uncaught(e, tc.Exception());
      tc.Reset();
    }
  }
  return SKI_OK;
}

void ski_engine_terminate(ski_engine *e) { e->isolate->TerminateExecution(); }

int ski_engine_limit_hit(const ski_engine *e) {
  if (e->limit_hit) return e->limit_hit;
  return e->allocator->hit() ? SKI_EMEMLIMIT : 0;
}

void ski_engine_memory(ski_engine *e, size_t *heap_used, size_t *heap_limit, size_t *arraybuffer_bytes) {
  v8::HeapStatistics hs;
  {
    v8::Isolate::Scope scope(e->isolate);
    e->isolate->GetHeapStatistics(&hs);
  }
  *heap_used = hs.used_heap_size();
  *heap_limit = hs.heap_size_limit();
  *arraybuffer_bytes = e->allocator->used();
}

int ski_engine_write_snapshot(const char *path, const char *warmup) {
  platform = new SkiPlatform(v8::platform::NewDefaultPlatform());
  v8::V8::InitializePlatform(platform);
  v8::V8::Initialize();
  v8::StartupData blob;
  {
    v8::SnapshotCreator creator(external_references());
    v8::Isolate *iso = creator.GetIsolate();
    {
      v8::HandleScope handle_scope(iso);
      v8::Local<v8::Context> ctx = v8::Context::New(iso);
      v8::Context::Scope context_scope(ctx);
      v8::Local<v8::Object> internals;
      int rc = run_runtime(iso, ctx, &internals);
      if (rc != SKI_OK) return rc;
      if (warmup && *warmup) {
        // Code that runs now is compiled now, and kept in the snapshot (kKeep): every
        // instance then starts with the layer's hot paths already compiled to bytecode.
        v8::TryCatch tc(iso);
        v8::Local<v8::Script> script;
        v8::Local<v8::Value> ignored;
        v8::ScriptOrigin origin(iso, str(iso, "ski:warmup"));
        if (!v8::Script::Compile(ctx, str(iso, warmup), &origin).ToLocal(&script) ||
            !script->Run(ctx).ToLocal(&ignored))
          return fail_with(SKI_EENGINE, "the snapshot warm-up failed: " +
                                            (tc.HasCaught() ? utf8(iso, tc.Exception()) : std::string("?")));
        iso->PerformMicrotaskCheckpoint();
      }
      if (creator.AddData(ctx, internals) != 0) return ski_fail(SKI_EENGINE, "unexpected snapshot data index");
      creator.SetDefaultContext(ctx);
    }
    blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  }
  if (!blob.data || blob.raw_size <= 0) return ski_fail(SKI_EENGINE, "V8 made no startup blob");
  SnapshotHeader h{};
  memcpy(h.magic, kSnapshotMagic, sizeof h.magic);
  h.format = 1;
  h.header_size = sizeof h;
  h.blob_size = static_cast<uint64_t>(blob.raw_size);
  h.checksum = fnv1a64(reinterpret_cast<const unsigned char *>(blob.data), h.blob_size);
  snprintf(h.v8_version, sizeof h.v8_version, "%s", v8::V8::GetVersion());
  FILE *f = fopen(path, "wb");
  if (!f) return ski_fail(SKI_EINVAL, "%s: %s", path, strerror(errno));
  bool ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(blob.data, 1, h.blob_size, f) == h.blob_size;
  ok = fclose(f) == 0 && ok;
  delete[] blob.data;
  return ok ? SKI_OK : ski_fail(SKI_EINVAL, "%s: write failed", path);
}

void ski_engine_free(ski_engine *e) {
  if (!e) return;
  // Globals first: resetting one touches its isolate, which must still exist.
  e->unhandled.clear();
  e->begin_timers.Reset();
  e->run_due_timer.Reset();
  e->reset_clock.Reset();
  e->dispatch.Reset();
  e->set_entry.Reset();
  e->set_env.Reset();
  e->is_import_error.Reset();
  e->describe.Reset();
  e->context.Reset();
  if (e->runner) e->runner->close();
  if (e->isolate) {
    platform->forget(e->isolate);
    e->isolate->Dispose();
  }
  delete e->allocator;
  delete e;
}

} // extern "C"
