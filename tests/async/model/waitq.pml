/* waitq.pml — a Promela model of the async tier's waiter-queue protocol
 * (async/src/waitq.c with the async pool of async/src/async_pool.c):
 * FIFO grants, delivery to a loop's ready list, dispatch, cancel racing a
 * grant and a timeout, blocking waiters, and the loops' wake and timer hooks.
 *
 * tests/async/model/README.md says what is modelled and what is abstracted;
 * tests/async/model/check_model.sh runs spin on every configuration.
 *
 * Compile-time knobs (spin -a -DNAME=VALUE waitq.pml):
 *   CONFIG  1: w0, w1 on loop 0, w2 on loop 1 (all loop waiters)
 *           2: w0 on loop 0, w1 on loop 1, w2 a blocking waiter
 *           3: w0, w1, w2 on loop 0
 *   NB      blocks in the pool, 1 or 2 (the releaser holds them all at start)
 *   TIMED   1: backpressure = "timeout" (loop waiters have deadlines, the
 *           clock runs, dispatch expires them); 0: backpressure = "wait"
 *   BLK_TIMEOUT  1: the blocking waiter's own deadline can pass (any time)
 *   LATE    1: the releaser keeps its blocks until every loop waiter is
 *           finished, so queued waiters can only time out or be cancelled:
 *           checks that the timer hooks always fire for a due waiter
 *   CANCELS how many (distinct) loop waiters the canceller cancels, 0..2
 *
 * Seeded bugs (each must make spin report an error; check_model.sh --seeded):
 *   SEED_CANCEL_NO_HANDBACK   cancel of a READY granted waiter keeps its block
 *   SEED_CANCEL_NO_RECHECK    cancel trusts the READY it read under the pool
 *                             lock and does not recheck under the loop lock
 *   SEED_GRANT_NO_LOOP_LOCK   complete moves a waiter to the ready list
 *                             without the loop's lock
 *   SEED_EXPIRE_READY         expiry also times out READY (granted) waiters
 *   SEED_HANDBACK_UNDER_LOOP_LOCK  cancel hands the block back while it still
 *                             holds the loop's lock
 *   SEED_LIFO                 a release grants the newest waiter
 *   SEED_NO_WAKE              complete does not call the wake hook
 *   SEED_NO_REARM             dispatch does not re-arm the loop's timer
 * The C as written (see the README): C_CANCEL_REREADS_QUEUE models
 * mk_async_cancel's two unlocked reads of w->queue_ (lines 194 and 196), a
 * NULL dereference when dispatch clears it in between; by default the model
 * reads it once, the fix.
 */

#ifndef CONFIG
#define CONFIG 1
#endif
#ifndef NB
#define NB 1
#endif
#ifndef TIMED
#define TIMED 1
#endif
#ifndef BLK_TIMEOUT
#define BLK_TIMEOUT 1
#endif
#ifndef LATE
#define LATE 0
#endif
#ifndef CANCELS
#define CANCELS 1
#endif

#define NW 3       /* waiters */
#define NL 2       /* loops */
#define NONE 255   /* no waiter, no block, no deadline (MK_ASYNC_FOREVER) */
#define BLK 2      /* lp[w] == BLK: a blocking waiter (w->loop_ == NULL) */

#define TO 1       /* the pool's timeout_ns, in clock ticks */
#define MAXT 2     /* the clock stops here; deadlines are capped at MAXT */

/* waiter states, as MK__WAITER_* */
#define IDLE 0
#define QUEUED 1
#define READY 2
#define DONE 3

/* statuses */
#define PENDING 0
#define OK 1
#define ETIMEDOUT 2
#define ESTATE 3

/* list membership (ghost): a waiter's prev_/next_ serve one list at a time */
#define NOWHERE 0
#define INQ 1
#define INRL 2

#define me (_pid + 1)

/* ---- shared state --------------------------------------------------------- */

byte plock;                /* the pool's lock: 0 free, else owner _pid + 1 */
byte llock[NL];            /* each loop's lock_ */

byte stack[NB];            /* the pool's free stack: [0, top) */
byte top;
byte q[NW];                /* the pool's waiter queue, q[0] the head (oldest) */
byte qlen;                 /* q->count */

