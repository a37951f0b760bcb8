import { describe, expect, it } from 'vitest';
import type { Brand } from '../../src/config/brands.js';
import { calendarForBrand, WorkingDayCalendar } from '../../src/deadlines/calendar.js';

// Every expectation below is worked out by hand from a wall calendar:
// Berlin is UTC+1 (CET) in winter and UTC+2 (CEST) from 2026-03-29 to 2026-10-25,
// so the end of a local day is 22:59:59.999Z in winter and 21:59:59.999Z in summer.
const saarland = new WorkingDayCalendar({ timeZone: 'Europe/Berlin', country: 'DE', region: 'SL' });
const at = (iso: string) => new Date(iso);

const SAARLAND_2026 = [
  ['2026-01-01', 'New Year'],
  ['2026-04-03', 'Good Friday'],
  ['2026-04-06', 'Easter Monday'],
  ['2026-05-01', 'Labour Day'],
  ['2026-05-14', 'Ascension'],
  ['2026-05-25', 'Whit Monday'],
  ['2026-06-04', 'Corpus Christi'],
  ['2026-08-15', 'Assumption'],
  ['2026-10-03', 'German Unity Day'],
  ['2026-11-01', "All Saints' Day"],
  ['2026-12-25', 'Christmas Day'],
  ['2026-12-26', 'Boxing Day'],
];

const SAARLAND_2027 = [
  ['2027-01-01', 'New Year'],
  ['2027-03-26', 'Good Friday'],
  ['2027-03-29', 'Easter Monday'],
  ['2027-05-01', 'Labour Day'],
  ['2027-05-06', 'Ascension'],
  ['2027-05-17', 'Whit Monday'],
  ['2027-05-27', 'Corpus Christi'],
  ['2027-08-15', 'Assumption'],
  ['2027-10-03', 'German Unity Day'],
  ['2027-11-01', "All Saints' Day"],
  ['2027-12-25', 'Christmas Day'],
  ['2027-12-26', 'Boxing Day'],
];

describe('Saarland public holidays', () => {
  it.each([
    [2026, SAARLAND_2026],
    [2027, SAARLAND_2027],
  ])('%i lists exactly the twelve public holidays, not 24 or 31 December', (year, expected) => {
    const listed = saarland.holidays(year);
    expect(listed.map((day) => day.date)).toEqual(expected.map(([date]) => date));
    for (const day of listed) {
      expect(day.reason).toBe('public-holiday');
      expect(day.name.length).toBeGreaterThan(0);
    }
  });

  it.each([...SAARLAND_2026, ...SAARLAND_2027])('%s (%s) is not a working day', (date) => {
    expect(saarland.isWorkingDay(date as string)).toBe(false);
  });

  it('names holidays', () => {
    const names = new Map(saarland.holidays(2026).map((day) => [day.date, day.name]));
    expect(names.get('2026-04-03')).toBe('Karfreitag');
    expect(names.get('2026-06-04')).toBe('Fronleichnam');
  });

  it.each(['2026-12-24', '2026-12-31', '2027-12-24', '2027-12-31'])('%s (a bank holiday only) is a working day', (date) => {
    expect(saarland.isWorkingDay(date)).toBe(true);
  });

  it('weekends are never working days; ordinary weekdays are', () => {
    expect(saarland.isWorkingDay('2026-03-07')).toBe(false); // Saturday
    expect(saarland.isWorkingDay('2026-03-08')).toBe(false); // Sunday
    expect(saarland.isWorkingDay('2026-03-09')).toBe(true); // Monday
    expect(saarland.isWorkingDay('2026-03-13')).toBe(true); // Friday
  });

  it('other regions differ: Epiphany is a holiday in Bavaria, not in Saarland', () => {
    const bavaria = new WorkingDayCalendar({ timeZone: 'Europe/Berlin', country: 'DE', region: 'BY' });
    expect(bavaria.isWorkingDay('2026-01-06')).toBe(false);
    expect(saarland.isWorkingDay('2026-01-06')).toBe(true);
  });
});

describe('local dates', () => {
  it('23:30 UTC on a Sunday is already Monday in Berlin', () => {
    expect(saarland.localDate(at('2026-03-01T23:30:00Z'))).toBe('2026-03-02');
    expect(saarland.localDate(at('2026-07-05T23:30:00Z'))).toBe('2026-07-06');
    expect(saarland.localDate(at('2026-03-01T22:59:59.999Z'))).toBe('2026-03-01');
  });

  it('a Sunday-night message counts from Monday: two working days end on Wednesday', () => {
    expect(saarland.withinWorkingDays(at('2026-03-01T23:30:00Z'), 2)).toEqual(at('2026-03-04T22:59:59.999Z'));
    // an hour and a half earlier it is still Sunday in Berlin: Monday and Tuesday count
    expect(saarland.withinWorkingDays(at('2026-03-01T22:00:00Z'), 2)).toEqual(at('2026-03-03T22:59:59.999Z'));
  });
});

