import { isIP } from 'node:net';
import { bullets, capitalize, formatDate, maskAddresses, paragraphs, verbatim, withSubject } from './format.js';
import {
  DEFAULT_ESCALATION_WORKING_DAYS,
  DEFAULT_RESPONSE_WORKING_DAYS,
  ESCALATION_ITEMS,
  ESCALATION_KEYWORD,
  type EscalationItem,
  type LanguageTexts,
  type Measure,
  type MeasureTaken,
  type RenderedMessage,
  type ReportAbuseType,
} from './types.js';

// Wording follows the registrar's published German procedure (seed 001).
// After the salutation the first sentence starts in lower case, as German letters do.

const date = (value: Date, timeZone: string): string => formatDate(value, 'de', timeZone);

const greeting = 'Sehr geehrte Damen und Herren,';
const customerGreeting = 'Sehr geehrte Kundin, sehr geehrter Kunde,';

const signature = (brandName: string): string => `Mit freundlichen Grüßen\n\nKundenservice / Abt. Domain-Missbrauch\n${brandName}`;

const replyHint = (ticket: string): string =>
  `Wenn Sie uns zu diesem Vorgang schreiben, antworten Sie bitte auf diese E-Mail und lassen Sie die Ticketnummer [${ticket}] in der Betreffzeile stehen.`;

const measureNoun = (measure: Measure, target: string): string =>
  ({
    'suspend-domain': `Abschaltung der Domain ${target}`,
    'block-account': `Sperrung des Nutzerkontos ${target}`,
    'deactivate-service': `Deaktivierung der Dienstleistung ${target}`,
  })[measure];

const measuresTaken = (measures: readonly MeasureTaken[]): string =>
  measures.length === 0
    ? 'Es wurden keine Maßnahmen ergriffen.'
    : `Wir haben folgende Maßnahmen ergriffen:\n${bullets(measures.map((m) => capitalize(measureNoun(m.measure, m.target))))}`;

// Accusative: the list follows "benötigen wir die folgenden Angaben".
const escalationItem = (item: EscalationItem, keyword: string): string =>
  ({
    contact: 'Ihren Namen und Ihre Kontaktdaten sowie Ihr Kundenkonto (soweit zutreffend)',
    reference: 'die Ticketnummer oder Details Ihrer vorherigen Beschwerde',
    domains: 'den/die betroffenen Domainnamen',
    description: 'eine genaue Erläuterung Ihres Problems oder Ihrer Beschwerde',
    desired_steps: 'welche Schritte Sie von uns zur Lösung des Problems erwarten',
    keyword: `den Begriff „${keyword}“ deutlich in der Betreffzeile Ihrer E-Mail`,
  })[item];

const feedbackThanks = (ticket: string): string =>
  paragraphs(
    `vielen Dank für Ihr Feedback, das wir unter der Ticketnummer ${ticket} erfasst haben. Wir haben es an die zuständige Abteilung bzw. das Projektteam weitergeleitet.`,
    'Ihre Meinung ist uns wichtig, da wir stetig bestrebt sind, unsere Servicequalität weiter zu verbessern. Wir danken Ihnen, dass Sie sich die Zeit dafür genommen haben.',
  ).trimEnd();

/** Worum es in der Anhörung geht: eine Domain oder ein Dienst unter einer unserer IP-Adressen. */
const concerning = (resource: string): string => (isIP(resource) !== 0 ? `Ihrem Dienst unter ${resource}` : `Ihrer Domain ${resource}`);

