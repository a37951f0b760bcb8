import { isIP } from 'node:net';
import { bullets, capitalize, formatDate, maskAddresses, paragraphs, verbatim, withSubject } from './format.js';
import {
  DEFAULT_ESCALATION_WORKING_DAYS,
  DEFAULT_RESPONSE_WORKING_DAYS,
  ESCALATION_ITEMS,
  ESCALATION_KEYWORD,
  type CaseKind,
  type EscalationItem,
  type LanguageTexts,
  type Measure,
  type MeasureTaken,
  type RenderedMessage,
  type ReportAbuseType,
} from './types.js';

// Wording follows the registrar's published English procedure (seed 000).

const date = (value: Date, timeZone: string): string => formatDate(value, 'en', timeZone);

const greeting = 'Dear Sir or Madam,';
const customerGreeting = 'Dear Customer,';

const signature = (brandName: string): string => `Kind regards,\n\nCustomer Service / Abuse Department\n${brandName}`;

const replyHint = (ticket: string): string =>
  `If you write to us about this case, please reply to this email and keep the ticket number [${ticket}] in the subject line.`;

const measureNoun = (measure: Measure, target: string): string =>
  ({
    'suspend-domain': `suspension of the domain name ${target}`,
    'block-account': `blocking of the user account ${target}`,
    'deactivate-service': `deactivation of the service ${target}`,
  })[measure];

const measuresTaken = (measures: readonly MeasureTaken[]): string =>
  measures.length === 0
    ? 'No measures have been taken.'
    : `We have taken the following measures:\n${bullets(measures.map((m) => capitalize(measureNoun(m.measure, m.target))))}`;

const escalationItem = (item: EscalationItem, keyword: string): string =>
  ({
    contact: 'your name and contact details, and account information if appropriate',
    reference: 'the ticket number or other details of your previous complaint',
    domains: 'the domain name(s) concerned',
    description: 'a clear description of your concern or complaint',
    desired_steps: 'what steps you would like us to take to resolve the issue',
    keyword: `the word “${keyword}”, written clearly in the subject line of your email`,
  })[item];

const ackNoun: Record<Exclude<CaseKind, 'feedback'>, string> = { abuse: 'report', complaint: 'complaint' };

const feedbackThanks = (ticket: string): string =>
  paragraphs(
    `Thank you for your feedback, which we have recorded under ticket number ${ticket}. We have passed it on to the relevant department or project team.`,
    'We value the opinions of our customers, as we are always striving to improve our service level. Thank you for taking the time to help us towards that goal.',
  ).trimEnd();

/** What a hearing is about: a domain name, or a service at one of our IP addresses. */
const concerning = (resource: string): string => (isIP(resource) !== 0 ? `your service at ${resource}` : `your domain name ${resource}`);

const spamMessageMissing = (v: { ticket: string; brandName: string }): RenderedMessage => ({
    subject: 'Please send us the complete spam message',
    text: paragraphs(
      greeting,
      `Thank you for your spam report, which we have recorded under ticket number ${v.ticket}.`,
      'To process a spam complaint, we need the complete spam message including all header information. Your report does not contain it, so we cannot yet check where the message really came from. Please note that the “From” field alone is no conclusive evidence, because the sender shown there can easily be forged.',
      'Please send us the spam message as an attachment (an .eml file, of type message/rfc822). In most email programs you select the message and choose “Forward as attachment”. If your program cannot do this, save the message as a file (.eml) and attach it, or copy its complete source (“Show original” or “View source”) into your reply.',
      `To do so, please reply to this email and keep the ticket number [${v.ticket}] in the subject line. Your case will be on hold until we receive the message.`,
      signature(v.brandName),
    ),
});

const abuseNoun = (type: ReportAbuseType | undefined): string =>
  ({ phishing: 'phishing', malware: 'malware', botnet: 'botnet', pharming: 'pharming', spam: 'spam', other: 'reported' })[type ?? 'other'];

const abuseUse = (type: ReportAbuseType): string =>
  ({ phishing: 'phishing', malware: 'spreading malware', botnet: 'a botnet', pharming: 'pharming', spam: 'sending spam', other: 'abuse' })[type];

