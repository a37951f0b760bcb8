import { describe, expect, it } from 'vitest';
import { parseBrands, type Brand } from '../../src/config/brands.js';
import { detectEscalation, ESCALATION_MARKERS } from '../../src/deadlines/escalation-markers.js';
import { DEADLINE_KINDS, dueAt, dueDatesFor, reminderAt } from '../../src/deadlines/policies.js';

// Expectations worked out by hand: Saarland holidays, Berlin time
// (end of a local day = 22:59:59.999Z in winter, 21:59:59.999Z in summer).
function brandWith(policy: 'standard' | 'two-step', extra = ''): Brand {
  const yaml = `
brands:
  - id: policy-${policy}
    name: Policy test
    domains: [${policy}.example]
    mailboxes: { complaints: {} }
    languages: [en]
    defaultLanguage: en
    timeZone: Europe/Berlin
    holidays: { country: DE, region: SL }
    policy: ${policy}
    specialistAddress: team@example.com
    staff: ['*@example.com']
${extra}`;
  return parseBrands(yaml, 'test')[0] as Brand;
}

const standard = brandWith('standard');
const twoStep = brandWith('two-step');
const at = (iso: string) => new Date(iso);

describe('deadline kinds', () => {
  it('are the seven the case model stores: the complaint procedure, the hearing, and the DNS-abuse clock', () => {
    expect(DEADLINE_KINDS).toEqual(['acknowledge', 'respond', 'escalation_window', 'final_response', 'customer_response', 'review', 'mitigate']);
  });
});

describe('the DNS-abuse clock (ICANN 2024 advisory)', () => {
  const received = at('2026-12-23T15:00:00Z'); // Wednesday before Christmas, 16:00 in Berlin

  it('reviews within 24 hours and decides within 2 working days by default', () => {
    expect(dueAt(standard, 'review', received)).toEqual(at('2026-12-24T15:00:00Z'));
    // Thu 24 (1), 25 and 26 holidays, weekend, Mon 28 (2)
    expect(dueAt(standard, 'mitigate', received)).toEqual(at('2026-12-28T22:59:59.999Z'));
  });

  it('takes the brand’s own figures', () => {
    const brand = brandWith('standard', '    dnsAbuse: { reviewHours: 4, decisionWorkingDays: 1, newDomainDays: 10 }');
    expect(dueAt(brand, 'review', received)).toEqual(at('2026-12-23T19:00:00Z'));
    expect(dueAt(brand, 'mitigate', received)).toEqual(at('2026-12-24T22:59:59.999Z'));
  });
});

describe('standard policy', () => {
  const received = at('2026-12-18T10:00:00Z'); // Friday

  it('acknowledges within 2 and responds within 10 working days of receipt', () => {
    expect(dueAt(standard, 'acknowledge', received)).toEqual(at('2026-12-22T22:59:59.999Z'));
    expect(dueAt(standard, 'respond', received)).toEqual(at('2027-01-05T22:59:59.999Z'));
  });

  it('leaves 20 working days to escalate after our response', () => {
    // response Tue 5 Jan 2027: 6–8 (3), 11–15 (8), 18–22 (13), 25–29 (18), Mon 1 Feb (19), Tue 2 Feb (20)
    expect(dueAt(standard, 'escalation_window', at('2027-01-05T10:00:00Z'))).toEqual(at('2027-02-02T22:59:59.999Z'));
  });

  it('gives the escalated complaint a final response within 10 working days', () => {
    // escalation Mon 11 May 2026: 12, 13 (2), Ascension 14, 15 (3), 18–22 (8), Whit Monday 25, 26 (9), 27 (10)
    expect(dueAt(standard, 'final_response', at('2026-05-11T09:00:00Z'))).toEqual(at('2026-05-27T21:59:59.999Z'));
  });

  it('gives the customer the brand’s customerResponseWorkingDays', () => {
    const patient = brandWith('standard', '    customerResponseWorkingDays: 3');
    // asked Wed 3 June 2026: Corpus Christi 4, Fri 5 (1), Mon 8 (2), Tue 9 (3)
    expect(dueAt(patient, 'customer_response', at('2026-06-03T09:00:00Z'))).toEqual(at('2026-06-09T21:59:59.999Z'));
    // the default is 2: Fri 5 (1), Mon 8 (2)
    expect(dueAt(standard, 'customer_response', at('2026-06-03T09:00:00Z'))).toEqual(at('2026-06-08T21:59:59.999Z'));
  });

  it('summarises what is known at receipt', () => {
    expect(dueDatesFor(standard, received)).toEqual({
      policy: 'standard',
      receivedAt: received,
      acknowledge: at('2026-12-22T22:59:59.999Z'),
      respond: at('2027-01-05T22:59:59.999Z'),
      escalation_window_days: 20,
      final_response_days: 10,
      escalation_steps: 1,
      customer_response_days: 2,
    });
  });
});