typedef RList { byte e[NW]; byte n };
RList rl[NL];              /* each loop's ready list, FIFO: ready_head_ .. ready_tail_ */
byte timed[NL];            /* loop->timed_ */
byte armed[NL];            /* loop->armed_ (memkit's record of the armed deadline) */
byte tpend[NL];            /* the loop's one timer (libuv's side): NONE when stopped or fired */
bool woken[NL];            /* the wake hook was called (uv_async_send; coalesces) */
byte now;                  /* the async clock */
bool go;                   /* set up: the monitor may look */

byte lp[NW];               /* w->loop_: 0 or 1, or BLK */
byte st[NW];               /* w->state_ */
bool qd[NW];               /* w->queue_ != NULL */
byte status[NW];           /* w->status_ */
byte res[NW];              /* w->result_.ptr: the block granted, NONE for NULL */
byte dl[NW];               /* w->deadline_ */
bool signaled[NW];         /* blocking waiter: parker.signaled */
bool parker[NW];           /* blocking waiter: its parker is alive (on its stack) */

/* ghosts: what the caller sees */
byte held[NW];             /* the block the waiter's user holds (after its callback) */
bool rheld[NB];            /* the releaser holds block b */
bool started[NW];          /* the queueing call was made */
bool pend[NW];             /* it returned MK_PENDING (the waiter was queued) */
byte cb[NW];               /* how many times its callback ran (blocking: returned) */
bool cok[NW];              /* mk_async_cancel returned MK_OK for it */
byte seq[NW];              /* queueing order among the queued (1 = oldest); 0 when not queued */
byte where[NW];            /* which list its links are in */

/* ---- locks ----------------------------------------------------------------- */

inline P_lock() { atomic { plock == 0 -> plock = me } }
inline P_unlock() { assert(plock == me); plock = 0 }
inline L_lock(l) { llock[l] == 0 -> llock[l] = me }
inline L_unlock(l) { assert(llock[l] == me); llock[l] = 0 }

/* The state moves that async_internal.h allows, under the locks it names
 * (a data race on w->state_ otherwise, except the two reads that the C
 * makes on purpose: cancel's under the pool's lock only, and its recheck). */
inline to_queued(w)   /* push: the queue's lock */
{
    assert(plock == me && st[w] == IDLE);
    st[w] = QUEUED
}
inline to_idle(w)     /* unlink: the queue's lock; a cancelled READY one: and its loop's */
{
    assert(plock == me);
    assert(st[w] == QUEUED || (st[w] == READY && lp[w] != BLK && llock[lp[w]] == me));
    st[w] = IDLE
}
inline to_ready(w)    /* complete: the queue's lock, and a loop waiter's loop's */
{
    assert(plock == me && st[w] == IDLE && where[w] == NOWHERE);
    assert(lp[w] == BLK || llock[lp[w]] == me);
    st[w] = READY
}
inline to_done(w)     /* taken: its loop's lock, or a blocking waiter's queue's */
{
    assert(st[w] == READY);
    assert((lp[w] != BLK && llock[lp[w]] == me) || (lp[w] == BLK && plock == me));
    st[w] = DONE
}

/* ---- lists (the queue under the pool's lock, a ready list under its loop's) -- */

inline q_append(w)
{
    assert(plock == me && where[w] == NOWHERE);
    q[qlen] = w;
    qlen++;
    where[w] = INQ
}

inline q_remove(w) /* unlink w, keeping the order of the rest */
{
    assert(plock == me && where[w] == INQ);
    i = 0;
    do
    :: q[i] == w -> break
    :: else -> i++
    od;
    do
    :: i + 1 < qlen -> q[i] = q[i + 1]; i++
    :: else -> break
    od;
    qlen--;
    q[qlen] = NONE;
    where[w] = NOWHERE
}

inline rl_append(l, w)
{
    assert(llock[l] == me && where[w] == NOWHERE);
    rl[l].e[rl[l].n] = w;
    rl[l].n++;
    where[w] = INRL
}

