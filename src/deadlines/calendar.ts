import { createRequire } from 'node:module';
import type Holidays from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';
import type { Brand } from '../config/brands.js';

/**
 * Working days of one brand: Monday–Friday in the brand's time zone, minus
 * the region's public holidays and the brand's own closure days. Every
 * promise in the seeds ("within N working days") is counted on this
 * calendar, so it is pure and deterministic: no clock, no I/O.
 */

export interface CalendarOptions {
  timeZone: string;
  /** ISO 3166-1 alpha-2 country, as date-holidays knows it (e.g. DE). */
  country: string;
  /** Region within the country (e.g. SL for Saarland). */
  region?: string;
  /** Extra days the desk is closed, as local dates (YYYY-MM-DD). */
  closureDays?: readonly string[];
}

export interface ExcludedDay {
  /** Local date, YYYY-MM-DD. */
  date: string;
  name: string;
  reason: 'public-holiday' | 'closure';
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A date of the calendar written YYYY-MM-DD: not 2026-02-30, not 2026-99-99. */
export function isLocalDate(value: string): boolean {
  return LOCAL_DATE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

export class WorkingDayCalendar {
  readonly timeZone: string;
  private readonly holidaySource: Holidays;
  private readonly closures: ReadonlySet<string>;
  /** Public holidays per year (date → name); the rule engine is slow enough to be worth it. */
  private readonly holidaysByYear = new Map<number, ReadonlyMap<string, string>>();
  /**
   * Answers already worked out: every message asks the same few questions
   * (today's date, the N-th working day after it), and luxon is slow enough
   * to show in a profile. Bounded, since they only grow with distinct days.
   */
  private readonly memo = new Map<string, string | boolean | Date>();
  private readonly dateFormat: Intl.DateTimeFormat;

  constructor(options: CalendarOptions) {
    if (!IANAZone.isValidZone(options.timeZone)) throw new RangeError(`unknown time zone ${options.timeZone}`);
    this.timeZone = options.timeZone;
    this.holidaySource = createHolidaySource(options.country, options.region);
    for (const day of options.closureDays ?? []) this.parseLocalDate(day);
    this.closures = new Set(options.closureDays ?? []);
    // en-CA writes dates as YYYY-MM-DD.
    this.dateFormat = new Intl.DateTimeFormat('en-CA', { timeZone: this.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  private remember<T extends string | boolean | Date>(key: string, compute: () => T): T {
    const known = this.memo.get(key);
    if (known !== undefined) return known as T;
    if (this.memo.size > 20_000) this.memo.clear();
    const value = compute();
    this.memo.set(key, value);
    return value;
  }

  /** The calendar date (YYYY-MM-DD) of an instant in this calendar's time zone. */
  localDate(instant: Date): string {
    if (Number.isNaN(instant.getTime())) throw new RangeError('invalid instant');
    return this.dateFormat.format(instant);
  }

  isWorkingDay(localDate: string): boolean {
    return this.remember(`w${localDate}`, () => {
      const day = this.parseLocalDate(localDate);
      if (day.weekday > 5) return false;
      if (this.closures.has(localDate)) return false;
      return !this.publicHolidays(day.year).has(localDate);
    });
  }

  /**
   * The local date that is `n` working days after (n > 0) or before (n < 0)
   * `localDate`. The starting day itself never counts, working day or not.
   */
  addWorkingDays(localDate: string, n: number): string {
    if (!Number.isInteger(n)) throw new RangeError(`working days must be a whole number, got ${n}`);
    return this.remember(`a${localDate}|${n}`, () => this.countWorkingDays(localDate, n));
  }

  private countWorkingDays(localDate: string, n: number): string {
    let day = this.parseLocalDate(localDate);
    const step = Math.sign(n);
    for (let remaining = Math.abs(n); remaining > 0; ) {
      day = day.plus({ days: step });
      if (this.isWorkingDay(day.toISODate() as string)) remaining -= 1;
    }
    return day.toISODate() as string;
  }

  /**
   * "Within N working days": the end (23:59:59.999 local) of the N-th working
   * day after the local day of receipt. The day of receipt never counts, so a
   * message arriving at 08:00 on a Monday gets the same deadline as one
   * arriving at 23:00 — the seeds promise days, not hours.
   */
  withinWorkingDays(receivedAt: Date, n: number): Date {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`expected a positive whole number of working days, got ${n}`);
    return this.endOfLocalDay(this.addWorkingDays(this.localDate(receivedAt), n));
  }

  /** Clock hours, working day or not: the two-step policy promises "within 24 hours". */
  addHours(instant: Date, hours: number): Date {
    return new Date(instant.getTime() + hours * MS_PER_HOUR);
  }

  /** The last millisecond of a local day; across a DST switch the UTC offset is that day's. */
  endOfLocalDay(localDate: string): Date {
    return new Date(this.remember(`e${localDate}`, () => this.parseLocalDate(localDate).endOf('day').toJSDate()).getTime());
  }

  startOfLocalDay(localDate: string): Date {
    return this.parseLocalDate(localDate).startOf('day').toJSDate();
  }

  /**
   * Working time from `from` to `to` in whole minutes, negative when `to` is
   * earlier. Working time is the elapsed clock time that falls on working
   * days, all 24 hours of them (23 or 25 on a DST switch), not office hours:
   * deadlines are promised "by the end of a working day", so a reply at
   * 22:00 on the due day is on time, and a breach on Friday night that runs
   * over a weekend has grown by nothing by Monday 00:00. Records SLA margins.
   */
  workingMinutesBetween(from: Date, to: Date): number {
    if (to.getTime() < from.getTime()) return -this.workingMinutesBetween(to, from);
    let elapsed = 0;
    let cursor = this.toLocal(from);
    const end = to.getTime();
    while (cursor.toMillis() < end) {
      const nextDay = cursor.startOf('day').plus({ days: 1 });
      const segmentEnd = Math.min(nextDay.toMillis(), end);
      if (this.isWorkingDay(cursor.toISODate() as string)) elapsed += segmentEnd - cursor.toMillis();
      cursor = nextDay;
    }
    return Math.round(elapsed / MS_PER_MINUTE);
  }

  /** Days of `year` excluded on top of weekends (public holidays, then closures not already one), in date order. */
  holidays(year: number): ExcludedDay[] {
    const excluded: ExcludedDay[] = [];
    for (const [date, name] of this.publicHolidays(year)) excluded.push({ date, name, reason: 'public-holiday' });
    for (const date of this.closures) {
      if (date.startsWith(`${year}-`) && !this.publicHolidays(year).has(date)) {
        excluded.push({ date, name: 'Closure day', reason: 'closure' });
      }
    }
    return excluded.sort((a, b) => a.date.localeCompare(b.date));
  }

  private publicHolidays(year: number): ReadonlyMap<string, string> {
    let byDate = this.holidaysByYear.get(year);
    if (!byDate) {
      // date-holidays reports the local calendar date first ("2026-12-25 00:00:00"); the
      // date alone is what counts, whichever zone the brand answers from.
      byDate = new Map(this.holidaySource.getHolidays(year).map((holiday) => [holiday.date.slice(0, 10), holiday.name]));
      this.holidaysByYear.set(year, byDate);
    }
    return byDate;
  }

  private toLocal(instant: Date): DateTime {
    if (Number.isNaN(instant.getTime())) throw new RangeError('invalid instant');
    return DateTime.fromJSDate(instant, { zone: this.timeZone });
  }

  private parseLocalDate(localDate: string): DateTime {
    const day = LOCAL_DATE.test(localDate) ? DateTime.fromISO(localDate, { zone: this.timeZone }) : undefined;
    if (!day?.isValid) throw new RangeError(`expected a local date YYYY-MM-DD, got ${JSON.stringify(localDate)}`);
    return day;
  }
}

// date-holidays holds every country's rules (about 10 MB once loaded): it is
// loaded by the first process that computes a deadline, not by every SMTP listener.
let holidaysClass: typeof Holidays | undefined;

/**
 * Only type 'public' counts: 24 and 31 December are 'bank' holidays in
 * Germany and the desk works then. date-holidays answers an unknown country
 * or region with fewer (or no) holidays instead of an error, so check first.
 */
function createHolidaySource(country: string, region: string | undefined): Holidays {
  holidaysClass ??= createRequire(import.meta.url)('date-holidays') as typeof Holidays;
  const HolidaySource: typeof Holidays = holidaysClass;
  const probe = new HolidaySource();
  if (!(country.toUpperCase() in probe.getCountries())) throw new RangeError(`date-holidays does not know country ${country}`);
  if (region !== undefined && !(region.toUpperCase() in (probe.getStates(country) ?? {}))) {
    throw new RangeError(`date-holidays does not know region ${region} of ${country}`);
  }
  const options = { types: ['public' as const] };
  return region === undefined ? new HolidaySource(country, options) : new HolidaySource(country, region, options);
}

const brandCalendars = new Map<string, { signature: string; calendar: WorkingDayCalendar }>();

/**
 * One calendar per brand id, so holiday years are computed once per process.
 * The signature check rebuilds it when a reloaded brands file changed the
 * brand's zone, region or closures under the same id.
 */
export function calendarForBrand(brand: Brand): WorkingDayCalendar {
  const options: CalendarOptions = {
    timeZone: brand.timeZone,
    country: brand.holidays.country,
    region: brand.holidays.region,
    closureDays: brand.closureDays,
  };
  const signature = JSON.stringify(options);
  const cached = brandCalendars.get(brand.id);
  if (cached?.signature === signature) return cached.calendar;
  const calendar = new WorkingDayCalendar(options);
  brandCalendars.set(brand.id, { signature, calendar });
  return calendar;
}