describe('two-step policy', () => {
  it('acknowledges within 24 clock hours, holidays and weekends included', () => {
    expect(dueAt(twoStep, 'acknowledge', at('2026-12-24T15:00:00Z'))).toEqual(at('2026-12-25T15:00:00Z'));
    // Saturday 28 March 23:30 CET: 24 hours later is Monday 00:30 CEST
    expect(dueAt(twoStep, 'acknowledge', at('2026-03-28T22:30:00Z'))).toEqual(at('2026-03-29T22:30:00Z'));
  });

  it('responds, and answers each escalation step, within 10 working days', () => {
    // received Sat 28 March 2026: 30, 31, 1, 2 (4), Good Friday, weekend, Easter Monday, 7–10 (8), 13 (9), 14 (10)
    expect(dueAt(twoStep, 'respond', at('2026-03-28T22:30:00Z'))).toEqual(at('2026-04-14T21:59:59.999Z'));
    expect(dueAt(twoStep, 'final_response', at('2026-03-28T22:30:00Z'))).toEqual(at('2026-04-14T21:59:59.999Z'));
  });

  it('summarises what is known at receipt', () => {
    const received = at('2026-12-18T10:00:00Z');
    expect(dueDatesFor(twoStep, received)).toEqual({
      policy: 'two-step',
      receivedAt: received,
      acknowledge: at('2026-12-19T10:00:00Z'),
      respond: at('2027-01-05T22:59:59.999Z'),
      escalation_window_days: 20,
      final_response_days: 10,
      escalation_steps: 2,
      customer_response_days: 2,
    });
  });
});

describe('reminders', () => {
  const received = at('2026-12-18T10:00:00Z');

  it('fall at the end of the working day that leaves reminderWorkingDays before the due day', () => {
    // respond due Tue 5 Jan 2027; two working days before it: Mon 4 (1), Thu 31 Dec (2)
    expect(reminderAt(standard, 'respond', received)).toEqual(at('2026-12-31T22:59:59.999Z'));
  });

  it('are only for what a specialist owes, and only when switched on', () => {
    expect(reminderAt(standard, 'acknowledge', received)).toBeNull();
    expect(reminderAt(standard, 'escalation_window', received)).toBeNull();
    expect(reminderAt(standard, 'customer_response', received)).toBeNull();
    expect(reminderAt(brandWith('standard', '    reminderWorkingDays: 0'), 'respond', received)).toBeNull();
  });

  it('are dropped when they would not fall after the start', () => {
    const early = brandWith('standard', '    reminderWorkingDays: 10');
    // ten working days before the due day is the day of receipt itself: its end is still ahead at 11:00
    expect(reminderAt(early, 'respond', received)).toEqual(at('2026-12-18T22:59:59.999Z'));
    expect(reminderAt(early, 'respond', at('2026-12-18T22:59:59.999Z'))).toBeNull();
  });
});

describe('detectEscalation, standard policy', () => {
  it.each([
    ['Complaint: no answer about example.net', 'Complaint'],
    ['Re: BESCHWERDE wegen Spam', 'Beschwerde'],
    ['Beschwerde-Eskalation', 'Beschwerde'],
    ['Nouvelle plainte concernant spam.example', 'plainte'],
    ['Réclamation', 'réclamation'],
    ['RECLAMATION sans accent', 'réclamation'],
    ['AW: [#123] klacht over domein', 'klacht'],
  ])('%s → step 1 (%s)', (subject, marker) => {
    expect(detectEscalation(subject, 'standard')).toMatchObject({ step: 1, marker: { text: marker } });
  });

  it.each(['Complaints department', 'Spam report for example.net', 'complaintive tone', 'Klachtescalatie', ''])(
    '%s is not a marked escalation',
    (subject) => {
      expect(detectEscalation(subject, 'standard')).toBeNull();
    },
  );
});

describe('detectEscalation, two-step policy', () => {
  it.each([
    ['Transmission de réclamation - Etape 1', 1],
    ['TRANSMISSION DE RECLAMATION – ÉTAPE 2', 2],
    ['Re: [Ticket 123] «Transmission de réclamation - Etape 1» domaine.example', 1],
    ['Complaint escalation - Step 2', 2],
    ['Fwd: complaint escalation: step 1', 1],
    ['Beschwerdeeskalation - Stufe 1', 1],
    ['Beschwerde-Eskalation – Stufe 2', 2],
    ['Klachtescalatie - Stap 2', 2],
  ])('%s → step %i', (subject, step) => {
    expect(detectEscalation(subject, 'two-step')?.step).toBe(step);
  });

  it.each(['Réclamation', 'Complaint', 'Transmission de réclamation - Etape 10', 'Complaint escalation - Step 3', 'Etape 1'])(
    '%s is not a marked escalation',
    (subject) => {
      expect(detectEscalation(subject, 'two-step')).toBeNull();
    },
  );

  it('every published marker is recognised as its own step', () => {
    for (const policy of ['standard', 'two-step'] as const) {
      for (const marker of ESCALATION_MARKERS[policy]) {
        expect(detectEscalation(`Re: ${marker.text}`, policy)?.step).toBe(marker.step);
      }
    }
  });
});
