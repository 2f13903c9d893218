import { describe, expect, it } from 'vitest';
import { codiceFiscaleFromFiscalNumber, methodFromAmr, pendingSignInFrom } from '../../services/identity/citizen-identity';

describe('the attributes the identity provider asserts', () => {
  it('reads the codice fiscale from SPID’s fiscal number (TINIT-…) or bare, and refuses a malformed one', () => {
    expect(codiceFiscaleFromFiscalNumber('TINIT-RMNGLI90E49H501D')).toBe('RMNGLI90E49H501D');
    expect(codiceFiscaleFromFiscalNumber('tinit-rmngli90e49h501d')).toBe('RMNGLI90E49H501D');
    expect(codiceFiscaleFromFiscalNumber('RMNGLI90E49H501D')).toBe('RMNGLI90E49H501D');
    // A wrong check character, another country's prefix, not a string.
    expect(codiceFiscaleFromFiscalNumber('TINIT-RMNGLI90E49H501A')).toBeUndefined();
    expect(codiceFiscaleFromFiscalNumber('TINFR-RMNGLI90E49H501D')).toBeUndefined();
    expect(codiceFiscaleFromFiscalNumber(undefined)).toBeUndefined();
    expect(codiceFiscaleFromFiscalNumber(42)).toBeUndefined();
  });

  it('takes the method from amr, else the configured default', () => {
    expect(methodFromAmr(['cie'], 'SPID')).toBe('CIE');
    expect(methodFromAmr(['pwd', 'cns'], 'SPID')).toBe('CNS');
    expect(methodFromAmr(['otp'], 'CIE')).toBe('CIE');
    expect(methodFromAmr(undefined, 'SPID')).toBe('SPID');
    expect(methodFromAmr('spid', 'CIE')).toBe('CIE');
  });

  it('accepts a pending sign-in read back from its cookie only when whole', () => {
    const whole = { state: 's', nonce: 'n', codeVerifier: 'v', redirectUri: 'http://x/cb' };
    expect(pendingSignInFrom(whole)).toEqual(whole);
    expect(pendingSignInFrom({ ...whole, codeVerifier: '' })).toBeUndefined();
    expect(pendingSignInFrom({ ...whole, returnTo: 3 })).toBeUndefined();
    expect(pendingSignInFrom('text')).toBeUndefined();
    expect(pendingSignInFrom(undefined)).toBeUndefined();
  });
});
