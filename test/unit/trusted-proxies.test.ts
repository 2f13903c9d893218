import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { trustedProxies } from '../../lib/runtime';

const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/db', PIN_PEPPER: Buffer.alloc(32).toString('base64'), SECRETS_KEY: Buffer.alloc(32).toString('base64'), PAYLOAD_KEYS: `k1:${Buffer.alloc(32).toString('base64')}`, SMTP_URL: 'smtp://127.0.0.1:25', SMS_GATEWAY_URL: 'http://127.0.0.1:9/' };

describe('TRUSTED_PROXIES', () => {
  it('believes nobody in production unless told', () => {
    expect(trustedProxies(loadConfig(production))).toEqual([]);
  });
  it('believes loopback in development and test, where the local tools play many clients', () => {
    expect(trustedProxies(loadConfig({ NODE_ENV: 'development' }))).toEqual(['loopback']);
    expect(trustedProxies(loadConfig({ NODE_ENV: 'test' }))).toEqual(['loopback']);
  });
  it('takes a list, and `none` for no proxy', () => {
    expect(trustedProxies(loadConfig({ ...production, TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16' }))).toEqual(['10.0.0.5', '10.1.0.0/16']);
    expect(trustedProxies(loadConfig({ NODE_ENV: 'development', TRUSTED_PROXIES: 'none' }))).toEqual([]);
  });
});
