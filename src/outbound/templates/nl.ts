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

// Wording follows the registrar's published Dutch procedure (seed 003:
// "werkdagen", "geëscaleerde klacht", "beschouwen we de zaak als afgerond").

const date = (value: Date, timeZone: string): string => formatDate(value, 'nl', timeZone);

const greeting = 'Geachte heer, mevrouw,';
const customerGreeting = 'Geachte klant,';

const signature = (brandName: string): string => `Met vriendelijke groet,\n\nKlantenservice / Afdeling Misbruik\n${brandName}`;

const replyHint = (ticket: string): string =>
  `Als u ons over deze zaak schrijft, beantwoord dan alstublieft deze e-mail en laat het ticketnummer [${ticket}] in de onderwerpregel staan.`;

const measureNoun = (measure: Measure, target: string): string =>
  ({
    'suspend-domain': `opschorting van de domeinnaam ${target}`,
    'block-account': `blokkering van het gebruikersaccount ${target}`,
    'deactivate-service': `deactivering van de dienst ${target}`,
  })[measure];

const measuresTaken = (measures: readonly MeasureTaken[]): string =>
  measures.length === 0
    ? 'Er zijn geen maatregelen genomen.'
    : `Wij hebben de volgende maatregelen genomen:\n${bullets(measures.map((m) => capitalize(measureNoun(m.measure, m.target))))}`;

const escalationItem = (item: EscalationItem, keyword: string): string =>
  ({
    contact: 'uw naam en contactgegevens, en accountinformatie indien van toepassing',
    reference: 'het ticketnummer of de details van uw vorige klacht',
    domains: 'de domeinna(a)m(en) in kwestie',
    description: 'een duidelijke omschrijving van uw probleem of klacht',
    desired_steps: 'welke stappen u van ons verwacht om het probleem op te lossen',
    keyword: `het woord “${keyword}”, duidelijk vermeld in de onderwerpregel van uw e-mail`,
  })[item];

const feedbackThanks = (ticket: string): string =>
  paragraphs(
    `Hartelijk dank voor uw feedback, die wij onder ticketnummer ${ticket} hebben geregistreerd. Wij hebben deze doorgestuurd naar de relevante afdeling of het projectteam.`,
    'We waarderen de meningen van onze klanten, omdat we altijd streven naar het verbeteren van onze service. Wij danken u voor de tijd die u hiervoor hebt genomen.',
  ).trimEnd();

/** Waar de hoorzitting over gaat: een domeinnaam, of een dienst op een van onze IP-adressen. */
const concerning = (resource: string): string => (isIP(resource) !== 0 ? `uw dienst op ${resource}` : `uw domeinnaam ${resource}`);

const spamMessageMissing = (v: { ticket: string; brandName: string }): RenderedMessage => ({
    subject: 'Stuur ons alstublieft het volledige spambericht',
    text: paragraphs(
      greeting,
      `Hartelijk dank voor uw spammelding, die wij onder ticketnummer ${v.ticket} hebben geregistreerd.`,
      'Om een spamklacht te kunnen behandelen, hebben wij het volledige spambericht nodig, inclusief alle headerinformatie. Dit ontbreekt in uw melding, waardoor we nog niet kunnen nagaan waar het bericht werkelijk vandaan komt. Let op: het “From”-veld alleen is geen sluitend bewijs, omdat de afzender die daar staat gemakkelijk vervalst kan worden.',
      'Stuur ons het spambericht alstublieft als bijlage (een .eml-bestand, type message/rfc822). In de meeste e-mailprogramma’s selecteert u daarvoor het bericht en kiest u “Doorsturen als bijlage”. Lukt dat niet, sla het bericht dan op als bestand (.eml) en voeg het toe, of kopieer de volledige broncode (“Origineel weergeven” of “Bron weergeven”) in uw antwoord.',
      `Beantwoord hiervoor deze e-mail en laat het ticketnummer [${v.ticket}] in de onderwerpregel staan. Tot we het bericht hebben ontvangen, ligt de behandeling van uw melding stil.`,
      signature(v.brandName),
    ),
});

const abuseNoun = (type: ReportAbuseType | undefined): string =>
  ({ phishing: 'phishing', malware: 'malware', botnet: 'botnet', pharming: 'pharming', spam: 'spam', other: 'gemelde ' })[type ?? 'other'];

