// The HS2 client moved to src/tools/client/hs2-client.ts (the demo runs it too); tests import it from here.
export * from '../../src/tools/client/hs2-client.ts';