inline rl_remove(l, w)
{
    assert(llock[l] == me && where[w] == INRL);
    i = 0;
    do
    :: rl[l].e[i] == w -> break
    :: else -> i++
    od;
    do
    :: i + 1 < rl[l].n -> rl[l].e[i] = rl[l].e[i + 1]; i++
    :: else -> break
    od;
    rl[l].n--;
    rl[l].e[rl[l].n] = NONE;
    where[w] = NOWHERE
}

/* ---- waitq.c ----------------------------------------------------------------- */

/* Granularity. A step (an atomic block) of a process is a stretch of the C
 * with at most one access to a variable that another thread touches without
 * a common lock (w->queue_, w->state_ read by cancel under the pool's lock
 * only or written DONE by dispatch under the loop's only, the wake flag, the
 * parker's flag, the clock) and no lock taken after one was released: lock
 * acquisitions move right, releases left, accesses under a held lock both
 * ways (Lipton), so every interleaving of the C is one of these up to
 * reordering of independent steps. A step that finds a lock held blocks
 * there and lets the others run, as the thread would. */

/* mk__waitq_unlink, first part: a QUEUED waiter out of the queue (pool lock held). */
inline q_unlink_state(w)
{
    q_remove(w);
    to_idle(w);
    seq[w] = 0
}

/* mk__waitq_unlink, second part: the loop's timed-waiter count. */
inline unlink_timed(w)
{
    if
    :: lp[w] != BLK && dl[w] != NONE -> L_lock(lp[w]); timed[lp[w]]--; L_unlock(lp[w])
    :: else
    fi;
    dl[w] = NONE /* dead from here: keeps the state space small */
}

/* mk__waitq_complete (pool lock held; w just popped or unlinked). One step. */
inline complete(w, s, b)
{
    assert(plock == me && st[w] == IDLE);
    status[w] = s;
    res[w] = b;
    if
    :: lp[w] != BLK ->
#ifndef SEED_GRANT_NO_LOOP_LOCK
       L_lock(lp[w]);
#endif
       to_ready(w);
       rl_append(lp[w], w);
#ifndef SEED_NO_WAKE
       woken[lp[w]] = 1;
#endif
#ifndef SEED_GRANT_NO_LOOP_LOCK
       L_unlock(lp[w])
#else
       skip
#endif
    :: else ->
       assert(parker[w]); to_ready(w); signaled[w] = 1
    fi
}

/* mk__apool_put_locked(block b), pool lock held: to the oldest waiter, else
 * to the stack. Two steps when it grants: the pop (with its loop-lock section
 * for the timed count) and the completion (with its loop-lock section). */
inline put_locked(b)
{
    atomic {
        assert(plock == me);
        if
        :: qlen > 0 ->
#ifdef SEED_LIFO
           g = q[qlen - 1];
#else
           g = q[0];
#endif
           /* FIFO: it is the oldest waiter still queued */
           k = 0;
           do
           :: k < NW -> assert(!(k != g && st[k] == QUEUED && seq[k] < seq[g])); k++
           :: else -> break
           od;
           k = 0;
           q_unlink_state(g);
           unlink_timed(g)
        :: else ->
           assert(top < NB); stack[top] = b; top++; b = NONE; g = NONE
        fi
    };
    if
    :: g != NONE -> atomic { complete(g, OK, b); g = NONE; b = NONE }
    :: else
    fi
}

/* mk_async_release(block) by the user of waiter w, which holds it. */
inline release_held(w)
{
    atomic { P_lock(); b = held[w]; held[w] = NONE };
    put_locked(b);
    P_unlock()
}

/* push on a queue, for a loop (l) or blocking (BLK) waiter; pool lock held */
inline push(w, d)
{
    qd[w] = 1;
    status[w] = PENDING;
    res[w] = NONE;
    dl[w] = d;
    to_queued(w);
    q_append(w);
    pend[w] = 1;
    /* queueing order: after everyone queued */
    seq[w] = 1;
    k = 0;
    do
    :: k < NW -> if :: k != w && st[k] == QUEUED && seq[k] >= seq[w] -> seq[w] = seq[k] + 1 :: else fi; k++
    :: else -> break
    od;
    k = 0
}

