// timers.js: setTimeout, setInterval, clearTimeout, clearInterval (HTML §8.6, "timer
// initialisation steps"). The layer keeps every timer in one min-heap ordered by
// (due time, creation order); native code holds a single libuv timer per instance,
// armed for the heap's head through ops.timerArm. When it fires, native code calls
// beginTimers() once and runDueTimer(batch) until it returns false, with a microtask
// checkpoint after each timer that ran (core/js/README.md).

const timers = new Map(); // id -> live timer record
const timerHeap = [];     // records; cancelled ones are dropped when they reach the top
let lastTimerId = 0;
let timerSeq = 0;          // creation order: ties on `due` run in the order they were set
let timerNesting = 0;      // nesting level of the timer task running now (0: none)
let armedFor = -1;         // the due time native code was last asked to wake us for

function timerBefore(a, b) {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

// (No destructuring swap: it would go through Array.prototype[Symbol.iterator], which
// user code can replace.)
function heapSwap(i, j) {
  const t = timerHeap[i];
  timerHeap[i] = timerHeap[j];
  timerHeap[j] = t;
}

function heapPush(record) {
  let i = timerHeap.length;
  timerHeap[i] = record;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!timerBefore(timerHeap[i], timerHeap[parent])) break;
    heapSwap(i, parent);
    i = parent;
  }
}

function heapPop() {
  const top = timerHeap[0];
  const last = timerHeap[timerHeap.length - 1];
  timerHeap.length -= 1;
  if (timerHeap.length > 0) {
    timerHeap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < timerHeap.length && timerBefore(timerHeap[l], timerHeap[m])) m = l;
      if (r < timerHeap.length && timerBefore(timerHeap[r], timerHeap[m])) m = r;
      if (m === i) break;
      heapSwap(i, m);
      i = m;
    }
  }
  return top;
}

// Drops cancelled timers from the top, then asks native code to wake us for the head
// (or for nothing). A cancelled timer left armed would keep the loop alive for nothing.
function rearmTimers() {
  while (timerHeap.length > 0 && timerHeap[0].cancelled) heapPop();
  const due = timerHeap.length > 0 ? timerHeap[0].due : -1;
  if (due === armedFor) return;
  armedFor = due;
  ops.timerArm(due < 0 ? -1 : MathMax(0, due - ops.now()));
}

// WebIDL `long`: ToNumber, NaN and infinities to 0, truncated, wrapped to 32 bits.
function toLong(value) {
  const n = +value;
  if (!NumberIsFinite(n)) return 0;
  return MathTrunc(n) | 0;
}

function startTimer(handler, timeout, args, repeat, prefix) {
  if (typeof handler !== "function") {
    // HTML compiles a string handler as a classic script when the timer fires.
    const code = `${handler}`;
    handler = () => (0, eval)(code);
  }
  timeout = toLong(timeout);
  if (timeout < 0) timeout = 0;
  const nesting = timerNesting + 1;
  // Step 5 of the timer initialisation steps: deeply nested timers wait at least 4 ms.
  if (nesting > 5 && timeout < 4) timeout = 4;
  const id = ++lastTimerId;
  const record = {
    id, handler, args, timeout, nesting, repeat,
    due: ops.now() + timeout, seq: ++timerSeq, cancelled: false,
  };
  MapPrototypeSet(timers, id, record);
  heapPush(record);
  if (timerHeap[0] === record) rearmTimers();
  return id;
}

function clearTimer(id) {
  const record = MapPrototypeGet(timers, toLong(id));
  if (record === undefined) return;
  record.cancelled = true;
  MapPrototypeDelete(timers, record.id);
  if (timerHeap[0] === record) rearmTimers();
}

function setTimeout(handler, timeout = 0, ...args) {
  requiredArguments(arguments.length, 1, executePrefix("WorkerGlobalScope", "setTimeout"));
  return startTimer(handler, timeout, args, false);
}

function setInterval(handler, timeout = 0, ...args) {
  requiredArguments(arguments.length, 1, executePrefix("WorkerGlobalScope", "setInterval"));
  return startTimer(handler, timeout, args, true);
}

// Timeouts and intervals share one id space, so either clear function clears either.
function clearTimeout(id = 0) {
  clearTimer(id);
}

function clearInterval(id = 0) {
  clearTimer(id);
}

// A batch runs the timers due when the libuv timer fired that existed then; timers they
// create wait for the next wake-up, so a zero-delay chain cannot starve the loop.
internals.beginTimers = function beginTimers() {
  armedFor = -1; // native code's timer has fired: nothing is armed any more
  return { now: ops.now(), seq: timerSeq };
};

internals.runDueTimer = function runDueTimer(batch) {
  while (timerHeap.length > 0 && timerHeap[0].cancelled) heapPop();
  const record = timerHeap[0];
  if (record === undefined || record.due > batch.now || record.seq > batch.seq) {
    rearmTimers();
    return false;
  }
  heapPop();
  if (!record.repeat) MapPrototypeDelete(timers, record.id);
  const outer = timerNesting;
  timerNesting = record.nesting;
  try {
    ReflectApply(record.handler, globalThis, record.args);
  } catch (error) {
    reportException(error);
  } finally {
    timerNesting = outer;
  }
  if (record.repeat && !record.cancelled) {
    // An interval re-arms after its callback, one nesting level deeper (step 5 again).
    record.nesting += 1;
    if (record.nesting > 5 && record.timeout < 4) record.timeout = 4;
    record.due = ops.now() + record.timeout;
    record.seq = ++timerSeq;
    heapPush(record);
  }
  return true;
};