describe('withinWorkingDays', () => {
  it('received Friday 18 December 2026: acknowledge by Tuesday 22, respond by Tuesday 5 January', () => {
    const received = at('2026-12-18T10:00:00Z');
    // Mon 21 (1), Tue 22 (2)
    expect(saarland.withinWorkingDays(received, 2)).toEqual(at('2026-12-22T22:59:59.999Z'));
    // 21, 22, 23, 24 (4), 25 and 26 holidays, 27 Sunday, 28, 29, 30, 31 (8), 1 Jan holiday, weekend, Mon 4 (9), Tue 5 (10)
    expect(saarland.withinWorkingDays(received, 10)).toEqual(at('2027-01-05T22:59:59.999Z'));
  });

  it('never counts the day of receipt, early or late, working day or not', () => {
    // Monday 2 March 2026 at 08:00 and at 23:00 Berlin time
    expect(saarland.withinWorkingDays(at('2026-03-02T07:00:00Z'), 1)).toEqual(at('2026-03-03T22:59:59.999Z'));
    expect(saarland.withinWorkingDays(at('2026-03-02T22:00:00Z'), 1)).toEqual(at('2026-03-03T22:59:59.999Z'));
    // Saturday 7 March: Monday is the first working day after it
    expect(saarland.withinWorkingDays(at('2026-03-07T12:00:00Z'), 1)).toEqual(at('2026-03-09T22:59:59.999Z'));
  });

  it('spring DST switch (2026-03-29): a deadline after it ends at 23:59:59.999+02:00', () => {
    // received Friday 27 March: Monday 30 is in summer time
    expect(saarland.withinWorkingDays(at('2026-03-27T10:00:00Z'), 1)).toEqual(at('2026-03-30T21:59:59.999Z'));
    // received Thursday 26: Friday 27 is still winter time
    expect(saarland.withinWorkingDays(at('2026-03-26T10:00:00Z'), 1)).toEqual(at('2026-03-27T22:59:59.999Z'));
    expect(saarland.endOfLocalDay('2026-03-28')).toEqual(at('2026-03-28T22:59:59.999Z'));
    expect(saarland.endOfLocalDay('2026-03-29')).toEqual(at('2026-03-29T21:59:59.999Z'));
  });

  it('autumn DST switch (2026-10-25): a deadline after it ends at 23:59:59.999+01:00', () => {
    // received Friday 23 October: Monday 26 is back in winter time
    expect(saarland.withinWorkingDays(at('2026-10-23T10:00:00Z'), 1)).toEqual(at('2026-10-26T22:59:59.999Z'));
    // received Wednesday 21: Thursday 22 is still summer time
    expect(saarland.withinWorkingDays(at('2026-10-21T10:00:00Z'), 1)).toEqual(at('2026-10-22T21:59:59.999Z'));
    expect(saarland.startOfLocalDay('2026-10-25')).toEqual(at('2026-10-24T22:00:00.000Z'));
    expect(saarland.endOfLocalDay('2026-10-25')).toEqual(at('2026-10-25T22:59:59.999Z'));
  });

  it('skips extra closure days', () => {
    const closed = new WorkingDayCalendar({
      timeZone: 'Europe/Berlin',
      country: 'DE',
      region: 'SL',
      closureDays: ['2026-12-21', '2026-12-22'],
    });
    expect(closed.isWorkingDay('2026-12-21')).toBe(false);
    // 21 and 22 closed: Wed 23 (1), Thu 24 (2)
    expect(closed.withinWorkingDays(at('2026-12-18T10:00:00Z'), 2)).toEqual(at('2026-12-24T22:59:59.999Z'));
    expect(closed.holidays(2026).filter((day) => day.reason === 'closure').map((day) => day.date)).toEqual(['2026-12-21', '2026-12-22']);
  });

  it('crosses the year end', () => {
    // Wed 30 Dec 2026: Thu 31 (1), 1 Jan holiday, weekend, Mon 4 (2)
    expect(saarland.withinWorkingDays(at('2026-12-30T12:00:00Z'), 2)).toEqual(at('2027-01-04T22:59:59.999Z'));
    // Thu 31 Dec 2026: Mon 4 (1), Tue 5 (2)
    expect(saarland.withinWorkingDays(at('2026-12-31T12:00:00Z'), 2)).toEqual(at('2027-01-05T22:59:59.999Z'));
    // Thu 23 Dec 2027: Fri 24 (1), Christmas on the weekend, Mon 27 (2)
    expect(saarland.withinWorkingDays(at('2027-12-23T12:00:00Z'), 2)).toEqual(at('2027-12-27T22:59:59.999Z'));
    // Thu 30 Dec 2027: Fri 31 (1), 1 Jan 2028 a Saturday, Mon 3 (2)
    expect(saarland.withinWorkingDays(at('2027-12-30T12:00:00Z'), 2)).toEqual(at('2028-01-03T22:59:59.999Z'));
  });

  it('refuses a number of working days that is not a positive whole number', () => {
    expect(() => saarland.withinWorkingDays(at('2026-03-02T10:00:00Z'), 0)).toThrow(RangeError);
    expect(() => saarland.withinWorkingDays(at('2026-03-02T10:00:00Z'), 1.5)).toThrow(RangeError);
  });
});