/* a free block now, when nobody waits (no barging); pool lock held */
inline take_free(w)
{
    k = 0;
    do
    :: k < NW -> assert(st[k] != QUEUED); k++
    :: else -> break
    od;
    k = 0;
    top--;
    held[w] = stack[top];
    stack[top] = NONE
}

/* mk_async_acquire(pool, ..., loop l, waiter w): mk__apool_request + push.
 * One step: the clock read is its only racy access. */
inline acquire(w, l)
{
    P_lock();
    if
    :: qlen == 0 && top > 0 -> take_free(w)
    :: else ->
       j = (TIMED -> (now + TO < MAXT -> now + TO : MAXT) : NONE); /* since_ + timeout_ns */
       push(w, j);
       j = 0;
       if
       :: dl[w] != NONE ->
          L_lock(l); timed[l]++; L_unlock(l);
          if /* on the loop's thread: armed_ is this thread's */
          :: dl[w] < armed[l] -> armed[l] = dl[w]; tpend[l] = dl[w]
          :: else
          fi
       :: else
       fi
    fi;
    P_unlock()
}

/* mk__async_expire_all(now_d) (its one timed queue): expire the due loop
 * waiters, the earliest deadline left in `next`. Pool lock taken by the
 * caller's step; released here. */
inline expire_locked()
{
    i = 0; /* mk__waitq_expire: from the head */
    do
    :: atomic {
           i < qlen && lp[q[i]] == BLK -> i++
       }
    :: atomic {
           i < qlen && lp[q[i]] != BLK && dl[q[i]] <= now_d ->
           g = q[i];
           j = i; /* q_remove uses i */
           q_unlink_state(g);
           unlink_timed(g);
           i = j; j = 0 /* q[i] is the next one now */
       };
       atomic { complete(g, ETIMEDOUT, NONE); g = NONE }
    :: (i < qlen && lp[q[i]] != BLK && dl[q[i]] > now_d) || i >= qlen -> break /* later ones are due later */
    od;
#ifdef SEED_EXPIRE_READY
    /* a timeout that also claims granted, not yet dispatched waiters: their
     * deadline passed, so they "time out" */
    atomic {
        k = 0;
        do
        :: k < NW ->
           if
           :: lp[k] != BLK && st[k] == READY && status[k] == OK && now_d >= MAXT ->
              L_lock(lp[k]); status[k] = ETIMEDOUT; res[k] = NONE; L_unlock(lp[k])
           :: else
           fi;
           k++
        :: else -> break
        od;
        k = 0
    };
#endif
    atomic {
        /* nothing due is left queued (the early stop was right) */
        k = 0;
        do
        :: k < NW -> assert(!(st[k] == QUEUED && lp[k] != BLK && dl[k] <= now_d)); k++
        :: else -> break
        od;
        /* mk__waitq_next_deadline */
        next = NONE;
        k = 0;
        do
        :: k < qlen && lp[q[k]] == BLK -> k++
        :: k < qlen && lp[q[k]] != BLK -> next = dl[q[k]]; break
        :: else -> break
        od;
        k = 0;
        i = 0;
        P_unlock()
    }
}

/* mk_async_dispatch(loop l, mk_async_now()): expire, run the ready
 * callbacks, re-arm (expiring again first when callbacks ran and the loop
 * has timed waiters). */
