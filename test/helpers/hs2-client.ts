// The HS2 client moved to src/client/hs2-client.ts (the demo runs it too); tests import it from here.
export * from '../../src/client/hs2-client.ts';
