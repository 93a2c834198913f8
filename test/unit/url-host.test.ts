// hostForUrl: the one rule ctl --config and the proxy's url()/adminUrl() connect by.
import { expect, it } from 'vitest';
import { hostForUrl } from '../../src/url-host.ts';

it('reaches a wildcard bind on the loopback of its family, brackets IPv6 and keeps anything else', () => {
  expect(hostForUrl('0.0.0.0')).toBe('127.0.0.1');
  expect(hostForUrl('::')).toBe('[::1]');
  expect(hostForUrl('::1')).toBe('[::1]');
  expect(hostForUrl('fd00::2')).toBe('[fd00::2]');
  expect(hostForUrl('10.0.0.5')).toBe('10.0.0.5');
  expect(hostForUrl('proxy.example.com')).toBe('proxy.example.com');
});
