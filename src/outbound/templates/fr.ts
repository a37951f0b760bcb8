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

// Wording follows the registrar's published French procedure (seed 002:
// "jours ouvrables", "plainte", "gestion des abus").

const date = (value: Date, timeZone: string): string => formatDate(value, 'fr', timeZone);

const greeting = 'Madame, Monsieur,';
const customerGreeting = 'Chère cliente, cher client,';

const signature = (brandName: string): string => `Cordialement,\n\nService clientèle / Gestion des abus\n${brandName}`;

const replyHint = (ticket: string): string =>
  `Pour toute correspondance concernant ce dossier, merci de répondre à cet e-mail en conservant le numéro de ticket [${ticket}] dans l'objet.`;

const measureNoun = (measure: Measure, target: string): string =>
  ({
    'suspend-domain': `suspension du nom de domaine ${target}`,
    'block-account': `blocage du compte utilisateur ${target}`,
    'deactivate-service': `désactivation du service ${target}`,
  })[measure];

const measuresTaken = (measures: readonly MeasureTaken[]): string =>
  measures.length === 0
    ? "Aucune mesure n'a été prise."
    : `Nous avons pris les mesures suivantes :\n${bullets(measures.map((m) => capitalize(measureNoun(m.measure, m.target))))}`;

const escalationItem = (item: EscalationItem, keyword: string): string =>
  ({
    contact: 'votre nom et vos coordonnées, ainsi que les informations de compte, le cas échéant',
    reference: 'la référence du numéro de ticket ou les détails de votre plainte précédente',
    domains: 'le ou les noms de domaine concernés',
    description: 'une description claire de votre préoccupation ou de votre plainte',
    desired_steps: 'les mesures que vous souhaitez que nous prenions pour résoudre le problème',
    keyword: `la mention « ${keyword} », clairement indiquée dans l'objet de votre e-mail`,
  })[item];

const feedbackThanks = (ticket: string): string =>
  paragraphs(
    `Nous vous remercions de vos commentaires, que nous avons enregistrés sous le numéro de ticket ${ticket}. Nous les avons transmis au service compétent ou à l'équipe de projet concernée.`,
    "Nous apprécions les opinions de nos clients et nous nous efforçons toujours d'améliorer notre niveau de service. Nous vous remercions d'avoir pris le temps de nous aider à atteindre cet objectif.",
  ).trimEnd();

/** L'objet de l'audition : un nom de domaine, ou un service à l'une de nos adresses IP. */
const concerning = (resource: string): string => (isIP(resource) !== 0 ? `votre service à l'adresse ${resource}` : `votre nom de domaine ${resource}`);

const spamMessageMissing = (v: { ticket: string; brandName: string }): RenderedMessage => ({
    subject: 'Merci de nous envoyer le message de spam complet',
    text: paragraphs(
      greeting,
      `Nous vous remercions de votre signalement de spam, que nous avons enregistré sous le numéro de ticket ${v.ticket}.`,
      "Pour traiter une plainte pour spam, nous avons besoin du message de spam complet, avec l'ensemble de ses en-têtes. Il ne figure pas dans votre signalement ; nous ne pouvons donc pas encore vérifier la véritable origine du message. Veuillez noter que le champ « From » seul ne constitue pas une preuve concluante, car l'expéditeur qui y figure peut facilement être falsifié.",
      "Veuillez nous transmettre le message de spam en pièce jointe (fichier .eml, de type message/rfc822). Dans la plupart des logiciels de messagerie, il suffit de sélectionner le message et de choisir « Transférer en tant que pièce jointe ». Si ce n'est pas possible, enregistrez le message dans un fichier .eml et joignez-le, ou copiez sa source complète (« Afficher l'original » ou « Afficher la source ») dans votre réponse.",
      `Pour cela, veuillez répondre à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet. Le traitement de votre dossier est suspendu jusqu'à réception du message.`,
      signature(v.brandName),
    ),
});

const abuseNoun = (type: ReportAbuseType | undefined): string =>
  ({ phishing: "d'hameçonnage", malware: 'malveillant', botnet: 'du réseau de zombies', pharming: 'de pharming', spam: 'de spam', other: 'signalé' })[type ?? 'other'];

const abuseUse = (type: ReportAbuseType): string =>
  ({
    phishing: "à des fins d'hameçonnage (phishing)",
    malware: 'pour diffuser des logiciels malveillants',
    botnet: "au service d'un réseau de zombies (botnet)",
    pharming: 'à des fins de pharming',
    spam: "pour l'envoi de spam",
    other: 'de manière abusive',
  })[type];