inline dispatch(l)
{
    now_d = now;
    do
    :: /* mk__async_expire_all */
#if TIMED
       P_lock();
       expire_locked();
#else
       next = NONE;
#endif
       if
       :: ran != 0 -> break /* the second pass: re-arm */
       :: else
       fi;
       do
       :: atomic {
              L_lock(l);
              if
              :: rl[l].n > 0 -> g = rl[l].e[0]; rl_remove(l, g); to_done(g)
              :: else -> g = NONE
              fi;
              L_unlock(l)
          };
          if
          :: g == NONE -> break
          :: else
          fi;
          atomic {
              qd[g] = 0;           /* w->queue_ = NULL: the caller's again */
              /* w->done_(w, status, result) */
              assert(cb[g] == 0);  /* at most once */
              assert(!cok[g]);     /* never after a cancel that said MK_OK */
              cb[g]++;
              if
              :: status[g] == OK -> assert(res[g] != NONE); held[g] = res[g]; res[g] = NONE
              :: else -> assert(res[g] == NONE)
              fi;
              status[g] = PENDING; /* dead from here */
              g = NONE;
              ran = 1
          }
       od;
       atomic { L_lock(l); tm = (timed[l] != 0); L_unlock(l) };
       if
       :: TIMED && tm && ran != 0 -> skip /* callbacks may have queued waiters: expire again */
       :: else -> break
       fi
    od;
    atomic {
        want = (tm -> next : NONE);
#ifndef SEED_NO_REARM
        if
        :: want != armed[l] -> armed[l] = want; tpend[l] = want /* NONE: uv_timer_stop */
        :: else
        fi;
#endif
        want = 0; next = 0; tm = 0; ran = 0; now_d = 0
    }
}

/* mk_async_cancel(w) */
inline cancel(w)
{
    if
    :: !qd[w] -> out = ESTATE /* line 194: never queued, or dispatched */
    :: else ->
#ifdef C_CANCEL_REREADS_QUEUE
       assert(qd[w]); /* line 196: q = w->queue_, read again; NULL dereferenced at 198 */
#endif
       P_lock();
       if
       :: atomic { st[w] == QUEUED -> /* nothing was granted */
              q_unlink_state(w);
              unlink_timed(w);
              out = OK
          }
       :: atomic { st[w] == READY && lp[w] != BLK -> l = lp[w] } /* read under the pool's lock only */
#ifdef SEED_HANDBACK_UNDER_LOOP_LOCK
          atomic {
              L_lock(l);
              wd = (st[w] == READY);
              if
              :: wd -> rl_remove(l, w); to_idle(w)
              :: else
              fi
          };
          if
          :: wd && status[w] == OK -> b = res[w]; res[w] = NONE; put_locked(b)
          :: else
          fi;
          L_unlock(l);
#else
          atomic {
              L_lock(l);
#ifdef SEED_CANCEL_NO_RECHECK
              wd = 1;
              if
              :: where[w] == INRL -> rl_remove(l, w)
              :: else
              fi;
              st[w] = IDLE;
#else
              wd = (st[w] == READY); /* dispatch may have taken it meanwhile */
              if
              :: wd -> rl_remove(l, w); to_idle(w)
              :: else
              fi;
#endif
              L_unlock(l)
          };
          if
          :: wd && status[w] == OK -> /* granted to a waiter that gave up: hand_back */
             b = res[w]; res[w] = NONE;
#ifndef SEED_CANCEL_NO_HANDBACK
             put_locked(b)
#else
             b = NONE
#endif
          :: else
          fi;
#endif
          out = (wd -> OK : ESTATE);
          wd = 0;
          l = 0
       :: else -> out = ESTATE
       fi;
       P_unlock()
    fi;
    d_step {
        if
        :: out == OK -> assert(pend[w] && cb[w] == 0); cok[w] = 1; status[w] = PENDING
        :: else
        fi;
        out = 0
    }
}

/* ---- processes ----------------------------------------------------------------- */

/* A waiter is finished when the caller has it back and holds nothing. */
#define FIN(w) (started[w] && held[w] == NONE && (!pend[w] || cb[w] != 0 || cok[w]))
#define LOOP_FIN(l) ((lp[0] != l || FIN(0)) && (lp[1] != l || FIN(1)) && (lp[2] != l || FIN(2)))
/* waiters of a loop are queued in index order (symmetry: fewer states) */
#define MAY_START(w, l) (lp[w] == l && !started[w] && (w == 0 || started[w - 1] || lp[w - 1] != l))

/* A loop's thread: queues its waiters, dispatches when woken or when its
 * timer fires (running the callbacks), and releases the blocks they got. */
