/**
 * Message texts as people read them: sentences begin with a capital letter, also where a
 * sentence is put together from pieces (the remote identification's two PIN parts).
 */
import { describe, expect, it } from 'vitest';
import { dispositivoPinPartMessage } from '../../activities/templates';

const HOLDER = { name: 'Maria', surname: 'Rossi' };

describe('message texts', () => {
  it('the parts of a dispositivo PIN start every sentence with a capital, by text message and by e-mail', () => {
    for (const which of [1, 2] as const) {
      const sms = dispositivoPinPartMessage(HOLDER, 'AB12', which, 'sms').text;
      // After a full stop and a space comes a capital letter (not "…: AB12. la seconda parte").
      expect(sms).not.toMatch(/\.\s+[a-z]/);
      expect(sms).toContain('AB12');
      const mail = dispositivoPinPartMessage(HOLDER, 'AB12', which, 'email');
      expect(mail.subject).toMatch(/^INPS – (Prima|Seconda) parte del PIN dispositivo \/ (First|Second) part/);
    }
  });
});
