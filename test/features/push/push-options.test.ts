import { resolvePushOptions } from '../../../src/features/push/push-options';
import { ConfigError } from '../../../src/errors/sdk-error';

describe('resolvePushOptions', () => {
  it('has the OpenSIPS pn_* defaults', () => {
    expect(resolvePushOptions()).toEqual({
      enabled: false,
      providers: [],
      ctMatchParams: ['pn-provider', 'pn-prid', 'pn-param'],
      pnsregIntervalSec: 130,
      triggerIntervalSec: 120,
      skipPnIntervalSec: 0,
      refreshTimeoutSec: 6,
      enablePurr: false,
      purrSecret: [],
      maxPushAttempts: 3,
      pushRetrySec: 2,
      pushRetryJitter: 0.2,
    });
    expect(Object.isFrozen(resolvePushOptions())).toBe(true);
  });

  it('splits the comma lists of the module parameters and lower-cases match parameter names', () => {
    const o = resolvePushOptions({ enabled: true, providers: 'apns, fcm, webpush', ctMatchParams: 'PN-Provider, pn-prid' });
    expect(o.providers).toEqual(['apns', 'fcm', 'webpush']);
    expect(o.ctMatchParams).toEqual(['pn-provider', 'pn-prid']);
  });

  it('refuses push without providers, PURRs without a secret, and bad numbers', () => {
    expect(() => resolvePushOptions({ enabled: true })).toThrow(ConfigError);
    expect(() => resolvePushOptions({ enabled: true, providers: ' , ' })).toThrow(/providers must list/);
    expect(() => resolvePushOptions({ enabled: true, providers: ['apns'], enablePurr: true })).toThrow(/purrSecret/);
    expect(() => resolvePushOptions({ providers: ['ap"ns'] })).toThrow(/not a token/);
    expect(() => resolvePushOptions({ ctMatchParams: [] })).toThrow(/at least one/);
    expect(() => resolvePushOptions({ refreshTimeoutSec: 0 })).toThrow(/refreshTimeoutSec/);
    expect(() => resolvePushOptions({ triggerIntervalSec: -1 })).toThrow(/triggerIntervalSec/);
    expect(() => resolvePushOptions({ maxPushAttempts: 0 })).toThrow(/maxPushAttempts/);
    expect(() => resolvePushOptions({ pushRetrySec: 0 })).toThrow(/pushRetrySec/);
    expect(() => resolvePushOptions({ pushRetryJitter: 1 })).toThrow(/pushRetryJitter/);
  });

  it('keeps the PURR secrets only when PURRs are on', () => {
    expect(resolvePushOptions({ enablePurr: true, purrSecret: 'k1' }).purrSecret).toEqual(['k1']);
    expect(resolvePushOptions({ enablePurr: true, purrSecret: ['k2', 'k1'] }).purrSecret).toEqual(['k2', 'k1']);
    expect(resolvePushOptions({ purrSecret: 'k1' }).purrSecret).toEqual([]);
  });
});