const concerningFr = (resource: string): string => (isIP(resource) !== 0 ? `votre service à l'adresse ${resource}` : `votre nom de domaine ${resource}`);

export const fr: LanguageTexts = {
  acknowledgement: (v) => {
    if (v.caseKind === 'feedback') {
      return {
        subject: withSubject('Merci pour vos commentaires', v.originalSubject, ' : '),
        text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
      };
    }
    const abuse = v.caseKind === 'abuse';
    const days = v.responseWorkingDays ?? DEFAULT_RESPONSE_WORKING_DAYS;
    const your = abuse ? 'votre signalement' : 'votre plainte';
    return {
      subject: withSubject(abuse ? "Accusé de réception de votre signalement d'abus" : 'Accusé de réception de votre plainte', v.originalSubject, ' : '),
      text: paragraphs(
        greeting,
        abuse
          ? `Nous vous remercions de votre signalement. Nous l'avons bien reçu et l'avons enregistré sous le numéro de ticket ${v.ticket}.`
          : `Nous vous remercions de votre plainte. Nous l'avons bien reçue et l'avons enregistrée sous le numéro de ticket ${v.ticket}.`,
        `Qu'est-ce qui se passe ensuite ? Nous allons étudier ${your} de manière complète et nous nous efforcerons d'y répondre dans les ${days} jours ouvrables, soit au plus tard le ${date(v.respondBy, v.timeZone)}. Si la situation nécessite une enquête supplémentaire, nous prendrons contact avec vous avant cette date pour vous indiquer quand vous pourrez avoir une réponse. ${capitalize(your)} sera également ${abuse ? 'conservé' : 'conservée'} dans le dossier afin de nous permettre de contrôler le nombre et le type de plaintes que nous recevons.`,
        abuse &&
          "Si votre signalement concerne un e-mail (spam ou hameçonnage), nous avons besoin du message complet avec l'ensemble de ses en-têtes, de préférence en pièce jointe. S'il ne figurait pas dans votre signalement, veuillez nous l'envoyer en répondant à cet e-mail. Nous vous informerons du résultat de notre examen et des mesures éventuellement prises.",
        replyHint(v.ticket),
        signature(v.brandName),
      ),
    };
  },

  incomplete_report: (v) => {
    const missing = v.missing ?? 'message';
    if (missing === 'message') return spamMessageMissing(v);
    const what = {
      url: `l'adresse (URL) de la page ou du fichier ${abuseNoun(v.abuseType)}, ou au moins le nom de domaine concerné`,
      domain_or_ip: "le nom de domaine ou l'adresse IP du serveur de commande (command-and-control) ou du système infecté",
      resource: "le nom de domaine, l'adresse web (URL) ou l'adresse IP concernés",
    }[missing];
    return {
      subject: "Nous avons besoin de précisions sur votre signalement",
      text: paragraphs(
        greeting,
        `Nous vous remercions de votre signalement, que nous avons enregistré sous le numéro de ticket ${v.ticket}.`,
        `Pour pouvoir agir, nous avons besoin de ${what}. Cette information ne figure pas dans votre signalement ; nous ne pouvons donc pas encore la vérifier.`,
        "Vous pouvez l'indiquer telle quelle ou « désamorcée » (par exemple hxxps://example[.]com/login) : nous lisons les deux.",
        `Veuillez répondre à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet. Le traitement de votre dossier est suspendu jusqu'à réception de cette information.`,
        signature(v.brandName),
      ),
    };
  },

  escalation_received: (v) => ({
    subject: v.step
      ? `Accusé de réception de l'escalade de votre plainte (étape ${v.step})`
      : "Accusé de réception de l'escalade de votre plainte",
    text: paragraphs(
      greeting,
      `Nous avons bien reçu l'escalade de votre plainte concernant le ticket ${v.ticket}${v.step ? ` (étape ${v.step})` : ''}.${v.step === 2 ? ' Elle a été transmise à la direction de la société.' : ''} Nous nous engageons à étudier vos préoccupations de manière complète. Vous devriez recevoir une réponse finale au plus tard le ${date(v.finalResponseBy, v.timeZone)}.`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  escalation_missing_info: (v) => ({
    subject: 'Escalade de votre plainte : informations manquantes',
    text: paragraphs(
      greeting,
      `Nous vous remercions de votre message concernant le ticket ${v.ticket}. Pour traiter l'escalade de votre plainte, nous avons besoin des informations suivantes, qui ne figurent pas dans votre message :`,
      bullets(ESCALATION_ITEMS.filter((item) => v.missing.includes(item)).map((item) => escalationItem(item, v.keyword))),
      `Veuillez répondre à cet e-mail en y ajoutant les informations manquantes et en conservant le numéro de ticket [${v.ticket}] dans l'objet. Nous traiterons l'escalade de votre plainte dès qu'elle sera complète.`,
      signature(v.brandName),
    ),
  }),

  escalation_window_closed: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Clôture de votre dossier',
      text: paragraphs(
        greeting,
        v.closedBecause === 'other'
          ? `Nous avons clôturé votre dossier (ticket ${v.ticket}) le ${date(v.closedOn, v.timeZone)} ; il ne peut plus faire l'objet d'une nouvelle plainte.`
          : `Nous avons répondu à votre plainte enregistrée sous le numéro de ticket ${v.ticket}. N'ayant pas reçu de nouvelle plainte dans les ${days} jours ouvrables à compter de la date de notre réponse, nous considérons que l'affaire est résolue et avons clôturé le dossier le ${date(v.closedOn, v.timeZone)}.`,
        `Si vous souhaitez déposer une nouvelle plainte, veuillez écrire à ${v.complaintsAddress} en indiquant les détails de votre plainte précédente (ticket ${v.ticket}) et les raisons de votre insatisfaction.`,
        `Pour toute question concernant ce dossier, merci de répondre à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet.`,
        signature(v.brandName),
      ),
    };
  },

  extension_notice: (v) => ({
    subject: 'Nouveau délai de réponse',
    text: paragraphs(
      greeting,
      `L'examen de votre dossier (ticket ${v.ticket}) nécessite une enquête plus longue que prévu ; nous ne pourrons donc pas vous répondre dans le délai habituel. Vous pouvez vous attendre à recevoir notre réponse au plus tard le ${date(v.newDate, v.timeZone)}.`,
      v.reason && `Motif : ${verbatim(v.reason)}`,
      'Nous vous prions de nous excuser pour ce délai et vous remercions de votre patience.',
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  need_info: (v) => ({
    subject: "Demande d'informations complémentaires",
    text: paragraphs(
      greeting,
      `Afin de poursuivre l'examen de votre dossier (ticket ${v.ticket}), nous avons besoin d'informations complémentaires de votre part :`,
      verbatim(v.text),
      `Merci de répondre à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet. Nous reprendrons le traitement de votre dossier dès réception de votre réponse.`,
      signature(v.brandName),
    ),
  }),

  response: (v) => {
    const days = v.escalationWorkingDays ?? DEFAULT_ESCALATION_WORKING_DAYS;
    return {
      subject: 'Notre réponse',
      text: paragraphs(
        verbatim(v.text),
        '---',
        v.escalation === 'none'
          ? `Ticket ${v.ticket}. Ceci est notre réponse définitive à votre réclamation.`
          : v.escalation === 'post'
            ? `Ticket ${v.ticket}. Si vous n'êtes pas satisfait de cette réponse, vous pouvez transmettre votre réclamation par courrier à la Direction de la Société dans un délai de ${days} jours ouvrables à compter de sa date, à l'adresse indiquée dans nos Mentions légales. Veuillez noter clairement la mention « ${v.keyword ?? ESCALATION_KEYWORD.fr} » dans le titre de votre courrier et rappeler le numéro de ticket ${v.ticket}.`
            : `Ticket ${v.ticket}. Si vous n'êtes pas satisfait de cette réponse, vous disposez d'un délai de ${days} jours ouvrables à compter de sa date pour déposer une nouvelle plainte : répondez à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet, ajoutez-y la mention « ${v.keyword ?? ESCALATION_KEYWORD.fr} » et indiquez-nous les raisons de votre insatisfaction. Si nous ne recevons pas de nouvelle plainte dans les ${days} jours ouvrables, nous considérerons que l'affaire est résolue.`,
        `${v.brandName} – Service clientèle / Gestion des abus`,
      ),
    };
  },

  outcome: (v) => ({
    subject: 'Résultat de notre examen',
    text: paragraphs(
      greeting,
      `Nous avons terminé l'examen de votre dossier (ticket ${v.ticket}).`,
      verbatim(v.result),
      measuresTaken(v.measures),
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  feedback_thanks: (v) => ({
    subject: 'Merci pour vos commentaires',
    text: paragraphs(greeting, feedbackThanks(v.ticket), replyHint(v.ticket), signature(v.brandName)),
  }),

  customer_hearing: (v) => ({
    subject: `Plainte concernant ${concerning(v.domain)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `Nous avons reçu une plainte concernant ${concerning(v.domain)}, que nous examinons sous le numéro de ticket ${v.ticket}. Cette plainte s'appuie sur les éléments suivants :`,
        verbatim(v.evidenceSummary),
        `Sur la base de ces éléments, nous envisageons la mesure suivante : ${measureNoun(v.measure, v.target ?? v.domain)}.`,
        `Si cette plainte n'est pas réfutée de manière incontestable par vos soins au plus tard le ${date(v.respondBy, v.timeZone)}, nous appliquerons cette mesure. Si vous estimez que la plainte n'est pas fondée, veuillez répondre à cet e-mail avant cette date, en conservant le numéro de ticket [${v.ticket}] dans l'objet, et nous exposer votre position avec tout élément à l'appui.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[adresse masquée]',
    ),
  }),

  measure_applied: (v) => ({
    subject: `Mesure appliquée : ${measureNoun(v.measure, v.target)}`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `À l'issue de notre examen de la plainte enregistrée sous le numéro de ticket ${v.ticket}, nous avons ${v.abuseType && v.abuseType !== 'other' ? `constaté que ${concerningFr(v.target)} était utilisé ${abuseUse(v.abuseType)}, en violation de nos conditions générales` : 'constaté une violation de nos conditions générales'}. Afin de faire cesser l'abus et d'éviter qu'il ne se reproduise, nous avons appliqué ${v.appliedAt && v.timeZone ? `le ${date(v.appliedAt, v.timeZone)} ` : ''}la mesure suivante : ${measureNoun(v.measure, v.target)}.`,
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && "Notre décision repose sur les éléments suivants (la personne à l'origine du signalement n'est pas nommée) :",
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && verbatim(v.evidenceSummary),
        "La décision a été prise par un membre de notre équipe chargée des abus après examen des éléments ; elle ne résulte pas uniquement de moyens automatisés.",
        `Si vous estimez cette mesure injustifiée, vous pouvez la contester : merci de répondre à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet et d'expliquer vos raisons, avec tout élément à l'appui. Nous réexaminerons le dossier et vous informerons du résultat. Cela n'affecte pas votre droit de saisir les juridictions compétentes ou un organisme de règlement extrajudiciaire des litiges.`,
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[adresse masquée]',
    ),
  }),

  measure_lifted: (v) => ({
    subject: `Mesure levée : ${measureNoun(v.measure, v.target)}`,
    text: paragraphs(
      customerGreeting,
      `Nous avons levé le ${date(v.liftedAt, v.timeZone)} la mesure suivante, liée au numéro de ticket ${v.ticket} : ${measureNoun(v.measure, v.target)}.`,
      v.reason && `Motif : ${v.reason}`,
      replyHint(v.ticket),
      signature(v.brandName),
    ),
  }),

  customer_cleanup: (v) => ({
    subject: `Votre site ${v.domain} semble compromis`,
    text: maskAddresses(
      paragraphs(
        customerGreeting,
        `Nous avons reçu un signalement selon lequel un site web sous votre nom de domaine ${v.domain} est utilisé ${abuseUse(v.abuseType)}. Nous examinons ce dossier sous le numéro de ticket ${v.ticket}. Tout indique que le site lui-même est légitime et qu'il a été piraté ; nous ne suspendons donc pas le nom de domaine. Le signalement s'appuie sur les éléments suivants :`,
        verbatim(v.evidenceSummary),
        `Nous vous prions de supprimer le contenu malveillant d'ici le ${date(v.respondBy, v.timeZone)}, de déterminer comment il a été placé sur le site (système de gestion de contenu ou extension non à jour, mot de passe dérobé) et de sécuriser le site. Merci ensuite de répondre à cet e-mail en conservant le numéro de ticket [${v.ticket}] dans l'objet, et de nous indiquer ce que vous avez constaté et fait.`,
        "Si l'abus se poursuit et que nous restons sans nouvelles de votre part, nous pourrions devoir prendre d'autres mesures pour protéger les personnes visées.",
        signature(v.brandName),
      ),
      v.withhold ?? [],
      '[adresse masquée]',
    ),
  }),
};