proctype Loop(byte lid)
{
    byte w, g, b, i, j, k, next, want, ran, now_d;
    bool tm;
    do
    :: atomic {
           MAY_START(0, lid) || MAY_START(1, lid) || MAY_START(2, lid) ->
           if
           :: MAY_START(0, lid) -> w = 0
           :: MAY_START(1, lid) -> w = 1
           :: MAY_START(2, lid) -> w = 2
           fi;
           started[w] = 1;
           acquire(w, lid);
           w = 0
       }
    :: atomic {
           woken[lid] || (tpend[lid] != NONE && now >= tpend[lid]) ->
           if
           :: woken[lid] -> woken[lid] = 0  /* the wake hook's uv_async */
           :: tpend[lid] != NONE && now >= tpend[lid] -> tpend[lid] = NONE /* the timer */
           fi
       };
       dispatch(lid)
    :: atomic {
           (lp[0] == lid && held[0] != NONE) || (lp[1] == lid && held[1] != NONE) ||
           (lp[2] == lid && held[2] != NONE) ->
           if
           :: lp[0] == lid && held[0] != NONE -> w = 0
           :: lp[1] == lid && held[1] != NONE -> w = 1
           :: lp[2] == lid && held[2] != NONE -> w = 2
           fi
       };
       release_held(w);
       w = 0
    :: LOOP_FIN(lid) -> break
    od
}

/* Holds every block at start and releases each (mk_async_release) from its
 * own thread; with LATE, only once every loop waiter is finished. */
proctype Releaser()
{
    byte b, g, i, k, c;
#if LATE
    LOOP_FIN(0) && LOOP_FIN(1);
#endif
    do
    :: c < NB ->
       atomic { P_lock(); b = c; assert(rheld[b]); rheld[b] = 0 };
       put_locked(b);
       P_unlock();
       c++
    :: else -> break
    od
}

#if CANCELS > 0
/* Cancels CANCELS distinct loop waiters, each at any moment (before it is
 * queued, while queued, ready, dispatched, or after its callback), from a
 * thread of its own. */
proctype Canceller()
{
    byte w, g, b, i, k, l, out, c, mask;
    bool wd;
    do
    :: c < CANCELS ->
       if
       :: lp[0] != BLK && !(mask & 1) -> w = 0
       :: lp[1] != BLK && !(mask & 2) -> w = 1
       :: lp[2] != BLK && !(mask & 4) -> w = 2
       fi;
       mask = mask | (1 << w);
       cancel(w);
       c++
    :: else -> break
    od
}

#endif

#if CONFIG == 2
/* A thread in mk_async_acquire_blocking (mk__apool_request + mk__waitq_block). */
proctype Blocker(byte w)
{
    byte g, b, i, k;
    atomic {
        P_lock();
        started[w] = 1;
        if
        :: qlen == 0 && top > 0 -> take_free(w)
        :: else ->
           k = NONE; /* its deadline is its own, on its own clock */
           push(w, k);
           parker[w] = 1;
           signaled[w] = 0
        fi;
        P_unlock()
    };
    if
    :: pend[w] ->
       /* while (!parker.signaled && mk__prim_monitor_wait(..., deadline)) */
       if
       :: signaled[w]
#if BLK_TIMEOUT
       :: true /* the deadline passed (signaled or not) */
#endif
       fi;
       atomic {
           P_lock();
           if
           :: st[w] == QUEUED -> /* the deadline passed first */
              q_unlink_state(w);
              unlink_timed(w);
              status[w] = ETIMEDOUT; assert(cb[w] == 0); cb[w]++
           :: else -> /* granted: ours, even when the deadline passed meanwhile */
              to_done(w);
              assert(cb[w] == 0);
              cb[w]++;
              assert(status[w] == OK && res[w] != NONE);
              held[w] = res[w];
              res[w] = NONE
           fi;
           status[w] = PENDING;
           P_unlock();
           parker[w] = 0; /* mk__prim_monitor_destroy: its stack frame goes */
           signaled[w] = 0
       }
    :: else
    fi;
    if
    :: held[w] != NONE -> release_held(w)
    :: else
    fi
}

#endif

proctype Clock()
{
    do
    :: now < MAXT -> now++
    :: else -> break
    od
}

/* ---- invariants ---------------------------------------------------------------- */

