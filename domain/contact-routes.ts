/**
 * Where messages to a citizen go, from the contacts registered with the PIN: the order of
 * delivery (SMS, then e-mail, then PEC) and the two distinct channels of a two-channel PIN.
 */

/** A channel a message can travel by. */
export type Channel = 'sms' | 'email' | 'pec';

/** The contacts as a credential stores them (only the addresses matter here). */
export interface ContactAddresses {
  mobile?: string;
  email?: string;
  pec?: string;
}

/** Channels the first half and notices go to, in delivery order. */
export function contactChannels(contacts: ContactAddresses): { channel: Channel; recipient: string }[] {
  const out: { channel: Channel; recipient: string }[] = [];
  if (contacts.mobile) out.push({ channel: 'sms', recipient: contacts.mobile });
  if (contacts.email) out.push({ channel: 'email', recipient: contacts.email });
  if (contacts.pec) out.push({ channel: 'pec', recipient: contacts.pec });
  return out;
}

/**
 * The two channels of a two-channel PIN: the first half by SMS (e-mail without a mobile), the
 * second to the PEC or e-mail, never the same channel twice. Undefined when fewer than two.
 */
export function twoChannelRoute(contacts: ContactAddresses): { first: Channel; second: Channel } | undefined {
  const have = (['sms', 'email', 'pec'] as const).filter((c) => (c === 'sms' ? contacts.mobile : contacts[c]));
  const first = have[0];
  const second = (['pec', 'email'] as const).find((c) => c !== first && have.includes(c));
  return first && second ? { first, second } : undefined;
}
