import { describe, expect, it } from 'vitest';
import { hs2Methods } from '../../src/hs2/methods.ts';
import { RpcLimits, promptRpcs } from '../../src/hs2/rpc-limits.ts';

const upstream = (rpcTimeoutsMs: Record<string, number> = {}) => ({ headersTimeoutMs: 600_000, promptRpcTimeoutMs: 60_000, rpcTimeoutsMs }) as never;

describe('RpcLimits', () => {
  it('lists only hs2 methods as prompt, and not the ones that can wait on a query or the catalog', () => {
    for (const method of promptRpcs) expect(hs2Methods.has(method), method).toBe(true);
    for (const method of ['ExecuteStatement', 'FetchResults', 'GetTables', 'GetColumns']) expect(promptRpcs).not.toContain(method);
  });

  it('gives prompt RPCs the short limit, others the long one, unknown or missing methods the long one', () => {
    const limits = new RpcLimits(upstream());
    expect(limits.headersTimeoutMs('GetOperationStatus')).toBe(60_000);
    expect(limits.headersTimeoutMs('ExecuteStatement')).toBe(600_000);
    expect(limits.headersTimeoutMs('NoSuchMethod')).toBe(600_000);
    expect(limits.headersTimeoutMs(undefined)).toBe(600_000);
  });

  it('lets rpcTimeoutsMs override either limit per method', () => {
    const limits = new RpcLimits(upstream({ GetOperationStatus: 120_000, FetchResults: 30_000 }));
    expect(limits.headersTimeoutMs('GetOperationStatus')).toBe(120_000);
    expect(limits.headersTimeoutMs('FetchResults')).toBe(30_000);
    expect(limits.headersTimeoutMs('GetLog')).toBe(60_000);
  });
});
