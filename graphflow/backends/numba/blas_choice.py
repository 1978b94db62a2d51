"""Per plan: run its calls on all cores or on one thread, whichever measures faster now.

On a quiet 2-core machine a step made of mid-size products gains from OpenBLAS's second thread,
and a big elementwise or reduction kernel from the chunk pool's helper (`parallel.py`). When
other processes share the cores both collapse: OpenBLAS's thread hand-over (measured, 2 cores at
load 4-5, the 784-256-256-10 MLP step of tools/bench.py: 250 ms per call on BLAS's 2 threads,
5 ms on one), and a chunk pool job whose helper is preempted while it holds a chunk (the call
waits for it). No fixed threshold is right on both machines, so a plan with a big product
(`SMALL_GEMM` or more multiply-adds; smaller ones always run on one thread) or a kernel on the
chunk pool times its own calls, as does a plan with conv kernels (they run per batch chunk on
the chunk pool) ("one thread" = `SINGLE_BLAS` and `parallel.ONE_THREAD`):

  * the first measured call runs on all cores, the second on one thread; the faster of the
    two becomes the plan's mode;
  * each mode's cost is the mean of its last `WINDOW` calls (kept across switches: the mean,
    not the median, as rare long stalls are what more threads cost on a loaded machine), its
    very first call left out once there is another (a warm-up: on the conv step of
    tools/bench.py the all-cores mean of three calls read 60-68 ms with it, against ~16 ms for
    all-cores steps, and kept the plan on one thread at ~26 ms);
  * every `interval` calls one call tries the other mode. When that makes the other mode's cost
    less than `MARGIN` x the current one's, the plan switches. A slow trial doubles the interval
    (up to `MAX_INTERVAL`, and no further than the interval at which the losing trials cost
    `TRIAL_BUDGET` of the time: a mode that loses by little is tried often), so trials of a
    losing mode cost ever less. A trial faster than the current mode and than most of its own
    mode's older calls (e.g. the load that made the plan leave it has gone) is repeated on the
    next call, and so on while they stay fast: within `WINDOW` calls the mode's window holds
    only calls of the conditions now and the plan switches (each of these calls was faster
    than the current mode's). In a simulation (all cores 5 ms under load, one thread 2 ms,
    then all cores 1.2 ms without it) the plan had taken ~2,500 calls to follow, the first 500
    calls after the load 1.66x the best mode's time (now 1.16x). A slow trial ends the run, and
    a mode with rare long stalls (its typical call is fast) starts none;
  * when the current mode's cost rises above the other's / `MARGIN` (the load changed) the plan
    switches back; right after a winning trial that counts as a lost trial (the interval
    doubles), else trials start again every `FIRST_INTERVAL` calls.

A call on all cores (the first probe, a trial, and the plan's very first call in `plan.py`) runs
on one thread instead while the machine has no idle core: another thread is runnable right now
(`busy()`: the running count of /proc/loadavg less this process's own runnable threads, an
instantaneous figure that costs ~20-60 us to read, read only when such a call is due). Such a
call costs a loaded 2-core machine 25-130 ms against ~1.5 ms on one thread (the MLP step of
tools/bench.py: the first 100 calls of a fresh process at load 2-3 had two to four of them); a
skipped trial is postponed by the current interval without counting as a lost one.

Calls made while some of the plan's kernels still run on numpy are timed apart from compiled
calls (the statistics restart when the plan becomes ready).

A warm start skips the probe: a plan whose graph is in the plan cache (`plan_cache.py`) keeps
its choice next to the entry (`save`, at the process's exit: the mode and each mode's recent
cost, the usable cores and the machine's CPU count) and the next process's plan starts from it
(`load` + `seed`): in the saved mode (one thread instead when no core is idle then), each
mode's window holding its saved cost, so the usual trials and switches go on from there. A
record written with another number of cores (``GRAPHFLOW_NUM_THREADS``, affinity, another
machine) is ignored. `GRAPHFLOW_PLAN_THREADS=auto`
(default) | `multi` | `single` fixes the choice. `describe()` is the plan report's line.

>>> c = BlasChoice(busy=lambda: False)            # as on an idle machine
>>> single = c.begin(); c.end(single, 0.250)      # all cores: 250 ms
>>> single = c.begin(); c.end(single, 0.005)      # one thread: 5 ms
>>> c.single, c.begin()
(True, True)
"""
import json
import os
import time

from ...blas_threads import all_cores_taken, others_running
from ..plan_cache import write_atomically
from .threads import usable_cores