const spamMessageMissing = (v: { ticket: string; brandName: string }): RenderedMessage => ({
    subject: 'Bitte senden Sie uns die vollständige Spamnachricht',
    text: paragraphs(
      greeting,
      `vielen Dank für Ihre Spambeschwerde, die wir unter der Ticketnummer ${v.ticket} erfasst haben.`,
      'Für die Bearbeitung von Spam-Beschwerden benötigen wir die vollständige Spamnachricht inklusive aller Header-Daten. Diese fehlt in Ihrer Meldung, sodass wir noch nicht prüfen können, woher die Nachricht tatsächlich stammt. Bitte beachten Sie, dass ein Eintrag im „From“-Feld allein kein geeigneter Nachweis ist, da das „From“-Feld und damit der Absender der E-Mail gefälscht sein können.',
      'Bitte senden Sie uns die Spamnachricht als Anhang (als .eml-Datei, Typ message/rfc822). In den meisten E-Mail-Programmen markieren Sie dazu die Nachricht und wählen „Als Anhang weiterleiten“. Ist das nicht möglich, speichern Sie die Nachricht als Datei (.eml) und hängen Sie diese an, oder kopieren Sie den vollständigen Quelltext („Original anzeigen“ bzw. „Quelltext anzeigen“) in Ihre Antwort.',
      `Antworten Sie dazu bitte auf diese E-Mail und lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen. Bis dahin ruht die Bearbeitung Ihrer Meldung.`,
      signature(v.brandName),
    ),
});

const pageOf = (type: ReportAbuseType | undefined): string =>
  ({
    phishing: 'der Phishing-Seite',
    malware: 'der Seite oder Datei mit der Schadsoftware',
    botnet: 'des Steuerservers',
    pharming: 'der Pharming-Seite',
    spam: 'der beworbenen Seite',
    other: 'der gemeldeten Seite',
  })[type ?? 'other'];

const abuseUse = (type: ReportAbuseType): string =>
  ({
    phishing: 'für Phishing',
    malware: 'zur Verbreitung von Schadsoftware',
    botnet: 'für ein Botnetz',
    pharming: 'für Pharming',
    spam: 'für Spam',
    other: 'missbräuchlich',
  })[type];

const concerningDe = (resource: string): string => (isIP(resource) !== 0 ? `Ihr Dienst unter ${resource}` : `Ihre Domain ${resource}`);