const abuseUse = (type: ReportAbuseType): string =>
  ({
    phishing: 'voor phishing',
    malware: 'voor de verspreiding van malware',
    botnet: 'voor een botnet',
    pharming: 'voor pharming',
    spam: 'voor het versturen van spam',
    other: 'voor misbruik',
  })[type];

const concerningNl = (resource: string): string => (isIP(resource) !== 0 ? `uw dienst op ${resource}` : `uw domeinnaam ${resource}`);

export const nl: LanguageTexts = {
  acknowledgement: (v) => {
    if (v.caseKind === 'feedback') {
      return {
        subject: withSubject('Bedankt voor uw feedback', v.originalSubject),
        text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
      };
    }
    const abuse = v.caseKind === 'abuse';
    const days = v.responseWorkingDays ?? DEFAULT_RESPONSE_WORKING_DAYS;
    const noun = abuse ? 'melding' : 'klacht';
    return {
      subject: withSubject(abuse ? 'Ontvangstbevestiging van uw misbruikmelding' : 'Ontvangstbevestiging van uw klacht', v.originalSubject),
      text: paragraphs(
        greeting,
        `Hartelijk dank voor uw ${noun}. Wij hebben deze ontvangen en geregistreerd onder ticketnummer ${v.ticket}.`,
        `Wat gebeurt er nu? We zullen uw ${noun} volledig onderzoeken en streven ernaar om binnen ${days} werkdagen te antwoorden, dus uiterlijk op ${date(v.respondBy, v.timeZone)}. Als de situatie een langer onderzoek vergt, laten we u dat vóór die datum weten en informeren we u wanneer u ons antwoord kunt verwachten. Uw ${noun} zal bewaard worden om ons in staat te stellen het aantal en type klachten dat we ontvangen bij te houden.`,
        abuse &&
          'Betreft uw melding een e-mail (spam of phishing), dan hebben wij het volledige bericht met alle headerinformatie nodig, bij voorkeur als bijlage. Zat dit nog niet bij uw melding, stuur het ons dan als antwoord op deze e-mail. Wij informeren u over het resultaat van ons onderzoek en eventueel genomen maatregelen.',
        replyHint(v.ticket),
        signature(v.brandName),
      ),
    };
  },

  incomplete_report: (v) => {
    const missing = v.missing ?? 'message';
    if (missing === 'message') return spamMessageMissing(v);
    const what = {
      url: `het adres (URL) van de ${abuseNoun(v.abuseType)}pagina of het bestand, of ten minste de betreffende domeinnaam`,
      domain_or_ip: 'de domeinnaam of het IP-adres van de command-and-controlserver of van het geïnfecteerde systeem',
      resource: 'de betreffende domeinnaam, het webadres (URL) of het IP-adres',
    }[missing];
    return {
      subject: 'Wij hebben meer informatie over uw melding nodig',
      text: paragraphs(
        greeting,
        `Hartelijk dank voor uw melding, die wij onder ticketnummer ${v.ticket} hebben geregistreerd.`,
        `Om actie te kunnen ondernemen, hebben wij ${what} nodig. Dit ontbreekt in uw melding, waardoor we het nog niet kunnen controleren.`,
        'U kunt het gewoon vermelden of “onschadelijk gemaakt” (bijvoorbeeld hxxps://example[.]com/login): wij lezen beide.',
        `Beantwoord hiervoor deze e-mail en laat het ticketnummer [${v.ticket}] in de onderwerpregel staan. Tot we deze informatie hebben ontvangen, ligt de behandeling van uw melding stil.`,
        signature(v.brandName),
      ),
    };
  },

  escalation_received: (v) => ({
    subject: v.step ? `Ontvangstbevestiging van uw geëscaleerde klacht (stap ${v.step})` : 'Ontvangstbevestiging van uw geëscaleerde klacht',
    text: paragraphs(
      greeting,
      `Wij hebben uw geëscaleerde klacht over ticket ${v.ticket}${v.step ? ` (stap ${v.step})` : ''} ontvangen.${v.step === 2 ? ' Deze is doorgestuurd naar onze directie.' : ''} We verzekeren u dat wij uw bezorgdheden serieus nemen en volledig onderzoeken. U ontvangt uiterlijk op ${date(v.finalResponseBy, v.timeZone)} een definitief antwoord van ons.`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  escalation_missing_info: (v) => ({
    subject: 'Uw geëscaleerde klacht: ontbrekende gegevens',
    text: paragraphs(
      greeting,
      `Hartelijk dank voor uw bericht over ticket ${v.ticket}. Om een geëscaleerde klacht te kunnen behandelen, hebben wij de volgende informatie nodig, die in uw bericht ontbreekt:`,
      bullets(ESCALATION_ITEMS.filter((item) => v.missing.includes(item)).map((item) => escalationItem(item, v.keyword))),
      `Beantwoord deze e-mail alstublieft met de ontbrekende gegevens en laat het ticketnummer [${v.ticket}] in de onderwerpregel staan. Zodra uw geëscaleerde klacht volledig is, nemen wij deze in behandeling.`,
      signature(v.brandName),
    ),
  }),

  escalation_window_closed: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Uw zaak is afgesloten',
      text: paragraphs(
        greeting,
        v.closedBecause === 'other'
          ? `Wij hebben uw zaak met ticketnummer ${v.ticket} op ${date(v.closedOn, v.timeZone)} afgesloten; deze kan niet meer worden geëscaleerd.`
          : `Wij hebben uw klacht met ticketnummer ${v.ticket} beantwoord. Omdat we niet binnen ${days} werkdagen na de dag van ons antwoord een geëscaleerde klacht hebben ontvangen, beschouwen we de zaak als afgerond en hebben we deze op ${date(v.closedOn, v.timeZone)} afgesloten.`,
        `Wilt u een nieuwe klacht indienen, stuur deze dan naar ${v.complaintsAddress} en vermeld daarbij de details van uw vorige klacht (ticket ${v.ticket}) en de redenen voor uw ontevredenheid.`,
        `Hebt u vragen over deze zaak, beantwoord dan deze e-mail en laat het ticketnummer [${v.ticket}] in de onderwerpregel staan.`,
        signature(v.brandName),
      ),
    };
  },

  extension_notice: (v) => ({
    subject: 'Nieuwe datum voor ons antwoord',
    text: paragraphs(
      greeting,
      `Het onderzoek naar uw zaak (ticket ${v.ticket}) vergt meer tijd dan gebruikelijk, waardoor we niet binnen de gebruikelijke termijn kunnen antwoorden. U kunt ons antwoord uiterlijk op ${date(v.newDate, v.timeZone)} verwachten.`,
      v.reason && `Reden: ${verbatim(v.reason)}`,
      'Onze excuses voor het ongemak en hartelijk dank voor uw geduld.',
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  need_info: (v) => ({
    subject: 'Aanvullende informatie nodig',
    text: paragraphs(
      greeting,
      `Om het onderzoek naar uw zaak (ticket ${v.ticket}) voort te zetten, hebben wij nog de volgende informatie van u nodig:`,
      verbatim(v.text),
      `Beantwoord deze e-mail alstublieft en laat het ticketnummer [${v.ticket}] in de onderwerpregel staan. Zodra we uw antwoord hebben, gaan we verder met de behandeling van uw zaak.`,
      signature(v.brandName),
    ),
  }),

  response: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Ons antwoord',
      text: paragraphs(
        verbatim(v.text),
        '---',
        v.escalation === 'none'
          ? `Ticket ${v.ticket}. Dit is ons definitieve antwoord op uw geëscaleerde klacht.`
          : v.escalation === 'post'
            ? `Ticket ${v.ticket}. Bent u niet tevreden met dit antwoord, dan kunt u uw klacht binnen ${days} werkdagen na de datum van dit antwoord per post aan onze directie voorleggen, op het adres dat in ons colofon staat. Vermeld alstublieft duidelijk “${v.keyword ?? ESCALATION_KEYWORD.nl}” bovenaan uw brief, samen met het ticketnummer ${v.ticket}.`
            : `Ticket ${v.ticket}. Bent u niet tevreden met dit antwoord, dan kunt u binnen ${days} werkdagen na de datum van dit antwoord een geëscaleerde klacht indienen: beantwoord deze e-mail, laat het ticketnummer [${v.ticket}] in de onderwerpregel staan, vermeld daar ook het woord “${v.keyword ?? ESCALATION_KEYWORD.nl}” en geef de redenen voor uw ontevredenheid aan. Als we niet binnen ${days} werkdagen een geëscaleerde klacht ontvangen, beschouwen we de zaak als afgerond.`,
        `${v.brandName} – Klantenservice / Afdeling Misbruik`,
      ),
    };
  },

  outcome: (v) => ({
    subject: 'Resultaat van ons onderzoek',
    text: paragraphs(
      greeting,
      `Wij hebben het onderzoek naar uw zaak (ticket ${v.ticket}) afgerond.`,
      verbatim(v.result),
      measuresTaken(v.measures),
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  feedback_thanks: (v) => ({
    subject: 'Bedankt voor uw feedback',
    text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
  }),

  customer_hearing: (v) => ({
    subject: `Klacht over ${concerning(v.domain)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `Wij hebben een klacht ontvangen over ${concerning(v.domain)}, die wij onderzoeken onder ticketnummer ${v.ticket}. De klacht wordt ondersteund door het volgende bewijs:`,
        verbatim(v.evidenceSummary),
        `Op basis hiervan overwegen wij de volgende maatregel: ${measureNoun(v.measure, v.target ?? v.domain)}.`,
        `Tenzij u de klacht uiterlijk op ${date(v.respondBy, v.timeZone)} onomstotelijk weerlegt, zullen wij deze maatregel uitvoeren. Bent u van mening dat de klacht ongegrond is, beantwoord deze e-mail dan vóór die datum, laat het ticketnummer [${v.ticket}] in de onderwerpregel staan en licht uw standpunt toe, met alle informatie die dit ondersteunt.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[adres verwijderd]',
    ),
  }),

  measure_applied: (v) => ({
    subject: `Maatregel uitgevoerd: ${measureNoun(v.measure, v.target)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `Na onderzoek van de klacht met ticketnummer ${v.ticket} hebben wij ${v.abuseType && v.abuseType !== 'other' ? `vastgesteld dat ${concerningNl(v.target)} werd gebruikt ${abuseUse(v.abuseType)}, in strijd met onze algemene voorwaarden` : 'een overtreding van onze algemene voorwaarden vastgesteld'}. Om het misbruik te stoppen en herhaling te voorkomen, hebben wij ${v.appliedAt && v.timeZone ? `op ${date(v.appliedAt, v.timeZone)} ` : ''}de volgende maatregel uitgevoerd: ${measureNoun(v.measure, v.target)}.`,
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && 'Ons besluit berust op het volgende bewijs (wie het heeft gemeld, noemen wij niet):',
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && verbatim(v.evidenceSummary),
        'Het besluit is na beoordeling van het bewijs genomen door een medewerker van ons abuse-team; het berust niet uitsluitend op geautomatiseerde middelen.',
        `Vindt u de maatregel onterecht, dan kunt u er bezwaar tegen maken: beantwoord deze e-mail, laat het ticketnummer [${v.ticket}] in de onderwerpregel staan en licht uw bezwaar toe met alles wat uw standpunt ondersteunt. Wij beoordelen de zaak dan opnieuw en laten u de uitkomst weten. Dit laat uw recht onverlet om de zaak voor te leggen aan de bevoegde rechter of aan een instantie voor buitengerechtelijke geschillenbeslechting.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[adres verwijderd]',
    ),
  }),

  measure_lifted: (v) => ({
    subject: `Maatregel opgeheven: ${measureNoun(v.measure, v.target)}`,
    text: paragraphs(
      customerGreeting,
      `Wij hebben op ${date(v.liftedAt, v.timeZone)} de volgende maatregel bij ticketnummer ${v.ticket} opgeheven: ${measureNoun(v.measure, v.target)}.`,
      v.reason && `Reden: ${v.reason}`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  customer_cleanup: (v) => ({
    subject: `Uw website ${v.domain} lijkt gehackt te zijn`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `Wij hebben een melding ontvangen dat een website onder uw domeinnaam ${v.domain} wordt gebruikt ${abuseUse(v.abuseType)}. Wij onderzoeken deze zaak onder ticketnummer ${v.ticket}. Alles wijst erop dat de website zelf legitiem is en door derden is binnengedrongen; de domeinnaam schorten wij daarom niet op. De melding wordt onderbouwd door het volgende bewijs:`,
        verbatim(v.evidenceSummary),
        `Wij verzoeken u de schadelijke inhoud vóór ${date(v.respondBy, v.timeZone)} te verwijderen, na te gaan hoe die op de website terecht is gekomen (een verouderd contentmanagementsysteem of een verouderde plug-in, een gestolen wachtwoord) en de website te beveiligen. Beantwoord daarna deze e-mail, laat het ticketnummer [${v.ticket}] in de onderwerpregel staan en laat ons weten wat u hebt aangetroffen en gedaan.`,
        'Als het misbruik aanhoudt en wij niets van u horen, kunnen wij genoodzaakt zijn verdere maatregelen te nemen om de getroffenen te beschermen.',
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[adres verwijderd]',
    ),
  }),
};