#: calls between trials of the other mode: starts here, doubles after each losing trial
FIRST_INTERVAL = 8
MAX_INTERVAL = 1024
#: the plan switches when the other mode's cost is below MARGIN x this one's
MARGIN = 0.85
#: recent calls per mode whose mean is the mode's cost
WINDOW = 16
#: losing trials cost at most about this fraction of the time (the interval stops doubling
#: there): a mode that loses by a little is tried often, so a change of conditions is seen soon
TRIAL_BUDGET = 0.01


def busy():
    """True if no core is idle now: at least `usable_cores() - 1` (and at least one) other
    threads are runnable on this process's cores, so a call on all cores would wait for a time
    slice. The running count is machine-wide: when this process may use only some of the
    machine's CPUs (affinity, a container's cpuset) its cores get their share of it.

    >>> busy() in (True, False)
    True
    """
    return all_cores_taken(others_running(), usable_cores(), os.cpu_count())


def _setting():
    v = os.environ.get("GRAPHFLOW_PLAN_THREADS", "auto").strip().lower()
    return v if v in ("auto", "multi", "single") else "auto"


class BlasChoice:
    """The chooser of one plan: `single = begin()` before a call, `end(single, seconds)` after.
    """

    __slots__ = ("single", "times", "calls", "next_trial", "interval", "phase", "trials",
                 "switches", "fixed", "entered", "entered_by_trial", "busy", "skipped",
                 "warmup", "seeded", "rerun")

    def __init__(self, busy=busy):
        self.fixed = _setting()
        self.busy = busy            # () -> True when a call on all cores should wait
        self.seeded = None          # a saved choice (`seed`): where reset() starts
        self.reset()
        self.trials = self.switches = self.skipped = 0

    def reset(self):
        """Forget the timings (the plan's calls changed: e.g. all kernels are ready now)."""
        self.single = self.fixed == "single"
        self.times = {False: [], True: []}
        # the mode's window still holds its first call (warm-up: the chunk pool's helper
        # starting, first-touch scratch): left out of the cost once a later call is there
        self.warmup = {False: True, True: True}
        self.calls = 0
        self.rerun = False          # in a run of fast trials (retried on each call)
        self.interval = FIRST_INTERVAL
        self.next_trial = None
        self.entered, self.entered_by_trial = 0, False
        self.phase = 0 if self.fixed == "auto" else 2     # 0, 1: the two probe calls
        if self.seeded is not None and self.fixed == "auto":   # a warm start: no probe
            self.phase = 2
            for single, cost in self.seeded["cost"].items():
                self.times[single] = [cost]
                self.warmup[single] = False
            self.single = self.seeded["single"] or self.busy()
            self.next_trial = self.interval

    def seed(self, saved):
        """Start from a saved choice (`load`'s dict; None: probe as usual)."""
        self.seeded = saved
        self.reset()

    def saved(self):
        """The choice to keep for the next process (`save`), or None before the probe."""
        if self.fixed != "auto" or self.phase < 2:
            return None
        return {"single": self.single,
                "cost": {s: self.cost(s) for s in (True, False) if self.times[s]}}

    def begin(self):
        """True if this call should run on one thread."""
        if self.phase < 2:
            if self.phase == 0 and self.busy():     # no probe on all cores now: one thread
                self.skipped += 1
                self.phase = 1
            return self.phase == 1
        if self.next_trial is not None and self.calls >= self.next_trial:
            if self.single and self.busy():         # postpone the trial on all cores
                self.skipped += 1
                self.next_trial = self.calls + self.interval
                return True
            return not self.single
        return self.single

    def run(self, fn, one_thread):
        """`fn()` in the mode `begin` picks (inside the context `one_thread` for one thread),
        timed for `end`; its result."""
        single = self.begin()
        t0 = time.perf_counter()
        if single:
            with one_thread:
                out = fn()
        else:
            out = fn()
        self.end(single, time.perf_counter() - t0)
        return out

    def end(self, single, seconds):
        """Record the call that ran with `single` and took `seconds`; maybe change mode."""
        self.calls += 1
        ts = self.times[single]
        ts.append(seconds)
        if len(ts) > WINDOW:
            del ts[0]
            self.warmup[single] = False
        if self.phase < 2:
            self.phase += 1
            if self.phase == 2:
                self.single = self.cost(True) < self.cost(False)
                self.next_trial = self.calls + self.interval
            return
        if single != self.single:            # a trial of the other mode
            self.trials += 1
            fast = seconds < MARGIN * self.cost(self.single)
            if self.cost(single) < MARGIN * self.cost(self.single):
                self._switch(by_trial=True)
            elif fast and (self.rerun or seconds < MARGIN * self._typical(single)):
                # faster than the current mode and than most of this mode's older calls: the
                # conditions may have changed (e.g. the load went away), or it was luck - the
                # next call tries it again, and so on while it stays fast
                self.rerun = True
                self.next_trial = self.calls
                return
            elif not fast:
                self.interval = min(MAX_INTERVAL, self.interval * 2, self._budget())
            self.rerun = False
            self.next_trial = self.calls + self.interval
        elif self.cost(not single) < MARGIN * self.cost(single):
            # this mode got slower than the other (e.g. the load changed)
            recent = self.calls - self.entered <= WINDOW and self.entered_by_trial
            # right after a winning trial: the trial was luck (count it as lost)
            self.interval = (min(MAX_INTERVAL, self.interval * 2) if recent else FIRST_INTERVAL)
            self._switch(by_trial=False)
            self.next_trial = self.calls + self.interval

    def _switch(self, by_trial):
        self.single = not self.single
        self.rerun = False
        self.switches += 1
        self.entered, self.entered_by_trial = self.calls, by_trial

    def cost(self, single):
        """The mean of the mode's recent calls (the mean, not the median: on a loaded machine
        more threads are mostly fast with rare 100 ms stalls, and those stalls are the cost)."""
        ts = self.times[single]
        if self.warmup[single] and len(ts) > 1:
            ts = ts[1:]
        return sum(ts) / len(ts) if ts else float("inf")

    def _budget(self):
        """Calls between trials at which the trials of the other mode, at the costs measured,
        cost TRIAL_BUDGET of the time (at least FIRST_INTERVAL)."""
        cur, other = self.cost(self.single), self.cost(not self.single)
        if not other < float("inf") or cur <= 0:
            return MAX_INTERVAL
        return max(FIRST_INTERVAL, int((other - cur) / (TRIAL_BUDGET * cur)) + 1)

    def _typical(self, single):
        """The median of the mode's older calls (before the latest): what most of them took."""
        ts = sorted(self.times[single][:-1])
        return ts[len(ts) // 2] if ts else float("inf")

    def describe(self):
        """One line for the plan report."""
        if self.fixed != "auto":
            return f"threads: {self.fixed} (GRAPHFLOW_PLAN_THREADS)"
        if self.phase < 2:
            return "threads: not measured yet (the first two compiled calls probe both)"

        def med(s):
            return f"{self.cost(s) * 1e3:.2f} ms" if self.times[s] else "-"
        return (f"threads: {'one' if self.single else 'all cores'} (BLAS, chunk pool; recent mean "
                f"{med(True)} on one thread, {med(False)} on all cores; {self.trials} "
                f"trials ({self.skipped} skipped: no idle core), {self.switches} switches, "
                f"next trial in "
                f"{max(0, self.next_trial - self.calls)} calls)")


def _cores():
    return [usable_cores(), os.cpu_count() or 1]


def save(path, saved):
    """Write `saved` (`BlasChoice.saved()`) to `path` with this process's core counts
    (atomically; errors leave the file as it was)."""
    if saved is None:
        return
    data = {"cores": _cores(), "single": bool(saved["single"]),
            "cost": {("one" if s else "all"): float(c) for s, c in saved["cost"].items()}}
    write_atomically(path, json.dumps(data).encode())


def load(path):
    """The choice saved at `path` for this process's core counts, as `BlasChoice.seed` takes
    it; None if there is none, it is unreadable or it was measured with other core counts.

    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.threads")
    >>> save(p, {"single": False, "cost": {True: 0.002, False: 0.0015}})
    >>> load(p)
    {'single': False, 'cost': {True: 0.002, False: 0.0015}}
    >>> save(p, {"single": True, "cost": {True: 0.002}})   # all cores never measured
    >>> load(p) is None
    True
    """
    try:
        with open(path) as f:
            data = json.load(f)
        if data["cores"] != _cores():
            return None
        cost = {(k == "one"): float(v) for k, v in data["cost"].items()
                if k in ("one", "all") and float(v) > 0}
        if len(cost) < 2:   # one mode never ran (skipped: no idle core back then): probe anew
            return None     # (seeded, its first trial would be a lone warm-up call, and lose)
        return {"single": bool(data["single"]), "cost": cost}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
