// The hs2 liveness probe's body (health.hs2Probe), byte for byte: every probe round sends it to
// every coordinator, so a change to it must show up here, not only in how impalad answers.
import { expect, it } from 'vitest';
import { GetInfoType } from '../../src/tools/thrift/hs2-types.ts';
import { encodeCall } from '../../src/tools/thrift/hs2.ts';
import { hs2ProbeBody } from '../../src/upstream/hs2-probe.ts';

it('is a strict-binary GetInfo CALL, seqid 0, all-zero session handle, CLI_SERVER_NAME', () => {
  expect(hs2ProbeBody.toString('hex')).toBe(
    [
      '80010001', '00000007', '476574496e666f', '00000000', // CALL, "GetInfo", seqid 0
      '0c0001', // GetInfo_args.req: TGetInfoReq
      '0c0001', // sessionHandle: TSessionHandle
      '0c0001', // sessionId: THandleIdentifier
      '0b0001', '00000010', '00'.repeat(16), // guid
      '0b0002', '00000010', '00'.repeat(16), // secret
      '00', '00', // end of THandleIdentifier, TSessionHandle
      '080002', '0000000d', // infoType: CLI_SERVER_NAME (13)
      '00', '00', // end of TGetInfoReq, GetInfo_args
    ].join(''),
  );
  // The same bytes as the generated TCLIService code writes for that call.
  const zero = Buffer.alloc(16);
  expect(hs2ProbeBody.equals(encodeCall('GetInfo', { sessionHandle: { sessionId: { guid: zero, secret: zero } }, infoType: GetInfoType.SERVER_NAME }))).toBe(true);
});