describe('addWorkingDays', () => {
  it('counts forwards and backwards, skipping the starting day', () => {
    expect(saarland.addWorkingDays('2027-01-05', -2)).toBe('2026-12-31');
    expect(saarland.addWorkingDays('2026-04-02', 1)).toBe('2026-04-07');
    expect(saarland.addWorkingDays('2026-04-07', -1)).toBe('2026-04-02');
    expect(saarland.addWorkingDays('2026-04-04', 0)).toBe('2026-04-04');
  });
});

describe('addHours', () => {
  it('adds clock hours across a holiday and a DST switch', () => {
    expect(saarland.addHours(at('2026-12-24T15:00:00Z'), 24)).toEqual(at('2026-12-25T15:00:00Z'));
    // Saturday 23:30 CET + 24 h = Monday 00:30 CEST
    expect(saarland.addHours(at('2026-03-28T22:30:00Z'), 24)).toEqual(at('2026-03-29T22:30:00Z'));
  });
});

describe('workingMinutesBetween', () => {
  it('counts only time that falls on working days', () => {
    // Friday 27 March 12:00 CET to Monday 30 March 12:00 CEST: 12 h + weekend (0) + 12 h
    expect(saarland.workingMinutesBetween(at('2026-03-27T11:00:00Z'), at('2026-03-30T10:00:00Z'))).toBe(24 * 60);
    // Thursday 2 April 00:00 to Tuesday 7 April 00:00 (CEST): only Thursday; Good Friday, the weekend and Easter Monday count nothing
    expect(saarland.workingMinutesBetween(at('2026-04-01T22:00:00Z'), at('2026-04-06T22:00:00Z'))).toBe(24 * 60);
  });

  it('is signed: negative when the second instant is earlier', () => {
    expect(saarland.workingMinutesBetween(at('2026-03-30T10:00:00Z'), at('2026-03-27T11:00:00Z'))).toBe(-24 * 60);
    expect(saarland.workingMinutesBetween(at('2026-03-02T10:00:00Z'), at('2026-03-02T10:30:00Z'))).toBe(30);
    expect(saarland.workingMinutesBetween(at('2026-03-02T10:00:00Z'), at('2026-03-02T10:00:00Z'))).toBe(0);
  });

  it('a weekend breach grows by nothing: Saturday night after a Friday deadline', () => {
    // deadline end of Friday 6 March (22:59:59.999Z); settled Sunday 8 March 20:00 CET
    expect(saarland.workingMinutesBetween(at('2026-03-06T22:59:59.999Z'), at('2026-03-08T19:00:00Z'))).toBe(0);
    // settled Monday 9 March 01:00 CET: one working hour late
    expect(saarland.workingMinutesBetween(at('2026-03-06T22:59:59.999Z'), at('2026-03-09T00:00:00Z'))).toBe(60);
  });
});

describe('construction', () => {
  it('refuses what it cannot count on', () => {
    expect(() => new WorkingDayCalendar({ timeZone: 'Europe/Saarbruecken', country: 'DE' })).toThrow(/time zone/);
    expect(() => new WorkingDayCalendar({ timeZone: 'Europe/Berlin', country: 'XX' })).toThrow(/country XX/);
    expect(() => new WorkingDayCalendar({ timeZone: 'Europe/Berlin', country: 'DE', region: 'ZZ' })).toThrow(/region ZZ/);
    expect(() => new WorkingDayCalendar({ timeZone: 'Europe/Berlin', country: 'DE', closureDays: ['24.12.2026'] })).toThrow(/YYYY-MM-DD/);
    expect(() => saarland.isWorkingDay('2026-02-30')).toThrow(RangeError);
  });
});

describe('calendarForBrand', () => {
  const brand = {
    id: 'calendar-test',
    timeZone: 'Europe/Berlin',
    holidays: { country: 'DE', region: 'SL' },
    closureDays: [],
  } as unknown as Brand;

  it('builds one calendar per brand and rebuilds it when the brand changes', () => {
    const first = calendarForBrand(brand);
    expect(calendarForBrand({ ...brand })).toBe(first);
    const closed = calendarForBrand({ ...brand, closureDays: ['2026-03-02'] });
    expect(closed).not.toBe(first);
    expect(closed.isWorkingDay('2026-03-02')).toBe(false);
  });
});