export const en: LanguageTexts = {
  acknowledgement: (v) => {
    if (v.caseKind === 'feedback') {
      return {
        subject: withSubject('Thank you for your feedback', v.originalSubject),
        text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
      };
    }
    const noun = ackNoun[v.caseKind];
    const days = v.responseWorkingDays ?? DEFAULT_RESPONSE_WORKING_DAYS;
    return {
      subject: withSubject(v.caseKind === 'abuse' ? 'Your abuse report has been received' : 'Your complaint has been received', v.originalSubject),
      text: paragraphs(
        greeting,
        `Thank you for your ${noun}. We have received it and recorded it under ticket number ${v.ticket}.`,
        `What happens next? We will now fully investigate your ${noun} and aim to respond within ${days} working days, that is by ${date(v.respondBy, v.timeZone)}. If the situation requires a longer investigation, we will contact you before then to let you know when you can expect our response. Your ${noun} will also be kept on file to enable us to monitor the number and types of complaints we receive.`,
        v.caseKind === 'abuse' &&
          'If your report concerns an email (spam or phishing), the complete message including all header information, preferably as an attachment, helps us to act. If your report did not include it, please send it to us by replying to this email. We will inform you of the results of our review and of any measures taken.',
        replyHint(v.ticket),
        signature(v.brandName),
      ),
    };
  },

  incomplete_report: (v) => {
    const missing = v.missing ?? 'message';
    if (missing === 'message') return spamMessageMissing(v);
    const what = {
      url: `the address (URL) of the ${abuseNoun(v.abuseType)} page or file, or at least the domain name concerned`,
      domain_or_ip: 'the domain name or IP address of the command-and-control server or of the infected system',
      resource: 'the domain name, web address (URL) or IP address concerned',
    }[missing];
    return {
      subject: 'We need more information about your report',
      text: paragraphs(
        greeting,
        `Thank you for your report, which we have recorded under ticket number ${v.ticket}.`,
        `To act on it we need ${what}. Your report does not name it, so we cannot yet check it.`,
        'You may write it as it is or “defanged” (for example hxxps://example[.]com/login): we read both.',
        `Please reply to this email and keep the ticket number [${v.ticket}] in the subject line. Your case will be on hold until we receive it.`,
        signature(v.brandName),
      ),
    };
  },

  escalation_received: (v) => ({
    subject: v.step ? `Your escalated complaint (step ${v.step}) has been received` : 'Your escalated complaint has been received',
    text: paragraphs(
      greeting,
      `We have received your escalated complaint regarding ticket ${v.ticket}${v.step ? ` (step ${v.step})` : ''}.${v.step === 2 ? ' It has been passed on to our management.' : ''} We give our commitment that your concerns will be fully investigated. You should receive a final response by ${date(v.finalResponseBy, v.timeZone)}.`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  escalation_missing_info: (v) => ({
    subject: 'Your escalated complaint: information missing',
    text: paragraphs(
      greeting,
      `Thank you for your message regarding ticket ${v.ticket}. To handle an escalated complaint, we need the following information, which is missing from your message:`,
      bullets(ESCALATION_ITEMS.filter((item) => v.missing.includes(item)).map((item) => escalationItem(item, v.keyword))),
      `Please reply to this email with the missing information and keep the ticket number [${v.ticket}] in the subject line. We will handle your escalated complaint as soon as it is complete.`,
      signature(v.brandName),
    ),
  }),

  escalation_window_closed: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Your case has been closed',
      text: paragraphs(
        greeting,
        v.closedBecause === 'other'
          ? `We closed your case under ticket number ${v.ticket} on ${date(v.closedOn, v.timeZone)}; it can no longer be escalated.`
          : `We responded to your complaint under ticket number ${v.ticket}. As we have not received an escalated complaint within ${days} working days of the date of our response, we consider the case to have been resolved and closed it on ${date(v.closedOn, v.timeZone)}.`,
        `If you would like to make a new complaint, please write to ${v.complaintsAddress}, including details of your previous complaint (ticket ${v.ticket}) and the reasons for your dissatisfaction.`,
        `If you have any questions about this case, please reply to this email and keep the ticket number [${v.ticket}] in the subject line.`,
        signature(v.brandName),
      ),
    };
  },

  extension_notice: (v) => ({
    subject: 'New date for our response',
    text: paragraphs(
      greeting,
      `The investigation of your case (ticket ${v.ticket}) requires more time than usual, so we are unable to respond within the usual period. You can expect our response by ${date(v.newDate, v.timeZone)}.`,
      v.reason && `Reason: ${verbatim(v.reason)}`,
      'We apologise for the delay and thank you for your patience.',
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  need_info: (v) => ({
    subject: 'Further information needed',
    text: paragraphs(
      greeting,
      `To continue our investigation of your case (ticket ${v.ticket}), we need some further information from you:`,
      verbatim(v.text),
      `Please reply to this email and keep the ticket number [${v.ticket}] in the subject line. We will continue as soon as we have your answer.`,
      signature(v.brandName),
    ),
  }),

  response: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Our response',
      text: paragraphs(
        verbatim(v.text),
        '---',
        v.escalation === 'none'
          ? `Ticket ${v.ticket}. This is our final response to your escalated complaint.`
          : v.escalation === 'post'
            ? `Ticket ${v.ticket}. If you are not satisfied with this response, you may refer your complaint to our management by post within ${days} working days of the date of this response, at the address given in our legal notice. Please write “${v.keyword ?? ESCALATION_KEYWORD.en}” clearly in the title of your letter and quote the ticket number ${v.ticket}.`
            : `Ticket ${v.ticket}. If you are not satisfied with this response, you may make an escalated complaint within ${days} working days of the date of this response: reply to this email, keep the ticket number [${v.ticket}] in the subject line, add the word “${v.keyword ?? ESCALATION_KEYWORD.en}” to it, and tell us the reasons for your dissatisfaction. If we do not receive an escalated complaint within ${days} working days, we will consider the case to have been resolved.`,
        `${v.brandName} – Customer Service / Abuse Department`,
      ),
    };
  },

  outcome: (v) => ({
    subject: 'Result of our review',
    text: paragraphs(
      greeting,
      `We have completed our review of your case (ticket ${v.ticket}).`,
      verbatim(v.result),
      measuresTaken(v.measures),
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  feedback_thanks: (v) => ({
    subject: 'Thank you for your feedback',
    text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
  }),

  customer_hearing: (v) => ({
    subject: `Complaint concerning ${concerning(v.domain)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `We have received a complaint concerning ${concerning(v.domain)}, which we are investigating under ticket number ${v.ticket}. The complaint is supported by the following evidence:`,
        verbatim(v.evidenceSummary),
        `On the basis of this evidence, we are considering the following measure: ${measureNoun(v.measure, v.target ?? v.domain)}.`,
        `Unless you clearly disprove the complaint by ${date(v.respondBy, v.timeZone)}, we will apply this measure. If you believe the complaint is unfounded, please reply to this email before then, keeping the ticket number [${v.ticket}] in the subject line, and explain your position with any information that supports it.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[address withheld]',
    ),
  }),

  measure_applied: (v) => ({
    subject: `Measure applied: ${measureNoun(v.measure, v.target)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `Following our review of the complaint under ticket number ${v.ticket}, we have found ${v.abuseType && v.abuseType !== 'other' ? `that ${concerning(v.target)} was used for ${abuseUse(v.abuseType)}, in violation of our terms and conditions` : 'a violation of our terms and conditions'}. To stop it and prevent a recurrence, we have applied the following measure${v.appliedAt && v.timeZone ? ` on ${date(v.appliedAt, v.timeZone)}` : ''}: ${measureNoun(v.measure, v.target)}.`,
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && 'Our decision rests on the following evidence (the person who reported it is not named):',
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && verbatim(v.evidenceSummary),
        'The decision was taken by a member of our abuse team after reviewing the evidence; it was not taken by automated means alone.',
        `If you believe the measure is wrong, you can contest it: reply to this email, keeping the ticket number [${v.ticket}] in the subject line, and explain why, with anything that supports your view. We will review the case again and tell you the result. This does not affect your right to take the matter to the competent courts or to an out-of-court dispute settlement body.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[address withheld]',
    ),
  }),

  measure_lifted: (v) => ({
    subject: `Measure lifted: ${measureNoun(v.measure, v.target)}`,
    text: paragraphs(
      customerGreeting,
      `We have lifted the following measure under ticket number ${v.ticket} on ${date(v.liftedAt, v.timeZone)}: ${measureNoun(v.measure, v.target)}.`,
      v.reason && `Reason: ${v.reason}`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  customer_cleanup: (v) => ({
    subject: `Your website ${v.domain} appears to be compromised`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `We have received a report that a website under your domain name ${v.domain} is being used for ${abuseNoun(v.abuseType)}, which we are investigating under ticket number ${v.ticket}. Everything indicates that the site itself is legitimate and has been broken into, so we are not suspending the domain name. The report is supported by the following evidence:`,
        verbatim(v.evidenceSummary),
        `Please remove the malicious content, find out how it got there (an outdated content management system or plugin, a stolen password) and secure the site, by ${date(v.respondBy, v.timeZone)}. Then reply to this email, keeping the ticket number [${v.ticket}] in the subject line, and tell us what you found and did.`,
        'If the abuse continues and we do not hear from you, we may have to take further measures to protect the people it targets.',
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[address withheld]',
    ),
  }),
};