#define QUIET (go && plock == 0 && llock[0] == 0 && llock[1] == 0)
#define INSTACK(b) ((top > 0 && stack[0] == b) + (NB > 1 && top > 1 && stack[NB - 1] == b))
#define COPIES(b) (INSTACK(b) + (res[0] == b) + (res[1] == b) + (res[2] == b) + \
                   (held[0] == b) + (held[1] == b) + (held[2] == b) + rheld[b])
#define ALL_BLOCKS_ONCE (COPIES(0) == 1 && (NB < 2 || COPIES(NB - 1) == 1))
#define AT_MOST_ONCE (COPIES(0) <= 1 && (NB < 2 || COPIES(NB - 1) <= 1))
#define TIMED_OK(l) (timed[l] == (lp[0] == l && st[0] == QUEUED && dl[0] != NONE) + \
                     (lp[1] == l && st[1] == QUEUED && dl[1] != NONE) + \
                     (lp[2] == l && st[2] == QUEUED && dl[2] != NONE))
#define LISTS_OK(w) ((st[w] == QUEUED) == (where[w] == INQ) && \
                     ((st[w] == READY && lp[w] != BLK) == (where[w] == INRL)))
#define QLEN_OK (qlen == (st[0] == QUEUED) + (st[1] == QUEUED) + (st[2] == QUEUED))
#define INV (ALL_BLOCKS_ONCE && TIMED_OK(0) && TIMED_OK(1) && LISTS_OK(0) && LISTS_OK(1) && \
             LISTS_OK(2) && QLEN_OK)

/* At every moment no block has two owners (free in the stack, granted to a
 * waiter, held by a user: at most one of these); whenever no lock is held,
 * every block has exactly one (none is lost) and the counters match the
 * lists. (A block in flight inside a locked step is in a local variable.) */
active proctype Monitor()
{
end:
    atomic {
        go && (!AT_MOST_ONCE || (QUIET && !INV)) ->
        assert(AT_MOST_ONCE);                                  /* granted twice */
        assert(ALL_BLOCKS_ONCE);                               /* a block lost */
        assert(QLEN_OK);                                       /* q->count */
        assert(TIMED_OK(0) && TIMED_OK(1));                    /* loop->timed_ */
        assert(LISTS_OK(0) && LISTS_OK(1) && LISTS_OK(2))      /* state vs lists */
    }
}

init
{
    byte k, b;
    atomic {
#if CONFIG == 1
        lp[0] = 0; lp[1] = 0; lp[2] = 1;
#elif CONFIG == 2
        lp[0] = 0; lp[1] = 1; lp[2] = BLK;
#else
        lp[0] = 0; lp[1] = 0; lp[2] = 0;
#endif
        k = 0;
        do
        :: k < NW -> res[k] = NONE; held[k] = NONE; dl[k] = NONE; q[k] = NONE;
                     rl[0].e[k] = NONE; rl[1].e[k] = NONE; k++
        :: else -> break
        od;
        b = 0;
        do
        :: b < NB -> rheld[b] = 1; stack[b] = NONE; b++
        :: else -> break
        od;
        top = 0;
        armed[0] = NONE; armed[1] = NONE; tpend[0] = NONE; tpend[1] = NONE;
        run Loop(0);
        run Loop(1);
        run Releaser();
#if CANCELS > 0
        run Canceller();
#endif
#if TIMED
        run Clock();
#endif
#if CONFIG == 2
        run Blocker(2);
#endif
        go = 1
    };
    _nr_pr == 2; /* everyone else ended (the monitor stays) */
    d_step {
        assert(ALL_BLOCKS_ONCE);
        assert(QLEN_OK && TIMED_OK(0) && TIMED_OK(1) && LISTS_OK(0) && LISTS_OK(1) && LISTS_OK(2));
        assert(top == NB); /* every block is back */
        assert(qlen == 0 && rl[0].n == 0 && rl[1].n == 0 && timed[0] == 0 && timed[1] == 0);
        k = 0;
        do
        :: k < NW ->
           assert(started[k] && held[k] == NONE && st[k] != QUEUED && st[k] != READY);
           /* cancel said MK_OK exactly when the callback did not run */
           assert(pend[k] -> (cb[k] + cok[k] == 1) : (cb[k] == 0 && !cok[k]));
           k++
        :: else -> break
        od
    }
}
