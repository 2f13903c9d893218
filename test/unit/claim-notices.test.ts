/**
 * What a claimant is told when a claim is filed (activities/templates.ts), and the rule that says
 * whether it was held for a dispositivo PIN when filed (domain/claims.ts).
 */
import { describe, expect, it } from 'vitest';
import { heldAtFiling } from '../../domain/claims';
import { claimReceivedMessage } from '../../activities/templates';

const holder = { name: 'Ada', surname: 'Rossi' };
const claim = { protocol: 'INPS.2026.00000042', name: { it: 'Congedo parentale', en: 'Parental leave' }, receivedAt: '2026-12-05T08:14:00Z', held: true, byDelegate: false };

describe('the claim-received notice', () => {
  it('names the protocol, the claim and the received time in Italian time, in Italian then English', () => {
    const m = claimReceivedMessage(holder, claim);
    expect(m.subject).toBe('INPS – Domanda ricevuta (INPS.2026.00000042) / Claim received (INPS.2026.00000042)');
    const [it_, en] = m.text.split(/\n(?=Dear )/);
    expect(it_).toContain('Buongiorno Ada Rossi,');
    expect(it_).toContain('«Congedo parentale» il 5 dic 2026, 09:14 (ora italiana): numero di protocollo INPS.2026.00000042');
    expect(it_).toContain('Il termine è rispettato dalla data e dall’ora di ricezione.');
    expect(it_).toContain('quando il tuo PIN sarà dispositivo');
    expect(en).toContain('“Parental leave” on 5 Dec 2026, 09:14 (Italian time): protocol number INPS.2026.00000042');
    expect(en).toContain('once your PIN is a dispositivo PIN');
    expect(m.text).not.toContain('delegat');
  });

  it('says when the claim went to processing at once, and when a delegate filed it', () => {
    const m = claimReceivedMessage(holder, { ...claim, held: false, byDelegate: true });
    expect(m.text).toContain('La domanda è stata avviata alla lavorazione');
    expect(m.text).toContain('The claim has been sent to processing');
    expect(m.text).not.toContain('dispositivo');
    expect(m.text).toContain('La domanda è stata presentata per te dal tuo delegato.');
    expect(m.text).toContain('The claim was filed for you by your delegate.');
  });
});

describe('held when filed', () => {
  it('reads it from the row: waiting, released by a conversion, cancelled with the PIN, withdrawn before processing', () => {
    const at = new Date('2026-12-05T08:14:00Z');
    expect(heldAtFiling({ status: 'waiting_for_dispositivo', releasedByConversion: false, processingAt: null })).toBe(true);
    expect(heldAtFiling({ status: 'in_processing', releasedByConversion: true, processingAt: at })).toBe(true);
    expect(heldAtFiling({ status: 'cancelled', releasedByConversion: false, processingAt: null })).toBe(true);
    expect(heldAtFiling({ status: 'withdrawn', releasedByConversion: false, processingAt: null })).toBe(true);
    expect(heldAtFiling({ status: 'released', releasedByConversion: false, processingAt: null })).toBe(false);
    expect(heldAtFiling({ status: 'in_processing', releasedByConversion: false, processingAt: at })).toBe(false);
    expect(heldAtFiling({ status: 'withdrawn', releasedByConversion: false, processingAt: at })).toBe(false);
    expect(heldAtFiling({ status: 'accepted', releasedByConversion: false, processingAt: at })).toBe(false);
  });
});
