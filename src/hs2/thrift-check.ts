// TEMPORARY (replaced by the hs2checks branch).
export type ThriftCheck = { readonly ok: true } | { readonly ok: false; readonly problem: string };
export function checkThriftMessage(_body: Buffer, _isComplete: boolean): ThriftCheck {
  return { ok: true };
}
