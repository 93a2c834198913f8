// The one sweep that finds request bodies gone quiet (src/http/idle-watch.ts), on fake timers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleWatch } from '../../src/http/idle-watch.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('IdleWatch', () => {
  it('reports a read quiet for the limit once, between the limit and a quarter more', () => {
    vi.useFakeTimers();
    const watch = new IdleWatch(1_000);
    const idle = vi.fn();
    watch.watch(idle);
    vi.advanceTimersByTime(999);
    expect(idle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(251);
    expect(idle).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(10_000);
    expect(idle).toHaveBeenCalledOnce();
    watch.close();
  });

  it('retired, it keeps watching what it watches and stops its timer once nothing is left', () => {
    vi.useFakeTimers();
    const empty = new IdleWatch(1_000);
    empty.retire();
    expect(vi.getTimerCount()).toBe(0);
    const watch = new IdleWatch(1_000);
    const first = vi.fn();
    const second = vi.fn();
    const stopped = watch.watch(first);
    watch.watch(second);
    watch.retire();
    stopped.stop();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_250);
    expect(second).toHaveBeenCalledOnce();
    expect(first).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a touch starts the clock again; a stopped read is never reported', () => {
    vi.useFakeTimers();
    const watch = new IdleWatch(1_000);
    const touched = vi.fn();
    const stopped = vi.fn();
    const read = watch.watch(touched);
    watch.watch(stopped).stop();
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(500);
      read.touch();
    }
    expect(touched).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_300);
    expect(touched).toHaveBeenCalledOnce();
    expect(stopped).not.toHaveBeenCalled();
    watch.close();
  });

  it('long limits are swept every second, so they are reported at most a second late', () => {
    vi.useFakeTimers();
    const watch = new IdleWatch(30_000);
    const idle = vi.fn();
    watch.watch(idle);
    vi.advanceTimersByTime(29_999);
    expect(idle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_001);
    expect(idle).toHaveBeenCalledOnce();
    watch.close();
  });
});