export const de: LanguageTexts = {
  acknowledgement: (v) => {
    if (v.caseKind === 'feedback') {
      return {
        subject: withSubject('Vielen Dank für Ihr Feedback', v.originalSubject),
        text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
      };
    }
    const abuse = v.caseKind === 'abuse';
    const days = v.responseWorkingDays ?? DEFAULT_RESPONSE_WORKING_DAYS;
    return {
      subject: withSubject(abuse ? 'Eingangsbestätigung Ihrer Missbrauchsmeldung' : 'Eingangsbestätigung Ihrer Beschwerde', v.originalSubject),
      text: paragraphs(
        greeting,
        abuse
          ? `vielen Dank für Ihre Meldung. Wir haben sie erhalten und unter der Ticketnummer ${v.ticket} erfasst.`
          : `vielen Dank für Ihre Beschwerde. Wir haben sie erhalten und unter der Ticketnummer ${v.ticket} erfasst.`,
        `Wie geht es weiter? Wir führen eine gründliche Untersuchung Ihrer ${abuse ? 'Meldung' : 'Beschwerde'} durch und bemühen uns, binnen ${days} Werktagen zu antworten, also bis spätestens ${date(v.respondBy, v.timeZone)}. Sollte die Situation eine längere Untersuchung erforderlich machen, werden wir Sie vor diesem Termin darüber informieren und mitteilen, bis wann Sie unsere Antwort erwarten können. Ihre ${abuse ? 'Meldung' : 'Beschwerde'} wird gespeichert, um uns einen Überblick über die Zahl und Art der Beschwerden zu ermöglichen.`,
        abuse &&
          'Betrifft Ihre Meldung eine E-Mail (Spam oder Phishing), benötigen wir die vollständige Nachricht inklusive aller Header-Daten, bestenfalls als Anhang. Falls diese in Ihrer Meldung fehlt, senden Sie sie uns bitte als Antwort auf diese E-Mail. Wir teilen Ihnen das Ergebnis unserer Prüfung und eventuell getroffene Maßnahmen mit.',
        replyHint(v.ticket),
        signature(v.brandName),
      ),
    };
  },

  incomplete_report: (v) => {
    const missing = v.missing ?? 'message';
    if (missing === 'message') return spamMessageMissing(v);
    const what = {
      url: `die Adresse (URL) ${pageOf(v.abuseType)}, mindestens aber den betroffenen Domainnamen`,
      domain_or_ip: 'den Domainnamen oder die IP-Adresse des Steuerservers (Command-and-Control) bzw. des infizierten Systems',
      resource: 'den betroffenen Domainnamen, die Webadresse (URL) oder die IP-Adresse',
    }[missing];
    return {
      subject: 'Wir benötigen weitere Angaben zu Ihrer Meldung',
      text: paragraphs(
        greeting,
        `vielen Dank für Ihre Meldung, die wir unter der Ticketnummer ${v.ticket} erfasst haben.`,
        `Um tätig werden zu können, benötigen wir ${what}. Diese Angabe fehlt in Ihrer Meldung, sodass wir sie noch nicht prüfen können.`,
        'Sie können die Adresse so angeben, wie sie ist, oder „entschärft“ (zum Beispiel hxxps://example[.]com/login) – wir lesen beides.',
        `Bitte antworten Sie auf diese E-Mail und lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen. Bis dahin ruht die Bearbeitung Ihrer Meldung.`,
        signature(v.brandName),
      ),
    };
  },

  escalation_received: (v) => ({
    subject: v.step ? `Eingangsbestätigung Ihrer eskalierten Beschwerde (Stufe ${v.step})` : 'Eingangsbestätigung Ihrer eskalierten Beschwerde',
    text: paragraphs(
      greeting,
      `wir haben Ihre eskalierte Beschwerde zum Ticket ${v.ticket}${v.step ? ` (Stufe ${v.step})` : ''} erhalten.${v.step === 2 ? ' Sie wurde an unsere Geschäftsleitung weitergeleitet.' : ''} Wir sichern eine umfassende Untersuchung Ihres Anliegens zu. Eine abschließende Antwort erhalten Sie bis spätestens ${date(v.finalResponseBy, v.timeZone)}.`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  escalation_missing_info: (v) => ({
    subject: 'Ihre eskalierte Beschwerde: fehlende Angaben',
    text: paragraphs(
      greeting,
      `vielen Dank für Ihre Nachricht zum Ticket ${v.ticket}. Für die Bearbeitung einer eskalierten Beschwerde benötigen wir die folgenden Angaben, die in Ihrer Nachricht noch fehlen:`,
      bullets(ESCALATION_ITEMS.filter((item) => v.missing.includes(item)).map((item) => escalationItem(item, v.keyword))),
      `Bitte antworten Sie mit den fehlenden Angaben auf diese E-Mail und lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen. Sobald Ihre eskalierte Beschwerde vollständig ist, werden wir sie bearbeiten.`,
      signature(v.brandName),
    ),
  }),

  escalation_window_closed: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Ihr Vorgang wurde abgeschlossen',
      text: paragraphs(
        greeting,
        v.closedBecause === 'other'
          ? `Wir haben Ihren Vorgang mit der Ticketnummer ${v.ticket} am ${date(v.closedOn, v.timeZone)} abgeschlossen; er kann nicht mehr eskaliert werden.`
          : `wir haben Ihre Beschwerde mit der Ticketnummer ${v.ticket} beantwortet. Da wir innerhalb von ${days} Werktagen ab dem Tag unserer Antwort keine eskalierte Beschwerde erhalten haben, betrachten wir die Angelegenheit als abgeschlossen und haben den Vorgang am ${date(v.closedOn, v.timeZone)}, geschlossen.`,
        `Wenn Sie eine neue Beschwerde einreichen möchten, richten Sie diese bitte an ${v.complaintsAddress} und fügen Sie die Details Ihrer vorherigen Beschwerde (Ticket ${v.ticket}) sowie die Gründe Ihrer Unzufriedenheit bei.`,
        `Bei Fragen zu diesem Vorgang antworten Sie bitte auf diese E-Mail und lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen.`,
        signature(v.brandName),
      ),
    };
  },

  extension_notice: (v) => ({
    subject: 'Neuer Termin für unsere Antwort',
    text: paragraphs(
      greeting,
      `die Untersuchung Ihres Vorgangs (Ticket ${v.ticket}) erfordert mehr Zeit als üblich, daher können wir Ihnen nicht innerhalb der vorgesehenen Frist antworten. Unsere Antwort können Sie bis spätestens ${date(v.newDate, v.timeZone)}, erwarten.`,
      v.reason && `Grund: ${verbatim(v.reason)}`,
      'Wir bitten um Ihr Verständnis und danken Ihnen für Ihre Geduld.',
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  need_info: (v) => ({
    subject: 'Rückfrage zu Ihrem Vorgang',
    text: paragraphs(
      greeting,
      `für die weitere Bearbeitung Ihres Vorgangs (Ticket ${v.ticket}) benötigen wir noch folgende Informationen von Ihnen:`,
      verbatim(v.text),
      `Bitte antworten Sie auf diese E-Mail und lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen. Sobald uns Ihre Antwort vorliegt, setzen wir die Bearbeitung fort.`,
      signature(v.brandName),
    ),
  }),

  response: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Unsere Antwort',
      text: paragraphs(
        verbatim(v.text),
        '---',
        v.escalation === 'none'
          ? `Ticket ${v.ticket}. Dies ist unsere abschließende Antwort auf Ihre eskalierte Beschwerde.`
          : v.escalation === 'post'
            ? `Ticket ${v.ticket}. Sollten Sie mit dieser Antwort nicht zufrieden sein, können Sie Ihre Beschwerde innerhalb von ${days} Werktagen ab dem Tag dieser Antwort schriftlich per Post an unsere Geschäftsleitung richten; die Anschrift finden Sie in unserem Impressum. Bitte vermerken Sie „${v.keyword ?? ESCALATION_KEYWORD.de}“ deutlich über dem Brieftext und nennen Sie die Ticketnummer ${v.ticket}.`
            : `Ticket ${v.ticket}. Sollten Sie mit dieser Antwort nicht zufrieden sein, können Sie innerhalb von ${days} Werktagen ab dem Tag dieser Antwort eine eskalierte Beschwerde einreichen: Antworten Sie dazu auf diese E-Mail, lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen, ergänzen Sie dort den Begriff „${v.keyword ?? ESCALATION_KEYWORD.de}“ und nennen Sie uns die Gründe Ihrer Unzufriedenheit. Sollten wir innerhalb von ${days} Werktagen keine eskalierte Beschwerde erhalten, betrachten wir die Angelegenheit als abgeschlossen.`,
        `${v.brandName} – Kundenservice / Abt. Domain-Missbrauch`,
      ),
    };
  },

  outcome: (v) => ({
    subject: 'Ergebnis unserer Prüfung',
    text: paragraphs(
      greeting,
      `wir haben die Prüfung Ihres Vorgangs (Ticket ${v.ticket}) abgeschlossen.`,
      verbatim(v.result),
      measuresTaken(v.measures),
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  feedback_thanks: (v) => ({
    subject: 'Vielen Dank für Ihr Feedback',
    text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
  }),

  customer_hearing: (v) => ({
    subject: `Beschwerde zu ${concerning(v.domain)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `uns liegt eine Beschwerde zu ${concerning(v.domain)} vor, die wir unter der Ticketnummer ${v.ticket} prüfen. Die Beschwerde stützt sich auf folgende Nachweise:`,
        verbatim(v.evidenceSummary),
        `Aufgrund dieser Nachweise ziehen wir folgende Maßnahme in Betracht: ${measureNoun(v.measure, v.target ?? v.domain)}.`,
        `Wird die Beschwerde nicht bis spätestens ${date(v.respondBy, v.timeZone)}, zweifelsfrei von Ihnen widerlegt, werden wir diese Maßnahme umsetzen. Wenn Sie die Beschwerde für unbegründet halten, antworten Sie bitte bis dahin auf diese E-Mail, lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen und legen Sie uns Ihre Sicht mit allen Informationen dar, die sie belegen.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[Adresse entfernt]',
    ),
  }),

  measure_applied: (v) => ({
    subject: `Maßnahme umgesetzt: ${measureNoun(v.measure, v.target)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `nach Prüfung der Beschwerde mit der Ticketnummer ${v.ticket} haben wir ${v.abuseType && v.abuseType !== 'other' ? `festgestellt, dass ${concerningDe(v.target)} ${abuseUse(v.abuseType)} genutzt wurde; das verstößt gegen unsere Nutzungsbedingungen` : 'einen Verstoß gegen unsere Nutzungsbedingungen festgestellt'}. Um den Missbrauch zu beenden und eine Wiederholung zu verhindern, haben wir ${v.appliedAt && v.timeZone ? `am ${date(v.appliedAt, v.timeZone)} ` : ''}folgende Maßnahme umgesetzt: ${measureNoun(v.measure, v.target)}.`,
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && 'Unsere Entscheidung stützt sich auf folgende Nachweise (die meldende Person nennen wir nicht):',
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && verbatim(v.evidenceSummary),
        'Die Entscheidung hat ein Mitglied unseres Abuse-Teams nach Prüfung der Nachweise getroffen; sie beruht nicht allein auf automatisierten Mitteln.',
        `Halten Sie die Maßnahme für unberechtigt, können Sie ihr widersprechen: Antworten Sie auf diese E-Mail, lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen und begründen Sie Ihren Widerspruch mit allem, was Ihre Sicht stützt. Wir prüfen den Vorgang dann erneut und teilen Ihnen das Ergebnis mit. Ihr Recht, die Gerichte oder eine außergerichtliche Streitbeilegungsstelle anzurufen, bleibt davon unberührt.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[Adresse entfernt]',
    ),
  }),

  measure_lifted: (v) => ({
    subject: `Maßnahme aufgehoben: ${measureNoun(v.measure, v.target)}`,
    text: paragraphs(
      customerGreeting,
      `wir haben am ${date(v.liftedAt, v.timeZone)} folgende Maßnahme zur Ticketnummer ${v.ticket} aufgehoben: ${measureNoun(v.measure, v.target)}.`,
      v.reason && `Grund: ${v.reason}`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  customer_cleanup: (v) => ({
    subject: `Ihre Website ${v.domain} ist offenbar kompromittiert`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `uns liegt eine Meldung vor, dass eine Website unter Ihrem Domainnamen ${v.domain} ${abuseUse(v.abuseType)} genutzt wird. Wir prüfen den Vorgang unter der Ticketnummer ${v.ticket}. Alles deutet darauf hin, dass die Website selbst seriös ist und von Dritten übernommen wurde; den Domainnamen sperren wir deshalb nicht. Die Meldung wird durch folgende Nachweise gestützt:`,
        verbatim(v.evidenceSummary),
        `Bitte entfernen Sie die schädlichen Inhalte bis zum ${date(v.respondBy, v.timeZone)}, klären Sie, wie sie auf die Website gelangt sind (etwa über ein veraltetes Redaktionssystem, ein veraltetes Plugin oder ein gestohlenes Passwort), und sichern Sie die Website ab. Antworten Sie uns anschließend auf diese E-Mail, lassen Sie die Ticketnummer [${v.ticket}] in der Betreffzeile stehen und teilen Sie uns mit, was Sie festgestellt und unternommen haben.`,
        'Dauert der Missbrauch an und hören wir nichts von Ihnen, müssen wir gegebenenfalls weitere Maßnahmen ergreifen, um die Betroffenen zu schützen.',
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[Adresse entfernt]',
    ),
  }),
};
